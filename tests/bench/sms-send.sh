# sms-send: throughput against the loopback mock beside one curl per
# message; the rate reached against a provider that takes 300 ms; the cost
# of rendering a template.
. tests/bench/lib.sh
B=$BENCH_TMP/sms
mkdir -p "$B"
N=${BENCH_MSGS:-1000}
export CALSMS_NOW=1764000000
export TWILIO_ACCOUNT_SID=AC123 TWILIO_AUTH_TOKEN=secret-token TWILIO_FROM=+15005550006

rate() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$@"; }
msgs() { jq -nc --argjson n "$1" 'range($n) | {id: "A\(.)", phone: "+14045550101", due: "confirm", body: "Hello, see you Tuesday at 10:00. Reply YES to confirm or STOP to opt out."}'; }
mock() {	# mock DELAY: starts the mock, sets PORT
	rm -f "$B/port" "$B/log"
	printf '{"mode": "ok", "delay": %s}\n' "$1" >"$B/control"
	MOCK_LIFETIME=600 python3 tests/mock-provider.py "$B/port" "$B/log" "$B/control" &
	MOCK=$!
	while [ ! -s "$B/port" ]; do sleep 0.05; done
	PORT=$(cat "$B/port")
	export TWILIO_API_URL=http://127.0.0.1:$PORT
}
provider_rate() {	# requests per second as the mock saw them
	jq -s '(length - 1) / ((map(.t) | max) - (map(.t) | min))' "$B/log" | xargs printf '%.1f'
}

mock 0
msgs "$N" >"$B/in"
t=$(secs); sms-send -p twilio -r 0 -j 4 <"$B/in" >/dev/null; s=$(elapsed "$t")
C=$((N / 5))
t=$(secs)
i=0
while [ $i -lt $C ]; do
	curl -s -o /dev/null -u "$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN" \
		--data-urlencode "To=+14045550101" --data-urlencode "From=$TWILIO_FROM" \
		--data-urlencode "Body=Hello, see you Tuesday at 10:00." \
		"$TWILIO_API_URL/2010-04-01/Accounts/$TWILIO_ACCOUNT_SID/Messages.json"
	i=$((i + 1))
done
c=$(elapsed "$t")
row "twilio mock, no rate limit, msgs/s ($N)" "$(rate "$N" "$s")" "curl per message, msgs/s ($C)" "$(rate "$C" "$c")"
# what never reusing a connection would cost (sms-send reuses them, guarded
# against libcurl's resend): one curl process posting C messages either way
curl_posts() {	# curl_posts EXTRA: a curl config for C posts
	i=0
	while [ $i -lt $C ]; do
		[ $i -gt 0 ] && echo next
		printf 'url = "%s/2010-04-01/Accounts/%s/Messages.json"\nuser = "%s:%s"\n' \
			"$TWILIO_API_URL" "$TWILIO_ACCOUNT_SID" "$TWILIO_ACCOUNT_SID" "$TWILIO_AUTH_TOKEN"
		printf 'data = "To=%%2B14045550101&Body=Hello"\noutput = /dev/null\nsilent\n%s\n' "$1"
		i=$((i + 1))
	done
}
curl_posts "" >"$B/reuse.cfg"
curl_posts 'header = "Connection: close"' >"$B/fresh.cfg"
t=$(secs); curl -K "$B/reuse.cfg"; ru=$(elapsed "$t")
t=$(secs); curl -K "$B/fresh.cfg"; fr=$(elapsed "$t")
row "sms-send, a new connection per message: extra us per message ($C, curl)" \
	"$(python3 -c 'import sys; print("%.0f" % ((float(sys.argv[2]) - float(sys.argv[1])) * 1e6 / float(sys.argv[3])))' "$ru" "$fr" $C)" \
	"one kept-alive connection, us per message" "$(python3 -c 'import sys; print("%.0f" % (float(sys.argv[1]) * 1e6 / float(sys.argv[2])))' "$ru" $C)"
kill $MOCK

mock 0.3
for r in 20 100; do
	n=$((r * 5))
	msgs "$n" >"$B/in"
	rm -f "$B/log"
	sms-send -p twilio -r $r -j 64 <"$B/in" >/dev/null
	row "provider answering in 300 ms: -r $r reaches, msgs/s" "$(provider_rate)" "configured rate" "$r"
done
kill $MOCK

M=10000
msgs $M >"$B/in"
t=$(secs); sms-send -p log <"$B/in" >/dev/null 2>&1; plain=$(elapsed "$t")
t=$(secs); sms-send -p log -T examples/templates <"$B/in" >/dev/null 2>&1; tpl=$(elapsed "$t")
row "template render, us per message ($M)" \
	"$(python3 -c 'import sys; print("%.1f" % ((float(sys.argv[2]) - float(sys.argv[1])) * 1e6 / float(sys.argv[3])))' "$plain" "$tpl" $M)" \
	"log provider, us per message" "$(python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) * 1e6 / float(sys.argv[2])))' "$plain" $M)"
