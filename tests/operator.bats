#!/usr/bin/env bats
# The operator's hand on a conversation: retry, set-phone, note.
load helper

START=2025-11-25T15:00:00Z

setup() {
	export CALSMS_NOW=1764000000
	T=$BATS_TEST_TMPDIR
}

@test "retry: a failed confirmation is due again, once, with the operator's action in its history" {
	appt A1 +14045550101 $START | conv-store add | sent failed true | conv-store record >/dev/null
	conv_is A1 '.status == "failed"'
	run -0 follow-up-due
	assert_output ""
	run -0 at 60 conv-store retry A1
	json_is '.status == "pending" and .history[0].action == "retry" and .history[0].kind == "confirm"' <<<"$output"
	run -0 at 60 follow-up-due
	[ "${#lines[@]}" -eq 1 ]
	json_is '.id == "A1" and .due == "confirm"' <<<"$output"
	run -0 at 60 follow-up-due
	assert_output ""
}

@test "retry: an uncertain send (lease lapsed) is due again; refused for canceled, replied, started, unknown" {
	appt A1 +14045550101 $START | conv-store add -q
	run -0 follow-up-due
	run -0 --separate-stderr at 700 follow-up-due
	conv_is A1 '.status == "uncertain"'
	run -0 at 800 conv-store retry A1
	json_is '.status == "pending" and .claim == null' <<<"$output"
	appt C1 +14045550102 $START | conv-store add -q
	conv-store cancel C1 >/dev/null
	run --separate-stderr conv-store retry C1
	assert_failure 65
	[[ "$stderr" == *"C1: canceled: only a failed or uncertain conversation, or one waiting out a back-off, is retried"* ]]
	appt S1 +14045550103 $START | conv-store add | sent failed true | conv-store record >/dev/null
	run --separate-stderr at 90000 conv-store retry S1
	assert_failure 65
	[[ "$stderr" == *"the appointment has started"* ]]
	run --separate-stderr conv-store retry NOPE
	assert_failure 1
	[[ "$stderr" == *"NOPE: no such conversation"* ]]
}

@test "set-phone: a no_phone booking becomes sendable; the raw text, the old number and the opt-out list are kept" {
	jq -c '.payload.text_reminder_number = "404 555 O134"' "$FIX/calendly/invitee-created.json" >"$T/b.json"
	env -u CALENDLY_SIGNING_KEY cal-parse -n "$T/b.json" 2>/dev/null | conv-store add -q
	conv_is INV0000000000001 '.status == "no_phone" and .appointment.phone_raw == "404 555 O134"'
	run -0 conv-store set-phone INV0000000000001 "(404) 555-0134"
	json_is '.status == "pending" and .phone == "+14045550134"
		and .history[0].action == "set-phone" and .history[0].old == null
		and .history[0].new == "+14045550134"' <<<"$output"
	run -0 follow-up-due
	json_is '.due == "confirm" and .phone == "+14045550134"' <<<"$output"
	appt B1 null $START | conv-store add -q
	conv-store optout +14045550199 >/dev/null
	run -0 conv-store set-phone B1 +14045550199
	json_is '.status == "opted_out"' <<<"$output"
	run --separate-stderr conv-store set-phone B1 "12"
	assert_failure 65
	[[ "$stderr" == *"12: not a phone number"* ]]
	run -1 conv-store set-phone NOPE +14045550101
	run --separate-stderr conv-store set-phone INV0000000000001 +14045550135
	assert_failure 65
	[[ "$stderr" == *"a send is in flight"* ]]
}

@test "note: the front desk's note is kept; usage errors" {
	appt A1 +14045550101 $START | conv-store add -q
	run -0 conv-store note A1 "called: will be 10 minutes late"
	json_is '.history[-1].action == "note" and .history[-1].text == "called: will be 10 minutes late"
		and .status == "pending"' <<<"$output"
	run -64 conv-store note A1
	run -64 conv-store note A1 ""
	run -64 conv-store set-phone A1
	run -64 conv-store retry
	run -1 conv-store note NOPE "x"
}

