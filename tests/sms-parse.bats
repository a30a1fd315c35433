#!/usr/bin/env bats
# sms-parse: Twilio's signed webhooks through http-hook, into the store.
load helper

START=2025-11-25T15:00:00Z
URL=https://hooks.example.com/twilio
TOKEN=twilio-test-token

setup() {
	export CALSMS_NOW=1764000000 TWILIO_AUTH_TOKEN=$TOKEN SMS_PARSE_URL=$URL
	T=$BATS_TEST_TMPDIR
	unset HTTP_X_TWILIO_SIGNATURE CONTENT_TYPE QUERY_STRING
}

# form NAME=VALUE...: a form body, each part escaped as Twilio does
form() {
	python3 -c 'import sys, urllib.parse
print(urllib.parse.urlencode([tuple(a.split("=", 1)) for a in sys.argv[1:]]), end="")' "$@"
}

# tsign BODYFILE [URL [TOKEN]]: X-Twilio-Signature, computed independently
tsign() {
	python3 -c 'import sys, hmac, hashlib, base64, urllib.parse
body = open(sys.argv[1]).read()
pairs = sorted(urllib.parse.parse_qsl(body, keep_blank_values=True))
s = sys.argv[2] + "".join(k + v for k, v in pairs)
print(base64.b64encode(hmac.new(sys.argv[3].encode(), s.encode(), hashlib.sha1).digest()).decode(), end="")' \
		"$1" "${2:-$URL}" "${3:-$TOKEN}"
}

# post BODYFILE [SIGNATURE]: the webhook through http-hook and examples/on-sms
post() {
	local sig=${2-$(tsign "$1")}
	{
		printf 'POST /twilio HTTP/1.1\r\nHost: hooks.example.com\r\n'
		printf 'Content-Type: application/x-www-form-urlencoded\r\n'
		[ -z "$sig" ] || printf 'X-Twilio-Signature: %s\r\n' "$sig"
		printf 'Content-Length: %d\r\n\r\n' "$(wc -c <"$1")"
		cat "$1"
	} | http-hook -q /twilio="$BATS_TEST_DIRNAME/../examples/on-sms"
}

status_line() { head -n1 <<<"$1" | tr -d '\r'; }

inbound() {	# inbound BODY [SID [extra NAME=VALUE...]]
	local body=$1 sid=${2:-SM1}
	shift 2 2>/dev/null || shift
	form "MessageSid=$sid" "AccountSid=AC123" "From=+14045550101" "To=+15005550006" \
		"Body=$body" "NumMedia=0" "SmsStatus=received" "$@" >"$T/in"
}

confirmed() {	# a booking for +14045550101, its confirmation sent as SMc1
	appt A1 +14045550101 $START | conv-store add |
		jq -c '. + {sms: {status: "sent", provider: "twilio", provider_id: "SMc1", body: "hi",
			segments: 1, error: null, at: "2025-11-24T16:00:00Z"}}' | conv-store record >/dev/null
}

@test "Twilio's published signature vectors, with the port variants" {
	form CallSid=CA1234567890ABCDE Caller=+14158675309 Digits=1234 From=+14158675309 To=+18005551212 >"$T/v"
	export TWILIO_AUTH_TOKEN=12345
	run -0 sms-parse -p twilio -u 'https://mycompany.com/myapp.php?foo=1&bar=2' -s RSOYDt4T1cUTdK1PDd93/VVr8B8= "$T/v"
	assert_output ""
	run -0 sms-parse -p twilio -u 'https://mycompany.com:443/myapp.php?foo=1&bar=2' -s kvajT1Ptam85bY51eRf/AJRuM3w= "$T/v"
	run -0 sms-parse -p twilio -u 'http://mycompany.com:80/myapp.php?foo=1&bar=2' -s 0ZXoZLH/DfblKGATFgpif+LLRf4= "$T/v"
	run -0 sms-parse -p twilio -u 'https://mycompany.com:443/myapp.php?foo=1&bar=2' -s RSOYDt4T1cUTdK1PDd93/VVr8B8= "$T/v"
	run -77 sms-parse -p twilio -u 'https://mycompany.com/myapp.php?foo=1&bar=3' -s RSOYDt4T1cUTdK1PDd93/VVr8B8= "$T/v"
}

@test "a signed YES through http-hook is recorded, answered with empty TwiML, and cancels the follow-up" {
	confirmed
	inbound "Yes, see you then"
	run -0 post "$T/in"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	assert_output --partial $'Content-Type: text/xml\r'
	assert_output --partial "<Response/>"
	conv_is A1 '.status == "replied" and .replies[0].intent == "confirm"
		and .replies[0].provider_id == "SM1" and .replies[0].body == "Yes, see you then"'
	run -0 at 1800 follow-up-due
	assert_output ""
	# Twilio retries: the same message again is kept once
	run -0 post "$T/in"
	conv_is A1 '(.replies | length) == 1'
}

