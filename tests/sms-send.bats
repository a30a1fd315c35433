#!/usr/bin/env bats
# sms-send against loopback mocks that check credentials and signatures.
load helper

setup() {
	export CALSMS_NOW=1764000000
	T=$BATS_TEST_TMPDIR
	echo '{"mode": "ok"}' >"$T/control"
	start_mock mock mock-provider.py "$T/port" "$T/log" "$T/control"
	PORT=$(cat "$T/port")
	export TWILIO_API_URL=http://127.0.0.1:$PORT TWILIO_ACCOUNT_SID=AC123
	export TWILIO_AUTH_TOKEN=secret-token TWILIO_FROM=+15005550006
	export AWS_ACCESS_KEY_ID=AKIDMOCK AWS_SECRET_ACCESS_KEY=mock-secret-key AWS_REGION=us-east-1
	export AWS_ENDPOINT_URL_SNS=http://127.0.0.1:$PORT/
	export AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2=http://127.0.0.1:$PORT/
	export EUM_ORIGINATION_IDENTITY=+15550001111
	unset AWS_SESSION_TOKEN AWS_ENDPOINT_URL
}

teardown() {
	stop_started
}

mode() { echo "$1" >"$T/control"; }
line() { jq -nc --arg b "${1:-Hello Ada}" --arg p "${2:-+14045550101}" '{id: "A1", phone: $p, due: "confirm", body: $b, keep: "me"}'; }
requests() { [ -f "$T/log" ] && wc -l <"$T/log" || echo 0; }

# no secret may ever reach stderr
no_secrets() {
	[[ "$1" != *secret-token* && "$1" != *mock-secret-key* ]] || fail "a secret reached stderr: $1"
}

@test "twilio: sent with basic auth and the form fields; the line passes through" {
	run --separate-stderr sms-send -p twilio < <(line)
	assert_success
	no_secrets "$stderr"
	json_is '.keep == "me" and .id == "A1" and .sms.status == "sent" and .sms.provider == "twilio"
		and (.sms.provider_id | startswith("SM")) and .sms.to == "+14045550101"
		and .sms.body == "Hello Ada" and .sms.segments == 1 and .sms.encoding == "gsm7"
		and .sms.attempts == 1 and .sms.at == "2025-11-24T16:00:00Z" and .sms.error == null' <<<"$output"
	json_is '.form == {To: "+14045550101", From: "+15005550006", Body: "Hello Ada"}' "$T/log"
}

@test "twilio: a messaging service and a status callback" {
	export TWILIO_MESSAGING_SERVICE_SID=MG999
	run --separate-stderr sms-send -p twilio -c https://hooks.example/status < <(line)
	assert_success
	json_is '.form.MessagingServiceSid == "MG999" and .form.StatusCallback == "https://hooks.example/status"
		and (.form | has("From") | not)' "$T/log"
}

@test "sns: Publish signed with SigV4, checked by the mock; MessageId parsed" {
	run --separate-stderr sms-send -p sns < <(line 'Hi there' '+447700900123')
	assert_success
	no_secrets "$stderr"
	json_is '.sms.status == "sent" and .sms.provider == "sns" and .sms.provider_id == "mid-1"' <<<"$output"
	json_is '.form.Action == "Publish" and .form.Version == "2010-03-31"
		and .form.PhoneNumber == "+447700900123" and .form.Message == "Hi there"
		and .form["MessageAttributes.entry.1.Name"] == "AWS.SNS.SMS.SMSType"
		and .form["MessageAttributes.entry.1.Value.StringValue"] == "Transactional"' "$T/log"
}

@test "sns: a session token is signed too, whole; a wrong secret stops the run (78), nothing failed" {
	export AWS_SESSION_TOKEN=tok123
	run --separate-stderr sms-send -p sns < <(line)
	assert_success
	json_is '.sms.status == "sent"' <<<"$output"
	json_is '.headers["x-amz-security-token"] == "tok123"' "$T/log"
	export AWS_SESSION_TOKEN=$(head -c 1500 /dev/zero | tr '\0' 'T')
	run --separate-stderr sms-send -p sns < <(line)
	assert_success
	json_is '.sms.status == "sent"' <<<"$output"
	[ "$(tail -1 "$T/log" | jq -r '.headers["x-amz-security-token"] | length')" -eq 1500 ]
	unset AWS_SESSION_TOKEN
	export AWS_SECRET_ACCESS_KEY=wrong-secret
	{ line; line; } >"$T/in"
	run --separate-stderr sms-send -p sns -R 4 <"$T/in"
	assert_failure 78
	[ "${#lines[@]}" -eq 2 ]
	json_is -s 'all(.sms.status == "skipped" and .sms.error.permanent == false)
		and .[0].sms.error.code == "SignatureDoesNotMatch" and .[0].sms.attempts == 1' <<<"$output"
	[[ "$stderr" == *"sns refused our request (SignatureDoesNotMatch"* ]]
	[[ "$stderr" != *wrong-secret* ]]
	[ "$(requests)" -eq 3 ]
}

