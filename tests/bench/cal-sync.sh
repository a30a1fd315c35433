# cal-sync since over 1,000 bookings (10 pages of events, one invitee
# request each) against the loopback mock of Calendly's API, beside curl
# making the same 1,010 GETs in one process: the HTTP floor.
. tests/bench/lib.sh
N=${BENCH_SYNC_RUNS:-3}
B=$BENCH_TMP/sync
mkdir -p "$B/mock"
python3 tests/mock-calendly.py --generate 1000 2025-11-26T09:00:00Z >"$B/mock/data.json"
echo '{"mode": "ok"}' >"$B/mock/control"
MOCK_LIFETIME=600 python3 tests/mock-calendly.py "$B/port" "$B/mock" &
mock=$!
trap 'kill $mock 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$B/port" ] && break; sleep 0.05; done
api=http://127.0.0.1:$(cat "$B/port")
export CALENDLY_API_URL=$api CALENDLY_TOKEN=pat-secret CALSMS_NOW=2025-11-24T16:00:00Z
lines=$(cal-sync since 2025-11-24 2>/dev/null | wc -l)
[ "$lines" -eq 1000 ] || { echo "cal-sync.sh: $lines lines, not 1000" >&2; exit 1; }
pages=$(grep -c '"/scheduled_events"' "$B/mock/log")
# the same requests, fetched by curl in one process with keep-alive
python3 - "$B/mock/log" "$api" >"$B/curl.conf" <<'PY'
import json, sys, urllib.parse
print('header = "Authorization: Bearer pat-secret"')
for line in open(sys.argv[1]):
    r = json.loads(line)
    q = urllib.parse.urlencode(r["query"])
    print('url = "%s%s%s"' % (sys.argv[2], r["path"], "?" + q if q else ""))
    print('output = "/dev/null"')
PY
reqs=$(grep -c '^url' "$B/curl.conf")
ok=$(curl -s -K "$B/curl.conf" -w '%{http_code}\n' | grep -c '^200$')
[ "$ok" -eq "$reqs" ] || { echo "cal-sync.sh: curl got $ok of $reqs answers 200" >&2; exit 1; }
set -- $("$PTIME" "$N" /dev/null cal-sync since 2025-11-24)
s_med=$1 s_rss=$4
set -- $("$PTIME" "$N" /dev/null curl -s -K "$B/curl.conf")
c_med=$1 c_rss=$4
row "cal-sync since: 1000 bookings ms ($pages pages)" "$s_med" "curl, same $reqs GETs, ms" "$c_med"
row "cal-sync since: bookings/s" "$(echo "$s_med" | awk '{printf "%.0f", 1000000 / $1}')" \
	"curl: requests/s" "$(echo "$c_med" | awk -v n="$reqs" '{printf "%.0f", n * 1000 / $1}')"
row "cal-sync since: peak RSS KiB" "$s_rss" "curl peak RSS KiB" "$c_rss"