@test "export: RFC 4180 CSV, every row, quoted where it must be" {
	appt A1 +14045550101 $START '.name = "Lovelace, Ada \"the Countess\""' | conv-store add | sent | conv-store record >/dev/null
	jq -nc '{type: "booking", id: "I\(range(5000))", phone: "+14045550102", start_time: "2025-11-25T15:00:00Z", timezone: "UTC"}' |
		at 60 conv-store add -q
	conv-store reply <<<'{"from":"+14045550101","body":"yes, see you","provider_id":"SMr"}' >/dev/null
	run -0 conv-store export
	[ "${#lines[@]}" -eq 5002 ]
	assert_line --index 0 $'id,name,phone,event,start,status,confirmed_at,replied_at,reply\r'
	assert_line --index 5001 $'A1,"Lovelace, Ada ""the Countess""",+14045550101,Consultation,"Tue Nov 25, 10:00 AM EST",replied,2025-11-24T16:00:00Z,2025-11-24T16:00:00Z,"yes, see you"\r'
	python3 -c 'import csv, sys; rows = list(csv.reader(open(sys.argv[1], newline=""))); assert len(rows) == 5002 and rows[-1][1] == "Lovelace, Ada \"the Countess\"", rows[-1]' <(conv-store export)
	run -0 conv-store export --until 2025-11-24T16:00:30Z
	[ "${#lines[@]}" -eq 2 ]
	run -64 conv-store export --since lastweek
	run -66 env CALSMS_DB="$T/nowhere" conv-store export
}

@test "health: OK, WARNING and CRITICAL in the monitoring-plugins convention, with performance data" {
	store
	run -0 conv-store health
	assert_output "CALSMS OK - failed=0 uncertain=0 oldest_due=0s | failed=0;1;5 uncertain=0;1;1 oldest_due=0s;120;600 last_booking=0s"
	appt F1 +14045550101 $START | conv-store add | sent failed true | conv-store record >/dev/null
	run -1 conv-store health
	[[ "$output" == "CALSMS WARNING - failed=1 uncertain=0 "* ]]
	run -0 conv-store health -f 2,5
	# a confirmation waiting 11 minutes: the sender is down
	appt P1 +14045550102 $START | conv-store add -q
	run -2 at 660 conv-store health -f 2,5
	[[ "$output" == "CALSMS CRITICAL - "*"oldest_due=660s, a message due for 660s: is the sender running?"* ]]
	[[ "$output" == *"| failed=1;2;5 uncertain=0;1;1 oldest_due=660s;120;600 last_booking=660s" ]]
	run -1 at 130 conv-store health -f 2,5
	# a follow-up due 30 minutes after the confirmation counts too
	appt W1 +14045550103 $START | conv-store add | sent | conv-store record >/dev/null
	conv-store cancel P1 >/dev/null
	run -0 at 1810 conv-store health -f 2,5
	run -2 at 2500 conv-store health -f 2,5
	[[ "$output" == *"oldest_due=700s"* ]]
}

@test "health: no booking for longer than -q in business hours is CRITICAL; no store is UNKNOWN" {
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	conv-store reply <<<'{"from":"+14045550101","body":"yes","provider_id":"SMr"}' >/dev/null
	run -0 at 3000 conv-store health -q 2h
	run -2 at 7300 conv-store health -q 2h
	[[ "$output" == *"no booking for longer than -q: is the Calendly webhook disabled? (cal-sync status)"* ]]
	# 18:01 UTC is outside 09:00-17:00 on this machine's clock (TZ=UTC)
	TZ=UTC run -0 at 7300 conv-store health -q 2h -b 09:00-17:00
	TZ=UTC run -2 at 7300 conv-store health -q 2h -b 09:00-19:00
	run -3 --separate-stderr env CALSMS_DB="$T/nowhere" conv-store health
	assert_output "CALSMS UNKNOWN - no usable store at $T/nowhere"
	run -3 conv-store health -f x
}

@test "send: the front desk's message goes through the sender once, and is recorded" {
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	run -0 at 60 conv-store send A1 "We are running 10 minutes late, sorry!"
	json_is '.outbox.body == "We are running 10 minutes late, sorry!" and .history[-1].action == "send"' <<<"$output"
	run --separate-stderr conv-store send A1 "again"
	assert_failure 65
	[[ "$stderr" == *"a message is already waiting"* ]]
	CALSMS_NOW=$((CALSMS_NOW + 90)) run -0 --separate-stderr bash -o pipefail -c \
		'follow-up-due | sms-send -p log -T "$0" | conv-store record' "$BATS_TEST_DIRNAME/../examples/templates"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$stderr" == *"log: to +1******0101: We are running 10 minutes late, sorry!"* ]]
	conv_is A1 '.outbox == null and .status == "awaiting_reply" and .messages[-1].kind == "manual"
		and .messages[-1].body == "We are running 10 minutes late, sorry!"'
	run -0 at 120 follow-up-due
	assert_output ""
	conv-store optout +14045550101 >/dev/null
	run --separate-stderr conv-store send A1 "hello?"
	assert_failure 65
	[[ "$stderr" == *"may not be texted"* ]]
	run -64 conv-store send A1 ""
	run -1 conv-store send NOPE "x"
}

