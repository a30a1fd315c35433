#!/usr/bin/env bats
# sms-parse: Twilio's signed webhooks through http-hook, into the store.
load helper
load webhooks

START=2025-11-25T15:00:00Z
URL=https://hooks.example.com/twilio
TOKEN=twilio-test-token

setup() {
	export CALSMS_NOW=1764000000 TWILIO_AUTH_TOKEN=$TOKEN SMS_PARSE_URL=$URL
	T=$BATS_TEST_TMPDIR
	unset HTTP_X_TWILIO_SIGNATURE CONTENT_TYPE QUERY_STRING
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
	run -0 --separate-stderr sms-parse -p twilio -u 'https://mycompany.com/myapp.php?foo=1&bar=2' -s RSOYDt4T1cUTdK1PDd93/VVr8B8= "$T/v"
	assert_output ""
	[[ "$stderr" == *"neither a message nor a status callback; ignored"* ]]
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
	json_is '.intent == "start" and .from == "+14045550101" and .provider == "twilio"' <<<"$output"
}

@test "a status callback becomes a receipt on the message; one for an unknown message is kept" {
	confirmed
	form MessageSid=SMc1 MessageStatus=undelivered ErrorCode=30003 AccountSid=AC123 >"$T/in"
	run -0 sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
	json_is '.type == "receipt" and .provider_id == "SMc1" and .status == "undelivered"
		and .error.code == "30003" and .at == "2025-11-24T16:00:00Z"' <<<"$output"
	run -0 post "$T/in"
	conv_is A1 '.messages[0].delivery == "undelivered" and .messages[0].delivery_error.code == "30003"'
	run -0 conv-store stats
	json_is '.undelivered == 1' <<<"$output"
	form MessageSid=SMzz MessageStatus=delivered >"$T/in"
	run -0 post "$T/in"
	run -0 conv-store list --orphans
	json_is '.orphan.type == "receipt" and .orphan.provider_id == "SMzz"' <<<"$output"
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
	json_is '.body == "café ok" and .to == "" and .from == "+14045550101" and .intent == "other"' <<<"$output"
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
	CONTENT_TYPE=application/json run -0 --separate-stderr sms-parse -p twilio -u "$u" -s "$sig" "$T/j"
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
	json_is '.type == "reply" and .body == "YES"' <<<"$output"
	run -64 sms-parse "$T/in"
	run -64 sms-parse -p carrier-pigeon "$T/in"
	run -0 sms-parse -h
	assert_output --partial "usage: sms-parse"
}

# ---- Amazon SNS ----

teardown() {
	stop_started
}

# sns BODYFILE: the message through http-hook and examples/on-sms-aws
sns() {
	{
		printf 'POST /aws HTTP/1.1\r\nHost: hooks.example.com\r\nContent-Type: text/plain; charset=UTF-8\r\n'
		printf 'x-amz-sns-message-type: %s\r\n' "$(jq -r .Type "$1")"
		printf 'Content-Length: %d\r\n\r\n' "$(wc -c <"$1")"
		cat "$1"
	} | http-hook -q /aws="$BATS_TEST_DIRNAME/../examples/on-sms-aws"
}

@test "sns: a signed inbound SMS (SignatureVersion 1 and 2) through http-hook is a reply in the store" {
	sns_setup
	confirmed
	snsmsg Notification "$(inbound_sms "Yes, I'll be there")" 1 "" "$CERT" >"$T/m"
	run -0 --separate-stderr sns "$T/m"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	conv_is A1 '.status == "replied" and .replies[0].intent == "confirm" and .replies[0].provider_id == "in-1"'
	run -0 at 1800 follow-up-due
	assert_output ""
	snsmsg Notification "$(inbound_sms "STOP" | jq -c '.inboundMessageId = "in-2"')" 2 "" "$CERT" >"$T/m2"
	run -0 sms-parse -p sns -a "$TOPIC" -c "$T/cache" "$T/m2"
	json_is '.type == "reply" and .intent == "stop" and .from == "+14045550101" and .provider == "sns"' <<<"$output"
}

