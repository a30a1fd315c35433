#!/usr/bin/env bats
# Cal.com webhooks: X-Cal-Signature-256, createdAt, triggers, phone sources,
# into the store through http-hook and examples/on-calcom.
load helper

SECRET=calcom-test-secret

setup() {
	export CALSMS_NOW=2025-11-24T16:00:30Z
	C=$FIX/calcom
	T=$BATS_TEST_TMPDIR
	unset CALCOM_WEBHOOK_SECRET CALCOM_SECRET_FILE HTTP_X_CAL_SIGNATURE_256 CALENDLY_KEY_FILE
}

# calsig FILE [SECRET]: the hex HMAC-SHA256 of the body, as Cal.com sends it
calsig() {
	python3 -c 'import hmac, hashlib, sys
print(hmac.new(sys.argv[2].encode(), open(sys.argv[1], "rb").read(), hashlib.sha256).hexdigest(), end="")' \
		"$1" "${2:-$SECRET}"
}

parsed() {	# parsed FILE: cal-parse with Cal.com's header and the secret
	CALCOM_WEBHOOK_SECRET=$SECRET HTTP_X_CAL_SIGNATURE_256=$(calsig "$1") \
		run --separate-stderr cal-parse "$1"
}

@test "calcom: a signed booking, recognised by its header, is the appointment line with source calcom" {
	parsed "$C/booking-created.json"
	assert_success
	json_is '.type == "booking" and .id == "cal0000000000001" and .source == "calcom" and
		.name == "Ada Lovelace" and .first_name == "Ada" and .email == "ada@example.org" and
		.phone == "+14045550134" and .phone_source == "attendee" and
		.timezone == "America/New_York" and .event_name == "30 Min Consultation" and
		.start_time == "2025-11-25T15:00:00Z" and .end_time == "2025-11-25T15:30:00Z" and
		.start_local == "Tue Nov 25, 10:00 AM EST" and .event_type == "42" and
		.event_slug == "30-min-consultation" and
		.location == {type: "inPerson", text: "12 Harbour St, Suite 4"} and
		.host == {name: "Dana Host", email: "host@example.org"} and
		.answers == [{question: "Anything we should know?", answer: "First visit"}] and
		.guests == ["bob@example.org"] and .old_id == null' <<<"$output"
	# the same keys as a Calendly line
	diff <(jq -S 'keys' <<<"$output") <(cal-parse -n "$FIX/calendly/invitee-created.json" | jq -S keys)
}

@test "calcom: a wrong, missing or malformed X-Cal-Signature-256 is 77 and prints nothing" {
	f=$C/booking-created.json
	CALCOM_WEBHOOK_SECRET=$SECRET run -77 --separate-stderr cal-parse -f calcom -s "$(calsig "$f" other)" "$f"
	assert_output ""
	[[ "$stderr" == *"signature does not match the body: refused"* ]]
	CALCOM_WEBHOOK_SECRET=$SECRET run -77 --separate-stderr cal-parse -f calcom "$f"
	[[ "$stderr" == *"no X-Cal-Signature-256: refused"* ]]
	CALCOM_WEBHOOK_SECRET=$SECRET run -77 --separate-stderr cal-parse -f calcom -s "t=1,v1=zz" "$f"
	[[ "$stderr" == *"malformed X-Cal-Signature-256"* ]]
	# the body changed after signing
	sig=$(calsig "$f")
	sed 's/Ada Lovelace/Eve Mallory/' "$f" >"$T/forged.json"
	CALCOM_WEBHOOK_SECRET=$SECRET run -77 cal-parse -f calcom -s "$sig" "$T/forged.json"
	# no secret at all is a usage error, -n skips verification
	run -64 --separate-stderr cal-parse -f calcom "$f"
	[[ "$stderr" == *"CALCOM_WEBHOOK_SECRET or CALCOM_SECRET_FILE"* ]]
	run -0 cal-parse -f calcom -n "$f"
	printf '%s\n' "$SECRET" >"$T/key"
	CALCOM_SECRET_FILE=$T/key run -0 cal-parse -f calcom -s "$(calsig "$f")" "$f"
}

@test "calcom: createdAt further than -t from now is refused as a replay" {
	f=$C/booking-created.json
	CALSMS_NOW=2025-11-24T16:10:00Z CALCOM_WEBHOOK_SECRET=$SECRET run -77 --separate-stderr \
		cal-parse -f calcom -s "$(calsig "$f")" "$f"
	[[ "$stderr" == *"stale webhook: createdAt is 600s from now"* ]]
	CALSMS_NOW=2025-11-24T16:10:00Z CALCOM_WEBHOOK_SECRET=$SECRET run -0 \
		cal-parse -f calcom -t 900 -s "$(calsig "$f")" "$f"
	jq 'del(.createdAt)' "$f" >"$T/nodate.json"
	CALCOM_WEBHOOK_SECRET=$SECRET run -77 cal-parse -f calcom -s "$(calsig "$T/nodate.json")" "$T/nodate.json"
}

