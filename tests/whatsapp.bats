#!/usr/bin/env bats
# WhatsApp through Twilio (TWILIO_CHANNEL=whatsapp): business-started
# messages as approved Content templates, free text only inside the
# customer's 24-hour window, WhatsApp inbound and read receipts, one
# opt-out list for both channels.  The Twilio stand-in checks the
# account's credentials and logs each form.
load helper
load webhooks

HX1=HX0123456789abcdef0123456789abcdef
HX2=HXfedcba9876543210fedcba9876543210
URL=https://hooks.example.com/twilio
TOKEN=secret-token

setup() {
	T=$BATS_TEST_TMPDIR
	export CALSMS_NOW=1764000000 BUSINESS="Harbour Dental"
	echo '{"mode": "ok"}' >"$T/control"
	start_mock mock mock-provider.py "$T/port" "$T/log" "$T/control"
	export TWILIO_API_URL=http://127.0.0.1:$(cat "$T/port") TWILIO_ACCOUNT_SID=AC123 \
		TWILIO_AUTH_TOKEN=$TOKEN TWILIO_FROM=+15005550006 TWILIO_CHANNEL=whatsapp \
		TWILIO_WHATSAPP_FROM=+14155238886
	# the shipped words for SMS; on WhatsApp, confirm and followup are
	# approved templates whose variables the .jq gives
	mkdir -p "$T/tpl"
	cp "$BATS_TEST_DIRNAME"/../examples/templates/*.jq "$T/tpl/"
	echo "$HX1" >"$T/tpl/confirm.content"
	echo '(.appointment // .) as $a | {"1": $a.first_name, "2": $a.start_local}' >"$T/tpl/confirm.jq"
	echo "$HX2" >"$T/tpl/followup.content"
	echo '(.appointment // .) as $a | {"1": $a.start_local}' >"$T/tpl/followup.jq"
	store
}

teardown() {
	stop_started
}

# send AT [TEMPLATES]: the sender's one pass at AT seconds, on the stand-in
send() {
	at "$1" follow-up-due -H | at "$1" sms-send -p twilio -r 1000 -T "${2:-$T/tpl}" | at "$1" conv-store record
}

# inbound BODY: a WhatsApp message from +14045550134, signed, as its line
inbound() {
	form From=whatsapp:+14045550134 To=whatsapp:+14155238886 "Body=$1" "MessageSid=SMin$RANDOM" \
		ProfileName=Ada WaId=14045550134 NumMedia=0 >"$T/in.form"
	sms-parse -p twilio -u "$URL" -s "$(tsign "$T/in.form")" "$T/in.form"
}

@test "whatsapp: the confirmation goes as its approved template, to and from whatsapp: addresses" {
	appt A1 +14045550134 2025-11-25T15:00:00Z | conv-store add -q
	run -0 --separate-stderr send 0
	json_is '.status == "awaiting_reply" and .messages[0].channel == "whatsapp"' <<<"$output"
	[ "$(wc -l <"$T/log")" -eq 1 ]
	json_is --arg hx "$HX1" '.form.To == "whatsapp:+14045550134" and .form.From == "whatsapp:+14155238886" and
		.form.ContentSid == $hx and (.form.ContentVariables | fromjson) == {"1": "Ada", "2": "Tue Nov 25, 10:00 AM EST"} and
		(.form | has("Body") | not)' "$T/log"
	conv_is A1 '.messages[0].channel == "whatsapp" and .messages[0].status == "sent" and
		(.messages[0].provider_id | startswith("SM"))'
	# the follow-up, 31 minutes on, is its own template
	run -0 --separate-stderr send 1860
	json_is --arg hx "$HX2" '.form.ContentSid == $hx' < <(tail -n1 "$T/log")
}

@test "whatsapp: a free-form message the business starts is refused: failed for that reason, no request, not retried" {
	mkdir -p "$T/plain"
	cp "$BATS_TEST_DIRNAME"/../examples/templates/*.jq "$T/plain/"
	appt A1 +14045550134 2025-11-25T15:00:00Z | conv-store add -q
	at 0 follow-up-due | sms-send -p twilio -T "$T/plain" >"$T/out"
	json_is '.sms.status == "failed" and .sms.error.code == "whatsapp_freeform" and .sms.error.permanent == true and
		(.sms.error.message | test("approved template"))' "$T/out"
	conv-store record <"$T/out" >/dev/null
	[ ! -s "$T/log" ]
	conv_is A1 '.status == "failed" and .messages[0].error.code == "whatsapp_freeform"'
	run -0 at 600 follow-up-due
	assert_output ""
}

@test "whatsapp: HELP is answered free-form; the front desk writes free-form within 24 hours of the customer, not after" {
	appt A1 +14045550134 2025-11-25T15:00:00Z | conv-store add -q
	send 0 >/dev/null
	inbound HELP | conv-store reply >/dev/null
	run -0 --separate-stderr send 60
	json_is '.messages[-1].kind == "help" and .messages[-1].status == "sent"' <<<"$output"
	json_is '.form.Body | startswith("Harbour Dental text you")' < <(tail -n1 "$T/log")
	run -0 at 120 conv-store send A1 "Running 10 minutes late"
	run -0 --separate-stderr send 180
	json_is '.messages[-1].kind == "manual" and .messages[-1].status == "sent"' <<<"$output"
	json_is '.form.Body == "Running 10 minutes late" and .form.To == "whatsapp:+14045550134"' < <(tail -n1 "$T/log")
	# a day and more after the customer last wrote, the window is shut
	n=$(wc -l <"$T/log")
	run -0 at 90000 conv-store send A1 "Are you still coming?"
	run -0 --separate-stderr send 90060
	json_is '.messages[-1].kind == "manual" and .messages[-1].status == "failed" and
		.messages[-1].error.code == "whatsapp_freeform"' <<<"$output"
	[ "$(wc -l <"$T/log")" -eq "$n" ]
}

@test "whatsapp: the captured inbound body is a reply from that number, channel whatsapp; read receipts stay read" {
	appt A1 +14045550134 2025-11-25T15:00:00Z | conv-store add -q
	send 0 >/dev/null
	cp "$FIX/twilio/whatsapp-inbound.form" "$T/wa.form"
	run -0 sms-parse -p twilio -u "$URL" -s "$(tsign "$T/wa.form")" "$T/wa.form"
	json_is '.type == "reply" and .from == "+14045550134" and .to == "+14155238886" and .channel == "whatsapp" and
		.intent == "confirm" and .body == "Yes, I'"'"'ll be there"' <<<"$output"
	conv-store reply <<<"$output" >/dev/null
	conv_is A1 '.status == "replied" and .replies[0].channel == "whatsapp"'
	# Twilio's read callback for the confirmation, then a late "delivered"
	sid=$(conv-store get A1 | jq -r '.messages[0].provider_id')
	sed "s/SMWA/$sid/g" "$FIX/twilio/whatsapp-read.form" >"$T/read.form"
	run -0 at 30 sms-parse -p twilio -u "$URL" -s "$(tsign "$T/read.form")" "$T/read.form"
	json_is --arg sid "$sid" '.type == "receipt" and .provider_id == $sid and .status == "read"' <<<"$output"
	conv-store reply <<<"$output" >/dev/null
	form MessageSid="$sid" MessageStatus=delivered To=whatsapp:+14045550134 From=whatsapp:+14155238886 >"$T/late.form"
	at 40 sms-parse -p twilio -u "$URL" -s "$(tsign "$T/late.form")" "$T/late.form" | conv-store reply >/dev/null
	conv_is A1 '.messages[0].delivery == "read"'
	run -0 conv-store report
	json_is '.delivered == 1' <<<"$output"
}

@test "whatsapp: a STOP on WhatsApp opts the number out for SMS too" {
	appt A1 +14045550134 2025-11-25T15:00:00Z | conv-store add -q
	send 0 >/dev/null
	inbound STOP | conv-store reply >/dev/null
	conv_is A1 '.status == "opted_out"'
	# the next booking from that number, sent by SMS, gets no text
	unset TWILIO_CHANNEL
	appt A2 +14045550134 2025-11-26T15:00:00Z | conv-store add -q
	conv_is A2 '.status == "opted_out"'
	n=$(wc -l <"$T/log")
	run -0 --separate-stderr bash -c 'follow-up-due | sms-send -p twilio -T "$1" | conv-store record' _ "$BATS_TEST_DIRNAME/../examples/templates"
	[ "$(wc -l <"$T/log")" -eq "$n" ]
}

@test "whatsapp: --check shows each template's ContentSid and variables; a bad .content is 78; SMS reads no .content" {
	run -0 --separate-stderr sms-send --check -T "$T/tpl"
	json_is -s --arg hx "$HX1" 'map(select(.content_sid)) | length == 2 and
		(map(select(.template | endswith("/confirm.jq")))[0] | .content_sid == $hx and .variables == {"1": "Ada", "2": "Tue Nov 25, 10:00 AM EST"})' <<<"$output"
	json_is -s 'map(select(.template | endswith("/help.jq")))[0].body | startswith("Harbour Dental")' <<<"$output"
	echo HX123 >"$T/tpl/followup.content"
	run -78 --separate-stderr sms-send --check -T "$T/tpl"
	[[ $stderr == *"$T/tpl/followup.content: not a ContentSid (HX and 32 hex digits): HX123"* ]] || fail "$stderr"
	# without TWILIO_CHANNEL the .jq must be words: an object is no text
	unset TWILIO_CHANNEL
	run -78 --separate-stderr sms-send --check -T "$T/tpl"
	[[ $stderr == *"confirm.jq: yields object, not a string"* ]] || fail "$stderr"
}

@test "whatsapp: only through Twilio (78 for another provider); the WhatsApp sender alone is enough" {
	run -78 --separate-stderr sms-send -p sns -T "$T/tpl" </dev/null
	[[ $stderr == *"TWILIO_CHANNEL=whatsapp: WhatsApp goes through -p twilio"* ]] || fail "$stderr"
	# TWILIO_WHATSAPP_FROM without TWILIO_FROM sends; neither is 78, naming both
	appt A1 +14045550134 2025-11-25T15:00:00Z | conv-store add -q
	at 0 follow-up-due >"$T/due"
	run -0 --separate-stderr env -u TWILIO_FROM sms-send -p twilio -T "$T/tpl" <"$T/due"
	json_is '.sms.status == "sent"' <<<"$output"
	json_is '.form.From == "whatsapp:+14155238886"' "$T/log"
	run -78 --separate-stderr env -u TWILIO_FROM -u TWILIO_WHATSAPP_FROM sms-send -p twilio -T "$T/tpl" <"$T/due"
	[[ $stderr == *"twilio: TWILIO_WHATSAPP_FROM, TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is not set"* ]] || fail "$stderr"
}