# each phrase of tests/fixtures/intents.tsv and the intent wanted from one provider
intents_of() {	# intents_of twilio|sns
	local phrase tw aws want got n=0
	# Twilio's forms and signatures for every phrase, from one Python
	[ "$1" != twilio ] || python3 - "$FIX/intents.tsv" "$T" "$URL" "$TOKEN" <<'PYTSV'
import sys, hmac, hashlib, base64, urllib.parse
tsv, d, url, token = sys.argv[1:]
n = 0
for line in open(tsv, encoding="utf-8"):
    phrase = line.rstrip("\n").split("\t")[0]
    if phrase.startswith("#"):
        continue
    n += 1
    pairs = [("MessageSid", "SM%d" % n), ("From", "+14045550101"), ("Body", phrase)]
    open("%s/in.%d" % (d, n), "w").write(urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote))
    s = url + "".join(k + v for k, v in sorted(pairs))
    sig = base64.b64encode(hmac.new(token.encode(), s.encode(), hashlib.sha1).digest()).decode()
    open("%s/sig.%d" % (d, n), "w").write(sig)
PYTSV
	# SNS's signed messages for every phrase, from one Python
	if [ "$1" = sns ]; then
		while IFS=$'\t' read -r phrase _; do
			case $phrase in '#'*) continue ;; esac
			inbound_sms "$phrase"
		done <"$FIX/intents.tsv" >"$T/messages"
		snsmsgs 2 "$CERT" "$T" "$T/messages"
	fi
	while IFS=$'\t' read -r phrase tw aws; do
		case $phrase in '#'*) continue ;; esac
		n=$((n + 1))
		if [ "$1" = twilio ]; then
			want=$tw
			run -0 sms-parse -p twilio -s "$(cat "$T/sig.$n")" "$T/in.$n"
		else
			want=$aws
			run -0 sms-parse -p sns -a "$TOPIC" "$T/in.$n"
		fi
		got=$(jq -r .intent <<<"$output")
		[ "$got" = "$want" ] || fail "$1: \"$phrase\" is $want, not $got"
	done <"$FIX/intents.tsv"
	[ "$n" -gt 50 ] || fail "only $n phrases read"
}

@test "intents: every phrase of the table, from Twilio (whole messages)" {
	intents_of twilio
}

@test "intents: every phrase of the table, from AWS (a message that begins with a keyword)" {
	sns_setup
	intents_of sns
}

@test "intents: a phrase that asks to stop opts the number out through conv-store reply too" {
	confirmed
	while IFS=$'\t' read -r phrase tw _; do
		[ "$tw" = stop ] || continue
		jq -nc --arg b "$phrase" '{type: "reply", from: "+14045550101", body: $b, intent: "other",
			provider: "twilio", provider_id: ("x" + $b)}'
	done <"$FIX/intents.tsv" >"$T/replies"
	run -0 conv-store reply <"$T/replies"
	conv_is A1 '.status == "opted_out" and ([.replies[].intent] | unique) == ["stop"]'
	[ "$(jq -s length "$T/replies")" -gt 30 ]
}

@test "sns: a delivery event is a receipt on the message it names" {
	sns_setup
	confirmed
	ev=$(jq -nc '{eventType: "TEXT_CARRIER_UNREACHABLE", eventVersion: "1.0", eventTimestamp: 1764000060000,
		messageId: "SMc1", messageStatus: "CARRIER_UNREACHABLE", messageStatusDescription: "unreachable"}')
	snsmsg Notification "$ev" 2 "" "$CERT" >"$T/m"
	run -0 sms-parse -p sns -a "$TOPIC" "$T/m"
	json_is '.type == "receipt" and .provider_id == "SMc1" and .status == "undelivered"
		and .error.code == "TEXT_CARRIER_UNREACHABLE" and .at == "2025-11-24T16:01:00Z"' <<<"$output"
	run -0 --separate-stderr sns "$T/m"
	conv_is A1 '.messages[0].delivery == "undelivered"'
}

@test "sns: a subscription is confirmed by visiting its SubscribeURL; one on another host is refused" {
	sns_setup
	store
	echo '<ConfirmSubscriptionResponse/>' >"$T/www/confirm-me"
	snsmsg SubscriptionConfirmation "You have chosen to subscribe" 1 "" "$CERT" \
		"http://127.0.0.1:$CPORT/confirm-me" >"$T/m"
	run -0 --separate-stderr sms-parse -p sns -a "$TOPIC" "$T/m"
	assert_output ""
	grep -q 'GET /confirm-me' "$T/www.log"
	snsmsg SubscriptionConfirmation "x" 1 "" "$CERT" "https://evil.example.com/confirm" >"$T/m"
	run --separate-stderr sms-parse -p sns -a "$TOPIC" "$T/m"
	assert_failure 77
	run -1 grep -q 'evil' "$T/www.log"
}

