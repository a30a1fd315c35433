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
# rate N SECONDS, secs (now), elapsed SINCE: a figure's arithmetic
rate() { python3 -c 'import sys; print("%.0f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$@"; }
secs() { python3 -c 'import time; print(time.time())'; }
elapsed() { python3 -c 'import sys, time; print("%.3f" % (time.time() - float(sys.argv[1])))' "$1"; }
