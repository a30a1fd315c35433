#!/usr/bin/env bats
# follow-up-due: the scheduler, with a faked clock and with a real one.
load helper

START=2025-11-25T15:00:00Z	# 23 hours after T = 2025-11-24T16:00:00Z

setup() {
	export CALSMS_NOW=1764000000
}

teardown() {
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null || true
	done
}

# book ID PHONE START [JQ]: stored and confirmed (sent) at T
book() {
	appt "$@" | conv-store add | sent | conv-store record >/dev/null
}

@test "the seed story: confirm at T, nothing at T+29m59s, the follow-up at T+30m, nothing more at T+2h" {
	appt A1 +14045550101 $START | conv-store add -q
	run -0 follow-up-due
	[ "$(jq -r .due <<<"$output")" = confirm ]
	sent <<<"$output" | conv-store record >/dev/null
	run -0 at 1799 follow-up-due
	assert_output ""
	run -0 at 1800 follow-up-due
	[ "${#lines[@]}" -eq 1 ]
	json_is '.id == "A1" and .due == "followup" and .status == "awaiting_reply"' <<<"$output"
	at 1800 sent <<<"$output" | at 1800 conv-store record >/dev/null
	conv_is A1 '.status == "followed_up" and ([.messages[].kind] == ["confirm", "followup"])'
	run -0 at 7200 follow-up-due
	assert_output ""
}

@test "a reply at T+10m means no follow-up" {
	book A1 +14045550101 $START
	at 600 conv-store reply <<<'{"from":"+14045550101","body":"YES","intent":"confirm","provider_id":"SM1"}' >/dev/null
	run -0 at 1800 follow-up-due
	assert_output ""
	run -0 at 7200 follow-up-due
	assert_output ""
}

@test "a cancel at T+10m means no follow-up" {
	book A1 +14045550101 $START
	appt A1 +14045550101 $START '.type = "cancel"' | at 600 conv-store add
	run -0 at 1800 follow-up-due -r 24h
	assert_output ""
}

@test "STOP means nothing ever again, reminders included" {
	book A1 +14045550101 $START
	at 60 conv-store reply <<<'{"from":"+14045550101","body":"stop","intent":"stop","provider_id":"SM1"}' >/dev/null
	for t in 1800 7200 80000; do
		run -0 at $t follow-up-due -r 24h
		assert_output ""
	done
}

@test "-a sets the follow-up delay; an appointment that has started gets none" {
	book A1 +14045550101 $START
	run -0 at 5399 follow-up-due -a 90m
	assert_output ""
	run -0 at 5400 follow-up-due -a 90m
	json_is '.due == "followup"' <<<"$output"
	book B1 +14045550102 2025-11-24T16:20:00Z
	run -0 at 1800 follow-up-due
	assert_output ""
	conv_is B1 '.status == "awaiting_reply" and .skip == "started"'
}

@test "reminders: once, DURATION before the start, whether or not they replied" {
	book A1 +14045550101 2025-11-26T16:00:00Z	# 48 h after T
	at 600 conv-store reply <<<'{"from":"+14045550101","body":"see you","intent":"confirm","provider_id":"SM1"}' >/dev/null
	run -0 at $((24 * 3600 - 1)) follow-up-due -r 24h
	assert_output ""
	run -0 at $((24 * 3600)) follow-up-due -r 24h
	[ "${#lines[@]}" -eq 1 ]
	json_is '.id == "A1" and .due == "reminder" and .status == "replied"' <<<"$output"
	at $((24 * 3600)) sent <<<"$output" | conv-store record >/dev/null
	run -0 at $((24 * 3600 + 60)) follow-up-due -r 24h
	assert_output ""
	conv_is A1 '.status == "replied" and .reminder == "sent"'
}

@test "no reminder when the confirmation itself went out inside the window; none without -r" {
	book A1 +14045550101 $START	# 23 h ahead, confirmation at T
	run -0 at 60 follow-up-due -r 24h -a 1d
	assert_output ""
	conv_is A1 '.reminder == "skipped"'
	book B1 +14045550102 2025-11-27T16:00:00Z
	run -0 at $((2 * 86400)) follow-up-due -a 10d
	assert_output ""
}

@test "quiet hours follow the invitee's own time zone" {
	# T+20h = 12:00 UTC: 07:00 in New York (quiet), 12:00 in London (not)
	book NY +14045550101 2025-11-26T20:00:00Z
	book LN +447700900123 2025-11-26T20:00:00Z '.timezone = "Europe/London"'
	run -0 at $((20 * 3600)) follow-up-due -Q 21:00-08:00
	[ "$(jq -r .id <<<"$output")" = LN ]
	run -0 --separate-stderr at $((21 * 3600 - 1)) follow-up-due -Q 21:00-08:00
	assert_output ""
	run -0 --separate-stderr at $((21 * 3600)) follow-up-due -Q 21:00-08:00
	[ "$(jq -r .id <<<"$output")" = NY ]
}