@test "STOP (and Twilio's OptOutType) opts the number out; nothing more is sent" {
	confirmed
	inbound "stop please" SM2
	run -0 post "$T/in"
	conv_is A1 '.status == "opted_out" and .replies[0].intent == "stop"'
	run -0 conv-store dump
	[ "$(jq -s 'map(select(.optout.phone == "+14045550101")) | length' <<<"$output")" -eq 1 ]
	run -0 at 1800 follow-up-due
	assert_output ""
	inbound "whatever" SM3 OptOutType=START
	run -0 sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
	jq -e '.intent == "start" and .from == "+14045550101" and .provider == "twilio"' <<<"$output"
}

@test "a status callback becomes a receipt on the message; one for an unknown message is kept" {
	confirmed
	form MessageSid=SMc1 MessageStatus=undelivered ErrorCode=30003 AccountSid=AC123 >"$T/in"
	run -0 sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
	jq -e '.type == "receipt" and .provider_id == "SMc1" and .status == "undelivered"
		and .error.code == "30003" and .at == "2025-11-24T16:00:00Z"' <<<"$output"
	run -0 post "$T/in"
	conv_is A1 '.messages[0].delivery == "undelivered" and .messages[0].delivery_error.code == "30003"'
	run -0 conv-store stats
	jq -e '.undelivered == 1' <<<"$output"
	form MessageSid=SMzz MessageStatus=delivered >"$T/in"
	run -0 post "$T/in"
	run -0 conv-store list --orphans
	jq -e '.orphan.type == "receipt" and .orphan.provider_id == "SMzz"' <<<"$output"
}

@test "forged, unsigned, re-signed for another URL or token: 401, nothing stored" {
	confirmed
	inbound "YES"
	sig=$(tsign "$T/in")
	sed -i 's/YES/NO/' "$T/in"
	run -0 --separate-stderr post "$T/in" "$sig"
	assert_equal "$(status_line "$output")" "HTTP/1.1 401 Unauthorized"
	run -0 --separate-stderr post "$T/in" ""
	assert_equal "$(status_line "$output")" "HTTP/1.1 401 Unauthorized"
	run -0 --separate-stderr post "$T/in" "$(tsign "$T/in" https://other.example.com/twilio)"
	assert_equal "$(status_line "$output")" "HTTP/1.1 401 Unauthorized"
	run -0 --separate-stderr post "$T/in" "$(tsign "$T/in" "$URL" wrong-token)"
	assert_equal "$(status_line "$output")" "HTTP/1.1 401 Unauthorized"
	conv_is A1 '.status == "awaiting_reply" and .replies == []'
	run --separate-stderr sms-parse -p twilio -s "$sig" "$T/in"
	assert_failure 77
	assert_output ""
}

@test "form decoding: +, escapes, repeated names and empty values; a bad escape is 65" {
	printf 'MessageSid=SM9&From=%%2B14045550101&To=&Body=caf%%C3%%A9+ok&Body=second&NumMedia=0' >"$T/in"
	run -0 sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
	jq -e '.body == "café ok" and .to == "" and .from == "+14045550101" and .intent == "other"' <<<"$output"
	for bad in 'Body=%zz&MessageSid=SM1' 'Body=100%&MessageSid=SM1' 'Body=%C3%28&MessageSid=SM1' '=x&MessageSid=SM1'; do
		printf '%s' "$bad" >"$T/in"
		run --separate-stderr sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
		assert_failure 65
		assert_output ""
	done
	printf 'Body=%%zz' >"$T/bad"
	run -0 --separate-stderr post "$T/bad" "$(tsign "$T/in")"
	assert_equal "$(status_line "$output")" "HTTP/1.1 400 Bad Request"
}

@test "a JSON body is verified through bodySHA256 in the URL" {
	printf '{"event":"x"}' >"$T/j"
	h=$(sha256sum "$T/j" | cut -d' ' -f1)
	u="$URL?bodySHA256=$h"
	sig=$(python3 -c 'import sys, hmac, hashlib, base64
print(base64.b64encode(hmac.new(sys.argv[2].encode(), sys.argv[1].encode(), hashlib.sha1).digest()).decode(), end="")' "$u" "$TOKEN")
	CONTENT_TYPE=application/json run -0 sms-parse -p twilio -u "$u" -s "$sig" "$T/j"
	assert_output ""
	printf '{"event":"y"}' >"$T/j"
	CONTENT_TYPE=application/json run -77 sms-parse -p twilio -u "$u" -s "$sig" "$T/j"
}

@test "settings: no token is 78, no URL is 64, -n with a token is 64, -p is required" {
	inbound "YES"
	run --separate-stderr env -u TWILIO_AUTH_TOKEN sms-parse -p twilio -s x "$T/in"
	assert_failure 78
	[[ "$stderr" == *"TWILIO_AUTH_TOKEN is not set"* ]]
	run --separate-stderr env -u SMS_PARSE_URL sms-parse -p twilio -s x "$T/in"
	assert_failure 64
	[[ "$stderr" == *"-u or SMS_PARSE_URL"* ]]
	run -64 sms-parse -p twilio -n "$T/in"
	run -0 env -u TWILIO_AUTH_TOKEN sms-parse -p twilio -n "$T/in"
	jq -e '.type == "reply" and .body == "YES"' <<<"$output"
	run -64 sms-parse "$T/in"
	run -64 sms-parse -p carrier-pigeon "$T/in"
	run -0 sms-parse -h
	assert_output --partial "usage: sms-parse"
}
