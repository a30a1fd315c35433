#!/bin/sh
# make demo: the whole calsms story on the log provider, with no network
# beyond loopback: webhooks through http-hook (under socat), the store, the
# sender pipeline with an event type's own confirmation, a reply, the
# 30-minute follow-up, a cancel and its notice, the stats.
set -e
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
F=tests/fixtures/calendly
KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I
T=1764000000	# the fixtures were signed then: the demo's clock starts there
work=$(mktemp -d)
trap 'kill $socat 2>/dev/null; rm -rf "$work"' EXIT
socat=
printf '%s\n' "$KEY" >"$work/calendly.key"
export CALSMS_DB="$work/db" CALENDLY_KEY_FILE="$work/calendly.key" SMS_PROVIDER=log
export TWILIO_AUTH_TOKEN=demo-auth-token BUSINESS="Harbour Dental"

say() { printf '\n== %s\n' "$*"; }
at() { t=$((T + $1)); shift; CALSMS_NOW=$t "$@"; }
show() { conv-store list | jq -r '"  \(.id)  \(.phone // "-")  \(.status)  messages: \(.messages | length)  replies: \(.replies | length)"'; }
sender() {
	follow-up-due -T "$tpl" "$@" | sms-send -T "$tpl" 2>"$work/sent.log" | conv-store record |
		jq -r '"  sent \(.messages[-1].kind) to \(.id): \(.status)\n    \"\(.messages[-1].body)\""'
}
post() {	# post FILE [SIGNATURE]: a webhook through http-hook, prints the status
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Calendly-Webhook-Signature: ${2:-$(cat "${1%.json}.sig")}" \
		--data-binary @"$1" "http://127.0.0.1:$port/calendly"
}
text() {	# text FROM BODY SID: a customer's SMS, as Twilio posts it, signed; prints the status
	python3 -c 'import sys, hmac, hashlib, base64, urllib.parse
pairs = [("MessageSid", sys.argv[3]), ("AccountSid", "ACdemo"), ("From", sys.argv[1]),
         ("To", "+15005550006"), ("Body", sys.argv[2]), ("NumMedia", "0")]
body = urllib.parse.urlencode(pairs)
s = sys.argv[4] + "".join(k + v for k, v in sorted(pairs))
sig = base64.b64encode(hmac.new(sys.argv[5].encode(), s.encode(), hashlib.sha1).digest()).decode()
open(sys.argv[6], "w").write(body)
print(sig)' "$1" "$2" "$3" "$SMS_PARSE_URL" "$TWILIO_AUTH_TOKEN" "$work/sms.form" >"$work/sms.sig"
	curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $(cat "$work/sms.sig")" \
		--data-binary @"$work/sms.form" "$SMS_PARSE_URL"
}
sign() {	# sign FILE TIME: a fresh Calendly-Webhook-Signature
	python3 -c 'import hmac, hashlib, sys
b = open(sys.argv[1], "rb").read()
print("t=%s,v1=%s" % (sys.argv[2], hmac.new(sys.argv[3].encode(), sys.argv[2].encode() + b"." + b, hashlib.sha256).hexdigest()))' "$1" "$2" "$KEY"
}

say "The templates: examples/templates, the consultation's own confirmation, and a cancel notice"
tpl=$work/templates
mkdir -p "$tpl/30-minute-consultation"
cp examples/templates/*.jq examples/moments/canceled.jq "$tpl"/
cat >"$tpl/30-minute-consultation/confirm.jq" <<'EOF'
# 30-minute-consultation/confirm.jq: this event type's own words
.appointment as $a
| "Hi \($a.first_name), your consultation with \($a.host.name // "us") is booked for \($a.start_local). Please bring your notes. Reply YES to confirm, STOP to opt out."
EOF
echo "  $(cd "$tpl" && echo *.jq) 30-minute-consultation/confirm.jq"
sms-send --check -T "$tpl" | jq -r 'select(.template | test("consultation|canceled")) |
	"  \(.template | sub(".*/templates/"; "")): \(.segments) segment(s): \(.body)"'

say "The listener: socat starts one http-hook per connection; /calendly runs examples/on-booking, /twilio examples/on-sms"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export SMS_PARSE_URL=http://127.0.0.1:$port/twilio
echo "  socat TCP-LISTEN:$port,fork EXEC:\"http-hook /calendly=examples/on-booking /twilio=examples/on-sms\""
CALSMS_NOW=$T socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork \
	EXEC:"http-hook -q /calendly=$PWD/examples/on-booking /twilio=$PWD/examples/on-sms" 2>"$work/hook.log" &
socat=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null && break
	sleep 0.2
done

say "T = $(date -u -d @$T +%H:%M)Z: three customers book (Ada by text reminder number, Grace by phone call, Edsger with no phone)"
for b in invitee-created invitee-created-outbound-call invitee-created-no-phone; do
	echo "  POST $b.json -> HTTP $(post $F/$b.json)"
done
say "Calendly delivers Ada's booking again, and someone forges one"
echo "  POST invitee-created.json again -> HTTP $(post $F/invitee-created.json)"
sed 's/Ada/Eve/' $F/invitee-created.json >"$work/forged.json"
echo "  POST a forged body -> HTTP $(post "$work/forged.json" "$(cat $F/invitee-created.sig)")"
show

say "The sender (follow-up-due | sms-send -T templates | conv-store record) texts the confirmations"
at 0 sender
echo "  (and run again, it sends nothing twice:)"
at 0 sender
show

say "T+10m: Grace replies YES: Twilio posts it, signed, to /twilio; sms-parse verifies it"
echo "  POST /twilio \"YES\" -> HTTP $(text +12125550199 YES SMdemo1)"
echo "  POST /twilio forged -> HTTP $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Twilio-Signature: Zm9yZ2Vk' \
	--data-binary 'MessageSid=SMx&From=%2B14045550134&Body=YES' "$SMS_PARSE_URL")"
conv-store get +12125550199 | jq -r '"  \(.id) is now \(.status)"'

say "T+29m59s: nothing is due yet"
at 1799 sender
echo "  (nothing)"
say "T+30m: the follow-up goes to Ada, who has not answered; not to Grace, who did"
at 1800 sender

say "T+40m: Ada cancels; the webhook is signed now, and fed to http-hook on stdin"
sig=$(sign $F/invitee-canceled.json $((T + 2400)))
len=$(wc -c <$F/invitee-canceled.json)
{ printf 'POST /calendly HTTP/1.1\r\nHost: demo\r\nContent-Type: application/json\r\n'
  printf 'Calendly-Webhook-Signature: %s\r\nContent-Length: %s\r\n\r\n' "$sig" "$len"
  cat $F/invitee-canceled.json; } | at 2400 http-hook -q /calendly=examples/on-booking | head -n 1

say "T+41m: the sender tells Ada her appointment is canceled, once (canceled.jq)"
at 2460 sender
at 2470 sender

say "T+50m: Grace texts STOP: opted out, and on the opt-out list"
echo "  POST /twilio \"STOP\" -> HTTP $(text +12125550199 STOP SMdemo2)"
conv-store get +12125550199 | jq -r '"  \(.id) is now \(.status)"'

say "T+2h: nothing more is ever sent; the conversations and the stats"
at 7200 sender
show
conv-store stats | jq -c .

say "The funnel, by day (conv-store report -t), and as a chart (examples/report-plot)"
conv-store report -t
if command -v gnuplot >/dev/null; then
	conv-store report | sh examples/report-plot -T "calsms demo"
else
	echo "  (apt-get install gnuplot-nox for the chart)"
fi