@test "calcom: triggers: rescheduled moves, cancelled and rejected cancel, requested is held, others ignored" {
	parsed "$C/booking-rescheduled.json"
	assert_success
	json_is '.type == "booking" and .id == "cal0000000000011" and .old_id == "cal0000000000001" and
		.start_local == "Wed Nov 26, 1:00 PM EST"' <<<"$output"
	parsed "$C/booking-cancelled.json"
	json_is '.type == "cancel" and .id == "cal0000000000001" and .reason == "Double booked"' <<<"$output"
	parsed "$C/booking-rejected.json"
	json_is '.type == "cancel" and .id == "cal0000000000021" and .reason == "Fully booked"' <<<"$output"
	parsed "$C/booking-requested.json"
	assert_success
	assert_output ""
	[[ "$stderr" == *"BOOKING_REQUESTED: held"* ]]
	parsed "$C/meeting-ended.json"
	assert_success
	assert_output ""
	[[ "$stderr" == *"ignoring MEETING_ENDED"* ]]
	echo '{"triggerEvent":"BOOKING_CREATED","createdAt":"2025-11-24T16:00:00Z","payload":{"uid":"x"}}' >"$T/nostart.json"
	parsed "$T/nostart.json"
	assert_failure 65
	echo '{"event":"invitee.created"}' >"$T/calendly.json"
	parsed "$T/calendly.json"
	assert_failure 77	# signed, but no createdAt: refused before anything is read
	run -65 --separate-stderr cal-parse -f calcom -n "$T/calendly.json"
	[[ "$stderr" == *"not a Cal.com webhook"* ]]
}

@test "calcom: the phone from the attendee, the responses, a phone location, or the SMS reminder number, in that order" {
	for f in booking-created:attendee:+14045550134 booking-created-responses:responses:+12125550199 \
		booking-created-location:location:+447700900123 \
		booking-created-sms-reminder:sms_reminder_number:+14045550177; do
		IFS=: read -r name source phone <<<"$f"
		run -0 cal-parse -f calcom -n "$C/$name.json"
		json_is --arg s "$source" --arg p "$phone" '.phone == $p and .phone_source == $s' <<<"$output"
	done
	# the attendee's number wins over the reminder number
	jq '.payload.smsReminderNumber = "+14045550177"' "$C/booking-created.json" >"$T/both.json"
	run -0 cal-parse -f calcom -n "$T/both.json"
	json_is '.phone == "+14045550134"' <<<"$output"
	run -0 --separate-stderr cal-parse -f calcom -n "$C/booking-created-no-phone.json"
	json_is '.phone == null and .phone_source == null' <<<"$output"
	jq '.payload.attendees[0].phoneNumber = "call me"' "$C/booking-created-no-phone.json" >"$T/bad.json"
	run -0 --separate-stderr cal-parse -f calcom -n "$T/bad.json"
	json_is '.phone == null and .phone_raw == "call me"' <<<"$output"
}

# post FILE: through http-hook and examples/on-calcom, signed
post() {
	{
		printf 'POST /calcom HTTP/1.1\r\nHost: hooks.example.com\r\nContent-Type: application/json\r\n'
		printf 'X-Cal-Signature-256: %s\r\nContent-Length: %d\r\n\r\n' "${2:-$(calsig "$1")}" "$(wc -c <"$1")"
		cat "$1"
	} | CALCOM_WEBHOOK_SECRET=$SECRET http-hook -q /calcom="$BATS_TEST_DIRNAME/../examples/on-calcom" | head -n1 | tr -d '\r'
}

@test "calcom: examples/on-calcom stores bookings, moves a reschedule, applies a cancel, refuses a forgery" {
	store
	[ "$(post "$C/booking-created.json")" = "HTTP/1.1 200 OK" ]
	[ "$(post "$C/booking-created.json" 00)" = "HTTP/1.1 401 Unauthorized" ]
	conv_is cal0000000000001 '.status == "pending" and .appointment.source == "calcom"'
	[ "$(post "$C/booking-rescheduled.json")" = "HTTP/1.1 200 OK" ]
	conv_is cal0000000000001 '.status == "canceled"'
	conv_is cal0000000000011 '.status == "pending"'
	run -0 follow-up-due
	[ "$(jq -s 'map(.id)' <<<"$output")" = '[
  "cal0000000000011"
]' ]
	jq '.payload.uid = "cal0000000000011" | .payload.cancellationReason = "changed my mind"' \
		"$C/booking-cancelled.json" >"$T/cancel.json"
	[ "$(post "$T/cancel.json")" = "HTTP/1.1 200 OK" ]
	conv_is cal0000000000011 '.status == "canceled"'
}

@test "calcom: the event type's slug is sanitised as for Calendly, never a path or a line" {
	jq '.payload.type = "../../etc/x Y\nZ"' "$C/booking-created.json" >"$T/b.json"
	parsed "$T/b.json"
	assert_success
	json_is '.event_slug == "etc-x-y-z"' <<<"$output"
	jq '.payload.type = "///"' "$C/booking-created.json" >"$T/b.json"
	parsed "$T/b.json"
	assert_success
	json_is '.event_slug == null' <<<"$output"
}