@test "eum: SendTextMessage as JSON with X-Amz-Target, signed as sms-voice" {
	run --separate-stderr sms-send -p eum < <(line)
	assert_success
	json_is '.sms.status == "sent" and .sms.provider_id == "eum-1"' <<<"$output"
	json_is '.headers["x-amz-target"] == "PinpointSMSVoiceV2.SendTextMessage"
		and (.headers.authorization | contains("/us-east-1/sms-voice/aws4_request"))
		and .json == {DestinationPhoneNumber: "+14045550101", OriginationIdentity: "+15550001111",
			MessageBody: "Hello Ada", MessageType: "TRANSACTIONAL"}' "$T/log"
	mode '{"mode": "400", "code": "ValidationException", "message": "Invalid DestinationPhoneNumber"}'
	run sms-send -p eum < <(line)
	assert_success
	json_is '.sms.error.code == "ValidationException" and .sms.error.permanent == true' <<<"$output"
	mode '{"mode": "400", "code": "ValidationException", "message": "OriginationIdentity is not valid"}'
	run --separate-stderr sms-send -p eum < <(line)
	assert_failure 78
	json_is '.sms.status == "skipped" and .sms.error.permanent == false' <<<"$output"
}

@test "a refused number is permanent at once: no retry, exit 0" {
	mode '{"mode": "400", "code": 21211}'
	run --separate-stderr sms-send -p twilio < <(line)
	assert_success
	json_is '.sms.status == "failed" and .sms.error.code == "21211" and .sms.error.permanent == true
		and .sms.attempts == 1' <<<"$output"
	[ "$(requests)" -eq 1 ]
	mode '{"mode": "400", "code": "OptedOut"}'
	run -0 sms-send -p sns < <(line)
	json_is '.sms.error.code == "OptedOut" and .sms.error.permanent == true' <<<"$output"
}

@test "a 500 is never retried: the outcome is unknown, exit 75 (Twilio and SNS)" {
	mode '{"mode": "500"}'
	run --separate-stderr sms-send -p twilio -R 3 < <(line)
	assert_failure 75
	json_is '.sms.status == "unknown" and .sms.error.permanent == false and .sms.attempts == 1' <<<"$output"
	[ "$(requests)" -eq 1 ]
	run --separate-stderr sms-send -p sns -R 3 < <(line)
	assert_failure 75
	json_is '.sms.status == "unknown" and .sms.error.code == "InternalError"' <<<"$output"
	[ "$(requests)" -eq 2 ]
}

@test "503 with Retry-After is a refusal: retried, sent on the second attempt" {
	mode '{"mode": "503", "times": 1, "retry_after": 1}'
	run --separate-stderr sms-send -p sns < <(line)
	assert_success
	json_is '.sms.status == "sent" and .sms.attempts == 2' <<<"$output"
	[ "$(requests)" -eq 2 ]
}

@test "a provider that drops the connection after the request: unknown, never posted twice" {
	mode '{"mode": "drop"}'
	run --separate-stderr sms-send -p twilio -R 4 < <(line)
	assert_failure 75
	json_is '.sms.status == "unknown" and .sms.error.code == "network" and .sms.attempts == 1' <<<"$output"
	[ "$(requests)" -eq 1 ]
}

@test "a kept-alive connection closed after reading a request: unknown, never posted again by libcurl" {
	mode '{"mode": "drop-second"}'
	for i in 1 2 3 4 5 6; do
		jq -nc --arg i "$i" '{id: ("A" + $i), phone: ("+1404555010" + $i), due: "confirm", body: "Hello"}'
	done >"$T/in"
	run --separate-stderr sms-send -p twilio -j 1 -R 4 <"$T/in"
	assert_failure 75
	# each number reached the provider once, whatever became of the connection
	[ "$(jq -r .form.To "$T/log" | sort | uniq -d | wc -l)" -eq 0 ] || fail "posted twice: $(cat "$T/log")"
	[ "$(wc -l <"$T/log")" -eq 6 ]
	# what was dropped after the provider read it is unknown, the rest sent
	dropped=$(jq -r 'select(.mode == "drop") | .form.To' "$T/log" | sort)
	[ -n "$dropped" ]
	unknown=$(jq -r 'select(.sms.status == "unknown") | .sms.to' <<<"$output" | sort)
	[ "$dropped" = "$unknown" ] || fail "dropped: $dropped; unknown: $unknown"
	[ "$(jq -r 'select(.sms.status == "sent") | .id' <<<"$output" | wc -l)" -eq $((6 - $(wc -l <<<"$dropped"))) ]
	json_is 'select(.sms.status == "unknown") | .sms.attempts == 1' <<<"$output"
}

@test "a provider that answers after -W: unknown, posted once" {
	mode '{"mode": "slow", "delay": 3}'
	run --separate-stderr sms-send -p twilio -W 1 -R 4 < <(line)
	assert_failure 75
	json_is '.sms.status == "unknown" and .sms.attempts == 1' <<<"$output"
	[ "$(requests)" -eq 1 ]
}

