#!/usr/bin/env bats
# conv-store: the LMDB store, driven as the pipelines drive it.
load helper

START=2025-11-25T15:00:00Z	# the appointment, 23 hours after T

setup() {
	export CALSMS_NOW=1764000000
	A=$BATS_TEST_TMPDIR/a.jsonl
}

teardown() {
	[ -f "$BATS_TEST_TMPDIR/pid" ] && kill -9 "$(cat "$BATS_TEST_TMPDIR/pid")" 2>/dev/null || true
}

@test "add: a booking is stored and handed out once with due confirm" {
	appt A1 +14045550101 $START >"$A"
	run --separate-stderr conv-store add <"$A"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	json_is '.id == "A1" and .due == "confirm" and .status == "pending" and .phone == "+14045550101"
		and .claim.kind == "confirm" and .appointment.first_name == "Ada"
		and .messages == [] and .replies == [] and .created_at == "2025-11-24T16:00:00Z"
		and .expires_at == "2026-02-23T15:00:00Z"' <<<"$output"
	run conv-store add <"$A"
	assert_success
	assert_output ""
	run -0 follow-up-due
	assert_output ""
}

@test "add: the same delivery 20 times, also from 8 processes at once, is one conversation and one confirm" {
	bin=$(command -v conv-store)
	cal-parse -n $FIX/calendly/invitee-created.json >"$A"
	for i in $(seq 20); do cat "$A"; done >"$BATS_TEST_TMPDIR/20.jsonl"
	for p in $(seq 8); do
		( for i in $(seq 20); do "$bin" add <"$A"; done >"$BATS_TEST_TMPDIR/out.$p" ) &
	done
	"$bin" add <"$BATS_TEST_TMPDIR/20.jsonl" >"$BATS_TEST_TMPDIR/out.0"
	wait
	[ "$(cat "$BATS_TEST_TMPDIR"/out.* | grep -c '"due":"confirm"')" -eq 1 ]
	run -0 conv-store list
	[ "${#lines[@]}" -eq 1 ]
	run -0 follow-up-due
	assert_output ""
}

@test "add: ids that come in order fill their pages; later writes before and at the last id still land" {
	appt A0 +14045550101 $START >"$A"
	# names of 500 characters: two conversations fill a page, one is half
	jq -c '. as $a | range(10000; 13000) | $a + {id: "A\(.)", phone: "+140455\(.)", name: ("n" * 500)}' \
		"$A" >"$BATS_TEST_TMPDIR/up"
	tac "$BATS_TEST_TMPDIR/up" >"$BATS_TEST_TMPDIR/down"
	for d in up down; do
		run -0 conv-store -d "$BATS_TEST_TMPDIR/$d.db" add -q <"$BATS_TEST_TMPDIR/$d"
	done
	up=$(stat -c %s "$BATS_TEST_TMPDIR/up.db/data.mdb")
	down=$(stat -c %s "$BATS_TEST_TMPDIR/down.db/data.mdb")
	# a page split in two at the end leaves half pages; appended, they fill
	[ $((up * 100)) -le $((down * 85)) ] || fail "in order $up bytes, in reverse $down"
	export CALSMS_DB=$BATS_TEST_TMPDIR/up.db
	run -0 conv-store stats
	json_is '.conversations == 3000 and .status.pending == 3000' <<<"$output"
	appt A09999 +14045559999 $START >"$A"
	run -0 conv-store add -q <"$A"
	run -0 conv-store cancel A12999
	run -0 conv-store get A09999 A12999 A10000
	json_is -s 'map(.id + " " + .status) == ["A09999 pending", "A12999 canceled", "A10000 pending"]' <<<"$output"
	run -0 conv-store check
}

@test "add -q prints nothing; follow-up-due hands the confirmation out once" {
	appt A1 +14045550101 $START >"$A"
	run -0 conv-store add -q <"$A"
	assert_output ""
	run -0 follow-up-due
	[ "${#lines[@]}" -eq 1 ]
	json_is '.id == "A1" and .due == "confirm"' <<<"$output"
	run -0 follow-up-due
	assert_output ""
}

@test "add: no phone is no_phone; an opted-out number is opted_out; neither is texted" {
	{ appt N1 null $START; appt O1 +14045550102 $START; } >"$A"
	store
	conv-store optout +14045550102 >/dev/null
	run -0 conv-store add <"$A"
	assert_output ""
	conv_is N1 '.status == "no_phone" and .phone == null'
	conv_is O1 '.status == "opted_out"'
	run -0 follow-up-due
	assert_output ""
}

