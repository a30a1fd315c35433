# Shared by the bench scripts: one table, figure beside baseline, and
# their ratio when both are numbers (figure / baseline).
header() {
	printf '%-50s %12s  %-34s %14s %7s\n' "figure" "calsms" "baseline" "baseline value" "ratio"
	printf '%-50s %12s  %-34s %14s %7s\n' "------" "------" "--------" "--------------" "-----"
}
# row FIGURE VALUE BASELINE BASELINE_VALUE
row() {
	printf '%-50s %12s  %-34s %14s %7s\n' "$1" "$2" "$3" "$4" "$(ratio "$2" "$4")"
}
ratio() {
	python3 -c 'import sys
try:
    a, b = float(sys.argv[1]), float(sys.argv[2])
    print("%.2fx" % (a / b) if b else "")
except ValueError:
    print("")' "$1" "$2"
}
# rate N SECONDS, secs (now), elapsed SINCE: a figure's arithmetic.  The
# clock is date(1)'s, read before anything else starts: a Python start
# between the two reads would add a tenth of a second to every figure.
rate() { python3 -c 'import sys; print("%.0f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$@"; }
secs() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
elapsed() { awk -v now="$(date +%s.%N)" -v t="$1" 'BEGIN { printf "%.3f\n", now - t }'; }
# sqlite_import LINES DB N: seconds for the sqlite3 CLI to import the JSON
# lines into an indexed WAL table, synchronous=FULL (.import, then the
# columns taken with json_extract): streaming ingest's baseline
sqlite_import() {
	us=$(printf '\037')
	cat >"$2.sql" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE conv (id TEXT PRIMARY KEY, phone TEXT, status TEXT, created TEXT, data TEXT);
CREATE INDEX by_phone ON conv (phone, created);
CREATE INDEX by_status ON conv (status, created);
CREATE TEMP TABLE line (json TEXT);
.mode ascii
.separator "$us" "\\n"
.import $1 line
INSERT INTO conv SELECT json_extract(json, '\$.id'), json_extract(json, '\$.phone'),
	'pending', json_extract(json, '\$.received_at'), json FROM line;
SQL
	t=$(secs)
	sqlite3 "$2" <"$2.sql" >/dev/null
	t=$(elapsed "$t")
	[ "$(sqlite3 "$2" 'SELECT count(phone) FROM conv')" -eq "$3" ] ||
		{ echo "bench: sqlite3 did not import $3 rows" >&2; return 1; }
	echo "$t"
}
# webhook NAME ROUTE BASE_ROUTE BASE_LABEL CLIENTS STORE: BENCH_HOOK (1000)
# signed bookings through socat and http-hook's ROUTE into STORE, taking
# turns with BASE_ROUTE (load.py --vs); a row: p50 at one client,
# requests/s at more; every request answered 200 and every booking stored
webhook() {
	name=$1 label=$4 c=$5 store=$6 n=${BENCH_HOOK:-1000}
	CALSMS_DB=$store conv-store init || return 1
	set -- $(CALSMS_DB=$store python3 tests/bench/load.py --vs "$3" "$n" "$c" \
		"$CALENDLY_SIGNING_KEY" "$2" socat)
	stored=$(conv-store -d "$store" stats | jq .conversations)
	[ "$5" -eq "$n" ] && [ "${11}" -eq "$n" ] && [ "$stored" -eq "$n" ] ||
		{ echo "bench: $name: $5 and ${11} answered 200, $stored stored, of $n" >&2; return 1; }
	if [ "$c" = 1 ]; then
		row "webhook ($name), 1 client, p50 ms" "$3" "$label, p50 ms" "$9"
	else
		row "webhook ($name), $c clients, requests/s" "$2" "$label, req/s" "$8"
	fi
}
