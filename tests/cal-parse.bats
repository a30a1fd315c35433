#!/usr/bin/env bats
# cal-parse: signed Calendly webhook bodies in, appointment lines out.
load helper

setup() {
	export CALSMS_NOW=1764000000
	C=$FIX/calendly
	B=$BATS_TEST_TMPDIR/b.json
	export CALENDLY_SIGNING_KEY=$KEY
}

# body FILTER: the booking fixture changed by a jq filter, in $BATS_TEST_TMPDIR/b.json
body() {
	jq -c "${1:-.}" "$C/invitee-created.json" >"$BATS_TEST_TMPDIR/b.json"
	B=$BATS_TEST_TMPDIR/b.json
}

# parse FILE: cal-parse with a good signature for FILE
parse() {
	run --separate-stderr cal-parse -s "$(sign "$1")" "$1"
}

@test "booking fixture: every appointment field" {
	run --separate-stderr cal-parse -s "$(cat $C/invitee-created.sig)" $C/invitee-created.json
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	run -0 json_is '.type == "booking" and .id == "INV0000000000001"
		and .phone == "+14045550134" and .phone_source == "text_reminder_number"
		and .start_time == "2025-11-25T15:00:00Z" and .end_time == "2025-11-25T15:30:00Z"
		and .start_local == "Tue Nov 25, 10:00 AM EST" and .timezone == "America/New_York"
		and .first_name == "Ada" and .name == "Ada Lovelace" and .email == "ada@example.org"
		and .event_name == "30 Minute Consultation"
		and .invitee_uri == "https://api.calendly.com/scheduled_events/EV00000000000001/invitees/INV0000000000001"
		and .event_uri == "https://api.calendly.com/scheduled_events/EV00000000000001"
		and .cancel_url == "https://calendly.com/cancellations/INV0000000000001"
		and .reschedule_url == "https://calendly.com/reschedulings/INV0000000000001"
		and .old_id == null and .new_id == null and .rescheduled == false
		and .reason == null and .received_at == "2025-11-24T16:00:00Z"' <<<"$output"
	assert_success
}