@test "no provider listening: provably not sent, so retried, then failed for now" {
	port=$(free_port)
	TWILIO_API_URL=http://127.0.0.1:$port run --separate-stderr sms-send -p twilio -R 2 < <(line)
	assert_failure 75
	json_is '.sms.status == "failed" and .sms.error.code == "network" and .sms.attempts == 2
		and .sms.error.permanent == false' <<<"$output"
}

@test "a wrong API URL (404) or an AuthorizationError stops the run (78): no conversation is failed" {
	mode '{"mode": "404"}'
	{ line; line; line; } >"$T/in"
	run --separate-stderr sms-send -p twilio <"$T/in"
	assert_failure 78
	[ "${#lines[@]}" -eq 3 ]
	json_is -s 'all(.sms.status == "skipped" and .sms.error.permanent == false)' <<<"$output"
	[ "$(grep -c 'refused our request' <<<"$stderr")" -eq 1 ]
	[ "$(requests)" -eq 1 ]
	mode '{"mode": "400", "status": 403, "code": "AuthorizationError", "message": "not authorized to perform SNS:Publish"}'
	run --separate-stderr sms-send -p sns < <(line)
	assert_failure 78
	json_is '.sms.status == "skipped" and .sms.error.code == "AuthorizationError"' <<<"$output"
	mode '{"mode": "400", "code": "InvalidParameter", "message": "Invalid parameter: PhoneNumber Reason: +1404 is not valid"}'
	run --separate-stderr sms-send -p sns < <(line)
	assert_success
	json_is '.sms.status == "failed" and .sms.error.permanent == true' <<<"$output"
}

@test "429 with Retry-After: the retry waits as told" {
	mode '{"mode": "429", "times": 1, "retry_after": 2}'
	run --separate-stderr sms-send -p twilio < <(line)
	assert_success
	json_is '.sms.status == "sent" and .sms.attempts == 2' <<<"$output"
	run -0 jq -s '.[1].t - .[0].t' "$T/log"
	python3 -c 'import sys; assert float(sys.argv[1]) >= 1.8, sys.argv[1]' "$output"
}

@test "a hanging provider times out (-W): unknown, left for the lease" {
	mode '{"mode": "hang"}'
	run --separate-stderr sms-send -p twilio -W 1 -R 3 < <(line)
	assert_failure 75
	json_is '.sms.status == "unknown" and .sms.error.code == "network" and .sms.error.permanent == false' <<<"$output"
	[ "$(requests)" -eq 1 ]
}

@test "-r spaces requests at the provider" {
	for i in 1 2 3 4 5 6; do line "message $i"; done >"$T/in"
	run --separate-stderr sms-send -p twilio -r 5 -j 6 <"$T/in"
	assert_success
	[ "${#lines[@]}" -eq 6 ]
	run -0 jq -s '(.[-1].t - .[0].t)' "$T/log"
	# 6 messages at 5/s: at least 5 gaps of 0.2 s (generous tolerance)
	python3 -c 'import sys; assert float(sys.argv[1]) >= 0.8, sys.argv[1]' "$output"
}

@test "-j sends in parallel, every line comes back once" {
	mode '{"mode": "ok", "delay": 0.3}'
	for i in $(seq 10); do jq -nc --arg i "$i" '{id: ("A" + $i), phone: "+14045550101", body: ("m" + $i)}'; done >"$T/in"
	run --separate-stderr sms-send -p twilio -r 0 -j 10 <"$T/in"
	assert_success
	[ "$(jq -r .id <<<"$output" | sort | tr '\n' ' ')" = "A1 A10 A2 A3 A4 A5 A6 A7 A8 A9 " ]
	# the mock saw requests overlap
	run -0 jq -s 'map(.inflight) | max' "$T/log"
	[ "$output" -ge 2 ]
	# and one at a time with -j 1
	rm "$T/log"
	sms-send -p twilio -r 0 -j 1 <"$T/in" >/dev/null 2>&1
	run -0 jq -s 'map(.inflight) | max' "$T/log"
	[ "$output" -eq 1 ]
}

@test "segments: GSM-7 with its extension table, UCS-2, emoji" {
	seg() {
		run --separate-stderr sms-send -p log < <(jq -nc --arg b "$1" '{phone: "+14045550101", body: $b}')
		assert_success
		[ "$(jq -r '.sms.encoding + " " + (.sms.segments | tostring)' <<<"$output")" = "$2" ] ||
			fail "body of ${#1} chars: got $(jq -r '.sms.encoding + " " + (.sms.segments | tostring)' <<<"$output"), want $2"
	}
	seg "$(printf 'a%.0s' {1..160})" "gsm7 1"
	seg "$(printf 'a%.0s' {1..161})" "gsm7 2"
	seg "$(printf 'a%.0s' {1..306})" "gsm7 2"
	seg "$(printf 'a%.0s' {1..307})" "gsm7 3"
	seg "$(printf '€%.0s' {1..80})" "gsm7 1"
	seg "$(printf '€%.0s' {1..81})" "gsm7 2"
	seg "Café à Zürich, 5 €" "gsm7 1"
	seg "$(printf 'ж%.0s' {1..70})" "ucs2 1"
	seg "$(printf 'ж%.0s' {1..71})" "ucs2 2"
	seg "$(printf '😀%.0s' {1..35})" "ucs2 1"
	seg "$(printf '😀%.0s' {1..36})" "ucs2 2"
	seg "Hi 😀" "ucs2 1"
	# an escape pair is never split: 152 a + one € do not fit in 153
	seg "$(printf 'a%.0s' {1..152})€$(printf 'a%.0s' {1..10})" "gsm7 2"
	seg "$(printf 'a%.0s' {1..152})€$(printf 'a%.0s' {1..152})" "gsm7 3"
}

