#!/usr/bin/env bats
# Fault storms: kill -9 at random points of add, record and follow-up-due
# over large inputs, conv-store check after each round; a full disk and a
# read-only store.  STORM_ROUNDS rounds (5 here, 50 in make check-long).
load helper

ROUNDS=${STORM_ROUNDS:-5}

setup() {
	T=$BATS_TEST_TMPDIR
	export CALSMS_NOW=1764000000
}

teardown() {
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
	[ "$(conv-store dump | wc -l)" -eq 20000 ]
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
	[ "$n" -gt 0 ]
	CALSMS_NOW=$((CALSMS_NOW + 3600)) follow-up-due -s 100000 >"$T/later" 2>/dev/null
	[ -z "$(comm -12 <(jq -r .id "$T/all" | sort) <(jq -r .id "$T/later" | sort))" ]
	# every one handed out, and any claimed by a run killed before it
	# printed, is uncertain now: none is sent again without a person's word
	conv-store list -s uncertain | jq -r .id | sort >"$T/uncertain"
	[ -z "$(comm -23 <(jq -r .id "$T/all" | sort) "$T/uncertain")" ]
	[ "$(wc -l <"$T/uncertain")" -ge "$n" ]
	run -0 conv-store check
}

@test "storm: kill -9 during record; a result is recorded whole or not at all" {
	store
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 5000 | conv-store add -q
	follow-up-due -s 100000 | sent >"$T/results"
	IN=$T/results kill_rounds "conv-store list -s awaiting_reply" conv-store record
	conv-store record <"$T/results" >/dev/null
	[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 5000 ]
	[ "$(conv-store dump | jq -s 'map(.messages | length) | max')" -eq 1 ]
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
	[ "$(conv-store dump | wc -l)" -eq "$committed" ]
	mount -o remount,size=200m "$T/small"
	conv-store add -q <"$T/appts"
	[ "$(conv-store dump | wc -l)" -eq 20000 ]
	run -0 conv-store check
}

@test "storm: a full map grows while two writers share it; every line stored once, check agrees" {
	# a 128 KiB map fills after a few hundred conversations: MDB_MAP_FULL
	# in the adder and the recorder alike, each growing the map and
	# adopting the other's growth (MDB_MAP_RESIZED)
	export CALSMS_MAP_SIZE=131072
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
	[ "$(conv-store dump | wc -l)" -eq 5000 ]
	[ "$(jq -r .id "$T/due" | sort | uniq -d | wc -l)" -eq 0 ]
	[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 5000 ]
	[ "$(conv-store dump | jq -s 'map(.messages | length) | max')" -eq 1 ]
	run -0 conv-store check
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
	[ "$(conv-store dump | jq -s 'map(.replies | length) | max')" -eq 1 ]
	run -0 conv-store check
}
