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
	assert_line "  INV0000000000001  +14045550134  canceled  messages: 3  replies: 0"
	# the event type's own confirmation, and the cancel notice, once
	assert_line --partial '"Hi Ada, your consultation with Dana Host is booked for'
	assert_line "  sent canceled to INV0000000000001: canceled"
	[ "$(grep -c '^  sent canceled ' <<<"$output")" -eq 1 ]
	assert_line '  POST /twilio "YES" -> HTTP 200'
	assert_line "  POST /twilio forged -> HTTP 401"
	assert_line "  INV0000000000002 is now replied"
	assert_line '  POST /twilio "STOP" -> HTTP 200'
	assert_line "  INV0000000000002 is now opted_out"
	assert_line "  INV0000000000002  +12125550199  opted_out  messages: 1  replies: 2"
	[ "$(grep -c '^  sent ' <<<"$output")" -eq 4 ]
	# it ends with the report: three booked, two with a phone, three dry runs
	assert_line --regexp $'^period\tbookings\twith_phone\t'
	assert_line --regexp $'^2025-11-2[45]\t3\t2\t0\t'
}