@test "quiet hours (-Q 20:00-08:00, the shipped hours) hold a confirmation; a HELP answer goes at once" {
	# T+12h = 04:00 UTC = 23:00 in New York, 13:00 in Tokyo: the booking made then is confirmed at 08:00 (T+21h)
	at $((12 * 3600)) conv-store add -q < <(appt NY +14045550101 2025-11-27T20:00:00Z)
	at $((12 * 3600)) conv-store add -q < <(appt TK +81312345678 2025-11-27T20:00:00Z '.timezone = "Asia/Tokyo"')
	run -0 at $((12 * 3600)) follow-up-due -Q 20:00-08:00
	assert_equal "$(jq -r '.id + " " + .due' <<<"$output")" "TK confirm"
	run -0 --separate-stderr at $((21 * 3600 - 1)) follow-up-due -Q 20:00-08:00
	assert_output ""
	run -0 at $((21 * 3600)) follow-up-due -Q 20:00-08:00
	assert_equal "$(jq -r '.id + " " + .due' <<<"$output")" "NY confirm"
	sent <<<"$output" | at $((21 * 3600)) conv-store record >/dev/null
	# 20:00 in New York: a follow-up waits, HELP is answered
	at $((33 * 3600)) conv-store reply <<<'{"from":"+14045550101","body":"AYUDA","provider_id":"SMh"}' >/dev/null
	run -0 at $((33 * 3600)) follow-up-due -H -T "$BATS_TEST_DIRNAME/../examples/templates" -Q 20:00-08:00
	assert_equal "$(jq -r '.id + " " + .due' <<<"$output")" "NY help"
}

@test "a reminder held by quiet hours past the start is dropped, not sent late" {
	# starts 07:30 New York time on Nov 26; reminder 2 h before is 05:30, quiet until 08:00
	book A1 +14045550101 2025-11-26T12:30:00Z '.end_time = "2025-11-26T13:00:00Z"'
	run -0 at $((42 * 3600 + 1800)) follow-up-due -a 10d -r 2h -Q 21:00-08:00
	assert_output ""
	conv_is A1 '.reminder == "skipped"'
	# the same reminder outside quiet hours is sent
	book B1 +14045550102 2025-11-26T12:30:00Z '.timezone = "Europe/London"'
	run -0 at $((42 * 3600 + 1800)) follow-up-due -a 10d -r 2h -Q 21:00-08:00
	[ "$(jq -r '.id + " " + .due' <<<"$output")" = "B1 reminder" ]
}

@test "never for canceled, opted_out, failed, uncertain or no_phone" {
	{ appt C1 +14045550101 $START; appt O1 +14045550102 $START; appt F1 +14045550103 $START;
	  appt N1 null $START; } | conv-store add -q
	conv-store cancel C1 >/dev/null
	conv-store optout +14045550102 >/dev/null
	follow-up-due | sent failed true | conv-store record >/dev/null
	run -0 follow-up-due
	assert_output ""
	run -0 conv-store list -s failed
	[ "$(jq -r .id <<<"$output")" = F1 ]
	for t in 1800 7200 80000; do
		run -0 at $t follow-up-due -r 24h
		assert_output ""
	done
}

@test "a claim never recorded within the lease becomes uncertain, is never resent, and resolve settles it" {
	appt A1 +14045550101 $START | conv-store add -q
	run -0 follow-up-due
	json_is '.due == "confirm"' <<<"$output"
	run -0 --separate-stderr at 599 follow-up-due
	assert_output ""
	run -0 --separate-stderr at 600 follow-up-due
	assert_output ""
	assert_equal "$stderr" "follow-up-due: A1: claim not recorded within the lease: uncertain"
	run -0 conv-store list -s uncertain
	[ "$(jq -r .id <<<"$output")" = A1 ]
	run -0 conv-store stats
	json_is '.status.uncertain == 1' <<<"$output"
	run -0 at 7200 follow-up-due
	assert_output ""
	run -0 at 7200 conv-store resolve A1 unsent
	json_is '.status == "pending" and .claim == null' <<<"$output"
	run -0 at 7200 follow-up-due -l 5m
	json_is '.due == "confirm"' <<<"$output"
	run -0 --separate-stderr at 7800 follow-up-due -l 5m
	assert_output ""
	[[ "$stderr" == *"A1: claim not recorded within the lease: uncertain"* ]]
	run -0 conv-store resolve A1 sent
	json_is '.status == "awaiting_reply" and .messages[0].provider == "operator"' <<<"$output"
	run -65 conv-store resolve A1 sent
	run -1 conv-store resolve NOPE sent
}

