#!/usr/bin/env bats
# Fail closed: each case here was a way the shipped wiring sent nothing,
# sent twice, or lost a booking in silence.
load helper

START=2025-11-25T15:00:00Z	# 23 hours after T = 2025-11-24T16:00:00Z

setup() {
	export CALSMS_NOW=1764000000
	T=$BATS_TEST_TMPDIR
	TPL=$BATS_TEST_DIRNAME/../examples/templates
	export TPL
}

teardown() {
	stop_started
}

mock() {
	echo "${1:-{\"mode\": \"ok\"\}}" >"$T/control"
	start_mock mock mock-provider.py "$T/port" "$T/log" "$T/control"
	export TWILIO_API_URL=http://127.0.0.1:$(cat "$T/port") TWILIO_ACCOUNT_SID=AC123
	export TWILIO_AUTH_TOKEN=secret-token TWILIO_FROM=+15005550006
}
requests() { [ -f "$T/log" ] && wc -l <"$T/log" || echo 0; }

@test "stores: reading a store that is not there is 66 naming the path, and makes nothing" {
	export CALSMS_DB=$T/typo/db
	for cmd in "list" "get A1" "stats" "dump" "purge" "cancel A1" "optout +14045550101" "resolve A1 sent"; do
		run --separate-stderr conv-store $cmd
		assert_failure 66
		assert_output ""
		[[ "$stderr" == *"$T/typo/db: no store there"* ]] || fail "$cmd: $stderr"
	done
	run --separate-stderr follow-up-due
	assert_failure 66
	[[ "$stderr" == *"$T/typo/db"* ]]
	[ ! -e "$T/typo" ]
	run conv-store init
	assert_success
	[ -f "$T/typo/db/data.mdb" ]
	run conv-store list
	assert_success
	assert_output ""
}

@test "stores: an empty data.mdb is an error (74), never taken for a new store" {
	export CALSMS_DB=$T/lmdb	# LMDB's file, on either suite
	store
	appt A1 +14045550101 $START | conv-store add -q
	cp "$CALSMS_DB/data.mdb" "$T/saved"
	: >"$CALSMS_DB/data.mdb"
	run --separate-stderr conv-store list
	assert_failure 74
	[[ "$stderr" == *"data.mdb: not a usable store (empty)"* ]]
	run --separate-stderr conv-store add < <(appt A2 +14045550102 $START)
	assert_failure 74
	[ ! -s "$CALSMS_DB/data.mdb" ]
}

# as_nobody_setup: a directory $d that nobody can reach, holding a copy of
# conv-store (the checkout may sit where nobody cannot reach it)
as_nobody_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root to switch to nobody"
	command -v setpriv >/dev/null || skip "no setpriv"
	d=$(mktemp -d --tmpdir=/tmp)
	chmod 755 "$d"
	install -m 755 "$(command -v conv-store)" "$d/conv-store"
}

# as_nobody DB ARGS...: that conv-store, as nobody, on the store DB
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups env CALSMS_DB="$1" "$d/conv-store" "${@:2}"
}

@test "stores: a store the user may not open is 73, not 77 (which means a bad signature)" {
	as_nobody_setup
	# a store only root may open
	export CALSMS_DB=$d/db
	appt A1 +14045550101 $START | conv-store add -q
	run --separate-stderr as_nobody "$CALSMS_DB" list
	rm -rf "$d"
	assert_failure 73
	[[ "$stderr" == *"Permission denied"* ]]
}

@test "stores: conv-store load run as root into the service's store directory keeps its owner, who can open it" {
	as_nobody_setup
	mkdir -m 700 "$d/db"
	chown nobody:nogroup "$d/db"
	appt A1 +14045550101 $START | CALSMS_DB=$T/src conv-store add -q
	CALSMS_DB=$T/src conv-store dump >"$T/dump"
	run -0 conv-store -d "$d/db" load <"$T/dump"
	owners=$(stat -c %U "$d/db/data.mdb" "$d/db/lock.mdb" | sort -u)
	run --separate-stderr as_nobody "$d/db" list
	rm -rf "$d"
	[ "$owners" = nobody ] || fail "owned by $owners"
	assert_success
	json_is '.id == "A1"' <<<"$output"
}

