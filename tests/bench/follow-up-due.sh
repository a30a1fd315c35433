# follow-up-due: one run with 100 items due on stores of 10,000 and
# 1,000,000 conversations (kept by conv-store.sh), beside a full scan
# (conv-store dump | jq select); then -w on the real clock.
. tests/bench/lib.sh
B=$BENCH_TMP/conv
BIG=${BENCH_BIG:-1000000}
IDLE=${BENCH_IDLE:-60}
export CALSMS_NOW=1764000000

for n in 10000 "$BIG"; do
	[ -d "$B/s$n" ] || { echo "follow-up-due.sh: run with conv-store.sh first" >&2; exit 1; }
	set -- $("$PTIME" 20 /dev/null follow-up-due -d "$B/s$n" -n 100)
	fud=$1 rss=$4
	runs=3
	[ "$n" -gt 100000 ] && runs=1
	set -- $("$PTIME" $runs /dev/null sh -c "conv-store -d $B/s$n dump | jq -c 'select(.status == \"pending\" and .claim == null)' >/dev/null")
	row "one run, 100 due, median ms ($n convs)" "$fud" "dump | jq select, median ms" "$1"
	row "one run, peak RSS KiB ($n convs)" "$rss" "dump | jq select, peak RSS KiB" "$4"
done
set -- $(python3 tests/bench/watch.py "$BENCH_TMP/watch" 200 "$IDLE")
row "-w: items seen / 200" "$1" "" ""
row "-w: due-to-line delay, median ms" "$2" "" ""
row "-w: due-to-line delay, max ms" "$3" "" ""
row "-w: CPU ms used idle for ${IDLE} s" "$4" "" ""
