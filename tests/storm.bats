#!/usr/bin/env bats
# Fault storms: kill -9 at random points of add, record and follow-up-due
# over large inputs, conv-store check after each round; a full disk, a full
# map and a read-only store; the provider down, throttling and unavailable.
# STORM_ROUNDS rounds (5 here, 50 in make check-long); STORM_OUTAGE seconds
# of a real outage under the -w sender (make check-long only).
load helper

ROUNDS=${STORM_ROUNDS:-5}

setup() {
	T=$BATS_TEST_TMPDIR
	export CALSMS_NOW=1764000000
}

teardown() {
	[ ! -f "$T/sender.pgid" ] || kill -- -"$(cat "$T/sender.pgid")" 2>/dev/null || true
	stop_started
	if mountpoint -q "$T/small" 2>/dev/null; then umount "$T/small"; fi
}

# kill9 SECONDS CMD...: runs CMD (stdin $IN, stdout $OUT), kills it with
# SIGKILL after SECONDS unless it finished first
kill9() {
	local wait=$1 pid
	shift
	"$@" <"$IN" >"$OUT" 2>/dev/null &
	pid=$!
	sleep "$wait"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

random_wait() {
	python3 -c 'import random; print("%.3f" % random.uniform(0.02, 0.6))'
}

# kill_rounds STORED CMD...: $ROUNDS times CMD on $IN killed at a random
# point, then conv-store check, and every id CMD printed is among the ids
# the command STORED prints (a committed line is never lost)
kill_rounds() {
	local stored=$1 r
	shift
	for r in $(seq "$ROUNDS"); do
		OUT=$T/out.$r kill9 "$(random_wait)" "$@"
		run -0 --separate-stderr conv-store check
		jq -r .id "$T/out.$r" | sort -u >"$T/printed"
		$stored | jq -r .id | sort -u >"$T/stored"
		[ -z "$(comm -23 "$T/printed" "$T/stored")" ] || fail "round $r: printed by $* but not stored"
	done
}

@test "storm: kill -9 during add; every printed line is stored, check agrees, add resumes" {
	store
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 20000 >"$T/appts"
	IN=$T/appts kill_rounds "conv-store dump" conv-store add
	conv-store add -q <"$T/appts"
	[ "$(dumped | wc -l)" -eq 20000 ]
	run -0 conv-store check
}

@test "storm: kill -9 during follow-up-due; nothing handed out twice, the rest becomes uncertain" {
	store
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 5000 | conv-store add -q
	: >"$T/all"
	IN=/dev/null
	for r in $(seq "$ROUNDS"); do
		OUT=$T/due.$r kill9 "$(random_wait)" follow-up-due -s 100000
		cat "$T/due.$r" >>"$T/all"
		run -0 --separate-stderr conv-store check
	done
	follow-up-due -s 100000 >>"$T/all"
	# every confirmation handed out at most once
	[ "$(jq -r .id "$T/all" | sort | uniq -d | wc -l)" -eq 0 ]
	# the claims never recorded lapse to uncertain, none is handed out again
	n=$(jq -s length "$T/all")
	CALSMS_NOW=$((CALSMS_NOW + 3600)) follow-up-due -s 100000 >"$T/later" 2>/dev/null
	[ -z "$(comm -12 <(jq -r .id "$T/all" | sort) <(jq -r .id "$T/later" | sort))" ]
	# every one handed out, and any claimed by a run killed before it
	# printed, is uncertain now: none is sent again without a person's word
	conv-store list -s uncertain | jq -r .id | sort >"$T/uncertain"
	[ -z "$(comm -23 <(jq -r .id "$T/all" | sort) "$T/uncertain")" ]
	[ "$(wc -l <"$T/uncertain")" -ge "$n" ]
	# and none is lost: every booking was handed out or is uncertain (a run
	# killed between its commit and its first line may have claimed them all)
	[ "$(sort -u <(jq -r .id "$T/all") "$T/uncertain" | wc -l)" -eq 5000 ]
	run -0 conv-store check
}

@test "storm: kill -9 during record; a result is recorded whole or not at all" {
	store
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 5000 | conv-store add -q
	follow-up-due -s 100000 | sent >"$T/results"
	IN=$T/results kill_rounds "conv-store list -s awaiting_reply" conv-store record
	conv-store record <"$T/results" >/dev/null
	[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 5000 ]
	[ "$(dumped | jq -s 'map(.messages | length) | max')" -eq 1 ]
}

@test "storm: a full disk is a clear error, what was committed stays, writes resume with room" {
	mkdir -p "$T/small"
	mount -t tmpfs -o size=3m tmpfs "$T/small" 2>/dev/null || skip "cannot mount a tmpfs here"
	export CALSMS_DB=$T/small/db
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 20000 >"$T/appts"
	run --separate-stderr conv-store add <"$T/appts"
	[ "$status" -eq 74 ] || [ "$status" -eq 73 ] || fail "add on a full disk: exit $status"
	[[ "$stderr" == *"No space left on device"* || "$stderr" == *"MDB_MAP_FULL"* ]] ||
		fail "no clear line: $stderr"
	committed=$(grep -c . <<<"$output" || true)
	run -0 conv-store check
	[ "$(dumped | wc -l)" -eq "$committed" ]
	mount -o remount,size=200m "$T/small"
	conv-store add -q <"$T/appts"
	[ "$(dumped | wc -l)" -eq 20000 ]
	run -0 conv-store check
}

@test "storm: a full map grows while two writers share it; every line stored once, check agrees" {
	# a 128 KiB map fills after a few hundred conversations: MDB_MAP_FULL
	# in the adder and the recorder alike, each growing the map and
	# adopting the other's growth (MDB_MAP_RESIZED)
	export CALSMS_MAP_SIZE=131072 CALSMS_DB=$T/lmdb	# LMDB's map, on either suite
	store
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 5000 >"$T/appts"
	conv-store add -q <"$T/appts" 2>"$T/add.err" &
	adder=$!
	: >"$T/due"
	while kill -0 "$adder" 2>/dev/null; do
		follow-up-due -s 100000 | tee -a "$T/due" | sent | conv-store record >/dev/null
	done
	wait "$adder" || fail "add: $(cat "$T/add.err")"
	follow-up-due -s 100000 | tee -a "$T/due" | sent | conv-store record >/dev/null
	[ "$(stat -c %s "$CALSMS_DB/data.mdb")" -gt 131072 ] || fail "the map never filled"
	[ "$(dumped | wc -l)" -eq 5000 ]
	[ "$(jq -r .id "$T/due" | sort | uniq -d | wc -l)" -eq 0 ]
	[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 5000 ]
	[ "$(dumped | jq -s 'map(.messages | length) | max')" -eq 1 ]
	run -0 conv-store check
	# a size that is not one is said, and the default used
	CALSMS_MAP_SIZE=64k run -0 --separate-stderr conv-store stats
	[[ "$stderr" == *"CALSMS_MAP_SIZE: not a size in bytes (65536 or more): 64k; 1 GiB used"* ]]
	[ "$(jq .conversations <<<"$output")" -eq 5000 ]
}

@test "storm: a read-only store refuses writes with a clear line; reads go on" {
	mkdir -p "$T/small"
	mount -t tmpfs -o size=50m tmpfs "$T/small" 2>/dev/null || skip "cannot mount a tmpfs here"
	export CALSMS_DB=$T/small/db
	store
	appt A1 +14045550134 2025-11-25T15:00:00Z | conv-store add -q
	mount -o remount,ro "$T/small"
	run --separate-stderr conv-store add -q <<<"$(appt A2 +14045550135 2025-11-25T15:00:00Z)"
	[ "$status" -eq 73 ] || [ "$status" -eq 74 ] || fail "add on a read-only store: exit $status"
	[[ "$stderr" == *"Read-only file system"* || "$stderr" == *"Permission denied"* ]] ||
		fail "no clear line: $stderr"
	mount -o remount,rw "$T/small"
	conv_is A1 '.status == "pending"'
	run -1 conv-store get A2
}

@test "storm: kill -9 during reply; every printed reply is stored once, check agrees, replies resume" {
	store
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 5000 | conv-store add -q
	follow-up-due -s 100000 | sent | conv-store record >/dev/null
	python3 -c 'import json
for i in range(5000):
    print(json.dumps({"type": "reply", "provider": "twilio", "provider_id": "SMr%d" % i,
                      "from": "+14042%06d" % i, "body": "YES", "received_at": "2025-11-24T16:05:00Z"}))' >"$T/replies"
	IN=$T/replies kill_rounds "conv-store list -s replied" conv-store reply
	conv-store reply <"$T/replies" >/dev/null
	[ "$(conv-store list -s replied | wc -l)" -eq 5000 ]
	# a redelivered reply is one reply: provider ids are kept
	[ "$(dumped | jq -s 'map(.replies | length) | max')" -eq 1 ]
	run -0 conv-store check
}

# provider PORT MODE: the mock Twilio on PORT answering MODE ("down": none)
provider() {
	echo "{\"mode\": \"$2\", \"retry_after\": ${RETRY_AFTER:-0}}" >"$T/control"
	if [ "$2" = down ]; then
		stop_started
		rm -f "$T/mock.pid"
	elif [ ! -f "$T/mock.pid" ]; then
		rm -f "$T/port"
		MOCK_PORT=$1 MOCK_LIFETIME=900 start_mock mock mock-provider.py "$T/port" "$T/log" "$T/control"
	fi
}


twilio_at() {
	export TWILIO_API_URL=http://127.0.0.1:$1 TWILIO_ACCOUNT_SID=AC123
	export TWILIO_AUTH_TOKEN=secret-token TWILIO_FROM=+15005550006
}

# what the provider took: one line a request it answered "ok"
taken() {
	[ -f "$T/log" ] || return 0
	jq -r 'select(.mode == "ok") | .form.To' "$T/log"
}

@test "storm: the provider down, throttling, then unavailable for ten minutes; nothing lost or sent twice, one line an outage" {
	store
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 100 | conv-store add -q
	port=$(free_port)
	twilio_at "$port"
	provider "$port" down
	# cron's form, a run every simulated minute: down for 4 minutes (no
	# connection), throttled (429) for 3, unavailable (503) for 2, then well
	for m in $(seq 0 40); do
		case $m in 4) provider "$port" 429 ;; 7) provider "$port" 503 ;; 9) provider "$port" ok ;; esac
		: >"$T/err"
		at $((m * 60)) sh -c 'follow-up-due -s 1000 |
			sms-send -p twilio -r 0 -R 2 -T "$1" 2>"$2" | conv-store record >/dev/null' sh \
			"$BATS_TEST_DIRNAME/../examples/templates" "$T/err"
		# one line when an outage begins, one when it ends or the run does
		[ "$(wc -l <"$T/err")" -le 2 ] || fail "minute $m: $(cat "$T/err")"
		[ "$m" -ne 0 ] || grep -q "Couldn't connect" "$T/err" || fail "minute 0: $(cat "$T/err")"
		[ "$m" -ne 7 ] || grep -q "http_503\|20503" "$T/err" || fail "minute 7: $(cat "$T/err")"
		[ "$(conv-store list -s pending | wc -l)" -gt 0 ] || break
	done
	# every booking texted once: taken once by the provider, recorded once
	[ "$(taken | wc -l)" -eq 100 ]
	[ "$(taken | sort | uniq -d | wc -l)" -eq 0 ]
	[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 100 ]
	[ "$(dumped | jq -s 'map([.messages[] | select(.status == "sent")] | length) | max')" -eq 1 ]
	[ "$(conv-store list -s uncertain,failed | wc -l)" -eq 0 ]
	# nothing was taken while the provider was refusing
	[ "$(jq -s 'map(select(.mode != "ok")) | length' "$T/log")" -gt 0 ]
	run -0 conv-store check
}