@test "sns: forged, unsigned (raw delivery), other topics, certificates elsewhere: 401, nothing stored" {
	sns_setup
	confirmed
	snsmsg Notification "$(inbound_sms YES)" 1 "" "$CERT" | jq -c '.Message |= sub("YES"; "NO")' >"$T/m"
	run -0 --separate-stderr sns "$T/m"
	assert_equal "$(status_line "$output")" "HTTP/1.1 401 Unauthorized"
	inbound_sms YES >"$T/m"
	run --separate-stderr sms-parse -p sns -a "$TOPIC" "$T/m"
	assert_failure 77
	[[ "$stderr" == *"raw message delivery carries no signature"* ]]
	snsmsg Notification "$(inbound_sms YES)" 1 arn:aws:sns:us-east-1:123456789012:other "$CERT" >"$T/m"
	run -77 sms-parse -p sns -a "$TOPIC" "$T/m"
	for url in https://evil.example.com/cert.pem https://sns.us-east-1.amazonaws.com.evil.example/c.pem \
	    https://sns.us-east-1.amazonaws.com/cert.txt http://sns.us-east-1.amazonaws.com/cert.pem \
	    "http://127.0.0.2:$CPORT/certs/sns.pem"; do
		snsmsg Notification "$(inbound_sms YES)" 1 "" "$url" >"$T/m"
		run --separate-stderr sms-parse -p sns -a "$TOPIC" "$T/m"
		assert_failure 77
		[[ "$stderr" == *"SigningCertURL"* ]]
	done
	snsmsg Notification "$(inbound_sms YES)" 3 "" "$CERT" >"$T/m" || true
	run -77 sms-parse -p sns -a "$TOPIC" "$T/m"
	printf 'not json' >"$T/m"
	run -65 sms-parse -p sns -a "$TOPIC" "$T/m"
	conv_is A1 '.status == "awaiting_reply" and .replies == []'
	[ "$(grep -c 'GET /certs' "$T/www.log")" -le 1 ]
	run -64 sms-parse -p sns "$T/m"
}

@test "sns: a signed notification more than an hour old is a replay: 77 (401), nothing stored" {
	sns_setup
	confirmed
	SNS_AGE=3700 snsmsg Notification "$(inbound_sms "STOP")" 2 "" "$CERT" >"$T/m"
	run --separate-stderr sms-parse -p sns -a "$TOPIC" "$T/m"
	assert_failure 77
	assert_output ""
	[[ $stderr == *"more than an hour old"* ]] || fail "stderr: $stderr"
	run -0 --separate-stderr sns "$T/m"
	assert_equal "$(status_line "$output")" "HTTP/1.1 401 Unauthorized"
	conv_is A1 '.status == "awaiting_reply" and .replies == []'
	SNS_AGE=3000 snsmsg Notification "$(inbound_sms "STOP")" 2 "" "$CERT" >"$T/m"
	run -0 --separate-stderr sns "$T/m"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	conv_is A1 '.status == "opted_out"'
}

@test "a signed Twilio webhook replayed a day later (Twilio signs no time) is a no-op: its MessageSid was seen" {
	confirmed
	inbound "STOP" SMs1
	cp "$T/in" "$T/stop"
	run -0 post "$T/stop"
	conv_is A1 '.status == "opted_out"'
	inbound "START" SMs2
	CALSMS_NOW=$((CALSMS_NOW + 60)) run -0 post "$T/in"
	CALSMS_NOW=$((CALSMS_NOW + 86400)) run -0 --separate-stderr post "$T/stop"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	conv_is A1 '(.replies | length) == 2'
	CALSMS_NOW=$((CALSMS_NOW + 86460)) run -0 conv-store add < <(appt B1 +14045550101 2025-11-30T15:00:00Z)
	json_is '.status == "pending" and .due == "confirm"' <<<"$output"
}

