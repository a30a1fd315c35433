# Signed webhooks from Twilio and Amazon SNS, computed independently of
# sms-parse; loaded by the tests that post them (after helper).

URL=${URL:-https://hooks.example.com/twilio}
TOKEN=${TOKEN:-twilio-test-token}
TOPIC=arn:aws:sns:us-east-1:123456789012:calsms-sms

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

# a CA-less certificate served from a loopback host the test switch allows
sns_setup() {
	mkdir -p "$T/www/certs" "$T/cache"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/www/certs/sns.pem" \
		-days 2 -subj /CN=sns.test >/dev/null 2>&1
	CPORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$CPORT" >/dev/null 2>"$T/www.log" &
	echo $! >"$T/www.pid"
	wait_port "$CPORT"
	export SMS_PARSE_TEST_HOST=127.0.0.1:$CPORT SNS_TOPIC_ARN=$TOPIC SMS_PARSE_CACHE=$T/cache
	CERT=http://127.0.0.1:$CPORT/certs/sns.pem
}

# snsmsg TYPE MESSAGE [VERSION [TOPIC [CERTURL [SUBSCRIBEURL]]]]: a signed SNS message
snsmsg() {
	python3 - "$@" "$T/key.pem" <<'PY'
import base64, json, subprocess, sys
a = sys.argv[1:]
key = a[-1]
typ, message = a[0], a[1]
ver = a[2] if len(a) > 3 and a[2] else "1"
topic = a[3] if len(a) > 4 and a[3] else "arn:aws:sns:us-east-1:123456789012:calsms-sms"
cert = a[4] if len(a) > 5 and a[4] else None
import datetime, os
# the Timestamp: the programs' clock (CALSMS_NOW) less SNS_AGE seconds
now = datetime.datetime.fromtimestamp(int(os.environ.get("CALSMS_NOW") or 0) or
                                      datetime.datetime.now().timestamp(), datetime.timezone.utc)
now -= datetime.timedelta(seconds=int(os.environ.get("SNS_AGE", "0")))
m = {"Type": typ, "MessageId": "mid-1", "TopicArn": topic, "Message": message,
     "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "SignatureVersion": ver, "SigningCertURL": cert}
keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
if typ != "Notification":
    m["Token"] = "tok"
    m["SubscribeURL"] = a[5] if len(a) > 6 else ""
    keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
text = "".join("%s\n%s\n" % (k, m[k]) for k in keys if k in m)
sig = subprocess.run(["openssl", "dgst", "-sha1" if ver == "1" else "-sha256", "-sign", key],
                     input=text.encode(), capture_output=True, check=True).stdout
m["Signature"] = base64.b64encode(sig).decode()
print(json.dumps(m))
PY
}

# snsmsgs VERSION CERTURL DIR FILE: snsmsg Notification for each line of
# FILE as its Message, into DIR/in.1, DIR/in.2 ..., from one Python
snsmsgs() {
	python3 - "$@" "$T/key.pem" <<'PY'
import base64, datetime, json, os, subprocess, sys
ver, cert, d, lines, key = sys.argv[1:]
now = datetime.datetime.fromtimestamp(int(os.environ.get("CALSMS_NOW") or 0) or
                                      datetime.datetime.now().timestamp(), datetime.timezone.utc)
keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
for n, message in enumerate(open(lines, encoding="utf-8").read().splitlines(), 1):
    m = {"Type": "Notification", "MessageId": "mid-%d" % n,
         "TopicArn": "arn:aws:sns:us-east-1:123456789012:calsms-sms", "Message": message,
         "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "SignatureVersion": ver,
         "SigningCertURL": cert}
    text = "".join("%s\n%s\n" % (k, m[k]) for k in keys if k in m)
    sig = subprocess.run(["openssl", "dgst", "-sha1" if ver == "1" else "-sha256", "-sign", key],
                         input=text.encode(), capture_output=True, check=True).stdout
    m["Signature"] = base64.b64encode(sig).decode()
    open("%s/in.%d" % (d, n), "w").write(json.dumps(m) + "\n")
PY
}

inbound_sms() {	# inbound_sms BODY: End User Messaging's two-way SMS JSON
	jq -nc --arg b "$1" '{originationNumber: "+14045550101", destinationNumber: "+15005550006",
		messageKeyword: "KEYWORD_123", messageBody: $b, inboundMessageId: "in-1",
		previousPublishedMessageId: "SMc1"}'
}
