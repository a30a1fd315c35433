# cal-parse: wall time per webhook, one process per body, as under inetd.
. tests/bench/lib.sh
N=${BENCH_RUNS:-1000}
body=tests/fixtures/calendly/invitee-created.json
export CALSMS_NOW=1764000000
export CALENDLY_SIGNING_KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I
sig=$(cat tests/fixtures/calendly/invitee-created.sig)
set -- $("$PTIME" "$N" "$body" cal-parse -s "$sig")
cp_med=$1 cp_p99=$2 cp_rss=$4
set -- $("$PTIME" "$N" "$body" /bin/true)
t_med=$1 t_p99=$2
set -- $("$PTIME" "$N" "$body" jq -c .)
j_med=$1 j_p99=$2 j_rss=$4
row "cal-parse median ms/webhook ($N runs)" "$cp_med" "/bin/true median ms" "$t_med"
row "cal-parse p99 ms/webhook" "$cp_p99" "/bin/true p99 ms" "$t_p99"
row "cal-parse median ms/webhook" "$cp_med" "jq -c . median ms" "$j_med"
row "cal-parse p99 ms/webhook" "$cp_p99" "jq -c . p99 ms" "$j_p99"
row "cal-parse peak RSS KiB" "$cp_rss" "jq -c . peak RSS KiB" "$j_rss"
