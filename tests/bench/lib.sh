# Shared by the bench scripts: one table, figure beside baseline.
header() {
	printf '%-46s %16s  %-34s %16s\n' "figure" "calsms" "baseline" "baseline value"
	printf '%-46s %16s  %-34s %16s\n' "------" "------" "--------" "--------------"
}
# row FIGURE VALUE BASELINE BASELINE_VALUE
row() {
	printf '%-46s %16s  %-34s %16s\n' "$1" "$2" "$3" "$4"
}