@test "-n limits the items of one run" {
	for i in 1 2 3 4 5; do appt A$i +1404555010$i $START; done | conv-store add -q
	run -0 follow-up-due -n 2
	[ "${#lines[@]}" -eq 2 ]
	run -0 follow-up-due
	[ "${#lines[@]}" -eq 3 ]
}

@test "two follow-up-due processes on one store of 10,000 due items print each item once in total" {
	jq -nc --arg s "$START" '{type: "booking", id: "I\(range(10000))", phone: "+14045550101", start_time: $s, timezone: "UTC"}' |
		conv-store add -q
	follow-up-due -s 0 >"$BATS_TEST_TMPDIR/1" & p1=$!
	follow-up-due -s 0 >"$BATS_TEST_TMPDIR/2" & p2=$!
	wait $p1 $p2
	[ "$(cat "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2" | wc -l)" -eq 10000 ]
	[ "$(cat "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2" | jq -r .id | sort -u | wc -l)" -eq 10000 ]
}

@test "-w emits an item added after it started, and exits on SIGTERM" {
	unset CALSMS_NOW
	start=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
	store
	follow-up-due -w >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	echo $! >"$BATS_TEST_TMPDIR/w.pid"
	# ready once it holds the store open (its first pass runs from there)
	for _ in $(seq 100); do
		store_open_by "$(cat "$BATS_TEST_TMPDIR/w.pid")" && break
		sleep 0.05
	done
	store_open_by "$(cat "$BATS_TEST_TMPDIR/w.pid")" || fail "follow-up-due -w never opened the store"
	appt W1 +14045550101 "$start" | conv-store add -q
	for _ in $(seq 50); do
		[ -s "$BATS_TEST_TMPDIR/out" ] && break
		sleep 0.1
	done
	[ "$(jq -r .id "$BATS_TEST_TMPDIR/out")" = W1 ]
	kill -TERM "$(cat "$BATS_TEST_TMPDIR/w.pid")"
	for _ in $(seq 50); do
		kill -0 "$(cat "$BATS_TEST_TMPDIR/w.pid")" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$(cat "$BATS_TEST_TMPDIR/w.pid")" 2>/dev/null; then
		fail "follow-up-due -w still runs after SIGTERM"
	fi
	run -0 wait "$(cat "$BATS_TEST_TMPDIR/w.pid")"
}

@test "-w wakes for a follow-up at its due time, not by polling the clock" {
	unset CALSMS_NOW
	start=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
	appt W1 +14045550101 "$start" | conv-store add | AT=$(date -u +%Y-%m-%dT%H:%M:%SZ) sent | conv-store record >/dev/null
	timeout 10 follow-up-due -w -a 2s -n 1 >"$BATS_TEST_TMPDIR/out"
	[ "$(jq -r .due "$BATS_TEST_TMPDIR/out")" = followup ]
}

@test "-w ends when its reader goes away" {
	unset CALSMS_NOW
	run timeout 10 bash -c 'follow-up-due -w | true'
	assert_success
}

@test "usage errors exit 64" {
	run -64 follow-up-due -a soon
	run -64 follow-up-due -Q 9-5
	run -64 follow-up-due -Q 24:59-08:00
	run -64 follow-up-due -Q 20:00-25:00
	run -64 follow-up-due -Q 20:60-08:00
	store
	run -0 follow-up-due -Q 20:00-24:00
	run -64 follow-up-due -n 0
	run -64 follow-up-due extra
	run -0 follow-up-due -h
	assert_output --partial "usage: follow-up-due"
}

@test "a claim outstanding when the appointment is canceled stays canceled after the lease" {
	appt A1 +14045550101 $START | conv-store add >"$BATS_TEST_TMPDIR/claimed"
	appt A1 +14045550101 $START '.type = "cancel"' | at 60 conv-store add
	run -0 --separate-stderr at 7200 follow-up-due
	assert_output ""
	assert_equal "$stderr" "follow-up-due: A1: claim not recorded within the lease: dropped, the appointment is canceled"
	conv_is A1 '.status == "canceled" and .claim == null'
	# the late result is still recorded, and changes nothing else
	sent <"$BATS_TEST_TMPDIR/claimed" | at 7300 conv-store record >/dev/null
	conv_is A1 '.status == "canceled" and .claim == null and (.messages | length) == 1 and .lapsed == null'
	run -0 conv-store check
}