@test "sns: the certificate is fetched once and then read from the cache" {
	sns_setup
	snsmsg Notification "$(inbound_sms YES)" 1 "" "$CERT" >"$T/m"
	run -0 sms-parse -p sns -a "$TOPIC" -c "$T/cache" "$T/m"
	json_is '.type == "reply"' <<<"$output"
	rm "$T/www/certs/sns.pem"
	run -0 sms-parse -p sns -a "$TOPIC" -c "$T/cache" "$T/m"
	json_is '.type == "reply"' <<<"$output"
	[ "$(grep -c 'GET /certs/sns.pem' "$T/www.log")" -eq 1 ]
	run -75 sms-parse -p sns -a "$TOPIC" -c "$T/elsewhere" "$T/m"
}

# help_sent: follow-up-due -H through help.jq to the log provider, recorded
help_round() {
	CALSMS_NOW=$((CALSMS_NOW + 60)) run -0 --separate-stderr bash -o pipefail -c 'follow-up-due -H |
		BUSINESS="Harbour Dental" sms-send -p log -T "$0" | conv-store record' \
		"$BATS_TEST_DIRNAME/../examples/templates"
}

@test "HELP that Twilio answered (its default handling, or OptOutType=HELP) is recorded, and no second answer goes" {
	confirmed
	inbound "HELP" SMh1
	run -0 post "$T/in"
	inbound "Info" SMh2
	run -0 post "$T/in"
	inbound "help?" SMh3 OptOutType=HELP
	run -0 post "$T/in"
	conv_is A1 '.status == "awaiting_reply" and .help == null and ([.replies[].intent] | unique) == ["help"]
		and ([.replies[].answered_by] | unique) == ["twilio"] and (.replies | length) == 3'
	help_round
	assert_output ""
	conv_is A1 '(.messages | length) == 1'
	run -0 at 1800 follow-up-due -H
	json_is '.due == "followup"' <<<"$output"
}

@test "HELP Twilio does not answer (AYUDA, or -H) is answered once through the sender (help.jq) and is no answer" {
	confirmed
	inbound "AYUDA" SMh1
	run -0 post "$T/in"
	conv_is A1 '.status == "awaiting_reply" and .help == "due" and .replies[0].intent == "help"
		and .replies[0].answered_by == null'
	run -0 follow-up-due
	assert_output ""
	help_round
	[ "${#lines[@]}" -eq 1 ]
	conv_is A1 '.help == "sent" and .messages[1].kind == "help" and .status == "awaiting_reply"
		and (.messages[1].body | contains("Harbour Dental") and contains("STOP"))'
	run -0 at 120 follow-up-due -H
	assert_output ""
	run -0 at 1800 follow-up-due -H
	json_is '.due == "followup"' <<<"$output"
	# with Twilio's keyword handling off, the business answers HELP itself
	inbound "HELP" SMh2
	run -0 sms-parse -p twilio -H -s "$(tsign "$T/in")" "$T/in"
	json_is '.intent == "help" and has("answered_by") == false' <<<"$output"
	SMS_PARSE_ANSWER_HELP=yes run -0 sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
	json_is '.intent == "help" and has("answered_by") == false' <<<"$output"
	run -0 sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
	json_is '.intent == "help" and .answered_by == "twilio"' <<<"$output"
}

@test "sns: AWS answers a message that begins with HELP; calsms answers none of them, unless -H" {
	sns_setup
	confirmed
	snsmsg Notification "$(inbound_sms "HELP me please")" 2 "" "$CERT" >"$T/m"
	run -0 --separate-stderr sns "$T/m"
	conv_is A1 '.help == null and .replies[0].intent == "help" and .replies[0].answered_by == "aws"'
	help_round
	assert_output ""
	run -0 sms-parse -p sns -H -a "$TOPIC" "$T/m"
	json_is '.intent == "help" and has("answered_by") == false' <<<"$output"
	snsmsg Notification "$(inbound_sms "AYUDA" | jq -c '.inboundMessageId = "in-2"')" 2 "" "$CERT" >"$T/m"
	run -0 sms-parse -p sns -a "$TOPIC" "$T/m"
	json_is '.intent == "help" and has("answered_by") == false' <<<"$output"
}

