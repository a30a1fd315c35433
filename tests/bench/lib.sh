# Shared by the bench scripts: one table, figure beside baseline.
header() {
	printf '%-46s %16s  %-34s %16s\n' "figure" "calsms" "baseline" "baseline value"
	printf '%-46s %16s  %-34s %16s\n' "------" "------" "--------" "--------------"
}
# row FIGURE VALUE BASELINE BASELINE_VALUE
row() {
	printf '%-46s %16s  %-34s %16s\n' "$1" "$2" "$3" "$4"
}
# rate N SECONDS, secs (now), elapsed SINCE: a figure's arithmetic
rate() { python3 -c 'import sys; print("%.0f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$@"; }
secs() { python3 -c 'import time; print(time.time())'; }
elapsed() { python3 -c 'import sys, time; print("%.3f" % (time.time() - float(sys.argv[1])))' "$1"; }