@test "storm: a real outage of STORM_OUTAGE seconds under the -w sender; it resumes by itself, nothing twice" {
	[ -n "${STORM_OUTAGE:-}" ] || skip "make check-long runs it (STORM_OUTAGE seconds)"
	unset CALSMS_NOW
	store
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 50 |
		jq -c '.start_time = (now + 86400 | todate) | .end_time = .start_time' | conv-store add -q
	port=$(free_port)
	twilio_at "$port"
	provider "$port" down
	# its own process group, so that teardown stops the whole pipeline
	setsid sh -c 'follow-up-due -w -s 100 | sms-send -p twilio -r 0 -R 2 -T "$1" 2>"$2" |
		conv-store record >/dev/null' sh "$BATS_TEST_DIRNAME/../examples/templates" "$T/err" &
	echo $! >"$T/sender.pgid"
	sleep "$STORM_OUTAGE"
	[ "$(taken | wc -l)" -eq 0 ]
	[ "$(conv-store list -s pending | wc -l)" -eq 50 ]
	provider "$port" ok
	# the store's back-off (1, 2, 4 ... minutes) brings every one back
	for _ in $(seq 600); do
		[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 50 ] && break
		sleep 1
	done
	kill -0 "$(cat "$T/sender.pgid")" || fail "the sender stopped: $(cat "$T/err")"
	[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 50 ]
	[ "$(taken | wc -l)" -eq 50 ]
	[ "$(taken | sort | uniq -d | wc -l)" -eq 0 ]
	grep -q "Couldn't connect" "$T/err"
	grep -q "sending again" "$T/err"
	[ "$(wc -l <"$T/err")" -le 3 ] || fail "a line a message: $(cat "$T/err")"
	run -0 conv-store check
}
