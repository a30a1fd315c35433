#!/usr/bin/env bats
# The promises under ordinary faults (calsms(7), PROMISES): each test
# attacks one, through the built programs.
load helper

START=2025-11-25T15:00:00Z	# 23 hours after T = 2025-11-24T16:00:00Z

setup() {
	export CALSMS_NOW=1764000000
	T=$BATS_TEST_TMPDIR
}

teardown() {
	stop_started
	[ ! -f "$T/umount" ] || sh "$T/umount" 2>/dev/null || true
}

reply() {	# reply FROM BODY PID: a reply line as sms-parse writes it
	jq -nc --arg f "$1" --arg b "$2" --arg p "$3" \
		'{type: "reply", from: $f, to: "+15005550006", body: $b, provider: "twilio", provider_id: $p, received_at: (env.AT // "2025-11-24T16:00:00Z")}'
}

@test "the last look: a STOP, a cancel or a reschedule recorded after the claim stops the request" {
	store
	for i in 1 2 3 4 5 6; do appt "A$i" "+1404555010$i" $START; done | conv-store add -q
	run -0 follow-up-due
	[ "${#lines[@]}" -eq 6 ]
	printf '%s\n' "$output" >"$T/claimed"
	# while the six lines wait for the sender
	at 1 conv-store reply < <(reply +14045550104 STOP SM-stop) >/dev/null
	appt A5 +14045550105 $START '.type = "cancel"' | at 1 conv-store add -q
	appt A6 +14045550106 $START '.type = "cancel" | .rescheduled = true | .new_id = "A6b"' | at 1 conv-store add -q
	run -0 --separate-stderr at 2 sms-send -p log -T "$BATS_TEST_DIRNAME/../examples/templates" -r 0 <"$T/claimed"
	[ "${#lines[@]}" -eq 6 ]
	printf '%s\n' "$output" >"$T/results"
	json_is '[.[] | select(.sms.status == "sent") | .id] | sort == ["A1", "A2", "A3"]' < <(jq -s . "$T/results")
	json_is '[.[] | select(.sms.status == "skipped") | select(.sms.error.code == "not_due") | .id] | sort == ["A4", "A5", "A6"]' < <(jq -s . "$T/results")
	run -0 at 2 conv-store record <"$T/results"
	conv_is A4 '.status == "opted_out" and .claim == null and ([.messages[]?] | length) == 0'
	conv_is A5 '.status == "canceled" and .claim == null and ([.messages[]?] | length) == 0'
	conv_is A6 '.status == "canceled" and .claim == null and ([.messages[]?] | length) == 0'
	conv_is A1 '.status == "awaiting_reply" and .claim == null'
	# nothing is left claimed, uncertain or due again for them
	run -0 at 3600 follow-up-due
	json_is '[.id] - ["A1", "A2", "A3"] == []' <<<"$output"
	run -0 conv-store list -s uncertain
	assert_output ""
	run -0 conv-store check
}

@test "the last look: a YES after the follow-up was claimed means no follow-up" {
	store
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	run -0 at 1800 follow-up-due
	json_is '.due == "followup"' <<<"$output"
	printf '%s\n' "$output" >"$T/claimed"
	at 1801 conv-store reply < <(AT=2025-11-24T16:30:01Z reply +14045550101 YES SM-yes) >/dev/null
	run -0 --separate-stderr at 1802 sms-send -p log -T "$BATS_TEST_DIRNAME/../examples/templates" <"$T/claimed"
	json_is '.sms.status == "skipped" and .sms.error.code == "not_due"' <<<"$output"
	at 1802 conv-store record <<<"$output" >/dev/null
	conv_is A1 '.status == "replied" and .claim == null and ([.messages[].kind] == ["confirm"])'
}

