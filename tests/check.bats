#!/usr/bin/env bats
# conv-store check: every index against the records, and --repair.
load helper

POKE=$(dirname "$BIN")/build/unit/store-poke

setup() {
	T=$BATS_TEST_TMPDIR
	export CALSMS_NOW=1764000000
	# the LMDB file itself (store-poke, damage) on either suite; pg.bats
	# checks PostgreSQL's rows
	export CALSMS_DB=$T/lmdb
	store
	for i in $(seq 20); do appt "A$i" "+1404555$(printf %04d "$i")" 2025-11-25T15:00:00Z; done |
		conv-store add -q
	# a few in other states: claimed, sent, replied, opted out
	follow-up-due -n 3 | sent | conv-store record >/dev/null
	follow-up-due -n 2 >/dev/null
	conv-store optout +14045550020 >/dev/null
}

# problems: check's output, one "id problem" a line
problems() {
	jq -r '"\(.id) \(.problem)"' <<<"$output"
}

@test "check: a store written by the programs has no problems (exit 0, nothing on stdout)" {
	run -0 --separate-stderr conv-store check
	assert_output ""
	[[ "$stderr" == *"20 conversations, "*" index keys, 1 opt-outs: 0 problems"* ]]
}

@test "check: a missing index key is found, named by record and kind; exit 1" {
	"$POKE" "$CALSMS_DB" del c A19
	run -1 --separate-stderr conv-store check
	[ "$(problems)" = "A19 index key 'c' missing" ]
	[[ "$stderr" == *"1 problem"* ]]
}

@test "check: an index key without a record, and a stale one, are found" {
	"$POKE" "$CALSMS_DB" add s pending GHOST
	"$POKE" "$CALSMS_DB" add s declined A5
	run -1 conv-store check
	run -1 --separate-stderr conv-store check
	problems | sort >"$T/got"
	printf '%s\n' "A5 a stale index key 's'" "GHOST an index key without a record" >"$T/want"
	diff "$T/want" "$T/got"
}

@test "check: a record that does not parse, an unknown status, a bad claim, a bad opt-out" {
	"$POKE" "$CALSMS_DB" put A1 '{"id":"A1","status":'
	"$POKE" "$CALSMS_DB" put A2 "$(conv-store get A2 | jq -c '.status = "teleported"')"
	"$POKE" "$CALSMS_DB" put A3 "$(conv-store get A3 | jq -c '.claim = {"kind": 7}')"
	"$POKE" "$CALSMS_DB" optout '4045550000'
	run -1 --separate-stderr conv-store check
	problems | grep -qx 'A1 the record does not parse'
	problems | grep -qx 'A2 unknown status'
	problems | grep -qx 'A3 a claim without a kind and a time'
	problems | grep -qx '4045550000 an opt-out that is not an E.164 number'
}

@test "check --repair: the indexes rebuilt from the records in one transaction; then clean" {
	"$POKE" "$CALSMS_DB" del c A19
	"$POKE" "$CALSMS_DB" del a A18
	"$POKE" "$CALSMS_DB" add s pending GHOST
	"$POKE" "$CALSMS_DB" add f - A12
	run -0 --separate-stderr conv-store check --repair
	[ "$(wc -l <<<"$output")" -eq 4 ]
	[[ "$stderr" == *"rebuilt the indexes from 20 records"* ]]
	[[ "$stderr" == *"0 problems"* ]]
	run -0 conv-store check
	# the repaired indexes work: A19 is due again, GHOST is gone
	run -0 follow-up-due
	assert_output --partial '"id":"A19"'
	run -0 conv-store list -s pending
	refute_output --partial GHOST
}

@test "check --repair: a record that cannot be read stays a problem (exit 1)" {
	"$POKE" "$CALSMS_DB" put A1 'not json'
	run -1 --separate-stderr conv-store check --repair
	[[ "$stderr" == *"rebuilt the indexes from 19 records"* ]]
	run -1 conv-store check
	[ "$(problems)" = "A1 the record does not parse" ]
}

@test "check: usage" {
	run -64 conv-store check --fix
	run -64 conv-store check --repair extra
}

@test "check found it: an opt-out left the conversation under its old status (list -s pending showed it)" {
	appt B1 +14045550777 2025-11-25T15:00:00Z | conv-store add -q
	conv-store optout +14045550777 >/dev/null
	run -0 conv-store list -s pending
	refute_output --partial '"id":"B1"'
	run -0 conv-store list -s opted_out
	assert_output --partial '"id":"B1"'
	run -0 conv-store check
}