@test "stores: a restore of an older dump never rolls a conversation back, nor forgets" {
	appt A1 +14045550101 $START | conv-store add -q
	conv-store dump >"$T/old"
	follow-up-due | sent | conv-store record >/dev/null
	at 60 conv-store reply <<<'{"from":"+14045550101","body":"yes","provider_id":"SMr1"}' >/dev/null
	run at 120 conv-store load <"$T/old"
	assert_success
	run conv-store get A1
	assert_success
	json_is '.status == "replied" and (.messages | length) == 1 and (.replies | length) == 1' <<<"$output"
	run at 60 follow-up-due
	assert_success
	assert_output ""
	# into an empty store, a plain restore
	run env CALSMS_DB="$T/fresh" conv-store load <"$T/old"
	assert_success
	run -0 env CALSMS_DB="$T/fresh" conv-store get A1
	json_is '.status == "pending" and .claim == null' <<<"$output"
}

@test "stores: load skips a bad opt-out or orphan line (65), and keeps every other line" {
	{
		jq -nc '{optout: {phone: "+14045550199", at: "2025-11-24T16:00:00Z"}}'
		jq -nc '{optout: {phone: "garbage"}}'
		appt A1 +14045550101 $START | jq -c '{id, phone, status: "pending", appointment: ., messages: [], replies: [],
			claim: null, created_at: "2025-11-24T16:00:00Z", updated_at: "2025-11-24T16:00:00Z", expires_at: "2026-02-23T15:00:00Z"}'
		jq -nc '{orphan: {body: "no sender"}}'
		jq -nc '{orphan: {from: "+14045550777", body: "hi", received_at: "2025-11-24T16:00:00Z"}}'
	} >"$T/dump"
	run --separate-stderr conv-store load <"$T/dump"
	assert_failure 65
	[[ "$stderr" == *"stdin:2: an opt-out without an E.164 phone; skipped"* ]]
	[[ "$stderr" == *"stdin:4: an orphan that is neither a reply with from nor a receipt with provider_id; skipped"* ]]
	run conv-store dump
	assert_success
	[ "$(jq -s 'map(select(.optout)) | length' <<<"$output")" -eq 1 ]
	[ "$(jq -s 'map(select(.orphan)) | length' <<<"$output")" -eq 1 ]
	[ "$(jq -s 'map(select(.id == "A1")) | length' <<<"$output")" -eq 1 ]
}

@test "stores: two replies from an unknown number in one second, without ids, are both kept" {
	store
	for b in first second; do
		jq -nc --arg b $b '{from: "+14045550777", body: $b, received_at: "2025-11-24T16:00:00Z"}'
	done | conv-store reply >/dev/null
	run conv-store list --orphans
	assert_success
	[ "${#lines[@]}" -eq 2 ]
}

@test "list: streams past 4,096, -n is the only cap; several statuses; dates; by start time" {
	jq -nc '{type: "booking", id: "I\(range(5000))", phone: "+14045550101", start_time: "2025-11-25T15:00:00Z", timezone: "UTC"}' |
		conv-store add -q
	appt LATE +14045550102 2025-12-01T15:00:00Z | at 86400 conv-store add -q
	conv-store cancel I7 >/dev/null
	run conv-store list
	assert_success
	[ "${#lines[@]}" -eq 5001 ]
	run -0 conv-store list -n 10
	[ "${#lines[@]}" -eq 10 ]
	run -0 conv-store list -s canceled,pending -n 6000
	[ "${#lines[@]}" -eq 5001 ]
	run -0 conv-store list -s canceled -s pending
	[ "${#lines[@]}" -eq 5001 ]
	run -0 conv-store list -s canceled
	[ "$(jq -r .id <<<"$output")" = I7 ]
	run --separate-stderr conv-store list -s cancelled
	assert_failure 64
	[[ "$stderr" == *"no such status: cancelled"* ]]
	run -0 conv-store list --since 2025-11-25
	[ "$(jq -r .id <<<"$output")" = LATE ]
	run -0 conv-store list --starts-after 2025-11-30 --starts-before 2025-12-02
	[ "$(jq -r .id <<<"$output")" = LATE ]
	run -0 conv-store list --starts-before 2025-11-30 -n 3
	[ "${#lines[@]}" -eq 3 ]
	run -64 conv-store list --since lastweek
}

@test "add: a reschedule's new half before the old booking: the old one is never texted" {
	appt NEW +14045550101 2025-11-26T15:00:00Z '.old_id = "OLD" | .rescheduled = false' | conv-store add -q
	appt OLD +14045550101 $START | conv-store add -q
	conv_is OLD '.status == "canceled" and .rescheduled_to == "NEW"'
	run follow-up-due
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .id <<<"$output")" = NEW ]
}

