# PostgreSQL beside LMDB on the same work, in the same run: streaming add,
# claims a second with 1 and 4 schedulers, a point read by id, the signed
# webhook end to end (socat, http-hook, on-booking), and follow-up-due -w
# woken by another process's commit.  Then issue 22's rows on PostgreSQL,
# each beside the baseline targets.sh sets LMDB beside: streaming add
# beside the sqlite3 CLI, one add a process and the webhook pipe (1 and 8
# clients) beside /bin/true, in turn.  The cluster is a throwaway one
# (tests/pg/cluster) with fsync on: a commit is as durable as LMDB's.
. tests/bench/lib.sh
B=$BENCH_TMP/pg
mkdir -p "$B"
export CALSMS_NOW=1764000000
N=${BENCH_PG_ADD:-30000}
DUE=${BENCH_PG_DUE:-8000}
PGC=$(mktemp -d --tmpdir=/tmp --suffix=.calsms-pg)
trap 'sh tests/pg/cluster stop "$PGC"' EXIT
base=$(sh tests/pg/cluster start "$PGC" fsync)
base=${base%/postgres}
db() {	# db NAME: a fresh database's URI
	psql -qX "$base/postgres" -c "CREATE DATABASE $1" >/dev/null
	echo "$base/$1"
}

python3 tests/bench/gen.py appt "$N" >"$B/appts"
P=$(db add)
t=$(secs); conv-store -d "$B/add" add -q <"$B/appts"; l=$(elapsed "$t")
conv-store -d "$P" init
t=$(secs); conv-store -d "$P" add -q <"$B/appts"; p=$(elapsed "$t")
row "pg: add -q streaming, records/s ($N)" "$(rate "$N" "$p")" "LMDB, records/s" "$(rate "$N" "$l")"
sq=$(sqlite_import "$B/appts" "$B/add.sqlite" "$N") || exit 1
row "pg: add -q streaming, records/s ($N)" "$(rate "$N" "$p")" "sqlite3 .import, WAL, FULL, rows/s" \
	"$(rate "$N" "$sq")"

# claims: DUE pending confirmations handed out by 1, then 4, schedulers at once
claims() {	# claims K STORE: seconds for K schedulers to hand out every item
	python3 tests/bench/gen.py conv "$DUE" "$DUE" | conv-store -d "$2" load
	t=$(secs)
	i=0
	while [ "$i" -lt "$1" ]; do
		follow-up-due -d "$2" -s 1000000 >"$B/claimed.$i" &
		i=$((i + 1))
	done
	wait
	got=$(cat "$B"/claimed.* | wc -l)
	rm -f "$B"/claimed.*
	[ "$got" -eq "$DUE" ] || { echo "pg.sh: $got of $DUE handed out" >&2; exit 1; }
	elapsed "$t"
}
for k in 1 4; do
	l=$(claims "$k" "$B/claims$k")
	p=$(claims "$k" "$(db claims$k)")
	row "pg: claims/s, $k scheduler(s) ($DUE due)" "$(rate "$DUE" "$p")" "LMDB, claims/s" "$(rate "$DUE" "$l")"
done

# a point read by id on a store of 10,000
python3 tests/bench/gen.py conv 10000 0 >"$B/convs"
conv-store -d "$B/reads" load <"$B/convs"
P=$(db reads)
conv-store -d "$P" load <"$B/convs"
set -- $("$PTIME" 200 /dev/null conv-store -d "$B/reads" get INV000000005000)
l=$1
set -- $("$PTIME" 200 /dev/null conv-store -d "$P" get INV000000005000)
row "pg: get by id, median ms (10000 convs)" "$1" "LMDB, median ms" "$l"

# one booking a process, and the webhook pipe, beside /bin/true in turn
RUNS=${BENCH_STARTS:-500}
P=$(db one)
conv-store -d "$P" init
set -- $("$PTIME" -l "$RUNS" "$B/appts" conv-store -d "$P" add -q --vs "$B/appts" /bin/true)
[ "$(conv-store -d "$P" stats | jq .conversations)" -eq "$RUNS" ] ||
	{ echo "pg.sh: one process a booking did not store $RUNS" >&2; exit 1; }
row "pg: one conv-store add -q (one booking), median ms" "$1" "/bin/true, median ms" "$6"
export CALENDLY_SIGNING_KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I
for c in 1 8; do
	webhook "pg, pipe" "/calendly=cal-parse | conv-store add -q" /calendly=/bin/true \
		"/bin/true handler in turn" "$c" "$(db pipe$c)" || exit 1
done

# the webhook end to end: 2,000 signed bookings, 8 clients, through socat
hook() {	# hook STORE: p50_ms req/s
	CALSMS_DB=$1 conv-store init
	set -- $(CALSMS_DB=$1 python3 tests/bench/load.py 2000 8 "$CALENDLY_SIGNING_KEY" \
		"/calendly=$PWD/examples/on-booking" socat)
	[ "$5" -eq 2000 ] || { echo "pg.sh: $5 of 2000 webhooks answered 200" >&2; exit 1; }
	echo "$3 $2"
}
set -- $(hook "$B/hook") $(hook "$(db hook)")
row "pg: webhook p50 ms (8 clients)" "$3" "LMDB, p50 ms" "$1"
row "pg: webhook requests/s (8 clients)" "$4" "LMDB, requests/s" "$2"

# -w woken by a commit in another process
set -- $(python3 tests/bench/wake.py "$B/wake" 20) $(python3 tests/bench/wake.py "$(db wake)" 20)
row "pg: -w wake-up after a commit, median ms" "$4" "LMDB (100 ms poll), median ms" "$1"
row "pg: -w wake-up after a commit, max ms" "$5" "LMDB, max ms" "$2"