@test "every shared fixture verifies with its .sig and key file -k" {
	echo "$KEY" >"$BATS_TEST_TMPDIR/key"
	unset CALENDLY_SIGNING_KEY
	for f in $C/*.json; do
		run cal-parse -k "$BATS_TEST_TMPDIR/key" -s "$(cat "${f%.json}.sig")" <"$f"
		assert_success
	done
}

@test "cancel fixture: type cancel with reason" {
	run --separate-stderr cal-parse -s "$(cat $C/invitee-canceled.sig)" $C/invitee-canceled.json
	assert_success
	json_is '.type == "cancel" and .id == "INV0000000000001" and .reason == "Double booked"
		and .rescheduled == false and .new_id == null' <<<"$output"
}

@test "reschedule pair: cancel carries new_id, created carries old_id" {
	run --separate-stderr cal-parse -s "$(cat $C/reschedule-canceled.sig)" $C/reschedule-canceled.json
	assert_success
	json_is '.type == "cancel" and .rescheduled == true and .new_id == "INV0000000000005"
		and .reason == "Rescheduled"' <<<"$output"
	run --separate-stderr cal-parse -s "$(cat $C/reschedule-created.sig)" $C/reschedule-created.json
	assert_success
	json_is '.type == "booking" and .id == "INV0000000000005" and .old_id == "INV0000000000001"
		and .start_local == "Wed Nov 26, 1:00 PM EST"' <<<"$output"
}

@test "phone from an outbound_call location, first_name from name" {
	run --separate-stderr cal-parse -s "$(cat $C/invitee-created-outbound-call.sig)" $C/invitee-created-outbound-call.json
	assert_success
	json_is '.phone == "+12125550199" and .phone_source == "outbound_call"
		and .first_name == "Grace"' <<<"$output"
}

@test "phone from a question, in the invitee's zone" {
	run --separate-stderr cal-parse -s "$(cat $C/invitee-created-question-phone.sig)" $C/invitee-created-question-phone.json
	assert_success
	json_is '.phone == "+447700900123" and .phone_source == "question"
		and .start_local == "Tue Nov 25, 3:00 PM GMT"' <<<"$output"
}

@test "no phone: phone null, still exit 0" {
	run --separate-stderr cal-parse -s "$(cat $C/invitee-created-no-phone.sig)" $C/invitee-created-no-phone.json
	assert_success
	json_is '.phone == null and .phone_source == null and .id == "INV0000000000004"' <<<"$output"
}

@test "an inbound_call location is the host's number, never the customer's" {
	body '.payload.text_reminder_number = null
		| .payload.scheduled_event.location = {type: "inbound_call", location: "+1 212 555 0100"}'
	parse "$B"
	assert_success
	json_is '.phone == null' <<<"$output"
}

@test "a text_reminder_number that is not a number falls through to a question" {
	body '.payload.text_reminder_number = "call me"
		| .payload.questions_and_answers = [{question: "Cell", answer: "(404) 555-0177", position: 0}]'
	parse "$B"
	assert_success
	json_is '.phone == "+14045550177" and .phone_source == "question"' <<<"$output"
	assert_equal "$stderr" "cal-parse: text_reminder_number is not a usable phone number; ignored"
}

@test "-q sets the phone question pattern" {
	body '.payload.text_reminder_number = null
		| .payload.questions_and_answers = [{question: "Where do we reach you?", answer: "404 555 0188", position: 0}]'
	parse "$B"
	assert_success
	json_is '.phone == null' <<<"$output"
	run --separate-stderr cal-parse -q 'reach you' -s "$(sign "$B")" "$B"
	assert_success
	json_is '.phone == "+14045550188" and .phone_source == "question"' <<<"$output"
	run -64 cal-parse -q '(' -s "$(sign "$B")" "$B"
}

@test "national numbers follow CALSMS_COUNTRY" {
	while read -r country input want; do
		body ".payload.text_reminder_number = \"${input//_/ }\""
		CALSMS_COUNTRY=$country parse "$B"
		assert_success
		got=$(jq -r .phone <<<"$output")
		[ "$got" = "$want" ] || fail "$country ${input//_/ }: got $got, want $want"
	done <<'EOF_'
US (404)_555-0134 +14045550134
US 1-404-555-0134 +14045550134
US 404.555.0134 +14045550134
US 011_44_7700_900123 +447700900123
US +44_(0)7700_900123 +447700900123
GB 07700_900123 +447700900123
GB 020_7946_0018 +442079460018
GB 0044_7700_900123 +447700900123
DE 0151_23456789 +4915123456789
FR 06_12_34_56_78 +33612345678
AU 0412_345_678 +61412345678
IN 098765_43210 +919876543210
ES 612_345_678 +34612345678
NL 06-12345678 +31612345678
US +1_404_555_0134_ext._12 +14045550134
US 555-0134 null
US 404_555_013 null
US 004_555_0134 null
US +999_123_4567 null
US 404-CALL-NOW null
GB 07700_9001234567 null
EOF_
}

@test "unicode names pass through unchanged" {
	body '.payload.name = "Zoë Ångström-Łukasz 山田" | .payload.first_name = "Zoë"'
	parse "$B"
	assert_success
	json_is '.name == "Zoë Ångström-Łukasz 山田" and .first_name == "Zoë"' <<<"$output"
}

@test "missing and null fields give nulls, not a crash" {
	body 'del(.payload.scheduled_event.name, .payload.scheduled_event.end_time, .payload.email,
		.payload.name, .payload.timezone) | .payload.first_name = null | .payload.cancel_url = 7
		| .payload.questions_and_answers = {}'
	parse "$B"
	assert_success
	json_is '.start_time == "2025-11-25T15:00:00Z" and .end_time == null and .event_name == null
		and .email == null and .name == null and .first_name == null
		and .cancel_url == null and .timezone == null and .phone == "+14045550134"
		and .event_uri == "https://api.calendly.com/scheduled_events/EV00000000000001"' <<<"$output"
}

@test "a booking without a start time (no scheduled_event) is refused (65), not confirmed 'on null'" {
	for f in 'del(.payload.scheduled_event)' '.payload.scheduled_event = "nope"' \
	    'del(.payload.scheduled_event.start_time)'; do
		body "$f"
		parse "$B"
		assert_failure 65
		assert_output ""
		[[ "$stderr" == *"invitee.created without scheduled_event.start_time"* ]]
	done
	# a cancel needs no start time
	jq -c 'del(.payload.scheduled_event)' $C/invitee-canceled.json >"$B"
	run --separate-stderr env -u CALENDLY_SIGNING_KEY cal-parse -n "$B"
	assert_success
	json_is '.type == "cancel"' <<<"$output"
}

@test "an API v1 body is refused (65) with a message that names the v1 format" {
	jq -nc '{event: "invitee.created", time: "2025-11-24T16:00:00Z",
		payload: {event_type: {uuid: "ET1"}, event: {uuid: "EV1"}, invitee: {uuid: "IN1", email: "a@b"}}}' >"$B"
	run --separate-stderr env -u CALENDLY_SIGNING_KEY cal-parse -n "$B"
	assert_failure 65
	assert_output ""
	[[ "$stderr" == *"Calendly's API v1 format"* ]]
}

@test "time zones: only real zone names; zone.tab and right/ fall back to UTC" {
	for z in zone.tab right/America/New_York "America/New York" posixrules.bad; do
		body ".payload.timezone = \"$z\""
		parse "$B"
		assert_success
		json_is '.start_local == "Tue Nov 25, 3:00 PM UTC"' <<<"$output"
		[[ "$stderr" == *"unknown time zone"* ]]
	done
	body '.payload.timezone = "Europe/Paris"'
	parse "$B"
	assert_success
	json_is '.start_local == "Tue Nov 25, 4:00 PM CET"' <<<"$output"
}

@test "an unknown time zone falls back to UTC with a note" {
	body '.payload.timezone = "Mars/Olympus_Mons"'
	parse "$B"
	assert_success
	json_is '.start_local == "Tue Nov 25, 3:00 PM UTC" and .timezone == "Mars/Olympus_Mons"' <<<"$output"
	assert_equal "$stderr" 'cal-parse: unknown time zone "Mars/Olympus_Mons"; start_local is in UTC'
	body '.payload.timezone = "../../../etc/passwd"'
	parse "$B"
	assert_success
	json_is '.start_local == "Tue Nov 25, 3:00 PM UTC"' <<<"$output"
}

@test "other events: no output, exit 0, a note" {
	run --separate-stderr cal-parse -s "$(cat $C/routing-form-submission.sig)" $C/routing-form-submission.json
	assert_success
	assert_output ""
	assert_equal "$stderr" "cal-parse: ignoring event routing_form_submission.created: not an invitee event"
	body '.event = "invitee_no_show.created"'
	parse "$B"
	assert_success
	assert_output ""
}

@test "signature: missing, malformed, wrong, tampered or for another key exit 77 and print nothing" {
	sig=$(cat $C/invitee-created.sig)
	run --separate-stderr -77 cal-parse $C/invitee-created.json
	assert_output ""
	assert_equal "$stderr" "cal-parse: no Calendly-Webhook-Signature: refused"
	for bad in "garbage" "t=1764000000" "v1=${sig#*v1=}" "t=abc,v1=${sig#*v1=}" \
	    "t=1764000000,v1=zz${sig:15}" "t=1764000000,v1=abcd" "t=1764000000,v1=" \
	    "t=1764000000,t=1764000000,v1=${sig#*v1=}"; do
		run --separate-stderr -77 cal-parse -s "$bad" $C/invitee-created.json
		assert_output ""
		assert_equal "$stderr" "cal-parse: malformed Calendly-Webhook-Signature: refused"
	done
	run --separate-stderr -77 cal-parse -s "t=1764000000,v1=$(printf '0%.0s' {1..64})" $C/invitee-created.json
	assert_output ""
	assert_equal "$stderr" "cal-parse: signature does not match the body: refused"
	sed 's/Ada/Eve/' $C/invitee-created.json >"$BATS_TEST_TMPDIR/tampered.json"
	run --separate-stderr -77 cal-parse -s "$sig" "$BATS_TEST_TMPDIR/tampered.json"
	assert_output ""
	CALENDLY_SIGNING_KEY=another-key run --separate-stderr -77 cal-parse -s "$sig" $C/invitee-created.json
	assert_output ""
}

@test "signature: stale in either direction is refused; -t widens the window" {
	sig=$(cat $C/invitee-created.sig)
	CALSMS_NOW=1764000181 run --separate-stderr -77 cal-parse -s "$sig" $C/invitee-created.json
	assert_output ""
	assert_equal "$stderr" "cal-parse: stale signature: t is 181s from now, tolerance 180s: refused"
	CALSMS_NOW=1763999819 run -77 cal-parse -s "$sig" $C/invitee-created.json
	CALSMS_NOW=1764000180 run -0 cal-parse -s "$sig" $C/invitee-created.json
	CALSMS_NOW=2025-11-24T16:10:00Z run -0 cal-parse -t 600 -s "$sig" $C/invitee-created.json
	CALSMS_NOW=1764003600 run -77 cal-parse -t 600 -s "$sig" $C/invitee-created.json
	run -64 cal-parse -t soon -s "$sig" $C/invitee-created.json
}

@test "signature: extra and reordered parts, spaces, several v1 values" {
	sig=$(cat $C/invitee-created.sig)
	v1=${sig#*v1=}
	for hdr in "v1=$v1,t=1764000000" "t=1764000000, v1=$v1" "t=1764000000,v0=abc,v1=$v1,x=y" \
	    "t=1764000000,v1=$(printf '1%.0s' {1..64}),v1=$v1" "t=1764000000,v1=${v1^^}"; do
		run --separate-stderr cal-parse -s "$hdr" $C/invitee-created.json
		assert_success
		json_is '.id == "INV0000000000001"' <<<"$output"
	done
}

@test "signature: from HTTP_CALENDLY_WEBHOOK_SIGNATURE under CGI, body on stdin" {
	HTTP_CALENDLY_WEBHOOK_SIGNATURE=$(cat $C/invitee-created.sig) run --separate-stderr cal-parse <$C/invitee-created.json
	assert_success
	json_is '.id == "INV0000000000001"' <<<"$output"
	HTTP_CALENDLY_WEBHOOK_SIGNATURE="t=1764000000,v1=00" run -77 cal-parse <$C/invitee-created.json
}

@test "no key and no -n is a usage error; -n skips verification" {
	unset CALENDLY_SIGNING_KEY
	run --separate-stderr -64 cal-parse $C/invitee-created.json
	assert_output ""
	assert_equal "$stderr" "cal-parse: no signing key: use -k FILE, CALENDLY_SIGNING_KEY or CALENDLY_KEY_FILE, or -n to skip verification"
	run --separate-stderr cal-parse -n $C/invitee-created.json
	assert_success
	json_is '.id == "INV0000000000001"' <<<"$output"
	CALENDLY_SIGNING_KEY= run -64 cal-parse $C/invitee-created.json
	run -66 cal-parse -k /nonexistent/key $C/invitee-created.json
	: >"$BATS_TEST_TMPDIR/empty"
	run -78 cal-parse -k "$BATS_TEST_TMPDIR/empty" $C/invitee-created.json
}

@test "-n with a key configured is a usage error; CALENDLY_KEY_FILE is read" {
	printf '%s\n' "$KEY" >"$BATS_TEST_TMPDIR/key"
	run --separate-stderr -64 env CALENDLY_SIGNING_KEY=$KEY cal-parse -n $C/invitee-created.json
	assert_output ""
	[[ "$stderr" == *"-n with a signing key configured"* ]]
	run -64 cal-parse -n -k "$BATS_TEST_TMPDIR/key" $C/invitee-created.json
	run -64 env CALENDLY_KEY_FILE="$BATS_TEST_TMPDIR/key" cal-parse -n $C/invitee-created.json
	run --separate-stderr env CALSMS_NOW=1764000000 CALENDLY_KEY_FILE="$BATS_TEST_TMPDIR/key" \
		cal-parse -s "$(cat $C/invitee-created.sig)" $C/invitee-created.json
	assert_success
	json_is '.id == "INV0000000000001"' <<<"$output"
	run -77 env CALSMS_NOW=1764000000 CALENDLY_KEY_FILE="$BATS_TEST_TMPDIR/key" \
		cal-parse -s "t=1764000000,v1=$(printf '0%.0s' {1..64})" $C/invitee-created.json
}

@test "the shipped on-booking honours CALENDLY_SIGNING_KEY and CALSMS_COUNTRY" {
	export CALSMS_NOW=1764000000 HTTP_CALENDLY_WEBHOOK_SIGNATURE=$(cat $C/invitee-created.sig)
	unset CALENDLY_KEY_FILE
	CALENDLY_SIGNING_KEY=$KEY run "$BATS_TEST_DIRNAME/../examples/on-booking" <$C/invitee-created.json
	assert_success
	run conv-store get INV0000000000001
	assert_success
	json_is '.phone == "+14045550134"' <<<"$output"
	CALENDLY_SIGNING_KEY=wrong-key run -77 "$BATS_TEST_DIRNAME/../examples/on-booking" <$C/invitee-created.json
	# a national number read in the country CALSMS_COUNTRY names
	jq -c '.payload.text_reminder_number = "020 7946 0018" | .payload.uri += "GB"' $C/invitee-created.json >"$B"
	unset HTTP_CALENDLY_WEBHOOK_SIGNATURE
	CALSMS_COUNTRY=GB HTTP_CALENDLY_WEBHOOK_SIGNATURE=$(sign "$B") CALENDLY_SIGNING_KEY=$KEY \
		run "$BATS_TEST_DIRNAME/../examples/on-booking" <"$B"
	assert_success
	run -0 conv-store list -p +442079460018
	[ "${#lines[@]}" -eq 1 ]
}

@test "usage: -h, unknown options, too many files, missing file" {
	run -0 cal-parse -h
	assert_line --index 0 --partial "usage: cal-parse"
	run -64 cal-parse -Z
	run -64 env -u CALENDLY_SIGNING_KEY cal-parse -n a b
	run --separate-stderr -66 env -u CALENDLY_SIGNING_KEY cal-parse -n /nonexistent.json
	assert_equal "$stderr" "cal-parse: /nonexistent.json: No such file or directory"
}

@test "bad bodies exit 65 with a reason, after a good signature" {
	check65() {
		printf '%s' "$1" >"$BATS_TEST_TMPDIR/bad"
		run --separate-stderr -65 cal-parse -s "$(sign "$BATS_TEST_TMPDIR/bad")" "$BATS_TEST_TMPDIR/bad"
		assert_output ""
		[[ "$stderr" == *"$2"* ]] || fail "for body '${1:0:40}': stderr was: $stderr"
	}
	check65 'hello' "body is not JSON"
	check65 '' "body is not JSON"
	check65 '{"event": "invitee.created", "payload": {"uri": "x"' "body is not JSON"
	check65 '[1, 2]' 'no "event" and "payload"'
	check65 '"invitee.created"' 'no "event" and "payload"'
	check65 '{"event": "invitee.created"}' 'no "event" and "payload"'
	check65 '{"event": 5, "payload": {}}' 'no "event" and "payload"'
	check65 '{"event": "invitee.created", "payload": {"name": "x"}}' "without payload.uri"
	check65 $'{"event": "invitee.created", "payload": {"uri": "a/\xff\xfe"}}' "not valid UTF-8"
	check65 $'{"event": "invitee.created", "payload": {"uri": "a/\xc0\xaf"}}' "not valid UTF-8"
	check65 $'{"event": "invitee.created", "payload": {"uri": "a/\xed\xa0\x80"}}' "not valid UTF-8"
}

@test "truncated fixture: 65, nothing printed" {
	head -c 500 $C/invitee-created.json >"$BATS_TEST_TMPDIR/t.json"
	run --separate-stderr -65 cal-parse -s "$(sign "$BATS_TEST_TMPDIR/t.json")" "$BATS_TEST_TMPDIR/t.json"
	assert_output ""
}

@test "deeply nested and huge bodies: refused cleanly, not a crash" {
	python3 -c 'import sys; sys.stdout.write("{\"event\":\"invitee.created\",\"payload\":" + "[" * 100000 + "]" * 100000 + "}")' >"$BATS_TEST_TMPDIR/deep.json"
	run --separate-stderr -65 cal-parse -s "$(sign "$BATS_TEST_TMPDIR/deep.json")" "$BATS_TEST_TMPDIR/deep.json"
	assert_output ""
	head -c 5000000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/huge.json"
	run --separate-stderr -65 env -u CALENDLY_SIGNING_KEY cal-parse -n "$BATS_TEST_TMPDIR/huge.json"
	[[ "$stderr" == *"body larger than"* ]]
}

@test "a large but valid body (1 MB of answers) is parsed" {
	body '.payload.text_reminder_number = null
		| .payload.questions_and_answers = ([range(20000)] | map({question: "Q\(.)", answer: "a long answer \(.)", position: .}))
			+ [{question: "Mobile", answer: "+1 404 555 0199", position: 20000}]'
	[ "$(wc -c <"$B")" -gt 1000000 ]
	parse "$B"
	assert_success
	json_is '.phone == "+14045550199"' <<<"$output"
}

@test "output is one compact line that jq reads; stdout errors show in the exit status" {
	run -0 --separate-stderr cal-parse -s "$(cat $C/invitee-created.sig)" $C/invitee-created.json
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" != *": "* ]]
	run bash -c 'cal-parse -s "$(cat '"$C"'/invitee-created.sig)" '"$C"'/invitee-created.json >/dev/full'
	assert_failure 74
}

@test "log lines mask phone numbers" {
	body '.event = "invitee.created" | .payload.timezone = "+14045550134"'
	parse "$B"
	assert_success
	[[ "$stderr" == *'"+1******0134"'* ]] || fail "stderr: $stderr"
	[[ "$stderr" != *4045550134* ]]
}

@test "fields: event type and slug, location, host, answers, guests, source" {
	run -0 env -u CALENDLY_SIGNING_KEY cal-parse -n "$FIX/calendly/invitee-created-question-phone.json"
	json_is '.source == "calendly" and
		.event_type == "https://api.calendly.com/event_types/ETYPE0000000001" and
		.event_slug == "30-minute-consultation" and
		.location == {type: "physical", text: "12 Harbour St, Suite 4"} and
		.host == {name: "Dana Host", email: "host@example.org"} and
		.answers == [{question: "Company", answer: "Bletchley Ltd"},
			{question: "Mobile phone number", answer: "+44 7700 900123"}] and
		.guests == []' <<<"$output"
}

@test "fields: a video call's join URL, guests, and null when Calendly gives nothing" {
	jq '.payload.scheduled_event.location = {type: "zoom", join_url: "https://zoom.example/j/1", status: "pushed"}
		| .payload.scheduled_event.event_guests = [{email: "bob@example.org"}, {email: "eve@example.org"}]
		| .payload.scheduled_event.name = "Érstvisit: Dr. Smith (60 min)!"' \
		"$FIX/calendly/invitee-created.json" >"$BATS_TEST_TMPDIR/video.json"
	run -0 env -u CALENDLY_SIGNING_KEY cal-parse -n "$BATS_TEST_TMPDIR/video.json"
	json_is '.location == {type: "zoom", text: "https://zoom.example/j/1"} and
		.guests == ["bob@example.org", "eve@example.org"] and
		.event_slug == "rstvisit-dr-smith-60-min"' <<<"$output"
	jq 'del(.payload.scheduled_event.location, .payload.scheduled_event.event_memberships,
		.payload.scheduled_event.event_type, .payload.scheduled_event.name,
		.payload.scheduled_event.event_guests, .payload.questions_and_answers)' \
		"$FIX/calendly/invitee-created.json" >"$BATS_TEST_TMPDIR/bare.json"
	run -0 env -u CALENDLY_SIGNING_KEY cal-parse -n "$BATS_TEST_TMPDIR/bare.json"
	json_is '.location == null and .host == null and .event_type == null and
		.event_slug == null and .answers == [] and .guests == []' <<<"$output"
}

@test "a newline in a payload field never forges a log line: notes escape control characters" {
	jq '.payload.timezone = "Nowhere/City\nhttp-hook: POST /calendly: 200, handler exit 0, 1 ms"' \
		"$FIX/calendly/invitee-created.json" >"$BATS_TEST_TMPDIR/b.json"
	unset CALENDLY_SIGNING_KEY
	run -0 --separate-stderr cal-parse -n "$BATS_TEST_TMPDIR/b.json"
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "more than one line: $stderr"
	[[ "$stderr" == *'Nowhere/City\x0ahttp-hook: POST'* ]] || fail "$stderr"
}