@test "add: phones are stored as E.164, so the opt-out list holds; an unusable one is no_phone, never a lost booking" {
	store
	conv-store optout +14045550101 >/dev/null
	appt A1 "(404) 555-0101" $START | conv-store add -q
	conv_is A1 '.phone == "+14045550101" and .status == "opted_out"'
	run --separate-stderr conv-store add < <(appt A2 "12" $START; appt A3 +14045550103 $START)
	assert_success
	[[ "$stderr" == *"A2: phone is not a usable number: kept as phone_raw, no text"* ]]
	json_is '.id == "A3"' <<<"$output"
	conv_is A2 '.status == "no_phone" and .phone == null and .appointment.phone_raw == "12"'
	conv_is A3 '.status == "pending"'
}

@test "whatever cal-parse writes, conv-store accepts: a number that reads back otherwise is no_phone, the webhook 200" {
	store
	body=$(jq -c '.payload.text_reminder_number = "+82 00 2879 090"' "$FIX/calendly/invitee-created.json")
	run -0 --separate-stderr cal-parse -n <<<"$body"
	json_is '.phone == null and .phone_raw == "+82 00 2879 090"' <<<"$output"
	run -0 --separate-stderr conv-store add -q <<<"$output"
	for n in "+43 01 50 4" "011 4301 50 4" "+44 (0)07700 900123"; do
		run -0 --separate-stderr cal-parse -n <<<"$(jq -c --arg p "$n" '.payload.text_reminder_number = $p' "$FIX/calendly/invitee-created.json")"
		printf '%s\n' "$output" >"$T/line"
		run -0 --separate-stderr conv-store add <"$T/line"
	done
}

@test "add: a booking without a start time is refused (65), not confirmed 'on null'" {
	store
	run --separate-stderr conv-store add < <(appt A1 +14045550101 $START 'del(.start_time)')
	assert_failure 65
	assert_output ""
	[[ "$stderr" == *"A1: a booking without a start_time; skipped"* ]]
	run -0 follow-up-due
	assert_output ""
}

@test "reply: a line without an intent is classified with the keyword table" {
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	run conv-store reply <<<'{"type":"reply","from":"+14045550101","body":" Stop ","provider_id":"SM5"}'
	assert_success
	json_is '.status == "opted_out" and .replies[0].intent == "stop"' <<<"$output"
	run -0 conv-store list -s opted_out
	[ "$(jq -r .id <<<"$output")" = A1 ]
}

@test "operator commands name what they could not find or use" {
	store
	run --separate-stderr conv-store cancel NOPE
	assert_failure 1
	assert_equal "$stderr" "conv-store: NOPE: no such conversation"
	run --separate-stderr conv-store resolve NOPE unsent
	assert_failure 1
	assert_equal "$stderr" "conv-store: NOPE: no such conversation"
	run --separate-stderr conv-store optout 12
	assert_failure 65
	[[ "$stderr" == "conv-store: 12: not a phone number"* ]]
	appt A1 +14045550101 $START | conv-store add -q
	run --separate-stderr conv-store resolve A1 unsent
	assert_failure 65
	assert_equal "$stderr" "conv-store: A1: not uncertain: nothing to resolve"
}

@test "durations need a unit: -a 30 is not 30 seconds" {
	store
	run --separate-stderr follow-up-due -a 30
	assert_failure 64
	[[ "$stderr" == *"-a: not a duration"* ]]
	run -64 follow-up-due -r 24
	run -64 follow-up-due -l 600
	run -64 sms-send -p log -L 600
	run -0 follow-up-due -a 30m
}

@test "closed stdout: no JSON in the lock file, exit 74, and follow-up-due's claims are released" {
	appt A1 +14045550101 $START | conv-store add -q
	run sh -c 'conv-store list >&-'
	assert_failure 74
	if [ -z "${CALSMS_TEST_PG:-}" ]; then
		run -1 grep -q '"id"' "$CALSMS_DB/lock.mdb"
	fi
	run --separate-stderr sh -c 'follow-up-due >&-' 
	assert_failure 74
	[[ "$stderr" == *"claims released"* ]]
	run follow-up-due
	assert_success
	[ "$(jq -r .id <<<"$output")" = A1 ]
}

@test "claims: no more than the sender drains in half a lease" {
	jq -nc '{type: "booking", id: "I\(range(50))", phone: "+14045550101", start_time: "2025-11-25T15:00:00Z", timezone: "UTC"}' |
		conv-store add -q
	run follow-up-due -s 0.05 -l 10m
	assert_success
	[ "${#lines[@]}" -eq 15 ]
	run -0 follow-up-due -s 0.05 -l 10m
	assert_output ""
	sent <<<"$(conv-store list | jq -c 'select(.claim) | . + {due: "confirm"}' | head -5)" | conv-store record >/dev/null
	run -0 follow-up-due -s 0.05 -l 10m
	[ "${#lines[@]}" -eq 5 ]
	run -0 follow-up-due -s 0
	[ "${#lines[@]}" -eq 30 ]
}

