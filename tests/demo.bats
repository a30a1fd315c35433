#!/usr/bin/env bats
# make demo tells the whole story; it must keep telling it right.
load helper

@test "the demo runs end to end and each step says what it must" {
	run --separate-stderr sh "$BATS_TEST_DIRNAME/../examples/demo.sh"
	assert_success
	assert_line "  POST invitee-created.json -> HTTP 200"
	assert_line "  POST a forged body -> HTTP 401"
	assert_line "  sent confirm to INV0000000000001: awaiting_reply"
	assert_line "  sent followup to INV0000000000001: followed_up"
	refute_line "  sent followup to INV0000000000002: followed_up"
	assert_line "  INV0000000000001  +14045550134  canceled  messages: 2  replies: 0"
	assert_line "  INV0000000000002  +12125550199  replied  messages: 1  replies: 1"
	[ "$(grep -c '^  sent ' <<<"$output")" -eq 3 ]
}