@test "-m refuses bodies over N segments, permanently" {
	run --separate-stderr sms-send -p log -m 1 < <(line "$(printf 'a%.0s' {1..200})")
	assert_success
	json_is '.sms.status == "failed" and .sms.error.code == "too_long" and .sms.error.permanent == true
		and .sms.segments == 2' <<<"$output"
}

@test "templates per due: confirm, followup and reminder from -T" {
	cal-parse -n "$FIX/calendly/invitee-created.json" >"$T/a"
	for due in confirm followup reminder; do
		jq -c --arg d "$due" '{id, phone, due: $d, appointment: .}' "$T/a"
	done >"$T/in"
	run --separate-stderr sms-send -p log -T "$BATS_TEST_DIRNAME/../examples/templates" <"$T/in"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	for i in 0 1 2; do
		json_is '.sms.status == "sent" and (.sms.body | contains("Ada") and contains("Tue Nov 25, 10:00 AM EST")
			and contains("https://calendly.com/reschedulings/INV0000000000001") and contains("STOP"))' <<<"${lines[$i]}"
	done
	json_is '.sms.body | contains("YES")' <<<"${lines[0]}"
	[ "$(jq -r .sms.body <<<"$output" | sort -u | wc -l)" -eq 3 ]
}

@test "a template that fails on a line skips that line (65), naming the file; -t gives one template" {
	mkdir "$T/tpl"
	echo 'error("boom")' >"$T/tpl/confirm.jq"
	echo '42' >"$T/tpl/followup.jq"
	echo '"Hi \(.name)"' >"$T/tpl/reminder.jq"
	echo '""' >"$T/tpl/blank.jq"
	{ jq -nc '{phone: "+14045550101", due: "confirm"}'; jq -nc '{phone: "+14045550101", due: "followup"}';
	  jq -nc '{phone: "+14045550101", due: "nothere"}'; jq -nc '{phone: "+14045550101", due: "blank"}';
	  jq -nc '{phone: "+14045550101", due: "reminder", name: "Bo"}'; } >"$T/in"
	run --separate-stderr sms-send -p twilio -T "$T/tpl" <"$T/in"
	assert_failure 65
	[ "${#lines[@]}" -eq 5 ]
	json_is '.sms.status == "skipped" and (.sms.error.message | contains("confirm.jq: boom"))' <<<"${lines[0]}"
	json_is '.sms.status == "skipped" and (.sms.error.message | contains("followup.jq: yields number, not a string"))' <<<"${lines[1]}"
	json_is '.sms.status == "skipped" and (.sms.error.message | contains("nothere.jq"))' <<<"${lines[2]}"
	json_is '.sms.status == "skipped" and (.sms.error.message | contains("blank.jq: yields an empty text"))' <<<"${lines[3]}"
	json_is '.sms.status == "sent" and .sms.body == "Hi Bo"' <<<"${lines[4]}"
	[ "$(requests)" -eq 1 ]
	echo '"To \(.phone)"' >"$T/one.jq"
	run --separate-stderr sms-send -p log -t "$T/one.jq" < <(line)
	assert_success
	json_is '.sms.body == "To +14045550101"' <<<"$output"
}

@test "templates: a jq program sees the line as it is (numbers, keys in order, any script) and its text comes back whole" {
	# sms-send's JSON values and libjq's are two copies of jq's jv: the line
	# crosses to the interpreter as JSON text, and the text back
	jq -nc '{id: "A1", phone: "+14045550101", due: "confirm",
		appointment: {name: "Zoë 山田 🦷", n: 0.1, big: 12345678901234567890, neg: -0, z: {b: 1, a: [true, null, "x\u0000y"]}}}' >"$T/in"
	echo '"\(.appointment.name) \(.appointment.n + 0.2) \(.appointment.big) \(.appointment.z | tojson) \(.appointment.z.a[2] | length) \(.appointment | keys_unsorted | join(","))"' >"$T/t.jq"
	run -0 --separate-stderr sms-send -p log -t "$T/t.jq" <"$T/in"
	expect=$(jq -r -f "$T/t.jq" "$T/in")
	[ -n "$expect" ]
	json_is --arg e "$expect" '.sms.status == "sent" and .sms.body == $e' <<<"$output"
	json_is '.sms.body | startswith("Zoë 山田 🦷 0.30000000000000004 12345678901234567000 {\"b\":1,")' <<<"$output"
	# an error a program raises, with an object for its message, is said
	echo 'error({why: "no"})' >"$T/t.jq"
	run --separate-stderr sms-send -p log -t "$T/t.jq" <"$T/in"
	assert_failure 65
	json_is '.sms.status == "skipped" and (.sms.error.message | endswith("t.jq: no result"))' <<<"$output"
}