@test "a slow provider gets one confirmation, not 28: unknown stays claimed, the lease makes it uncertain" {
	mock '{"mode": "slow", "delay": 2}'
	appt A1 +14045550101 $START | conv-store add -q
	for m in $(seq 0 5 120); do
		at $((m * 60)) follow-up-due | at $((m * 60)) sms-send -p twilio -W 1 -R 4 -T "$TPL" |
			at $((m * 60)) conv-store record >/dev/null || true
	done
	[ "$(requests)" -eq 1 ]
	conv_is A1 '.status == "uncertain" and .claim.kind == "confirm" and .messages[0].status == "unknown"'
	run -0 conv-store list -s uncertain
	[ "$(jq -r .id <<<"$output")" = A1 ]
}

@test "a provider refusing our request leaves conversations due, never failed" {
	mock '{"mode": "404"}'
	for i in 1 2 3; do appt A$i +1404555010$i $START; done | conv-store add -q
	run --separate-stderr bash -o pipefail -c 'follow-up-due | sms-send -p twilio -T "$TPL" | conv-store record'
	assert_failure 78
	[[ "$stderr" == *"twilio refused our request (20404"* ]]
	run -0 conv-store list -s failed
	assert_output ""
	run -0 conv-store list -s pending
	[ "${#lines[@]}" -eq 3 ]
	json_is -s 'all(.claim == null and .retry_at != null)' <<<"$output"
	echo '{"mode": "ok"}' >"$T/control"
	run at 3600 sh -c 'follow-up-due | sms-send -p twilio -T "$TPL" | conv-store record'
	assert_success
	run -0 conv-store list -s awaiting_reply
	[ "${#lines[@]}" -eq 3 ]
	[ "$(requests)" -eq 4 ]
}

@test "stats: the log provider's sends are dry runs, not messages sent" {
	appt A1 +14045550101 $START | conv-store add | sms-send -p log -T "$TPL" 2>/dev/null | conv-store record >/dev/null
	appt A2 +14045550102 $START | conv-store add | sent | conv-store record >/dev/null
	run conv-store stats
	assert_success
	json_is '.messages_sent == 1 and .dry_run == 1 and .confirmations == 1' <<<"$output"
	conv_is A1 '.messages[0].dry_run == true and .status == "awaiting_reply"'
}

@test "JSON numbers out of range are written as JSON (no inf), like jq writes them" {
	echo '{"phone": "+14045550101", "body": "hi", "a": 1e999, "b": -1e999, "c": 1e300, "d": 12345678901234567890}' >"$T/in"
	run -0 --separate-stderr sms-send -p log <"$T/in"
	[ -n "$output" ]
	json_is '.a == 1.7976931348623157e+308 and .b == -1.7976931348623157e+308 and .c == 1e300
		and .d == 12345678901234567000 and .sms.status == "sent"' <<<"$output"
}

@test "sms-send leaves its caller's standard input as it found it (blocking)" {
	line='{"phone": "+14045550101", "body": "hi"}'
	run -0 bash -c 'echo "$0" | { sms-send -p log >/dev/null 2>&1
		python3 -c "import fcntl, os; print(bool(fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK))"; }' "$line"
	assert_output False
}

@test "add: a cancel is never refused for its phone; a usable one is stored as E.164" {
	store
	run -0 conv-store add < <(appt C1 "(404) 555-0101" $START '.type = "cancel"'; appt C2 "12" $START '.type = "cancel"')
	conv_is C1 '.status == "canceled" and .phone == "+14045550101"'
	conv_is C2 '.status == "canceled" and .phone == null'
}

@test "sms-send: a lease no longer than the request time limit is a usage error" {
	run --separate-stderr sms-send -p log -L 30s -W 30 </dev/null
	assert_failure 64
	[[ "$stderr" == *"-L 30s must be longer than -W 30s"* ]]
}

@test "reply: STOP in the text opts out even when the caller said intent other; a sentence that only mentions stop does not" {
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	run -0 conv-store reply <<<'{"type":"reply","from":"+14045550101","body":"dont stop the appointment","provider_id":"SM6"}'
	json_is '.status == "replied" and .replies[0].intent == "other"' <<<"$output"
	run -0 conv-store reply <<<'{"type":"reply","from":"+14045550101","body":"please stop texting me","intent":"other","provider_id":"SM7"}'
	json_is '.status == "opted_out" and .replies[1].intent == "stop"' <<<"$output"
	run -0 conv-store list -s opted_out
	[ "$(jq -r .id <<<"$output")" = A1 ]
}
