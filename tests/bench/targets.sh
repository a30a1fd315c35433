# The figures issue 22 set targets for, each beside its baseline in the
# same run: every program's start beside /bin/true (target <= 1.3x),
# cal-parse verifying a webhook (<= 1.5x), the signed booking webhook
# through socat and http-hook at 1 client (p50 <= 1.5x the transport
# floor, /bin/true as the handler) and at 8 clients (throughput >= 70% of
# the floor's), the floor taking turns with it (load.py --vs), and
# streaming ingest of 30,000 bookings beside the sqlite3 CLI loading the
# same rows into an indexed WAL table, synchronous=FULL.  Beside them, as
# the issue's table has them: conv-store's page faults at start, one
# booking added by one process, and the webhook beside what a developer
# writes instead (pyhook.py: a threaded Python server and sqlite).
. tests/bench/lib.sh
B=$BENCH_TMP/targets
mkdir -p "$B"
RUNS=${BENCH_STARTS:-500}
export CALSMS_NOW=1764000000
export CALENDLY_SIGNING_KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I

# starts: -h, the program and /bin/true in turn, a run of each per round,
# so drift hits both alike
for p in cal-parse cal-sync conv-store follow-up-due http-hook sms-parse sms-send; do
	set -- $("$PTIME" "$RUNS" /dev/null "$p" -h --vs /dev/null /bin/true)
	row "start ($p -h), median ms" "$1" "/bin/true, median ms" "$6"
	[ "$p" = conv-store ] && faults="$5 ${10}"
done
set -- $faults
row "start (conv-store -h), minor page faults" "$1" "/bin/true, minor page faults" "$2"
body=tests/fixtures/calendly/invitee-created.json
sig=$(cat tests/fixtures/calendly/invitee-created.sig)
set -- $("$PTIME" "$RUNS" "$body" cal-parse -s "$sig" --vs "$body" /bin/true)
row "cal-parse verifying one webhook, median ms" "$1" "/bin/true, median ms" "$6"

# one booking, one process: each run adds the next line, synced
python3 tests/bench/gen.py appt "$RUNS" >"$B/one"
conv-store -d "$B/one.db" init
set -- $("$PTIME" -l "$RUNS" "$B/one" conv-store -d "$B/one.db" add -q --vs "$B/one" /bin/true)
[ "$(conv-store -d "$B/one.db" stats | jq .conversations)" -eq "$RUNS" ] ||
	{ echo "targets.sh: one process a booking did not store $RUNS" >&2; exit 1; }
row "one conv-store add -q (one booking), median ms" "$1" "/bin/true, median ms" "$6"

# the webhook: the shipped handler script, and the pipe http-hook runs
# itself, each taking turns with the floor (/bin/true as the handler);
# the pipe also in turn with what a developer writes instead
N=${BENCH_HOOK:-1000}
pipe="/calendly=cal-parse | conv-store add -q"
floor="/bin/true handler in turn"
for c in 1 8; do
	webhook pipe "$pipe" /calendly=/bin/true "$floor" "$c" "$B/db.$c.pipe" || exit 1
	webhook script "/calendly=$PWD/examples/on-booking" /calendly=/bin/true "$floor" "$c" \
		"$B/db.$c.script" || exit 1
	webhook pipe "$pipe" "python:$B/py.$c.sqlite" "Python server + sqlite" "$c" \
		"$B/db.$c.py" || exit 1
	[ "$(sqlite3 "$B/py.$c.sqlite" 'SELECT count(*) FROM conv')" -eq "$N" ] ||
		{ echo "targets.sh: the Python server did not store $N" >&2; exit 1; }
done

# streaming ingest: one synced commit per group, as always; sqlite3 reads
# the same JSON lines (.import) and takes its columns with json_extract;
# three rounds, each a fresh store of each in turn, and the medians
n=${BENCH_INGEST:-30000}
python3 tests/bench/gen.py appt "$n" >"$B/appts"
adds= sqs=
for r in 1 2 3; do
	rm -rf "$B/ingest" "$B/ingest.sqlite"*
	t=$(secs); conv-store -d "$B/ingest" add -q <"$B/appts"; adds="$adds $(elapsed "$t")"
	[ "$(conv-store -d "$B/ingest" stats | jq .conversations)" -eq "$n" ] ||
		{ echo "targets.sh: streaming add did not store $n" >&2; exit 1; }
	sqs="$sqs $(sqlite_import "$B/appts" "$B/ingest.sqlite" "$n")" || exit 1
done
add=$(median $adds) sq=$(median $sqs)
row "add -q streaming $n JSON lines, records/s" "$(rate "$n" "$add")" "sqlite3 .import, WAL, FULL, rows/s" "$(rate "$n" "$sq")"