@test "templates: a libjq that cannot be loaded is 70, naming its package; without templates it is not needed" {
	# a libjq.so.1 without jq in it, found first
	mkdir "$T/lib"
	echo 'int calsms_not_jq;' | cc -shared -fPIC -x c -o "$T/lib/libjq.so.1" -
	echo '"Hi \(.name)"' >"$T/t.jq"
	LD_LIBRARY_PATH=$T/lib run -70 --separate-stderr sms-send -p log -t "$T/t.jq" < <(line)
	assert_output ""
	[[ "$stderr" == *"libjq.so.1"* && "$stderr" == *"libjq1"* ]] || fail "not said: $stderr"
	[[ "$stderr" != *"does not compile"* ]] || fail "blamed the template: $stderr"
	LD_LIBRARY_PATH=$T/lib run -70 --separate-stderr sms-send --check -t "$T/t.jq"
	# a line with its own body needs no jq program
	LD_LIBRARY_PATH=$T/lib run -0 --separate-stderr sms-send -p log < <(line)
	json_is '.sms.status == "sent" and .sms.body == "Hello Ada"' <<<"$output"
}

@test "templates are checked at start: a missing directory or file, or one that does not compile, is 78" {
	mkdir "$T/tpl"
	echo '"ok"' >"$T/tpl/confirm.jq"
	run --separate-stderr sms-send -p twilio -T "$T/tpl" < <(line)
	assert_failure 78
	assert_output ""
	[[ "$stderr" == *"$T/tpl/followup.jq: missing"* ]]
	echo '"ok"' >"$T/tpl/followup.jq"
	echo 'this is not jq (' >"$T/tpl/reminder.jq"
	run --separate-stderr sms-send -p twilio -T "$T/tpl" < <(line)
	assert_failure 78
	assert_output ""
	[[ "$stderr" == *"$T/tpl/reminder.jq: does not compile"* ]]
	run --separate-stderr sms-send -p twilio -T "$T/nowhere" < <(line)
	assert_failure 78
	[[ "$stderr" == *"$T/nowhere"* ]]
	run --separate-stderr sms-send -p twilio -t "$T/tpl/reminder.jq" < <(line)
	assert_failure 78
	assert_output ""
	[ "$(requests)" -eq 0 ]
}

@test "a line claimed longer ago than the lease is not sent, and says so" {
	jq -nc '{id: "A1", phone: "+14045550101", due: "confirm", body: "hi",
		claim: {kind: "confirm", at: "2025-11-24T15:40:00Z", status: "pending"}}' >"$T/in"
	# A2 claimed from the store a minute ago: the store still says it is due
	store
	appt A2 +14045550101 2025-11-25T15:00:00Z | at -60 conv-store add -q
	at -60 follow-up-due | jq -c '. + {body: "hi"}' >>"$T/in"
	run --separate-stderr sms-send -p twilio -L 10m <"$T/in"
	assert_failure 75
	[ "${#lines[@]}" -eq 2 ]
	json_is '.id == "A1" and .sms.status == "skipped" and .sms.error.code == "lease_expired"' <<<"${lines[0]}"
	json_is '.id == "A2" and .sms.status == "sent"' <<<"${lines[1]}"
	[ "$(requests)" -eq 1 ]
}

@test "missing credentials: a clear error naming the setting, exit 78; -C supplies them" {
	unset TWILIO_AUTH_TOKEN
	run --separate-stderr sms-send -p twilio < <(line)
	assert_failure 78
	assert_output ""
	assert_equal "$stderr" "sms-send: twilio: TWILIO_AUTH_TOKEN is not set (environment or -C file)"
	printf '# twilio\nTWILIO_AUTH_TOKEN="secret-token"\n' >"$T/twilio.env"
	run --separate-stderr sms-send -p twilio -C "$T/twilio.env" < <(line)
	assert_success
	no_secrets "$stderr"
	json_is '.sms.status == "sent"' <<<"$output"
	unset AWS_REGION AWS_SECRET_ACCESS_KEY
	run --separate-stderr sms-send -p sns < <(line)
	assert_failure 78
	[[ "$stderr" == *"AWS_SECRET_ACCESS_KEY is not set"* && "$stderr" == *"AWS_REGION is not set"* ]]
	run -66 sms-send -p sns -C "$T/nonexistent" < <(line)
}

@test "wrong Twilio credentials: not retried, the run stops (78), left for later, no secret in stderr" {
	export TWILIO_AUTH_TOKEN=secret-token-wrong
	run --separate-stderr sms-send -p twilio < <(line)
	assert_failure 78
	json_is '.sms.status == "skipped" and .sms.error.code == "20003" and .sms.error.permanent == false
		and .sms.attempts == 1' <<<"$output"
	no_secrets "$stderr"
}