@test "notify-owner: declines, HELP and other replies reach the owner by mail and SMS; YES does not" {
	mkdir "$T/bin"
	printf '#!/bin/sh\ncat >>"%s/mail"\n' "$T" >"$T/bin/sendmail"
	chmod +x "$T/bin/sendmail"
	for i in 1 2 3 4; do appt A$i +1404555010$i $START; done | conv-store add | sent | conv-store record >/dev/null
	{
		echo '{"from":"+14045550101","body":"yes","provider_id":"R1"}'
		echo '{"from":"+14045550102","body":"Sorry, I cannot make it","provider_id":"R2"}'
		echo '{"from":"+14045550103","body":"is there parking?","provider_id":"R3"}'
		echo '{"from":"+14045550104","body":"HELP","provider_id":"R4"}'
	} >"$T/replies"
	PATH="$T/bin:$PATH" OWNER_EMAIL=owner@example.com OWNER_PHONE=+14045550999 SMS_PROVIDER=log \
		run -0 --separate-stderr bash -c 'conv-store reply <"$0" | "$1"' "$T/replies" \
		"$BATS_TEST_DIRNAME/../examples/notify-owner"
	[ "${#lines[@]}" -eq 4 ]
	[ "$(grep -c '^To: owner@example.com' "$T/mail")" -eq 3 ]
	grep -q 'decline: Sorry, I cannot make it' "$T/mail"
	grep -q 'other: is there parking?' "$T/mail"
	grep -q 'help: HELP' "$T/mail"
	run -1 grep -q 'yes' "$T/mail"
	run -1 grep -q '4045550102' "$T/mail"
	grep -q '…0102' "$T/mail"
	[ "$(grep -c 'log: to +1\*\*\*\*\*\*0999' <<<"$stderr")" -eq 3 ]
}

@test "send: a long conversation (70 messages from the front desk) keeps every due and lease key, and its newest receipts" {
	# index keys used to be capped at 64 a conversation, messages' first:
	# the 59th message was never due, and check could not tell
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	# (not $i: bats's run sets it)
	for msg in $(seq 70); do
		at "$msg" conv-store send A1 "note $msg" >/dev/null || fail "send $msg: $(conv-store get A1 | jq -c "[.outbox, .claim, (.messages | length)]")"
		run -0 at "$msg" follow-up-due
		[ "$(jq -r .due <<<"$output")" = manual ] || fail "message $msg not due: $output"
		jq -c --arg i "$msg" '. + {sms: {status: "sent", provider: "twilio", provider_id: ("SM" + $i),
			to: .phone, body: .body, segments: 1, at: "2025-11-24T16:00:00Z", error: null}}' <<<"$output" |
			at "$msg" conv-store record >/dev/null 2>>"$T/record.err" || fail "record $msg: $(cat "$T/record.err")"
	done
	conv_is A1 '([.messages[] | select(.kind == "manual")] | length) == 70'
	# a claim on it still lapses into uncertain
	at 100 conv-store send A1 "last" >/dev/null
	run -0 at 100 follow-up-due
	run -0 --separate-stderr at 800 follow-up-due
	conv_is A1 '.status == "uncertain"'
	# the newest message's receipt finds it
	run -0 conv-store reply <<<'{"type": "receipt", "provider": "twilio", "provider_id": "SM70", "status": "delivered"}'
	conv_is A1 '.messages[] | select(.provider_id == "SM70") | .delivery == "delivered"'
	run -0 conv-store check
}