@test "the public URL is set in one place: CALSMS_URL and the route http-hook ran" {
	store
	confirmed
	inbound "YES" SMr9
	sig=$(tsign "$T/in")
	export -n SMS_PARSE_URL
	unset SMS_PARSE_URL
	CALSMS_URL=https://hooks.example.com/ run -0 post "$T/in" "$sig"
	[ "$(status_line "$output")" = "HTTP/1.1 200 OK" ]
	conv_is A1 '.replies == [.replies[0]] and .replies[0].intent == "confirm"'
	# the same request, the base URL wrong: refused
	inbound "NO" SMr10
	sig=$(tsign "$T/in")
	CALSMS_URL=https://other.example.com run -0 --separate-stderr post "$T/in" "$sig"
	[[ "$stderr" == *"X-Twilio-Signature does not match"* ]]
	[ "$(status_line "$output")" = "HTTP/1.1 401 Unauthorized" ]
	conv_is A1 '(.replies | length) == 1'
}

@test "sns: an event time no clock can hold (found by fuzzing) is the time it arrived, not undefined behaviour" {
	sns_setup
	ev=$(jq -nc '{eventType: "TEXT_DELIVERED", eventTimestamp: 1e70, messageId: "SMc1"}')
	snsmsg Notification "$ev" 2 "" "$CERT" >"$T/m"
	run -0 sms-parse -p sns -a "$TOPIC" "$T/m"
	json_is '.type == "receipt" and .at == "2025-11-24T16:00:00Z"' <<<"$output"
	ev=$(jq -nc '{eventType: "TEXT_DELIVERED", eventTimestamp: -5e20, messageId: "SMc1"}')
	snsmsg Notification "$ev" 2 "" "$CERT" >"$T/m"
	run -0 sms-parse -p sns -a "$TOPIC" "$T/m"
	json_is '.at == "2025-11-24T16:00:00Z"' <<<"$output"
}

@test "an MMS with a picture and no text is a reply (body \"\", num_media); what cannot be classified says so" {
	form "MessageSid=MM1" "AccountSid=AC123" "From=+14045550101" "To=+15005550006" \
		"NumMedia=1" "MediaUrl0=https://api.twilio.com/media/ME1" "MediaContentType0=image/jpeg" \
		"SmsStatus=received" >"$T/in"
	run -0 --separate-stderr sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
	json_is '.type == "reply" and .body == "" and .num_media == 1 and .intent == "other" and .provider_id == "MM1"' <<<"$output"
	confirmed
	conv-store reply <<<"$output" >/dev/null
	conv_is A1 '.status == "replied" and .replies[0].body == ""'
	form "MessageSid=SM7" "AccountSid=AC123" "From=+14045550101" >"$T/in"
	run -0 --separate-stderr sms-parse -p twilio -s "$(tsign "$T/in")" "$T/in"
	assert_output ""
	[[ "$stderr" == *"SM7: neither a message"*"ignored"* ]]
}

@test "the owner hook named in calsms.env gets each stored reply; notify-owner there mails the owner; a failing hook is not the webhook's" {
	confirmed
	mkdir "$T/bin"
	printf '#!/bin/sh\ncat >>"%s/mail"\n' "$T" >"$T/bin/sendmail"
	chmod +x "$T/bin/sendmail"
	printf 'CALSMS_OWNER_HOOK=%s\nOWNER_EMAIL=owner@example.com\n' \
		"$BATS_TEST_DIRNAME/../examples/notify-owner" >"$T/calsms.env"
	inbound "No, I cannot come" SMn1
	PATH="$T/bin:$PATH" CALSMS_CONF=$T/calsms.env run -0 --separate-stderr post "$T/in"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	grep -q '^To: owner@example.com' "$T/mail" || fail "no mail; stderr: $stderr"
	grep -q 'decline: No, I cannot come' "$T/mail"
	# a hook that fails: the reply is stored, Twilio gets its 200, the log says so
	printf '#!/bin/sh\ncat >/dev/null; exit 3\n' >"$T/bad-hook"
	chmod +x "$T/bad-hook"
	printf 'CALSMS_OWNER_HOOK=%s\n' "$T/bad-hook" >"$T/calsms.env"
	inbound "is there parking?" SMn2
	CALSMS_CONF=$T/calsms.env run -0 --separate-stderr post "$T/in"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	[[ $stderr == *"owner-hook: $T/bad-hook failed (exit 3)"* ]] || fail "stderr: $stderr"
	conv_is A1 '[.replies[].provider_id] == ["SMn1", "SMn2"]'
	# without a hook, nothing runs and nothing is said
	rm "$T/calsms.env"
	inbound "thanks" SMn3
	run -0 --separate-stderr post "$T/in"
	[ -z "$stderr" ] || fail "stderr: $stderr"
}
