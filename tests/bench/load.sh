# Load: 10,000 distinct signed bookings posted by 32 clients at once
# through socat forking http-hook (examples/on-booking: cal-parse, then
# conv-store add), beside the transport floor (the same listener with
# /bin/true as the handler); then the sender pipeline drains them on the
# log provider.  Every booking must be stored once and confirmed once.
. tests/bench/lib.sh
N=${BENCH_LOAD:-10000}
C=${BENCH_CLIENTS:-32}
B=$BENCH_TMP/load
mkdir -p "$B"
export CALSMS_NOW=1764000000 CALSMS_DB=$B/db
export CALENDLY_SIGNING_KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I
conv-store init
set -- $(python3 tests/bench/load.py "$N" "$C" "$CALENDLY_SIGNING_KEY" "/calendly=$PWD/examples/on-booking")
secs=$1 rps=$2 p50=$3 p99=$4 ok=$5 rss=$6
set -- $(python3 tests/bench/load.py "$N" "$C" "$CALENDLY_SIGNING_KEY" /calendly=/bin/true)
row "load: $N bookings, $C clients, s" "$secs" "/bin/true handler, s" "$1"
row "load: requests/s" "$rps" "/bin/true handler, requests/s" "$2"
row "load: p50 ms" "$p50" "/bin/true handler, p50 ms" "$3"
row "load: p99 ms" "$p99" "/bin/true handler, p99 ms" "$4"
row "load: peak RSS KiB (largest process)" "$rss" "/bin/true handler, KiB" "$6"
stored=$(conv-store stats | jq .conversations)
[ "$ok" -eq "$N" ] && [ "$stored" -eq "$N" ] ||
	{ echo "load.sh: $ok answered 200, $stored stored, of $N" >&2; exit 1; }
drain='follow-up-due -s 100000 | sms-send -p log -T examples/templates 2>/dev/null | conv-store record >/dev/null'
t0=$(date +%s.%N)
set -- $("$PTIME" 1 /dev/null sh -c "$drain")
drss=$4
while [ "$(conv-store list -s pending -n 1 | wc -l)" -gt 0 ]; do sh -c "$drain"; done
t1=$(date +%s.%N)
sent=$(conv-store stats | jq .dry_run)
most=$(conv-store dump | jq -s 'map(.messages | length) | max')
[ "$sent" -eq "$N" ] && [ "$most" -eq 1 ] ||
	{ echo "load.sh: $sent confirmations of $N, at most $most to one" >&2; exit 1; }
row "drain: $N confirmations (log), s" "$(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}')" \
	"each confirmed once" "$sent"
row "drain: peak RSS KiB (largest process)" "$drss" "" ""