@test "--since today and yesterday, and health -b, are the business's day (CALSMS_TZ), not the machine's" {
	# booked at 03:00 UTC (22:00 the evening before in New York) and at 06:00 UTC (01:00)
	for b in EARLY,03,01 LATE,06,02; do
		IFS=, read -r id h n <<<"$b"
		export CALSMS_NOW=2025-11-24T$h:00:00Z
		appt "$id" "+140455501$n" 2025-11-26T15:00:00Z | conv-store add | AT=$CALSMS_NOW sent | conv-store record >/dev/null
		conv-store reply <<<"{\"from\":\"+140455501$n\",\"body\":\"yes\",\"provider_id\":\"SMr$n\"}" >/dev/null
	done
	export CALSMS_NOW=2025-11-24T16:00:00Z
	run -0 env TZ=UTC CALSMS_TZ=America/New_York conv-store list --since today
	[ "$(jq -r .id <<<"$output")" = LATE ] || fail "today in New York: $output"
	run -0 env TZ=UTC CALSMS_TZ=America/New_York conv-store list --since yesterday --until today
	[ "$(jq -r .id <<<"$output")" = EARLY ] || fail "yesterday in New York: $output"
	run -0 env TZ=UTC CALSMS_TZ=UTC conv-store list --since today
	[ "$(jq -r .id <<<"$output" | sort | tr '\n' ' ')" = "EARLY LATE " ] || fail "today in UTC: $output"
	# a -C file says it as well as the environment
	printf 'CALSMS_TZ=America/New_York\n' >"$T/calsms.env"
	run -0 env TZ=UTC conv-store -C "$T/calsms.env" list --since today
	[ "$(jq -r .id <<<"$output")" = LATE ]
	# 22:30 UTC is 17:30 in New York: inside 09:00-18:00 there, outside on the machine's clock
	run -2 env TZ=UTC CALSMS_TZ=America/New_York CALSMS_NOW=2025-11-24T22:30:00Z conv-store health -q 2h -b 09:00-18:00
	run -0 env TZ=UTC CALSMS_NOW=2025-11-24T22:30:00Z conv-store health -q 2h -b 09:00-18:00
	run -0 --separate-stderr env CALSMS_TZ=Mars/Olympus conv-store list --since today
	[[ $stderr == *"CALSMS_TZ: not a time zone: Mars/Olympus; UTC used"* ]] || fail "stderr: $stderr"
}

@test "list -t, get -t and inbox: a table for people, masked phones, the business's times; the replies a person must read" {
	for b in A1,01,yes A2,02,"No, I can't make it" A3,03,"can I bring my dog?" A4,04,HELP; do
		IFS=, read -r id n body <<<"$b"
		appt "$id" "+140455501$n" 2025-11-26T15:00:00Z | conv-store add | sent | conv-store record >/dev/null
		jq -nc --arg f "+140455501$n" --arg b "$body" --arg p "SMr$n" \
			'{from: $f, body: $b, provider_id: $p, provider: "twilio"}' | at "$n" conv-store reply >/dev/null
	done
	appt A5 +14045550105 2025-11-26T15:00:00Z | conv-store add -q
	run -0 env CALSMS_TZ=America/New_York conv-store list -t
	[ "${#lines[@]}" -eq 6 ] || fail "$output"
	[[ ${lines[0]} == START*STATUS*NAME*PHONE*ID*"LAST REPLY" ]]
	# 15:00 UTC is 10:00 in New York; the phone masked; the last reply's words
	grep -q '^2025-11-26 10:00  replied .*+1\*\*\*\*\*\*0102 .* A2 .*"No, I can'"'"'t make it"$' <<<"$output" || fail "$output"
	refute_output --partial 4045550102
	run -0 env CALSMS_TZ=UTC conv-store get -t A5
	[ "${#lines[@]}" -eq 2 ] && [[ ${lines[1]} == "2025-11-26 15:00  pending "* ]] || fail "$output"
	# inbox: the decline, the question and the HELP, newest first; not the YES
	run -0 at 10 conv-store inbox
	[ "$(jq -r '.id + " " + .intent' <<<"$output" | tr '\n' ',')" = "A4 help,A3 other,A2 decline," ] || fail "$output"
	json_is -s 'map(select(.id == "A3"))[0] | .body == "can I bring my dog?" and .phone == "+14045550103" and .status == "replied"' <<<"$output"
	run -0 at 10 conv-store inbox --since "$(date -u -d @$((CALSMS_NOW + 3)) +%Y-%m-%dT%H:%M:%SZ)"
	[ "$(jq -r .id <<<"$output" | tr '\n' ' ')" = "A4 A3 " ] || fail "$output"
	run -0 at 10 conv-store inbox -t
	[ "${#lines[@]}" -eq 4 ] && [[ ${lines[1]} == *" help "*"A4"*'"HELP"' ]] || fail "$output"
	run -0 at 90000 conv-store inbox
	assert_output ""
	run -64 conv-store inbox --since never
	run -64 conv-store get -t
}
