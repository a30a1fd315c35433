#!/usr/bin/env bats
# conv-store changes: the change feed, one line a committed change, in
# the order of commits, with seq that only grows; --after, -f, purge's
# retention, and dump | load.
load helper

START=2025-11-25T15:00:00Z

setup() {
	export CALSMS_NOW=1764000000
	T=$BATS_TEST_TMPDIR
}

teardown() {
	stop_started
}

# whats: each line's seq and what changed, "seq what,what"
whats() {
	jq -r '"\(.seq) \([.changes[].what] | join(","))"'
}

@test "changes: a conversation's life, one line a change, each with the conversation after it" {
	appt A1 +14045550101 $START | conv-store add -q
	# a claim alone is not a change
	follow-up-due >"$T/due"
	run -0 conv-store changes
	[ "${#lines[@]}" -eq 1 ]
	sent <"$T/due" | conv-store record >/dev/null
	conv-store reply <<<'{"type": "receipt", "provider": "twilio", "provider_id": "SM-A1-confirm", "status": "delivered", "at": "2025-11-24T16:00:05Z"}' >/dev/null
	conv-store reply <<<'{"from": "+14045550101", "body": "Yes!", "provider_id": "SMr1", "received_at": "2025-11-24T16:01:00Z"}' >/dev/null
	conv-store note A1 "called to say thanks" >/dev/null
	appt A1 +14045550101 $START '.type = "cancel"' | at 60 conv-store add -q
	run -0 conv-store changes
	[ "$(whats <<<"$output")" = "1 booked,status
2 status,message
3 receipt
4 status,reply
5 operator
6 status" ] || fail "the feed: $(whats <<<"$output")"
	json_is -s '.[0].id == "A1" and .[0].conversation.status == "pending" and .[0].changes[1].from == null' <<<"$output"
	json_is -s '.[1].changes[0] == {what: "status", from: "pending", to: "awaiting_reply"} and .[1].changes[1].message.kind == "confirm"' <<<"$output"
	json_is -s '.[2].changes[0].message.delivery == "delivered"' <<<"$output"
	json_is -s '.[3].changes[1].reply.intent == "confirm" and .[3].changes[1].reply.body == "Yes!" and .[3].conversation.status == "replied"' <<<"$output"
	json_is -s '.[4].changes[0].action.text == "called to say thanks"' <<<"$output"
	json_is -s '.[5].changes[0].to == "canceled" and (.[5].at | test("^2025-11-24T16:01:00Z$"))' <<<"$output"
	# the last line's conversation is the stored one
	last=$(tail -n1 <<<"$output" | jq -c .conversation)
	[ "$last" = "$(conv-store get A1)" ]
}

@test "changes: a STOP opts out every conversation of the number, each a line; an older START leaves them opted out" {
	appt A1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	appt A2 +14045550101 2025-11-26T15:00:00Z | conv-store add -q
	run -0 conv-store changes
	last=$(tail -n1 <<<"$output" | jq .seq)
	conv-store reply <<<'{"from": "+14045550101", "body": "STOP", "provider_id": "SMs", "received_at": "2025-11-24T16:02:00Z"}' >/dev/null
	run -0 conv-store changes --after "$last"
	json_is -s 'length >= 2 and all(.conversation.status == "opted_out") and ([.[].id] | unique == ["A1", "A2"]) and any(.[].changes[]; .what == "reply" and .reply.intent == "stop")' <<<"$output"
	json_is -s "all(.seq > $last)" <<<"$output"
	last=$(tail -n1 <<<"$output" | jq .seq)
	# a replayed START sent before the STOP: nothing changes, no line
	conv-store reply <<<'{"from": "+14045550101", "body": "START", "provider_id": "SMold", "received_at": "2025-11-24T16:01:00Z"}' >/dev/null || :
	run -0 conv-store changes --after "$last"
	[ -z "$output" ] || json_is -s 'all(.conversation.status == "opted_out")' <<<"$output"
	run -0 conv-store optout +14045550101
	conv_is A1 '.status == "opted_out"'
}

@test "changes --after: a consumer resumes where it stopped, and sees each change once" {
	for i in 1 2 3; do appt "B$i" "+1404555010$i" $START | conv-store add -q; done
	run -0 conv-store changes
	[ "$(jq -r .seq <<<"$output" | paste -sd' ')" = "1 2 3" ]
	run -0 conv-store changes --after 2
	[ "$(jq -r .id <<<"$output")" = B3 ]
	run -0 conv-store changes --after 3
	assert_output ""
	appt B4 +14045550104 $START | conv-store add -q
	run -0 conv-store changes --after 3
	json_is '.seq == 4 and .id == "B4"' <<<"$output"
	# a booking again that changes nothing is no change
	appt B4 +14045550104 $START | conv-store add -q
	run -0 conv-store changes --after 4
	assert_output ""
}

@test "changes: bad options are 64 and name the option; nothing is printed" {
	conv-store init
	run --separate-stderr conv-store changes --after x
	assert_failure 64
	[[ $stderr == *"--after: not a sequence number"* ]] || fail "stderr: $stderr"
	run --separate-stderr conv-store changes --after -1
	assert_failure 64
	run --separate-stderr conv-store changes extra
	assert_failure 64
	run --separate-stderr conv-store purge -c never
	assert_failure 64
	[[ $stderr == *"-c: not a number of days"* ]] || fail "stderr: $stderr"
	CALSMS_CHANGES_DAYS=lots run --separate-stderr conv-store purge
	assert_failure 64
	[[ $stderr == *"CALSMS_CHANGES_DAYS: not a number of days"* ]] || fail "stderr: $stderr"
	[ -z "$output" ]
}

@test "changes -f: waits for changes, prints each as it commits, and ends at a TERM with 0" {
	appt F1 +14045550101 $START | conv-store add -q
	conv-store changes -f --after 0 >"$T/feed" 2>"$T/feed.err" 3>&- &
	pid=$!
	echo $pid >"$T/feed.pid"
	for _ in $(seq 100); do [ "$(wc -l <"$T/feed")" -ge 1 ] && break; sleep 0.05; done
	[ "$(wc -l <"$T/feed")" -eq 1 ]
	appt F2 +14045550102 $START | conv-store add -q
	conv-store note F1 "one more" >/dev/null
	for _ in $(seq 100); do [ "$(wc -l <"$T/feed")" -ge 3 ] && break; sleep 0.05; done
	[ "$(jq -r .seq "$T/feed" | paste -sd' ')" = "1 2 3" ] || fail "feed: $(cat "$T/feed")"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/feed.err" ]
}

@test "changes: writers at once get seq 1..N with no gap, and a follower reading meanwhile misses none" {
	conv-store init
	conv-store changes -f >"$T/feed" 2>"$T/feed.err" 3>&- &
	pid=$!
	echo $pid >"$T/feed.pid"
	for w in 1 2 3 4 5 6; do
		(for i in 1 2 3 4 5; do
			appt "W$w-$i" "+1404555$(printf %02d "$w")0$i" $START | conv-store add -q
			conv-store note "W$w-$i" "seen" >/dev/null
		done) 3>&- &
	done
	wait_writers() { local j; for j in $(jobs -p); do [ "$j" = "$pid" ] || wait "$j"; done; }
	wait_writers
	run -0 conv-store changes
	[ "${#lines[@]}" -eq 60 ]
	[ "$(jq -r .seq <<<"$output" | paste -sd' ')" = "$(seq 60 | paste -sd' ')" ]
	json_is -s '[.[] | select(.changes[0].what == "booked") | .id] | unique | length == 30' <<<"$output"
	for _ in $(seq 200); do [ "$(wc -l <"$T/feed")" -ge 60 ] && break; sleep 0.05; done
	# the follower saw every seq once, in order: none was committed after a later one
	[ "$(jq -r .seq "$T/feed" | paste -sd' ')" = "$(seq 60 | paste -sd' ')" ] || fail "follower: $(jq -r .seq "$T/feed" | paste -sd' ')"
}

@test "purge: changes are kept CALSMS_CHANGES_DAYS (30 by default) or -c days; seq goes on after a trim" {
	appt P1 +14045550101 $START | conv-store add -q
	at 86400 conv-store note P1 "a day later" >/dev/null
	at $((86400 * 20)) conv-store note P1 "twenty days later" >/dev/null
	# 31 days after the booking: the first change is older than 30 days
	run -0 at $((86400 * 31)) conv-store purge
	json_is '.purged_changes == 1' <<<"$output"
	run -0 conv-store changes
	[ "$(jq -r .seq <<<"$output" | paste -sd' ')" = "2 3" ]
	CALSMS_CHANGES_DAYS=15 run -0 at $((86400 * 31)) conv-store purge
	json_is '.purged_changes == 1' <<<"$output"
	run -0 conv-store changes
	json_is '.seq == 3' <<<"$output"
	# in a settings file too
	printf 'CALSMS_CHANGES_DAYS=100\n' >"$T/calsms.env"
	run -0 at $((86400 * 31)) conv-store -C "$T/calsms.env" purge
	assert_output ""
	run -0 at $((86400 * 31)) conv-store purge -c 0
	json_is '.purged_changes == 1' <<<"$output"
	run -0 conv-store changes
	assert_output ""
	at $((86400 * 32)) conv-store note P1 "after the trim" >/dev/null
	run -0 conv-store changes
	json_is '.seq == 4' <<<"$output"
	# a consumer that was at 1 hears its changes 2 and 3 are gone
	run -0 --separate-stderr conv-store changes --after 1
	json_is '.seq == 4' <<<"$output"
	[[ $stderr == *"changes 2 to 3 were purged before they were read"* ]] || fail "stderr: $stderr"
	run -0 --separate-stderr conv-store changes --after 9
	assert_output ""
	[[ $stderr == *"--after 9 is past the last change (4)"* ]] || fail "stderr: $stderr"
}

@test "purge: a purged conversation is a change, with no conversation after it" {
	appt X1 +14045550101 $START '.end_time = "2025-11-25T15:30:00Z"' | conv-store add -q -e 1
	run -0 at $((86400 * 3)) conv-store purge -c 100
	json_is '.purged == "X1"' <<<"$output"
	run -0 conv-store changes --after 1
	json_is '.seq == 2 and .id == "X1" and .changes == [{what: "purged"}] and .conversation == null' <<<"$output"
}

@test "dump | load: the feed comes along as it was, load adds no change, and seq goes on past it" {
	appt D1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	conv-store note D1 "hello" >/dev/null
	run -0 conv-store dump
	json_is -s '[.[] | select(.change) | .change.seq] == [1, 2, 3]' <<<"$output"
	printf '%s\n' "$output" >"$T/dump"
	export CALSMS_DB=$T/second
	conv-store load <"$T/dump"
	run -0 conv-store dump
	cmp <(printf '%s\n' "$output") "$T/dump"
	conv-store note D1 "after the restore" >/dev/null
	run -0 conv-store changes --after 3
	json_is '.seq == 4 and .changes[0].action.text == "after the restore"' <<<"$output"
	# loaded again into a live store: its own lines stay, nothing is added
	conv-store load <"$T/dump"
	run -0 conv-store changes
	[ "$(jq -r .seq <<<"$output" | paste -sd' ')" = "1 2 3 4" ]
}

@test "load: a change line without a seq or an at is 65 and skipped; the rest is stored" {
	{
		echo '{"change": {"at": "2025-11-24T16:00:00Z", "id": "Z"}}'
		echo '{"change": {"seq": 7, "id": "Z"}}'
		echo '{"change": {"seq": 5, "at": "2025-11-24T16:00:00Z", "id": "Z", "changes": [{"what": "booked"}], "conversation": null}}'
	} >"$T/bad"
	run --separate-stderr conv-store load <"$T/bad"
	assert_failure 65
	[[ $stderr == *"a change without a seq and an at; skipped"* ]] || fail "stderr: $stderr"
	run -0 conv-store changes
	json_is '.seq == 5' <<<"$output"
	appt Z1 +14045550101 $START | conv-store add -q
	run -0 conv-store changes --after 5
	json_is '.seq == 6 and .id == "Z1"' <<<"$output"
}

@test "changes: an LMDB store made before the feed reads as an empty one, and a follower sees the first change a writer makes" {
	POKE=$(dirname "$BIN")/build/unit/store-poke
	export CALSMS_DB=$T/lmdb
	appt O1 +14045550101 $START | conv-store add -q
	"$POKE" "$CALSMS_DB" drop changes
	run -0 conv-store changes
	assert_output ""
	run -0 conv-store list
	json_is '.id == "O1"' <<<"$output"
	conv-store changes -f >"$T/feed" 2>"$T/feed.err" 3>&- &
	echo $! >"$T/feed.pid"
	# the follower has the store open before the write
	for _ in $(seq 100); do ls -l "/proc/$(cat "$T/feed.pid")/fd" 2>/dev/null | grep -q data.mdb && break; sleep 0.05; done
	conv-store note O1 "after the upgrade" >/dev/null
	for _ in $(seq 100); do [ -s "$T/feed" ] && break; sleep 0.05; done
	json_is '.seq == 1 and .id == "O1" and .changes[0].what == "operator"' "$T/feed"
}