@test "add: an appointment that already started is stored, never texted" {
	appt P1 +14045550103 2025-11-24T15:00:00Z | conv-store add >"$BATS_TEST_TMPDIR/out"
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	conv_is P1 '.status == "pending" and .skip == "started"'
	run -0 follow-up-due
	assert_output ""
}

@test "cancel before the confirmation: canceled, nothing due" {
	appt A1 +14045550101 $START | conv-store add -q
	appt A1 +14045550101 $START '.type = "cancel" | .reason = "sick"' | conv-store add
	conv_is A1 '.status == "canceled" and .canceled.reason == "sick"'
	run -0 follow-up-due
	assert_output ""
}

@test "cancel after the confirmation: no follow-up at T+30m" {
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	at 600 conv-store add < <(appt A1 +14045550101 $START '.type = "cancel"')
	run -0 at 1800 follow-up-due
	assert_output ""
	conv_is A1 '.status == "canceled" and (.messages | length) == 1'
}

@test "a cancel that arrives before its booking keeps the booking from texting" {
	appt A1 +14045550101 $START '.type = "cancel"' | conv-store add
	run -0 conv-store add < <(appt A1 +14045550101 $START)
	assert_output ""
	conv_is A1 '.status == "canceled"'
}

@test "reschedule, canceled half first: old canceled, one confirmation for the new slot" {
	C=$FIX/calendly
	cal-parse -n $C/invitee-created.json | conv-store add | sent | conv-store record >/dev/null
	run -0 --separate-stderr bash -c "{ cal-parse -n $C/reschedule-canceled.json; cal-parse -n $C/reschedule-created.json; } | conv-store add"
	[ "${#lines[@]}" -eq 1 ]
	json_is '.id == "INV0000000000005" and .due == "confirm"' <<<"$output"
	sent <<<"$output" | conv-store record >/dev/null
	conv_is INV0000000000001 '.status == "canceled" and .canceled.new_id == "INV0000000000005"
		and .rescheduled_to == "INV0000000000005"'
	run -0 bash -c "{ cal-parse -n $C/reschedule-created.json; cal-parse -n $C/reschedule-canceled.json; } | conv-store add"
	assert_output ""
	# the follow-up goes to the new booking only
	run -0 at 1800 follow-up-due
	[ "$(jq -r '.id + " " + .due' <<<"$output")" = "INV0000000000005 followup" ]
}

@test "reschedule, created half first: the same end state" {
	C=$FIX/calendly
	cal-parse -n $C/invitee-created.json | conv-store add -q
	run -0 bash -c "cal-parse -n $C/reschedule-created.json | conv-store add"
	[ "${#lines[@]}" -eq 1 ]
	json_is '.id == "INV0000000000005" and .due == "confirm"' <<<"$output"
	conv_is INV0000000000001 '.status == "canceled" and .rescheduled_to == "INV0000000000005"'
	run -0 bash -c "cal-parse -n $C/reschedule-canceled.json | conv-store add"
	assert_output ""
	conv_is INV0000000000001 '.status == "canceled"'
	# the old booking's queued confirmation is never handed out
	run -0 follow-up-due
	assert_output ""
}

@test "record: sent moves the status and appends once; a repeat changes nothing" {
	appt A1 +14045550101 $START | conv-store add | sent >"$BATS_TEST_TMPDIR/r"
	run -0 conv-store record <"$BATS_TEST_TMPDIR/r"
	json_is '.status == "awaiting_reply" and .claim == null and (.messages | length) == 1
		and .messages[0].kind == "confirm" and .messages[0].provider_id == "SM-A1-confirm"
		and .messages[0].status == "sent"' <<<"$output"
	run -0 conv-store record <"$BATS_TEST_TMPDIR/r"
	json_is '(.messages | length) == 1' <<<"$output"
}

