#!/usr/bin/env bats
# The moments a business turns on by writing their template: the cancel
# notice (canceled.jq), the new time of a reschedule (rescheduled.jq), and
# after the appointment (after.jq with follow-up-due -A); each once, never
# after a cancel or a STOP, through the real pipeline on the log provider.
load helper

START=2025-11-25T15:00:00Z	# 23 hours after T = 2025-11-24T16:00:00Z
END=2025-11-25T15:30:00Z

setup() {
	export CALSMS_NOW=1764000000
	T=$BATS_TEST_TMPDIR
	EX=$BATS_TEST_DIRNAME/../examples
	D=$T/templates
	mkdir -p "$D"
	cp "$EX"/templates/*.jq "$D"/
	store
}

# moment NAME...: turns the moments on, from examples/moments
moment() {
	local m
	for m in "$@"; do cp "$EX/moments/$m.jq" "$D"/; done
}

# sender OFFSET [FOLLOW-UP-DUE OPTIONS]: the sender pipeline at T + OFFSET,
# printing "ID KIND STATUS" for each line recorded
sender() {
	local t=$1
	shift
	at "$t" follow-up-due -T "$D" "$@" | at "$t" sms-send -p log -T "$D" 2>>"$T/sent.log" |
		at "$t" conv-store record | jq -r '"\(.id) \(.messages[-1].kind // "-") \(.status)"'
}

# kinds ID: the kinds of the messages sent to ID, in order
kinds() {
	conv-store get "$1" | jq -c '[.messages[] | select(.status == "sent") | .kind]'
}

cancel() {
	appt "$1" "$2" "${3:-$START}" '.type = "cancel" | .reason = "sick"'
}

@test "moments: a cancel notice goes once, with canceled.jq's words" {
	moment canceled after
	appt A1 +14045550101 $START '.end_time = "'$END'"' | conv-store add -q
	run -0 sender 0
	assert_output "A1 confirm awaiting_reply"
	cancel A1 +14045550101 | at 600 conv-store add -q
	run -0 sender 600
	assert_output "A1 canceled canceled"
	grep -q 'is canceled' "$T/sent.log"
	for t in 601 1800 7200 90000; do
		run -0 sender $t -r 24h -A 2h
		assert_output ""
	done
	# Calendly delivers the cancel again: still one notice
	cancel A1 +14045550101 | at 700 conv-store add -q
	run -0 sender 800
	assert_output ""
	[ "$(kinds A1)" = '["confirm","canceled"]' ]
	conv_is A1 '.status == "canceled" and .cancel_notice == "sent"'
	run -0 conv-store check
}

@test "moments: no canceled.jq, no notice: follow-up-due prints nothing after a cancel" {
	appt A1 +14045550101 $START | conv-store add -q
	run -0 sender 0
	cancel A1 +14045550101 | at 600 conv-store add -q
	run -0 at 1800 follow-up-due -T "$D"
	assert_output ""
	run -0 at 1800 follow-up-due
	assert_output ""
	[ "$(kinds A1)" = '["confirm"]' ]
}

@test "moments: a notice claimed by follow-up-due but without a template anywhere is settled off, not sent" {
	moment canceled
	appt A1 +14045550101 $START | conv-store add -q
	sender 0 >/dev/null
	cancel A1 +14045550101 | at 600 conv-store add -q
	# the sender's own templates lack it: answered off, no text
	at 600 follow-up-due -T "$D" | at 600 sms-send -p log -T "$EX/templates" 2>"$T/err" >"$T/out"
	[ "$(jq -r .sms.status "$T/out")" = off ]
	[ ! -s "$T/err" ]
	at 600 conv-store record <"$T/out" >/dev/null
	conv_is A1 '.cancel_notice == "off" and .status == "canceled"'
	run -0 at 700 follow-up-due -T "$D"
	assert_output ""
	[ "$(kinds A1)" = '["confirm"]' ]
}

@test "moments: a cancel before the confirmation went still tells the customer, once" {
	moment canceled
	appt A1 +14045550101 $START | conv-store add -q
	cancel A1 +14045550101 | at 10 conv-store add -q
	run -0 sender 20
	assert_output "A1 canceled canceled"
	run -0 sender 30
	assert_output ""
	[ "$(kinds A1)" = '["canceled"]' ]
}

@test "moments: no cancel notice to an opted-out number, after the start, or for a number that failed" {
	moment canceled
	appt A1 +14045550101 $START | conv-store add -q
	appt A2 +14045550102 $START | conv-store add -q
	appt A3 +14045550103 $START | conv-store add -q
	sender 0 >/dev/null
	at 60 conv-store reply <<<'{"from":"+14045550101","body":"STOP","provider_id":"SMs"}' >/dev/null
	cancel A1 +14045550101 | at 120 conv-store add -q
	# A2 canceled at T+1h but the sender comes back only after its start
	cancel A2 +14045550102 | at 3600 conv-store add -q
	run -0 sender 90000
	assert_output ""
	conv_is A1 '.status == "canceled" and .cancel_notice == null'
	conv_is A2 '.status == "canceled" and .cancel_notice == "skipped"'
	[ "$(kinds A1)" = '["confirm"]' ]
	[ "$(kinds A2)" = '["confirm"]' ]
	run -0 conv-store check
}

@test "moments: a cancel notice held by quiet hours goes when they end" {
	moment canceled
	appt A1 +14045550101 $START | conv-store add -q
	sender 0 >/dev/null
	# T is 11:00 in New York: quiet from 10:00 to 12:00 holds it
	cancel A1 +14045550101 | at 60 conv-store add -q
	run -0 sender 120 -Q 10:00-12:00
	assert_output ""
	run -0 sender 3600 -Q 10:00-12:00
	assert_output "A1 canceled canceled"
}

@test "moments: the per-event canceled.jq is used before the directory's" {
	moment canceled
	mkdir "$D/consult"
	echo '"Consult canceled: call us to book again."' >"$D/consult/canceled.jq"
	appt A1 +14045550101 $START '.event_slug = "consult"' | conv-store add -q
	appt A2 +14045550102 $START '.event_slug = "other"' | conv-store add -q
	sender 0 >/dev/null
	cancel A1 +14045550101 '.event_slug = "consult"' | at 60 conv-store add -q
	cancel A2 +14045550102 | at 60 conv-store add -q
	sender 60 >/dev/null
	conv-store get A1 | json_is '.messages[-1] | .kind == "canceled" and .body == "Consult canceled: call us to book again."'
	conv-store get A2 | json_is '.messages[-1] | .kind == "canceled" and (.body | test("is canceled"))'
}

@test "moments: only an event type's canceled.jq turns the notice on for that type alone" {
	mkdir "$D/consult"
	echo '"Consult canceled."' >"$D/consult/canceled.jq"
	appt A1 +14045550101 $START '.event_slug = "consult"' | conv-store add -q
	appt A2 +14045550102 $START '.event_slug = "other"' | conv-store add -q
	sender 0 >/dev/null
	cancel A1 +14045550101 | at 60 conv-store add -q
	cancel A2 +14045550102 | at 60 conv-store add -q
	sender 60 >/dev/null
	[ "$(kinds A1)" = '["confirm","canceled"]' ]
	[ "$(kinds A2)" = '["confirm"]' ]
	conv_is A2 '.cancel_notice == "off"'
}

# reschedule IN-ORDER: Calendly's two halves of a move of A1 to A2
reschedule() {
	local old new
	old=$(cancel A1 +14045550101 | jq -c '.rescheduled = true | .new_id = "A2"')
	new=$(appt A2 +14045550101 2025-11-26T15:00:00Z '.old_id = "A1" | .start_local = "Wed Nov 26, 10:00 AM EST"')
	if [ "$1" = cancel-first ]; then
		printf '%s\n%s\n' "$old" "$new"
	else
		printf '%s\n%s\n' "$new" "$old"
	fi | at 600 conv-store add -q
}

@test "moments: a reschedule, cancel first: the new time once as rescheduled, no cancel notice" {
	moment canceled rescheduled
	appt A1 +14045550101 $START | conv-store add -q
	sender 0 >/dev/null
	reschedule cancel-first
	run -0 sender 600
	assert_output "A2 rescheduled awaiting_reply"
	grep -q 'is moved to Wed Nov 26, 10:00 AM EST' "$T/sent.log"
	run -0 sender 700
	assert_output ""
	[ "$(kinds A1)" = '["confirm"]' ]
	[ "$(kinds A2)" = '["rescheduled"]' ]
	conv_is A1 '.status == "canceled" and .cancel_notice == null'
	# followed up like any confirmation, 30 minutes later
	run -0 sender 2400
	assert_output "A2 followup followed_up"
}

@test "moments: a reschedule, new booking first: the same, once" {
	moment canceled rescheduled
	appt A1 +14045550101 $START | conv-store add -q
	sender 0 >/dev/null
	reschedule created-first
	run -0 sender 600
	assert_output "A2 rescheduled awaiting_reply"
	run -0 sender 700
	assert_output ""
	[ "$(kinds A1)" = '["confirm"]' ]
	[ "$(kinds A2)" = '["rescheduled"]' ]
	run -0 conv-store check
}

@test "moments: a reschedule before the old booking arrived, either order, no notice and one text" {
	moment canceled rescheduled
	reschedule cancel-first
	appt A1 +14045550101 $START | at 700 conv-store add -q
	run -0 sender 800
	assert_output "A2 rescheduled awaiting_reply"
	run -0 sender 900
	assert_output ""
	conv_is A1 '.status == "canceled" and (.messages | length) == 0'
}

@test "moments: without rescheduled.jq the new booking gets confirm.jq, and sms-send picks rescheduled.jq for a moved confirm" {
	appt A1 +14045550101 $START | conv-store add -q
	sender 0 >/dev/null
	reschedule cancel-first
	run -0 sender 600
	assert_output "A2 confirm awaiting_reply"
	grep -q 'this confirms your' "$T/sent.log"
	# the inline form claims "confirm"; the words follow the move
	moment rescheduled
	appt A3 +14045550103 2025-11-26T15:00:00Z '.old_id = "A9"' | at 900 conv-store add |
		at 900 sms-send -p log -T "$D" 2>"$T/inline.log" >"$T/inline.out"
	[ "$(jq -r .due "$T/inline.out")" = confirm ]
	grep -q "is moved to" "$T/inline.log" || fail "not rescheduled.jq: $(cat "$T/inline.log")"
}

@test "moments: after the appointment, once, -A after its end, not before" {
	moment after
	appt A1 +14045550101 $START '.end_time = "'$END'"' | conv-store add -q
	sender 0 -A 2h >/dev/null
	at 600 conv-store reply <<<'{"from":"+14045550101","body":"YES","provider_id":"SMy"}' >/dev/null
	# the end is T+23h30m; two hours later is T+25h30m = 91800 s
	run -0 sender 91799 -A 2h
	assert_output ""
	run -0 sender 91800 -A 2h
	assert_output "A1 after replied"
	grep -q 'Thank you for coming' "$T/sent.log"
	run -0 sender 91900 -A 2h
	assert_output ""
	[ "$(kinds A1)" = '["confirm","after"]' ]
	conv_is A1 '.after == "sent"'
}

@test "moments: nothing after for a cancel, a STOP, a decline; nothing without -A; nothing a day late" {
	moment after canceled
	for i in 1 2 3 4 5; do appt A$i +1404555010$i $START '.end_time = "'$END'"' | conv-store add -q; done
	sender 0 -A 2h >/dev/null
	cancel A1 +14045550101 | at 60 conv-store add -q
	at 60 conv-store reply <<<'{"from":"+14045550102","body":"STOP","provider_id":"SM2"}' >/dev/null
	at 60 conv-store reply <<<'{"from":"+14045550103","body":"Sorry, I cannot make it","provider_id":"SM3"}' >/dev/null
	sender 120 >/dev/null	# A1's cancel notice
	run -0 sender 91800
	assert_output ""
	run -0 sender 91800 -A 2h
	assert_output "A4 after awaiting_reply
A5 after awaiting_reply"
	[ "$(kinds A1)" = '["confirm","canceled"]' ]
	[ "$(kinds A2)" = '["confirm"]' ]
	[ "$(kinds A3)" = '["confirm"]' ]
	conv_is A3 '.after == "skipped"'
	appt A6 +14045550106 $START '.end_time = "'$END'"' | conv-store add -q
	sender 200 >/dev/null
	run -0 sender $((91800 + 86401)) -A 2h
	assert_output ""
	conv_is A6 '.after == "skipped"'
}

@test "moments: after in quiet hours waits for them to end" {
	moment after
	appt A1 +14045550101 $START '.end_time = "'$END'"' | conv-store add -q
	sender 0 >/dev/null
	# T+25h30m is 12:30 in New York: quiet until 13:00
	run -0 sender 91800 -A 2h -Q 12:00-13:00
	assert_output ""
	run -0 sender 93600 -A 2h -Q 12:00-13:00
	assert_output "A1 after awaiting_reply"
}

@test "moments: -A, -r or -H with a template directory that lacks their template is refused (78), -T that does not exist too" {
	run -78 --separate-stderr follow-up-due -T "$D" -A 2h
	[[ "$stderr" == *"no after.jq"* ]]
	rm "$D/reminder.jq" "$D/help.jq"
	run -78 --separate-stderr follow-up-due -T "$D" -r 24h
	[[ "$stderr" == *"no reminder.jq"* ]]
	run -78 --separate-stderr follow-up-due -T "$D" -H
	[[ "$stderr" == *"no help.jq"* ]]
	run -78 --separate-stderr follow-up-due -T "$T/nowhere"
	[[ "$stderr" == *"$T/nowhere"* ]]
	run -64 follow-up-due -A soon
}

@test "moments: a cancel notice that was claimed and never recorded becomes uncertain, never sent twice" {
	moment canceled
	appt A1 +14045550101 $START | conv-store add -q
	sender 0 >/dev/null
	cancel A1 +14045550101 | at 60 conv-store add -q
	run -0 at 60 follow-up-due -T "$D"
	[ "$(jq -r .due <<<"$output")" = canceled ]
	# the sender died: the lease (10 minutes) lapses
	run -0 --separate-stderr at 1000 follow-up-due -T "$D"
	assert_output ""
	[[ "$stderr" == *"A1: claim not recorded within the lease: uncertain"* ]]
	run -0 conv-store list -s uncertain
	[ "$(jq -r .id <<<"$output")" = A1 ]
	run -0 at 1100 conv-store resolve A1 sent
	conv_is A1 '.status == "canceled" and .cancel_notice == "sent"'
	run -0 sender 1200
	assert_output ""
}

@test "moments: -T with help.jq answers HELP as -H does" {
	appt A1 +14045550101 $START | conv-store add -q
	sender 0 >/dev/null
	at 60 conv-store reply <<<'{"from":"+14045550101","body":"HELP","provider_id":"SMh"}' >/dev/null
	run -0 sender 70
	assert_output "A1 help awaiting_reply"
	rm "$D/help.jq"
	at 80 conv-store reply <<<'{"from":"+14045550101","body":"HELP","provider_id":"SMh2"}' >/dev/null
	run -0 sender 90
	assert_output ""
}

@test "moments: sms-send --check renders the moments' templates; -t's one file sends no notice" {
	moment canceled rescheduled after
	run -0 --separate-stderr sms-send --check -T "$D"
	for m in canceled rescheduled after; do
		json_is -s --arg m "$D/$m.jq" 'map(select(.template == $m)) |
			length == 1 and .[0].segments >= 1 and (.[0].body | length) > 0' <<<"$output"
	done
	jq -nc '{id: "A1", phone: "+14045550101", due: "canceled"}' |
		sms-send -p log -t "$D/confirm.jq" >"$T/out" 2>"$T/err"
	[ "$(jq -r .sms.status "$T/out")" = off ]
	[ ! -s "$T/err" ]
}

@test "moments: canceled.jq written later texts nobody whose cancel is more than a day old; a recent cancel gets its notice" {
	appt A1 +14045550101 2025-11-28T15:00:00Z | conv-store add -q
	appt B1 +14045550102 2025-11-28T15:00:00Z | conv-store add -q
	run -0 sender 0
	[ "${#lines[@]}" -eq 2 ]
	cancel A1 +14045550101 2025-11-28T15:00:00Z | at 600 conv-store add -q
	run -0 sender 600
	assert_output ""
	cancel B1 +14045550102 2025-11-28T15:00:00Z | at 90000 conv-store add -q
	moment canceled
	run -0 sender 90600
	assert_output "B1 canceled canceled"
	conv_is A1 '.cancel_notice == "skipped" and (.messages | length) == 1'
	run -0 sender 90700
	assert_output ""
}

@test "moments: -F 3 holds a fourth text to one number until it fits, drops a reminder it would make late, and counts no HELP answer" {
	appt A1 +14045550101 $START | conv-store add -q	# starts at T+23h
	run -0 sender 0 -F 3
	assert_output "A1 confirm awaiting_reply"
	run -0 sender 1800 -F 3
	assert_output "A1 followup followed_up"
	appt B1 +14045550101 2025-11-28T15:00:00Z | at 2400 conv-store add -q
	run -0 sender 2400 -F 3
	assert_output "B1 confirm awaiting_reply"
	appt C1 +14045550101 2025-11-29T15:00:00Z | at 3000 conv-store add -q
	appt D1 +14045550102 2025-11-29T15:00:00Z | at 3000 conv-store add -q
	run -0 sender 3000 -F 3
	assert_output "D1 confirm awaiting_reply"
	# a HELP is answered at once, the cap full or not, and is not counted
	at 3100 conv-store reply <<<'{"from":"+14045550101","body":"AYUDA","provider_id":"SMh"}' >/dev/null
	run -0 sender 3100 -F 3 -H
	[ "${#lines[@]}" -eq 1 ] && [[ $output == *" help "* ]] || fail "help: $output"
	# A1's reminder at T+21h could go only at T+24h, after the start: dropped
	run -0 sender 75600 -F 3 -r 2h
	assert_output "D1 followup followed_up"
	conv_is A1 '.reminder == "skipped"'
	conv_is C1 '.status == "pending" and [.messages[].kind] == ["help"]'
	run -0 sender 86399 -F 3
	assert_output ""
	run -0 sender 86400 -F 3
	assert_output "C1 confirm awaiting_reply"
	[ "$(kinds A1)" = '["confirm","followup"]' ]
	run -64 follow-up-due -F 0
	run -64 follow-up-due -F 101
	run -64 follow-up-due -F x
}
