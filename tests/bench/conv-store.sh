# conv-store: streaming and per-process adds, and point reads on stores of
# 10,000 and 1,000,000 conversations, beside the sqlite3 CLI with the same
# indexes and full durability (synchronous=FULL) in the same run.
. tests/bench/lib.sh
B=$BENCH_TMP/conv
mkdir -p "$B"
export CALSMS_NOW=1764000000
N=${BENCH_ADD:-100000}
BIG=${BENCH_BIG:-1000000}
RUNS=${BENCH_READS:-200}


python3 tests/bench/gen.py appt "$N" >"$B/appts"
python3 tests/bench/gen.py sql "$N" >"$B/rows.sql"
t=$(secs); conv-store -d "$B/add" add -q <"$B/appts"; add=$(elapsed "$t")
t=$(secs); sqlite3 "$B/add.sqlite" <"$B/rows.sql" >/dev/null; sq=$(elapsed "$t")
row "add -q streaming, records/s ($N)" "$(rate "$N" "$add")" "sqlite3 one transaction, rows/s" "$(rate "$N" "$sq")"
set -- $("$PTIME" 1 "$B/appts" conv-store -d "$B/rss" add -q)
row "add -q streaming, peak RSS KiB" "$4" "" ""

# one process per record, as under inetd
head -n 1000 "$B/appts" | tail -n 500 >"$B/500"
t=$(secs)
while read -r l; do printf '%s\n' "$l" | conv-store -d "$B/one" add -q; done <"$B/500"
one=$(elapsed "$t")
sqlite3 "$B/one.sqlite" 'CREATE TABLE conv (id TEXT PRIMARY KEY, phone TEXT, status TEXT, created TEXT, data TEXT);
	CREATE INDEX by_phone ON conv (phone, created); CREATE INDEX by_status ON conv (status, created);'
t=$(secs)
i=0
while read -r l; do
	i=$((i + 1))
	sqlite3 "$B/one.sqlite" "INSERT INTO conv VALUES ('X$i', '+1404555$i', 'pending', '2025', '{}');"
done <"$B/500"
sqone=$(elapsed "$t")
row "add, one process per record, records/s" "$(rate 500 "$one")" "sqlite3, one process per row" "$(rate 500 "$sqone")"

reads() {	# reads LABEL COUNT: point reads on a store of COUNT
	# 2000 pending confirmations stay for follow-up-due.sh, which runs next
	python3 tests/bench/gen.py conv "$2" 2000 | conv-store -d "$B/s$2" load
	python3 tests/bench/gen.py sql "$2" | sqlite3 "$B/s$2.sqlite" >/dev/null
	id=INV$(printf '%012d' $(($2 / 2)))
	ph=+14042$(printf '%06d' $(($2 / 2 % 1000000)))
	set -- "$2" $("$PTIME" "$RUNS" /dev/null conv-store -d $B/s$2 get "$id")
	g=$2 grss=$5 g_id=$2
	set -- "$1" $("$PTIME" "$RUNS" /dev/null sqlite3 "$B/s$1.sqlite" "SELECT data FROM conv WHERE id = '$id'")
	sg=$2 srss=$5
	row "get by id, median ms ($1 convs)" "$g" "sqlite3 by id, median ms" "$sg"
	set -- "$1" $("$PTIME" "$RUNS" /dev/null conv-store -d $B/s$1 get "$ph")
	g=$2
	set -- "$1" $("$PTIME" "$RUNS" /dev/null sqlite3 "$B/s$1.sqlite" "SELECT data FROM conv WHERE phone = '$ph' ORDER BY created DESC")
	row "get by phone, median ms ($1 convs)" "$g" "sqlite3 by phone, median ms" "$2"
	set -- "$1" $("$PTIME" "$RUNS" /dev/null conv-store -d $B/s$1 list -s awaiting_reply)
	g=$2
	set -- "$1" $("$PTIME" "$RUNS" /dev/null sqlite3 "$B/s$1.sqlite" "SELECT data FROM conv WHERE status = 'awaiting_reply' ORDER BY created DESC")
	row "list -s awaiting_reply (100), median ms ($1)" "$g" "sqlite3 same, median ms" "$2"
	# a delivery receipt finds its message through the provider-id index
	printf '{"type":"receipt","provider":"log","provider_id":"log-%d","status":"delivered"}\n' \
		$(($1 / 2)) >"$B/receipt"
	set -- "$1" $("$PTIME" "$RUNS" "$B/receipt" conv-store -d $B/s$1 reply)
	row "receipt via reply, median ms ($1 convs)" "$2" "get by id, median ms" "$g_id"
	row "get, peak RSS KiB ($1 convs)" "$grss" "sqlite3, peak RSS KiB" "$srss"
	# list streams every conversation, no cap
	t=$(secs); n=$(conv-store -d "$B/s$1" list | wc -l); l=$(elapsed "$t")
	t=$(secs); sqlite3 "$B/s$1.sqlite" "SELECT data FROM conv ORDER BY created DESC" >/dev/null; sl=$(elapsed "$t")
	row "list, all $n, records/s ($1 convs)" "$(rate "$n" "$l")" "sqlite3 all, ordered, rows/s" "$(rate "$1" "$sl")"
	rm -f "$B/s$1.sqlite"
	# check reads every record and every index key, beside dump's full scan
	set -- "$1" $("$PTIME" 1 /dev/null conv-store -d "$B/s$1" check)
	c=$2 crss=$5
	set -- "$1" $("$PTIME" 1 /dev/null conv-store -d "$B/s$1" dump)
	row "check, ms ($1 convs)" "$c" "dump (one full scan), ms" "$2"
	row "check, peak RSS KiB ($1 convs)" "$crss" "dump, peak RSS KiB" "$5"
	# a month's report reads that month through the booking-time index
	set -- "$1" $("$PTIME" 3 /dev/null conv-store -d "$B/s$1" report --since 2025-10-24T16:00:00Z --until 2025-11-24T16:00:00Z)
	m=$2 mrss=$5
	set -- "$1" $("$PTIME" 1 /dev/null conv-store -d "$B/s$1" report --by month)
	row "report, one month, ms ($1 convs)" "$m" "report over every month, ms" "$2"
	# the same month by hand: dump everything, let jq pick and count
	set -- "$1" $("$PTIME" 1 /dev/null sh -c "conv-store -d '$B/s$1' dump | jq -n -c '
		reduce (inputs | select(.created_at >= \"2025-10-24T16:00:00Z\" and
		    .created_at <= \"2025-11-24T16:00:00Z\")) as \$c ({};
		  .[\$c.created_at[0:10]] |= ((. // {bookings: 0, with_phone: 0, confirmations: 0, replies: 0})
		    | .bookings += 1 | .with_phone += (if \$c.phone then 1 else 0 end)
		    | .confirmations += ([\$c.messages[] | select(.kind == \"confirm\")] | length)
		    | .replies += (\$c.replies | length)))' >/dev/null")
	row "report, one month, ms ($1 convs)" "$m" "dump | jq, the same month, ms" "$2"
	row "report, one month, peak RSS KiB ($1 convs)" "$mrss" "dump | jq, peak RSS KiB" "$5"
}
reads small 10000
reads big "$BIG"