@test "record: a permanent failure is failed; a temporary one is due again later" {
	{ appt A1 +14045550101 $START; appt A2 +14045550102 $START; } | conv-store add >"$BATS_TEST_TMPDIR/due"
	jq -c 'select(.id == "A1")' "$BATS_TEST_TMPDIR/due" | sent failed true | conv-store record >/dev/null
	jq -c 'select(.id == "A2")' "$BATS_TEST_TMPDIR/due" | sent failed false | conv-store record >/dev/null
	conv_is A1 '.status == "failed" and .messages[0].error.permanent == true'
	conv_is A2 '.status == "pending" and .claim == null and .retry_at == "2025-11-24T16:01:00Z"'
	run -0 at 59 follow-up-due
	assert_output ""
	run -0 at 60 follow-up-due
	json_is '.id == "A2" and .due == "confirm"' <<<"$output"
}

@test "record: the provider's 'unsubscribed' (Twilio 21610) opts the number out here too" {
	appt A1 +14045550101 $START | conv-store add |
		jq -c '. + {sms: {status: "failed", provider: "twilio", error: {code: "21610", message: "unsubscribed", permanent: true}}}' |
		conv-store record >/dev/null
	conv_is A1 '.status == "opted_out"'
	run -0 conv-store add < <(appt A2 +14045550101 2025-11-28T15:00:00Z)
	assert_output ""
	run -0 conv-store stats
	json_is '.opt_outs == 1 and .status.opted_out == 2' <<<"$output"
}

@test "record: a skipped line (template error) releases the claim" {
	appt A1 +14045550101 $START | conv-store add | jq -c '. + {sms: {status: "skipped", error: {code: "template", message: "bad", permanent: false}}}' |
		conv-store record >/dev/null
	conv_is A1 '.status == "pending" and .claim == null'
}

@test "reply: attaches to the newest live conversation; a redelivery is kept once" {
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	r='{"type":"reply","from":"+14045550101","to":"+15550000000","body":"Yes!","intent":"confirm","provider":"twilio","provider_id":"SM1","received_at":"2025-11-24T16:05:00Z"}'
	run -0 conv-store reply <<<"$r"
	json_is '.id == "A1" and .status == "replied" and .replies[0].body == "Yes!"
		and .replies[0].intent == "confirm" and .replies[0].at == "2025-11-24T16:05:00Z"' <<<"$output"
	run -0 conv-store reply <<<"$r"
	json_is '(.replies | length) == 1' <<<"$output"
}

@test "reply: an unknown number is kept as an orphan" {
	store
	run conv-store reply <<<'{"type":"reply","from":"+14045559999","body":"who is this","intent":"other","provider_id":"SM9","received_at":"2025-11-24T16:05:00Z"}'
	assert_success
	json_is '.orphan.from == "+14045559999"' <<<"$output"
	run -0 conv-store list --orphans
	json_is '.orphan.body == "who is this"' <<<"$output"
	run -0 conv-store stats
	json_is '.orphan_replies == 1' <<<"$output"
}

@test "STOP: opt-out list, every live conversation opted_out, a new booking is not texted; START lifts it" {
	{ appt A1 +14045550101 $START; appt A2 +14045550101 2025-11-27T15:00:00Z; } | conv-store add -q
	run -0 conv-store reply <<<'{"type":"reply","from":"+14045550101","body":"STOP","intent":"stop","provider_id":"SM2"}'
	json_is '.status == "opted_out"' <<<"$output"
	run -0 conv-store list -s opted_out
	[ "${#lines[@]}" -eq 2 ]
	run -0 conv-store add < <(appt A3 +14045550101 2025-11-28T15:00:00Z)
	assert_output ""
	conv_is A3 '.status == "opted_out"'
	run -0 at 7200 follow-up-due -r 48h
	assert_output ""
	conv-store reply <<<'{"type":"reply","from":"+14045550101","body":"START","intent":"start","provider_id":"SM3"}' >/dev/null
	run -0 conv-store add < <(appt A4 +14045550101 2025-11-29T15:00:00Z)
	json_is '.id == "A4" and .due == "confirm"' <<<"$output"
}