@test "no provider named: nothing is sent or written, exit 78 with a clear line" {
	unset SMS_PROVIDER
	run --separate-stderr sms-send < <(line)
	assert_failure 78
	assert_output ""
	[[ "$stderr" == *"no provider: set SMS_PROVIDER or -p"* ]]
	SMS_PROVIDER= run --separate-stderr sms-send < <(line)
	assert_failure 78
	assert_output ""
}

@test "the log provider only when asked: masks the phone, and is deterministic" {
	{ line; line; } >"$T/in"
	SMS_PROVIDER=log run --separate-stderr sms-send <"$T/in"
	assert_success
	[[ "$stderr" == *"log: to +1******0101: Hello Ada"* ]]
	[[ "$stderr" != *4045550101* ]]
	[ "${#lines[@]}" -eq 2 ]
	json_is -s 'all(.sms.provider == "log" and .sms.status == "sent")' <<<"$output"
	[ "$(jq -r .sms.provider_id <<<"$output" | sort -u | wc -l)" -eq 1 ]
	[ "$(requests)" -eq 0 ]
}

@test "bad input: not JSON is reported (65); no phone is passed on skipped; a bad number fails" {
	{ echo 'not json'; jq -nc '{id: "x", body: "hi"}'; line "hi" "12"; line; } >"$T/in"
	run --separate-stderr sms-send -p log <"$T/in"
	assert_failure 65
	[ "${#lines[@]}" -eq 3 ]
	[[ "$stderr" == *"stdin:1: "* && "$stderr" == *"stdin:2: no phone or to; skipped"* ]]
	json_is '.id == "x" and .sms.status == "skipped"' <<<"${lines[0]}"
	json_is '.sms.status == "failed" and .sms.error.code == "invalid_number" and .sms.error.permanent == true' <<<"${lines[1]}"
	json_is '.sms.status == "sent"' <<<"${lines[2]}"
}

@test "usage errors exit 64" {
	run -64 sms-send -p carrier-pigeon </dev/null
	run -64 sms-send -t a -T b </dev/null
	run -64 sms-send -j 0 </dev/null
	run -64 sms-send -r fast </dev/null
	run -64 sms-send extra </dev/null
	run -0 sms-send -h
	assert_output --partial "usage: sms-send"
}

@test "the SigV4 signer reproduces AWS's published test vectors" {
	run "$(dirname "$BIN")/build/unit/sigv4-vectors"
	assert_success
	assert_output "ok get-vanilla
ok post-vanilla
ok get-vanilla-query-order-key-case
ok post-x-www-form-urlencoded
ok get-vanilla-with-session-token"
}

@test "templates by event type: DIR/EVENT_SLUG/DUE.jq before DIR/DUE.jq" {
	mkdir -p "$T/tpl/30-minute-consultation" "$T/tpl/dental-cleaning"
	echo '"Default \(.due)"' >"$T/tpl/confirm.jq"
	echo '"Default \(.due)"' >"$T/tpl/followup.jq"
	echo '"Consultation confirmed, \(.appointment.first_name)"' >"$T/tpl/30-minute-consultation/confirm.jq"
	echo '"Cleaning reminder"' >"$T/tpl/dental-cleaning/reminder.jq"
	cal-parse -n "$FIX/calendly/invitee-created.json" >"$T/a"
	{ jq -c '{id, phone, due: "confirm", appointment: .}' "$T/a"
	  jq -c '{id, phone, due: "followup", appointment: .}' "$T/a"
	  jq -c '{id, phone, due: "confirm", appointment: (.event_slug = "other-event")}' "$T/a"
	  jq -c '{id, phone, due: "reminder", appointment: (.event_slug = "dental-cleaning")}' "$T/a"
	  jq -c '{id, phone, due: "confirm", appointment: (.event_slug = "../tpl")}' "$T/a"; } >"$T/in"
	run -0 --separate-stderr sms-send -p log -T "$T/tpl" <"$T/in"
	[ "$(jq -r .sms.body <<<"$output" | paste -sd'|')" = \
		"Consultation confirmed, Ada|Default followup|Default confirm|Cleaning reminder|Default confirm" ]
	# an event type's template is compiled at start too
	echo 'nope (' >"$T/tpl/dental-cleaning/confirm.jq"
	run -78 --separate-stderr sms-send -p log -T "$T/tpl" <"$T/in"
	assert_output ""
	[[ "$stderr" == *"$T/tpl/dental-cleaning/confirm.jq: does not compile"* ]]
}