@test "the last look: a line whose claim an operator resolved is not sent; a store that cannot be read sends nothing" {
	store
	appt A1 +14045550101 $START | conv-store add -q
	run -0 follow-up-due
	printf '%s\n' "$output" >"$T/claimed"
	# the lease lapsed and the operator said it went
	at 700 follow-up-due >/dev/null
	conv_is A1 '.status == "uncertain"'
	at 700 conv-store resolve A1 unsent >/dev/null
	run -0 at 701 follow-up-due
	json_is '.due == "confirm"' <<<"$output"
	# the first, older claim is not the one the store holds now
	run -0 --separate-stderr at 10 sms-send -p log -T "$BATS_TEST_DIRNAME/../examples/templates" -L 1h <"$T/claimed"
	json_is '.sms.status == "skipped" and .sms.error.code == "not_due"' <<<"$output"
	run --separate-stderr sms-send -p log -T "$BATS_TEST_DIRNAME/../examples/templates" -d "$T/nowhere" <"$T/claimed"
	assert_failure 75
	json_is '.sms.status == "skipped" and .sms.error.code == "store"' <<<"$output"
	[ -n "$stderr" ]
	[ ! -e "$T/nowhere" ]
}

@test "an old START delivered again never undoes a later STOP; a START sent before the STOP leaves it" {
	store
	appt A1 +14045550101 $START | conv-store add -q
	AT=2025-11-24T16:01:00Z reply +14045550101 STOP SM-stop1 | at 60 conv-store reply >/dev/null
	AT=2025-11-24T16:02:00Z reply +14045550101 START SM-start | at 120 conv-store reply >/dev/null
	AT=2025-11-24T16:03:00Z reply +14045550101 STOP SM-stop2 | at 180 conv-store reply >/dev/null
	run -0 conv-store dump
	json_is -s 'map(select(.optout)) | length == 1 and .[0].optout.phone == "+14045550101"' <<<"$output"
	# Twilio retries the START an hour later
	AT=2025-11-24T16:02:00Z reply +14045550101 START SM-start | at 3600 conv-store reply >/dev/null
	# a START the customer sent before the STOP, delivered late, with its own id
	AT=2025-11-24T16:02:30Z reply +14045550101 START SM-late | at 3700 conv-store reply >/dev/null
	run -0 conv-store dump
	json_is -s 'map(select(.optout)) | length == 1 and .[0].optout.phone == "+14045550101"' <<<"$output"
	# the next booking from that number is not texted
	appt A2 +14045550101 2025-11-26T15:00:00Z | at 3800 conv-store add -q
	conv_is A2 '.status == "opted_out"'
	run -0 at 3800 follow-up-due
	assert_output ""
	# the replay changed nothing: the START is kept once
	conv_is A1 '[.replies[] | select(.provider_id == "SM-start")] | length == 1'
	# a START sent after the STOP does take the number off
	AT=2025-11-24T17:10:00Z reply +14045550101 START SM-start2 | at 4200 conv-store reply >/dev/null
	run -0 conv-store dump
	refute_output --partial '"optout"'
}

receipt() {	# receipt PID STATUS AT
	jq -nc --arg p "$1" --arg s "$2" --arg a "$3" '{type: "receipt", provider: "twilio", provider_id: $p, status: $s, error: (if $s == "undelivered" then {code: "30003", message: "Unreachable"} else null end), at: $a}'
}

@test "retry keeps a reply: a YES, then a failed reminder retried, gets no follow-up" {
	store
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	at 600 conv-store reply < <(AT=2025-11-24T16:10:00Z reply +14045550101 YES SM-yes) >/dev/null
	conv_is A1 '.status == "replied"'
	run -0 at 3600 follow-up-due -r 22h
	json_is '.due == "reminder"' <<<"$output"
	at 3600 sent failed true <<<"$output" | at 3600 conv-store record >/dev/null
	conv_is A1 '.status == "failed"'
	run -0 at 3700 conv-store retry A1
	conv_is A1 '.status == "replied"'
	run -0 at 7200 follow-up-due
	refute_output --partial '"due":"followup"'
}

@test "a YES while the confirmation's outcome is unknown is kept in the status: no follow-up after resolve" {
	store
	appt A1 +14045550101 $START | conv-store add | sent unknown | conv-store record >/dev/null
	at 60 conv-store reply < <(AT=2025-11-24T16:01:00Z reply +14045550101 YES SM-yes) >/dev/null
	at 700 follow-up-due >/dev/null
	conv_is A1 '.status == "uncertain"'
	run -0 at 800 conv-store resolve A1 sent
	conv_is A1 '.status == "replied"'
	run -0 at 3600 follow-up-due
	assert_output ""
}