@test "get by id and by phone; list filters; not found is exit 1" {
	appt A1 +14045550101 $START | conv-store add -q
	at 60 conv-store add -q < <(appt A2 +14045550101 $START)
	at 120 conv-store add -q < <(appt B1 +442079460018 $START)
	conv_is A1 '.id == "A1"'
	run -0 conv-store get +14045550101
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .id <<<"${lines[0]}")" = A2 ]
	run -0 conv-store get "(404) 555-0101"
	[ "${#lines[@]}" -eq 2 ]
	run --separate-stderr conv-store get NOPE
	assert_failure 1
	assert_equal "$stderr" "conv-store: NOPE: no such conversation"
	run -0 conv-store list
	[ "$(jq -r .id <<<"$output" | tr '\n' ' ')" = "B1 A2 A1 " ]
	run -0 conv-store list -p +442079460018
	[ "$(jq -r .id <<<"$output")" = B1 ]
	conv-store cancel A1 >/dev/null
	run -0 conv-store list -p +14045550101 -s pending
	[ "$(jq -r .id <<<"$output")" = A2 ]
	run -0 conv-store list -s canceled
	[ "$(jq -r .id <<<"$output")" = A1 ]
	run -0 conv-store list -s pending --since 2025-11-24T16:01:00Z
	[ "$(jq -r .id <<<"$output" | tr '\n' ' ')" = "B1 A2 " ]
	run -0 conv-store list --since 2025-11-24T16:00:30Z --until 2025-11-24T16:01:30Z
	[ "$(jq -r .id <<<"$output")" = A2 ]
	run -0 conv-store list --until 2025-11-24T16:01:00Z
	[ "$(jq -r .id <<<"$output" | tr '\n' ' ')" = "A2 A1 " ]
	run -0 conv-store list -n 1
	[ "$(jq -r .id <<<"$output")" = B1 ]
	run -64 conv-store list --since lastweek
}

@test "cancel, optout and optin by hand" {
	appt A1 +14045550101 $START | conv-store add -q
	run -0 conv-store cancel A1
	json_is '.status == "canceled" and .canceled.reason == "canceled by operator"' <<<"$output"
	run -1 conv-store cancel NOPE
	run -0 conv-store optout "+1 404 555 0102"
	assert_output '{"phone":"+14045550102","opted_out":true}'
	run -0 conv-store stats
	json_is '.opt_outs == 1' <<<"$output"
	run -0 conv-store optin +14045550102
	assert_output '{"phone":"+14045550102","opted_out":false}'
	run -0 conv-store stats
	json_is '.opt_outs == 0' <<<"$output"
	run -65 conv-store optout not-a-number
}

@test "purge removes what expired, through the expiry index" {
	appt A1 +14045550101 2025-11-25T15:00:00Z | conv-store add -q -e 1
	appt A2 +14045550102 2025-11-25T15:00:00Z | conv-store add -q
	run -0 at $((2 * 86400)) conv-store purge
	assert_output '{"purged":"A1"}'
	run -1 conv-store get A1
	run conv-store get A2
	assert_success
	run conv-store get +14045550101
	assert_failure 1
	run -64 conv-store add -e zero
}

@test "dump | load into an empty store | dump is identical" {
	{ appt A1 +14045550101 $START; appt A2 null $START; appt A3 +14045550103 $START '.name = "Zoë 山田"'; } |
		conv-store add | sent | conv-store record >/dev/null
	conv-store optout +14045550199 >/dev/null
	conv-store reply <<<'{"type":"reply","from":"+14045559999","body":"hi","intent":"other","provider_id":"SM9"}' >/dev/null
	conv-store dump >"$BATS_TEST_TMPDIR/d1"
	[ "$(grep -vc '^{"change":' "$BATS_TEST_TMPDIR/d1")" -eq 5 ]
	# three bookings, two sent
	[ "$(grep -c '^{"change":' "$BATS_TEST_TMPDIR/d1")" -eq 5 ]
	CALSMS_DB=$BATS_TEST_TMPDIR/db2 conv-store load <"$BATS_TEST_TMPDIR/d1"
	CALSMS_DB=$BATS_TEST_TMPDIR/db2 conv-store dump >"$BATS_TEST_TMPDIR/d2"
	cmp "$BATS_TEST_TMPDIR/d1" "$BATS_TEST_TMPDIR/d2"
	# the indexes came back too
	run -0 env CALSMS_DB=$BATS_TEST_TMPDIR/db2 conv-store list -s awaiting_reply
	[ "${#lines[@]}" -eq 2 ]
	run -0 env CALSMS_DB=$BATS_TEST_TMPDIR/db2 CALSMS_NOW=$((1764000000 + 1800)) follow-up-due
	[ "${#lines[@]}" -eq 2 ]
}

