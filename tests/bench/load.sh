# Load: 10,000 distinct signed bookings posted by 32 clients at once
# through socat forking http-hook (examples/on-booking: cal-parse, then
# conv-store add), and through inetd with nowait.MAX, each beside its
# transport floor (the same listener with /bin/true as the handler); then
# the sender pipeline drains them on the log provider.  Every booking must
# be stored once and confirmed once.  Each program of the chain's peak RSS
# is measured on its own, since the listener's figure is its largest.
. tests/bench/lib.sh
N=${BENCH_LOAD:-10000}
C=${BENCH_CLIENTS:-32}
# inetd pauses a service started more than MAX times a minute for ten
# minutes: MAX must exceed what the load brings in a minute
MAX=${BENCH_INETD_MAX:-100000}
B=$BENCH_TMP/load
mkdir -p "$B"
export CALSMS_NOW=1764000000
export CALENDLY_SIGNING_KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I

# load NAME TRANSPORT...: the bookings into a fresh store, then the floor
load() {
	name=$1
	shift
	export CALSMS_DB=$B/db.$name
	how=$name
	[ "$1" = inetd ] && how="inetd nowait.$2"
	conv-store init
	set -- $(python3 tests/bench/load.py "$N" "$C" "$CALENDLY_SIGNING_KEY" \
		"/calendly=$PWD/examples/on-booking" "$@") \
		$(python3 tests/bench/load.py "$N" "$C" "$CALENDLY_SIGNING_KEY" /calendly=/bin/true "$@")
	row "load ($how): $N bookings, $C clients, s" "$1" "/bin/true handler, s" "$7"
	row "load ($name): requests/s" "$2" "/bin/true handler, requests/s" "$8"
	row "load ($name): p50 ms" "$3" "/bin/true handler, p50 ms" "$9"
	row "load ($name): p99 ms" "$4" "/bin/true handler, p99 ms" "${10}"
	row "load ($name): peak RSS KiB (largest process)" "$6" "/bin/true handler, KiB" "${12}"
	stored=$(conv-store stats | jq .conversations)
	[ "$5" -eq "$N" ] && [ "$stored" -eq "$N" ] ||
		{ echo "load.sh: $name: $5 answered 200, $stored stored, of $N" >&2; exit 1; }
}

load socat socat
command -v inetd >/dev/null && [ "$(id -u)" = 0 ] && load inetd inetd "$MAX"
export CALSMS_DB=$B/db.socat

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

# each program of the chain on its own, one booking through a fresh store
export CALSMS_DB=$B/db.one
body=tests/fixtures/calendly/invitee-created.json
sig=$(cat tests/fixtures/calendly/invitee-created.sig)
printf 'POST /calendly HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nCalendly-Webhook-Signature: %s\r\nContent-Length: %d\r\n\r\n' \
	"$sig" "$(wc -c <"$body")" >"$B/request"
cat "$body" >>"$B/request"
cal-parse -s "$sig" <"$body" >"$B/appt"
conv-store init
conv-store add -q <"$B/appt"
follow-up-due >"$B/line"
sms-send -p log -T examples/templates <"$B/line" >"$B/result" 2>/dev/null
for prog in "http-hook -q /calendly=/bin/true" "cal-parse -s $sig" "conv-store add -q" \
	"follow-up-due" "sms-send -p log -T examples/templates" "conv-store record"; do
	case $prog in
	http-hook*) in=$B/request ;; cal-parse*) in=$body ;; "conv-store add"*) in=$B/appt ;;
	follow-up-due*) in=/dev/null ;; sms-send*) in=$B/line ;; *) in=$B/result ;;
	esac
	set -- $("$PTIME" 1 "$in" sh -c "exec $prog 2>/dev/null")
	row "peak RSS KiB: ${prog%% -*}" "$4" "" ""
done
[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 1 ] ||
	{ echo "load.sh: the one booking was not texted" >&2; exit 1; }