@test "the Spanish templates, as one event type's directory, answer in Spanish; the rest in English" {
	cp -r "$BATS_TEST_DIRNAME/../examples/templates" "$T/tpl"
	ln -s "$BATS_TEST_DIRNAME/../examples/templates-es" "$T/tpl/consulta-en-espanol"
	cal-parse -n "$FIX/calendly/invitee-created.json" >"$T/a"
	{ for due in confirm followup reminder help; do
		jq -c --arg d "$due" '{id, phone, due: $d, appointment: (.event_slug = "consulta-en-espanol")}' "$T/a"
	  done
	  jq -c '{id, phone, due: "confirm", appointment: .}' "$T/a"; } >"$T/in"
	run -0 --separate-stderr sms-send -p log -T "$T/tpl" <"$T/in"
	[ "${#lines[@]}" -eq 5 ]
	for i in 0 1 2 3; do
		json_is '.sms.status == "sent" and (.sms.body | test("Responda|cita")) and
			(.sms.body | contains("STOP"))' <<<"${lines[$i]}"
	done
	json_is '.sms.body | startswith("Hola Ada, confirmamos su cita 30 Minute Consultation con Dana Host")' <<<"${lines[0]}"
	json_is '.sms.body | startswith("Hi Ada, this confirms your 30 Minute Consultation with Dana Host on Tue Nov 25, 10:00 AM EST at 12 Harbour St")' <<<"${lines[4]}"
}

@test "--check: every template on a sample booking, its words, parts and encoding; nothing sent" {
	cp -r "$BATS_TEST_DIRNAME/../examples/templates" "$T/tpl"
	ln -s "$BATS_TEST_DIRNAME/../examples/templates-es" "$T/tpl/consulta"
	run -0 --separate-stderr env -u SMS_PROVIDER sms-send --check -T "$T/tpl"
	[ "$(jq -r .template <<<"$output" | sed "s|^$T/tpl/||" | paste -sd,)" = \
		"confirm.jq,consulta/confirm.jq,consulta/followup.jq,consulta/help.jq,consulta/reminder.jq,followup.jq,help.jq,reminder.jq" ]
	jq -s -e 'map(select(.template | endswith("/tpl/confirm.jq")))[0] | .segments == 2 and .encoding == "gsm7" and
		(.body | startswith("Hi Ada, this confirms your 30 Minute Consultation with Dana Host"))' <<<"$output"
	jq -s -e 'map(select(.template | endswith("consulta/confirm.jq")))[0] | .encoding == "ucs2" and
		.segments > 1 and (.body | startswith("Hola Ada"))' <<<"$output"
	[ "$(requests)" -eq 0 ]
	echo 'error("no such field")' >"$T/tpl/reminder.jq"
	run -78 --separate-stderr sms-send --check -T "$T/tpl"
	[[ "$stderr" == *"$T/tpl/reminder.jq: no such field"* ]]
	run -64 sms-send --check
}

