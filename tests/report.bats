#!/usr/bin/env bats
# conv-store report: the funnel by period, from a store whose story is known.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	store
	# day 1 (2025-11-24): A1 confirms, A2 is followed up and declines, A3 has no phone
	at 0 sh -c 'for a in "$@"; do printf "%s\n" "$a"; done | conv-store add -q' _ \
		"$(appt A1 +14045550001 2025-11-25T15:00:00Z)" "$(appt A2 +14045550002 2025-11-25T15:00:00Z)" \
		"$(appt A3 null 2025-11-25T15:00:00Z)"
	at 0 follow-up-due | at 0 sent | at 0 conv-store record >/dev/null
	reply +14045550001 YES 600
	at 1800 follow-up-due | at 1800 sent | at 1800 conv-store record >/dev/null
	reply +14045550002 NO 2000
	# day 2: B1 says STOP, B2's number is refused for good
	at 86400 sh -c 'for a in "$@"; do printf "%s\n" "$a"; done | conv-store add -q' _ \
		"$(appt B1 +14045550011 2025-11-26T15:00:00Z)" "$(appt B2 +14045550012 2025-11-26T15:00:00Z)"
	at 86400 follow-up-due >"$T/due"
	jq -c 'select(.id == "B1")' "$T/due" | at 86400 sent | at 86400 conv-store record >/dev/null
	jq -c 'select(.id == "B2")' "$T/due" | at 86400 sent failed true | at 86400 conv-store record >/dev/null
	reply +14045550011 STOP $((86400 + 120))
	export TZ=UTC
}

# reply FROM BODY OFFSET
reply() {
	at "$3" sh -c 'printf "{\"type\":\"reply\",\"from\":\"%s\",\"body\":\"%s\",\"at\":\"%s\"}\n" "$1" "$2" "$AT" |
		conv-store reply >/dev/null' _ "$1" "$2"
}

row() {	# row PERIOD: that period's line of $output
	jq -c --arg p "$1" 'select(.period == $p)' <<<"$output"
}

@test "report: one line per day with the funnel, in order" {
	run -0 conv-store report
	[ "$(jq -r .period <<<"$output" | paste -sd,)" = "2025-11-24,2025-11-25" ]
	row 2025-11-24 | json_is '.bookings == 3 and .with_phone == 2 and .confirmations == 2 and
		.replies == 2 and .confirm == 1 and .decline == 1 and .stop == 0 and .other == 0 and
		.confirmed_before_followup == 1 and .followups == 1 and .replied_after_followup == 1 and
		.declined == 1 and .opted_out == 0 and .failed == 0 and .uncertain == 0 and
		.dry_run == 0 and .segments == 3 and .median_reply_s == 1300 and (has("cost") | not)'
	row 2025-11-25 | json_is '.bookings == 2 and .with_phone == 2 and .confirmations == 1 and
		.replies == 1 and .stop == 1 and .opted_out == 1 and .failed == 1 and
		.followups == 0 and .segments == 1 and .median_reply_s == 120'
}

@test "report: --by week, month and event; -P prices the segments" {
	run -0 conv-store report --by month -P 0.0079
	[ "$(wc -l <<<"$output")" -eq 1 ]
	json_is '.period == "2025-11" and .bookings == 5 and .segments == 4 and
		(.cost * 10000 | round) == 316 and .median_reply_s == 600' <<<"$output"
	run -0 conv-store report --by week
	json_is '.period == "2025-W48" and .bookings == 5' <<<"$output"
	run -0 conv-store report --by event
	json_is '.period == "Consultation" and .bookings == 5' <<<"$output"
}

@test "report: --since and --until choose bookings by when they were made" {
	run -0 conv-store report --since 2025-11-25
	[ "$(jq -r .period <<<"$output")" = 2025-11-25 ]
	run -0 conv-store report --until 2025-11-24T23:59:59Z
	[ "$(jq -r .period <<<"$output")" = 2025-11-24 ]
	run -0 conv-store report --since 2025-11-24T16:00:01Z --until 2025-11-25T16:00:00Z
	json_is '.period == "2025-11-25" and .bookings == 2' <<<"$output"
	run -0 conv-store report --since 2025-12-01
	assert_output ""
}

@test "report: periods in the zone -z names" {
	run -0 conv-store report -z Asia/Tokyo
	[ "$(jq -r .period <<<"$output" | paste -sd,)" = "2025-11-25,2025-11-26" ]
	run -0 conv-store report -z America/Los_Angeles
	[ "$(jq -r .period <<<"$output" | paste -sd,)" = "2025-11-24,2025-11-25" ]
}

@test "report -t: a tab-separated table with a header, for people and spreadsheets" {
	run -0 conv-store report -t -P 0.01
	[ "$(wc -l <<<"$output")" -eq 3 ]
	head -n1 <<<"$output" | grep -q $'^period\tbookings\twith_phone\tconfirmations\tdelivered\treplies\t'
	head -n1 <<<"$output" | grep -q $'\tsegments\tcost\tmedian_reply_s$'
	sed -n 2p <<<"$output" | grep -q $'^2025-11-24\t3\t2\t2\t'
	sed -n 2p <<<"$output" | grep -q $'\t3\t0.03\t1300$'
}

@test "report: bad options are usage errors" {
	run -64 conv-store report --by year
	assert_output --partial "--by: day, week, month, event, variant or event,variant, not year"
	run -64 conv-store report -P free
	run -64 conv-store report --since soon
	run -64 conv-store report extra
	CALSMS_DB=$T/nowhere run -66 conv-store report
	[ ! -e "$T/nowhere/data.mdb" ]
}

@test "report-plot: the report as a chart, in the terminal and as a PNG" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	plot=$BATS_TEST_DIRNAME/../examples/report-plot
	conv-store report >"$T/report"
	run -0 "$plot" -T "two days" <"$T/report"
	assert_output --partial "two days"
	assert_output --partial "2025-11-24"
	assert_output --partial "2025-11-25"
	assert_output --partial "confirmed before follow-up"
	run -0 "$plot" -o "$T/chart.png" <"$T/report"
	[ "$(head -c 8 "$T/chart.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	[ "$(stat -c %s "$T/chart.png")" -gt 5000 ]
	run -65 "$plot" </dev/null
	assert_output --partial "no report lines"
	run -64 "$plot" extra
}