@test "a cancel while the confirmation's outcome is unknown: its notice still goes once the lease lapses" {
	store
	appt A1 +14045550101 $START | conv-store add | sent unknown | conv-store record >/dev/null
	appt A1 +14045550101 $START '.type = "cancel"' | at 60 conv-store add -q
	conv_is A1 '.status == "canceled" and .cancel_notice == "due"'
	mkdir "$T/tpl" && cp "$BATS_TEST_DIRNAME"/../examples/templates/*.jq "$BATS_TEST_DIRNAME"/../examples/moments/canceled.jq "$T/tpl/"
	run -0 at 120 follow-up-due -T "$T/tpl"
	assert_output ""
	run -0 --separate-stderr at 700 follow-up-due -T "$T/tpl"
	json_is '.due == "canceled"' <<<"$output"
	assert_equal "$stderr" "follow-up-due: A1: claim not recorded within the lease: dropped, the appointment is canceled"
	at 700 sent <<<"$output" | at 700 conv-store record >/dev/null
	conv_is A1 '.status == "canceled" and .cancel_notice == "sent" and .claim == null'
}

@test "a receipt that comes before its send is recorded reaches the message" {
	store
	appt A1 +14045550101 $START | conv-store add >"$T/claimed"
	at 1 conv-store reply < <(receipt SM-A1-confirm undelivered 2025-11-24T16:00:01Z) >/dev/null
	at 2 sent <"$T/claimed" | at 2 conv-store record >/dev/null
	conv_is A1 '.messages[0].delivery == "undelivered" and .messages[0].delivery_error.code == "30003"'
	run -0 conv-store list --orphans
	assert_output ""
	run -0 conv-store stats
	json_is '.undelivered == 1 or .delivery.undelivered == 1 or ([.. | objects | .undelivered? // empty] | add) == 1' <<<"$output"
}

@test "restoring an older dump after a receipt keeps one message; a dump never rolls back a cancel" {
	store
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	conv-store dump >"$T/old"
	at 60 conv-store reply < <(receipt SM-A1-confirm delivered 2025-11-24T16:01:00Z) >/dev/null
	run -0 at 120 conv-store load <"$T/old"
	conv_is A1 '(.messages | length) == 1 and .messages[0].delivery == "delivered"'
	run -0 conv-store check
	# a clock stepped back: the live record looks older than the dump
	appt A1 +14045550101 $START '.type = "cancel"' | at -86400 conv-store add -q
	conv_is A1 '.status == "canceled"'
	jq -c 'select(.id == "A1") | .updated_at = "2025-11-30T00:00:00Z"' "$T/old" >"$T/newer"
	run -0 at 180 conv-store load <"$T/newer"
	conv_is A1 '.status == "canceled"'
	run -0 at 3600 follow-up-due -r 23h
	assert_output ""
}

@test "texts off for an event type: a front-desk message or a HELP is settled once, never claimed again" {
	cp -r "$BATS_TEST_DIRNAME/../examples/templates" "$T/tpl"
	mkdir "$T/tpl/consultation" && touch "$T/tpl/consultation/off"
	store
	appt A1 +14045550101 $START '.event_slug = "consultation"' | conv-store add -q
	run -0 conv-store send A1 "We are running late"
	at 10 conv-store reply < <(reply +14045550101 HELP SM-help) >/dev/null
	for t in 20 30 40 50; do
		CALSMS_NOW=$((CALSMS_NOW + t)) run -0 --separate-stderr bash -o pipefail -c \
			'follow-up-due -T "$0" | sms-send -p log -T "$0" | conv-store record' "$T/tpl"
	done
	run -0 at 60 follow-up-due -T "$T/tpl"
	assert_output ""
	conv_is A1 '.outbox == null and .help == "off" and .skip == "off" and .claim == null and .messages == []'
	run -0 conv-store check
}

@test "the log provider: the same words twice to one number are two messages, each recorded" {
	store
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	for t in 10 20; do
		run -0 at $t conv-store send A1 "Same words"
		CALSMS_NOW=$((CALSMS_NOW + t)) run -0 --separate-stderr bash -o pipefail -c \
			'follow-up-due | sms-send -p log -T "$0" | conv-store record' "$BATS_TEST_DIRNAME/../examples/templates"
	done
	conv_is A1 '[.messages[] | select(.kind == "manual" and .status == "sent")] | length == 2'
	conv_is A1 '([.messages[].provider_id] | unique | length) == (.messages | length) and .status == "awaiting_reply"'
}

@test "dump | load | dump is byte for byte for every kind of record, orphan receipts too" {
	store
	{ appt A1 +14045550101 $START; appt A2 null $START; appt A3 +14045550103 $START; } |
		conv-store add | sent | conv-store record >/dev/null
	appt A3 +14045550103 $START '.type = "cancel"' | at 60 conv-store add -q
	at 70 conv-store send A1 "See you" >/dev/null
	at 80 conv-store note A1 "called her" >/dev/null
	conv-store optout +14045550199 >/dev/null
	conv-store reply < <(reply +14045559999 hi SM9) >/dev/null
	conv-store reply < <(receipt SM-unknown delivered 2025-11-24T16:02:00Z) >/dev/null
	at 100 follow-up-due >/dev/null	# a claim outstanding
	conv-store dump >"$T/d1"
	json_is '[.[] | select(.orphan.type == "receipt")] | length == 1' < <(jq -s . "$T/d1")
	json_is '[.[] | select(.claim != null and .claim != {} and has("id"))] | length == 1' < <(jq -s . "$T/d1")
	run -0 env CALSMS_DB="$T/db2" conv-store load <"$T/d1"
	CALSMS_DB=$T/db2 conv-store dump >"$T/d2"
	cmp "$T/d1" "$T/d2"
	run -0 env CALSMS_DB="$T/db2" conv-store check
}

@test "load refuses malformed claims (65), with their line, and keeps the rest" {
	store
	appt A1 +14045550101 $START | conv-store add -q
	conv-store get A1 >"$T/d"
	line=$(conv-store get A1)
	for bad in '[]' '"x"' '{}' '{"kind": "confirm", "at": "yesterday", "status": "pending"}' \
		'{"kind": "confirm", "at": "2025-11-24T16:00:00Z", "status": "nope"}'; do
		jq -c --argjson c "$bad" '.id = "B" | .claim = $c' <<<"$line" >>"$T/d"
	done
	jq -c '.id = "C"' <<<"$line" >>"$T/d"
	run --separate-stderr env CALSMS_DB="$T/db2" conv-store load <"$T/d"
	assert_failure 65
	[ "$(grep -c 'a claim that is not' <<<"$stderr")" -eq 5 ]
	[[ "$stderr" == *"stdin:2:"* && "$stderr" == *"stdin:6:"* ]]
	run -0 env CALSMS_DB="$T/db2" conv-store get C
	run -1 env CALSMS_DB="$T/db2" conv-store get B
	run -0 env CALSMS_DB="$T/db2" conv-store check
}

@test "numeric options: inf, nan, 1e400, -1, hex, spaces and signs are usage errors (64) in every program" {
	store
	for bad in inf nan 1e400 -1 0x10 " 5" "+5" "5 " "1e3" ""; do
		run -64 --separate-stderr follow-up-due -s "$bad"
		[[ "$stderr" == *"-s: not a rate"* ]] || fail "follow-up-due -s '$bad': $stderr"
		run -64 --separate-stderr follow-up-due -n "$bad"
		run -64 --separate-stderr sms-send -p log -r "$bad" </dev/null
		run -64 --separate-stderr sms-send -p log -j "$bad" </dev/null
		run -64 --separate-stderr sms-send -p log -m "$bad" </dev/null
		run -64 --separate-stderr sms-send -p log -W "$bad" </dev/null
		run -64 --separate-stderr cal-parse -t "$bad" </dev/null
		run -64 --separate-stderr http-hook -m "$bad" /x=/bin/true </dev/null
		run -64 --separate-stderr conv-store add -e "$bad" </dev/null
		run -64 --separate-stderr conv-store list -n "$bad"
		run -64 --separate-stderr conv-store report -P "$bad"
		run -64 --separate-stderr cal-sync -R "$bad" status
	done
	# what is a number still is
	run -0 follow-up-due -s 0
	run -0 follow-up-due -s 2.5 -n 10
	run -0 sms-send -p log -r 0.5 -j 2 </dev/null
}

@test "stop and cancel are different operator actions, and every operator command writes history" {
	cp -r "$BATS_TEST_DIRNAME/../examples/templates" "$T/tpl"
	cp "$BATS_TEST_DIRNAME/../examples/moments/canceled.jq" "$T/tpl/"
	store
	{ appt A1 +14045550101 $START; appt A2 +14045550102 $START; appt A3 +14045550103 $START; } |
		conv-store add | sent | conv-store record >/dev/null
	# stop: no more texts, nothing said, the appointment still stands
	run -0 at 10 conv-store stop A1
	json_is '.skip == "stopped" and .status == "awaiting_reply" and .history[-1].action == "stop"' <<<"$output"
	run -65 --separate-stderr at 11 conv-store stop A1
	# cancel: the appointment is canceled; the customer is told (canceled.jq)
	run -0 at 20 conv-store cancel A2
	json_is '.status == "canceled" and .cancel_notice == "due" and .history[-1].action == "cancel"' <<<"$output"
	run -0 at 30 follow-up-due -T "$T/tpl" -r 22h
	json_is '[.id, .due] == ["A2", "canceled"]' <<<"$output"
	run -0 at 7200 follow-up-due -T "$T/tpl" -r 22h
	refute_output --partial '"A1"'
	# opt-out and opt-in by hand, and resolve, are in the history too
	run -0 at 40 conv-store optout +14045550103
	conv_is A3 '.status == "opted_out" and .history[-1].action == "optout"'
	run -0 at 50 conv-store optin +14045550103
	conv_is A3 '.history[-1].action == "optin"'
	appt A4 +14045550104 $START | conv-store add | sent unknown | conv-store record >/dev/null
	at 700 follow-up-due >/dev/null 2>&1
	run -0 at 710 conv-store resolve A4 sent
	conv_is A4 '.status == "awaiting_reply" and .history[-1].action == "resolve" and .history[-1].how == "sent"'
}

@test "after an outage: health counts a confirmation's wait from its booking, and retry sends the waiting now" {
	store
	for i in 1 2 3; do appt "A$i" "+1404555010$i" $START; done | conv-store add -q
	# three runs of the sender during an outage: each claim comes back failed for now
	for t in 0 70 200; do
		CALSMS_NOW=$((CALSMS_NOW + t)) follow-up-due | at $t sent failed |
			jq -c '.sms.provider_id = null' | at $t conv-store record >/dev/null
	done
	run at 400 conv-store health
	assert_failure 1
	[[ "$output" == *"oldest_due=400s"* ]] || fail "$output"
	# the back-off would hold them for minutes more
	run -0 at 410 follow-up-due
	assert_output ""
	run -1 --separate-stderr at 410 conv-store retry NOPE
	run -0 at 410 conv-store retry A1
	json_is '.retry_at == null and .history[-1].action == "retry"' <<<"$output"
	run -0 at 420 conv-store retry --waiting
	[ "${#lines[@]}" -eq 2 ]
	run -0 at 430 follow-up-due
	[ "${#lines[@]}" -eq 3 ]
}

@test "one torn JSON line loses only itself, named by its own line, in add, record and load" {
	store
	{ appt A1 +14045550101 $START; appt A2 +14045550102 $START | cut -c1-60; appt A3 +14045550103 $START;
		appt A4 +14045550104 $START | jq .; } >"$T/in"
	run -65 --separate-stderr conv-store add -q <"$T/in"
	[[ "$stderr" == "conv-store: stdin:2: "*"; skipped" ]] || fail "$stderr"
	[ "$(grep -c . <<<"$stderr")" -eq 1 ]
	run -0 conv-store list
	json_is '[.[].id] | sort == ["A1", "A3", "A4"]' < <(jq -s . <<<"$output")
	run -0 follow-up-due
	printf '%s\n' "$output" | sent | sed '2s/"due":"confirm".*$/"due":"conf/' >"$T/results"
	run -65 --separate-stderr conv-store record <"$T/results"
	[[ "$stderr" == "conv-store: stdin:2: "* ]] || fail "$stderr"
	[ "$(conv-store list -s awaiting_reply | grep -c .)" -eq 2 ]
	conv-store dump | sed '1s/"status":"[a-z_]*".*$/"status":"awai/' >"$T/dump"
	run -65 --separate-stderr env CALSMS_DB="$T/db2" conv-store load <"$T/dump"
	[[ "$stderr" == "conv-store: stdin:1: "* ]] || fail "$stderr"
	[ "$(CALSMS_DB=$T/db2 conv-store dump | grep -c .)" -eq "$(($(wc -l <"$T/dump") - 1))" ]
}

@test "a store on a read-only mount can be read: dump, list, get, export, stats, health, check" {
	[ "$(id -u)" = 0 ] || skip "a read-only bind mount needs root"
	store
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	conv-store dump >"$T/before"
	mkdir "$T/ro"
	mount --bind "$CALSMS_DB" "$T/ro" || skip "bind mounts are not allowed here"
	echo "umount '$T/ro'" >"$T/umount"
	mount -o remount,bind,ro "$T/ro" || { umount "$T/ro"; skip "read-only remounts are not allowed here"; }
	run touch "$T/ro/x"
	assert_failure
	export CALSMS_DB=$T/ro
	run -0 --separate-stderr conv-store dump
	assert_equal "$output" "$(cat "$T/before")"
	run -0 --separate-stderr conv-store list
	json_is '.id == "A1"' <<<"$output"
	run -0 --separate-stderr conv-store get A1
	run -0 --separate-stderr conv-store export
	run -0 --separate-stderr conv-store stats
	run -0 --separate-stderr conv-store check
	run -0 --separate-stderr conv-store health
	# a write is refused, clearly, and changes nothing
	run -73 --separate-stderr conv-store note A1 hi
	umount "$T/ro"
}

# wait_for SECONDS CONDITION: until the shell condition holds, at most SECONDS
# (waiting for a state, never a fixed sleep)
wait_for() {
	local end=$((SECONDS + $1))
	until eval "$2"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

@test "the promise in real time: a STOP and a cancel recorded while their lines wait in the running sender are honoured" {
	unset CALSMS_NOW
	store
	start=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
	for i in 1 2 3 4 5 6 7 8; do appt "A$i" "+1404555010$i" "$start"; done | conv-store add -q
	# its own process group, so that teardown stops the whole pipeline
	setsid sh -c 'follow-up-due -w | sms-send -p log -r 2 -T "$1" | conv-store record >/dev/null' \
		sh "$BATS_TEST_DIRNAME/../examples/templates" 2>"$T/sender.err" 3>&- &
	echo "kill -- -$!" >"$T/umount"
	# the sender has sent two and holds the other six, at two a second
	wait_for 20 '[ "$(grep -c "log: to" "$T/sender.err")" -ge 2 ]'
	conv-store reply < <(jq -nc '{type: "reply", from: "+14045550108", body: "STOP", provider_id: "SM-stop"}') >/dev/null
	appt A7 +14045550107 "$start" '.type = "cancel"' | conv-store add -q
	wait_for 30 '[ "$(conv-store list -s awaiting_reply | grep -c .)" -ge 6 ]'
	wait_for 10 '[ "$(conv-store list | jq -s "map(select(.claim == null)) | length")" -eq 8 ]'
	conv_is A8 '.status == "opted_out" and ([.messages[]?] | length) == 0'
	conv_is A7 '.status == "canceled" and ([.messages[]?] | length) == 0'
	[ "$(grep -c 'log: to' "$T/sender.err")" -eq 6 ]
}

@test "fencing: a late result for an older claim never settles a newer one made in the same second" {
	store
	appt F1 "+12025550143" 2025-11-26T15:00:00Z | conv-store add -q
	follow-up-due >"$T/first"
	# the first claim lapses unrecorded; a person says it did not go; it is claimed anew
	CALSMS_NOW=$((CALSMS_NOW + 900)) follow-up-due >/dev/null 2>&1
	conv-store resolve F1 unsent
	follow-up-due >"$T/second"
	[ -s "$T/second" ] || fail "not claimed again"
	[ "$(jq -c .claim.at "$T/first")" = "$(jq -c .claim.at "$T/second")" ]
	[ "$(jq .claim.token "$T/first")" != "$(jq .claim.token "$T/second")" ]
	# the stale sender's temporary failure comes in: the newer claim stands
	sent failed <"$T/first" | conv-store record >/dev/null
	conv_is F1 ".claim.token == $(jq .claim.token "$T/second")"
	# and the newer attempt's text is recorded, once
	AT=2025-11-24T16:00:30Z sent <"$T/second" | jq -c '.sms.provider_id = "SM-second"' | conv-store record >/dev/null
	conv_is F1 '.status == "awaiting_reply" and ([.messages[] | select(.status == "sent")] | length) == 1
		and .claim == null'
}
