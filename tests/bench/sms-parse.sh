# The reply path per webhook, the whole process chain as under inetd:
# http-hook | examples/on-sms (sms-parse | conv-store reply), beside the
# booking path (http-hook | examples/on-booking) and /bin/true.
. tests/bench/lib.sh
N=${BENCH_RUNS:-1000}
B=$BENCH_TMP/reply
mkdir -p "$B"
export CALSMS_NOW=1764000000 CALSMS_DB=$B/db
export CALENDLY_SIGNING_KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I
export TWILIO_AUTH_TOKEN=bench-token SMS_PARSE_URL=https://hooks.example.com/twilio
conv-store init
body=tests/fixtures/calendly/invitee-created.json
{ printf 'POST /calendly HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n'
  printf 'Calendly-Webhook-Signature: %s\r\nContent-Length: %d\r\n\r\n' \
	"$(cat tests/fixtures/calendly/invitee-created.sig)" "$(wc -c <"$body")"
  cat "$body"; } >"$B/booking.http"
python3 -c 'import sys, hmac, hashlib, base64, urllib.parse
pairs = [("MessageSid", "SMbench"), ("AccountSid", "AC1"), ("From", "+14045550134"),
         ("To", "+15005550006"), ("Body", "Yes, see you"), ("NumMedia", "0")]
body = urllib.parse.urlencode(pairs)
s = sys.argv[1] + "".join(k + v for k, v in sorted(pairs))
sig = base64.b64encode(hmac.new(sys.argv[2].encode(), s.encode(), hashlib.sha1).digest()).decode()
sys.stdout.write("POST /twilio HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 "X-Twilio-Signature: %s\r\nContent-Length: %d\r\n\r\n%s" % (sig, len(body), body))' \
	"$SMS_PARSE_URL" "$TWILIO_AUTH_TOKEN" >"$B/reply.http"
hook="http-hook -q /calendly=$PWD/examples/on-booking /twilio=$PWD/examples/on-sms"
http-hook -q /calendly=$PWD/examples/on-booking <"$B/booking.http" | head -n 1 | grep -q ' 200 ' ||
	{ echo "sms-parse.sh: the booking path does not answer 200" >&2; exit 1; }
$hook <"$B/reply.http" | head -n 1 | grep -q ' 200 ' ||
	{ echo "sms-parse.sh: the reply path does not answer 200" >&2; exit 1; }
set -- $("$PTIME" "$N" "$B/reply.http" $hook)
r_med=$1 r_p99=$2 r_rss=$4
set -- $("$PTIME" "$N" "$B/booking.http" $hook)
b_med=$1 b_p99=$2
set -- $("$PTIME" "$N" "$B/reply.http" /bin/true)
t_med=$1 t_p99=$2
row "reply path median ms/webhook ($N runs)" "$r_med" "booking path median ms" "$b_med"
row "reply path p99 ms/webhook" "$r_p99" "booking path p99 ms" "$b_p99"
row "reply path median ms/webhook" "$r_med" "/bin/true median ms" "$t_med"
row "reply path p99 ms/webhook" "$r_p99" "/bin/true p99 ms" "$t_p99"
row "reply path peak RSS KiB (largest process)" "$r_rss" "" ""