@test "stats: counts, messages, rates" {
	{ appt A1 +14045550101 $START; appt A2 +14045550102 $START; appt A3 null $START; } |
		conv-store add | sent | conv-store record >/dev/null
	conv-store reply <<<'{"from":"+14045550101","body":"yes","intent":"confirm","provider_id":"SM1"}' >/dev/null
	at 1800 follow-up-due | sent | conv-store record >/dev/null
	run -0 conv-store stats
	json_is '.conversations == 3 and .status.replied == 1 and .status.followed_up == 1
		and .status.no_phone == 1 and .messages_sent == 3 and .segments == 3
		and .confirmations == 2 and .followups == 1 and .reply_rate == 0.5
		and .followup_rate == 0.5 and .opt_outs == 0' <<<"$output"
}

@test "bad lines are reported with their position and skipped; the rest is stored; exit 65" {
	{ appt A1 +14045550101 $START; echo 'not json'; echo '{"type":"booking"}';
	  echo '[1,2]'; appt A2 +14045550102 $START; } >"$A"
	run --separate-stderr conv-store add -q <"$A"
	assert_failure 65
	[[ "$stderr" == *"stdin:2: "* ]]
	[[ "$stderr" == *"stdin:3: not an appointment"* ]]
	[[ "$stderr" == *"stdin:4: not an appointment"* ]]
	run -0 conv-store list
	[ "${#lines[@]}" -eq 2 ]
	run -65 conv-store record <<<'{"id":"A1"}'
	run -65 conv-store record <<<'{"id":"NOPE","due":"confirm","sms":{"status":"sent"}}'
	run -65 conv-store reply <<<'{"from":"nobody","intent":"other"}'
	run -65 conv-store load <<<'{"hello":1}'
	run -65 conv-store load <<<'{"id":"Z1","status":"bogus"}'
	run -1 conv-store get Z1
}

@test "kill -9 in the middle of a large load leaves a store that opens, every record whole" {
	jq -nc '{id: "X\(range(100000))", phone: "+14045550101", status: "pending", appointment: {start_time: "2025-11-25T15:00:00Z"},
		messages: [], replies: [], claim: null, retry_at: null, reminder: null,
		created_at: "2025-11-24T16:00:00Z", updated_at: "2025-11-24T16:00:00Z", expires_at: "2026-02-23T15:00:00Z"}' >"$A"
	conv-store load <"$A" &
	echo $! >"$BATS_TEST_TMPDIR/pid"
	# kill it once its first groups are committed
	for _ in $(seq 100); do
		[ -n "$(conv-store list -n 1 2>/dev/null)" ] && break
		sleep 0.1
	done
	kill -9 "$(cat "$BATS_TEST_TMPDIR/pid")"
	wait || true
	conv-store dump >"$BATS_TEST_TMPDIR/d"
	n=$(wc -l <"$BATS_TEST_TMPDIR/d")
	echo "records after kill: $n" >&3
	[ "$n" -gt 0 ]
	[ "$(jq -s 'map(select(.status == "pending" and .claim == null and (.id | startswith("X")))) | length' "$BATS_TEST_TMPDIR/d")" -eq "$n" ]
	run -0 conv-store list -s pending -n 5
	[ "${#lines[@]}" -eq "$(( n < 5 ? n : 5 ))" ]
	# and the store still takes writes
	conv-store load <"$A"
	[ "$(dumped | wc -l)" -eq 100000 ]
}

@test "the store directory is created 0700 with 0600 files" {
	export CALSMS_DB=$BATS_TEST_TMPDIR/new/nested/db
	appt A1 +14045550101 $START | conv-store add -q
	[ "$(stat -c %a "$CALSMS_DB")" = 700 ]
	[ "$(stat -c %a "$CALSMS_DB/data.mdb")" = 600 ]
	[ "$(stat -c %a "$CALSMS_DB/lock.mdb")" = 600 ]
	run conv-store -d "$BATS_TEST_TMPDIR/other" load </dev/null
	assert_success
	[ -f "$BATS_TEST_TMPDIR/other/data.mdb" ]
}

@test "usage errors exit 64" {
	run -64 conv-store
	run -64 conv-store frobnicate
	run -64 conv-store get
	run -64 conv-store resolve A1
	run -64 conv-store resolve A1 maybe
	run -64 conv-store record extra
	run -0 conv-store -h
	assert_output --partial "usage: conv-store"
}