@test "--check: the carriers' rules: a confirmation says how to opt out; no opt-out word invited for anything else (78)" {
	cp -r "$BATS_TEST_DIRNAME/../examples/templates" "$T/tpl"
	cp "$BATS_TEST_DIRNAME"/../examples/moments/*.jq "$T/tpl/"
	BUSINESS="Harbour Dental" run -0 --separate-stderr sms-send --check -T "$T/tpl"
	assert_equal "$stderr" ""
	# the help answer names the business, or the owner hears of it
	run -0 --separate-stderr env -u BUSINESS sms-send --check -T "$T/tpl"
	[[ "$stderr" == *"$T/tpl/help.jq: warning: BUSINESS is not set"* ]] || fail "stderr: $stderr"
	# the name from calsms.env, as calsms-setup(7) checks the templates
	printf 'BUSINESS=Harbour Dental\n' >"$T/calsms.env"
	run -0 --separate-stderr env -u BUSINESS sms-send --check -C "$T/calsms.env" -T "$T/tpl"
	assert_equal "$stderr" ""
	json_is -s 'any(.template | endswith("/help.jq")) and all(select(.template | endswith("/help.jq")) | .body | startswith("Harbour Dental text you"))' <<<"$output"
	echo '"We text you about your visit. Reply STOP to opt out."' >"$T/tpl/help.jq"
	BUSINESS="Harbour Dental" run -0 --separate-stderr sms-send --check -T "$T/tpl"
	[[ "$stderr" == *"help.jq: warning: the HELP answer does not name the business"* ]] || fail "stderr: $stderr"
	for bad in '"Hi, see you Tuesday. Reply YES to confirm."' \
		'"Hi, see you Tuesday. Reply YES to confirm, stop worrying."'; do
		echo "$bad" >"$T/tpl/confirm.jq"
		run -78 --separate-stderr sms-send --check -T "$T/tpl"
		[[ "$stderr" == *"$T/tpl/confirm.jq: a confirmation must say how to opt out"* ]] || fail "$bad: $stderr"
	done
	cp "$BATS_TEST_DIRNAME/../examples/templates/confirm.jq" "$T/tpl/"
	for bad in '"Still on for Tuesday? Reply CANCEL to cancel. Reply STOP to opt out."' \
		'"Still on for Tuesday? Text END to end your booking."' \
		'"Still on for Tuesday? Reply \"QUIT\" to give up your slot."' \
		'"Still on? Reply STOP to cancel the appointment."' \
		'"Still on? Reply YES to confirm or CANCEL to cancel. Reply STOP to opt out."'; do
		echo "$bad" >"$T/tpl/followup.jq"
		run -78 --separate-stderr sms-send --check -T "$T/tpl"
		[[ "$stderr" == *"$T/tpl/followup.jq: invites the reply "*" for something other than stopping"* ]] ||
			fail "$bad: $stderr"
	done
	for good in '"Still on? Reply YES to confirm, or C to cancel. Reply STOP to opt out."' \
		'"Still on? Reply YES. Text STOP to end messages."' '"Still on? Reply YES. Reply STOP."'; do
		echo "$good" >"$T/tpl/followup.jq"
		BUSINESS=x run -0 --separate-stderr sms-send --check -T "$T/tpl"
	done
}

@test "-C: a settings file others may read or its group may write is refused (78); one over 64 settings too" {
	printf 'SMS_PROVIDER=log\n' >"$T/sms.env"
	for mode in 0644 0666 0660 0604; do
		chmod "$mode" "$T/sms.env"
		run --separate-stderr sms-send -C "$T/sms.env" < <(line)
		assert_failure 78
		assert_output ""
		[[ $stderr == *"$T/sms.env: mode $mode: a settings file must be 0600 or 0640"* ]] || fail "$mode: $stderr"
	done
	for mode in 0600 0640 0400; do
		chmod "$mode" "$T/sms.env"
		run -0 --separate-stderr env -u SMS_PROVIDER sms-send -C "$T/sms.env" < <(line)
		json_is '.sms.status == "sent" and .sms.provider == "log"' <<<"$output"
	done
	chmod 0600 "$T/sms.env"
	for i in $(seq 70); do echo "SETTING_$i=x"; done >>"$T/sms.env"
	run --separate-stderr sms-send -C "$T/sms.env" < <(line)
	assert_failure 78
	[[ $stderr == *"more than 64 settings"* ]] || fail "$stderr"
}

@test "a closed stdout (the recorder gone) is 74, not death by SIGPIPE, and nothing more is sent" {
	for i in 1 2 3 4 5; do line "hi $i" "+1404555010$i"; done >"$T/lines"
	IN=$T/lines run -0 closed_stdout sms-send -p log
	assert_line --index 0 74
	assert_line --partial "standard output is closed"
	[ "$(grep -c 'log: to' <<<"$output")" -eq 1 ]
	IN=$T/lines run -0 closed_stdout sms-send -p twilio
	assert_line --index 0 74
	assert_line --partial "standard output is closed"
}

@test "DIR/EVENT_SLUG/off: that event type is never texted; the store marks it never due; others are" {
	cp -r "$BATS_TEST_DIRNAME/../examples/templates" "$T/tpl"
	mkdir "$T/tpl/30-minute-consultation"
	touch "$T/tpl/30-minute-consultation/off"
	store
	cal-parse -n "$FIX/calendly/invitee-created.json" | conv-store add -q
	cal-parse -n "$FIX/calendly/invitee-created-question-phone.json" |
		jq -c '.event_slug = "dental-cleaning"' | conv-store add -q
	run -0 --separate-stderr bash -o pipefail -c \
		'follow-up-due | sms-send -p twilio -T "$0" | conv-store record' "$T/tpl"
	[ "$(requests)" -eq 1 ]
	json_is '.form.To == "+447700900123"' "$T/log"
	conv_is INV0000000000001 '.status == "pending" and .skip == "off" and .claim == null and .messages == []'
	conv_is INV0000000000003 '.status == "awaiting_reply"'
	run -0 follow-up-due
	assert_output ""
	CALSMS_NOW=$((CALSMS_NOW + 3600)) run -0 follow-up-due -r 24h
	refute_output --partial INV0000000000001
	run -0 conv-store check
}

@test "templates: sms-send(1)'s one-template language switch reads the booking form's answer" {
	# the template exactly as the manual prints it
	mandoc -Tascii -O width=200 "$BATS_TEST_DIRNAME/../man/sms-send.1" | sed "s/.\x08//g" |
		awk '/says, in one template/ { on = 1; next } on && /^ +\(\.appointment/ { go = 1 }
			go && /^ *$/ { exit } go { sub(/^           /, ""); print }' >"$T/confirm.jq"
	grep -q 'any(test' "$T/confirm.jq" || fail "no template in the manual: $(cat "$T/confirm.jq")"
	line() {
		jq -nc --arg lang "$1" '{id: "A1", phone: "+14045550101", due: "confirm",
			appointment: {first_name: "Ana", start_local: "Tue Nov 25, 10:00 AM EST",
			answers: [{question: "Phone", answer: "+1 404"}, {question: "Language / Idioma", answer: $lang}]}}'
	}
	run -0 --separate-stderr sms-send -p log -t "$T/confirm.jq" < <(line "Español")
	[ "$(jq -r .sms.body <<<"$output")" = "Hola Ana, confirmamos su cita el Tue Nov 25, 10:00 AM EST. Responda SI para confirmar, STOP para no recibir mas mensajes." ]
	run -0 --separate-stderr sms-send -p log -t "$T/confirm.jq" < <(line "English")
	[[ "$(jq -r .sms.body <<<"$output")" == "Hi Ana, this confirms"* ]]
}