@test "usage, -h and the man page's SYNOPSIS list the same commands, alike" {
	run conv-store -h
	assert_success
	[ "${#lines[@]}" -ge 13 ]
	usage=$(sed 's/^usage: //; s/^ *//' <<<"$output")
	run bash -c "mandoc -Tascii -Owidth=400 '$BATS_TEST_DIRNAME/../man/conv-store.1' | sed 's/.\x08//g' |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;\$d' | sed 's/^ *//' | grep ."
	assert_success
	[ "$output" = "$usage" ] || { diff <(echo "$output") <(echo "$usage") >&2; false; }
	run -64 conv-store nosuchcommand
	assert_output --partial "usage: conv-store [-C file] [-d dir] init"
}

@test "add: input the JSON parser gives up on mid-buffer (found by fuzzing) is a bad line, not an abort" {
	store
	{ printf '""{ }{}\036\n'; appt A1 +14045550134 2025-11-25T15:00:00Z; printf '\000\010{\n'; } >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr conv-store add -q <"$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"skipped"* ]]
	conv_is A1 '.status == "pending"'
}

@test "JSON lines: escapes and non-ASCII read as jq reads them; a value over lines, a torn line and a byte-order mark past the start, as jq's parser judges" {
	store
	python3 - "$BATS_TEST_TMPDIR/in" <<'PY'
import json, sys, subprocess
def appt(i, name):
    return ('{"type":"booking","id":"%s","name":%s,"phone":"+1404555%04d",'
            '"start_time":"2025-11-25T15:00:00Z","timezone":"America/New_York",'
            '"created_at":"2025-11-24T16:00:00Z"}' % (i, name, len(i) * 100 + ord(i[-1]) % 100))
with open(sys.argv[1], "wb") as f:
    lines = [
        appt("E1", r'"Zo\u00eb \"q\" \\ \/ \b\f\n\r\t \u20ac"'),
        appt("E2", '"Zoë — 名前"'),
        '   \r',
        appt("E3", r'"\ud83d\ude00 paired"'),       # jq's parser reads on from here
        appt("E4", '"plain"'),
        appt("E5", '"torn'),
        appt("E6", '"after the torn one"'),
    ]
    f.write(("\n".join(lines) + "\n").encode())
    f.write(json.dumps(json.loads(appt("E7", '"over lines"')), indent=2).encode() + b"\n")
    f.write(b"\xef\xbb\xbf" + appt("E8", '"a mark past the start"').encode() + b"\n")
PY
	run --separate-stderr conv-store add -q <"$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ] || fail "exit $status: $stderr"
	[[ "$stderr" == *"stdin:6: "*"skipped"* ]] || fail "the torn line is not said: $stderr"
	[[ "$stderr" == *"stdin:17: "*"skipped"* ]] || fail "the mark past the start is not refused: $stderr"
	for id in E1 E2 E3 E4 E6 E7; do
		want=$(grep -a "\"$id\"" "$BATS_TEST_TMPDIR/in" | jq -r .name 2>/dev/null) ||
			want="over lines"
		run -0 conv-store get "$id"
		json_is --arg want "$want" '.appointment.name == $want' <<<"$output"
	done
	run -1 conv-store get E5
	run -1 conv-store get E8
	# a mark at the very start is the stream's own, and stripped
	printf '\357\273\277' >"$BATS_TEST_TMPDIR/bom"
	grep -a '"E4"' "$BATS_TEST_TMPDIR/in" | sed 's/E4/E9/' >>"$BATS_TEST_TMPDIR/bom"
	run -0 conv-store add -q <"$BATS_TEST_TMPDIR/bom"
	conv_is E9 '.appointment.name == "plain"'
	# and not on the line after a first one, however that one was read
	{ grep -a '"E4"' "$BATS_TEST_TMPDIR/in" | sed 's/E4/E10/'
	  printf '\357\273\277'; grep -a '"E4"' "$BATS_TEST_TMPDIR/in" | sed 's/E4/E11/'; } >"$BATS_TEST_TMPDIR/bom2"
	run -65 --separate-stderr conv-store add -q <"$BATS_TEST_TMPDIR/bom2"
	[[ "$stderr" == *"stdin:2: "*"skipped"* ]] || fail "the mark on line 2 is not refused: $stderr"
	conv_is E10 '.appointment.name == "plain"'
	run -1 conv-store get E11
}
