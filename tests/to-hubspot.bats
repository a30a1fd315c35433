#!/usr/bin/env bats
# examples/to-hubspot: the change feed into a loopback stand-in for
# HubSpot's CRM API (tests/mock-hubspot.py), which checks the token and
# the shapes of every request as HubSpot does.
load helper

START=2025-11-25T15:00:00Z
HUBSPOT=$BATS_TEST_DIRNAME/../examples/to-hubspot

setup() {
	export CALSMS_NOW=1764000000
	T=$BATS_TEST_TMPDIR
	M=$T/hubspot
	mkdir -p "$M"
	echo '{"mode": "ok"}' >"$M/control"
	MOCK_HUBSPOT_TOKEN=pat-na1-test start_mock hubspot mock-hubspot.py "$T/port" "$M"
	API=http://127.0.0.1:$(cat "$T/port")
	printf 'HUBSPOT_TOKEN=pat-na1-test\nHUBSPOT_API_URL=%s\nHUBSPOT_POSITION=%s\n' "$API" "$T/position" >"$T/hubspot.env"
}

teardown() {
	stop_started
}

state() {
	curl -sS "$API/_state"
}

# requests: what the stand-in was sent, "METHOD PATH STATUS" a line
requests() {
	[ -s "$M/log" ] || return 0
	jq -r '"\(.method) \(.path) \(.status)"' "$M/log"
}

@test "to-hubspot: a booking, a reply and a cancel become one contact and its notes; a second run sends nothing" {
	appt H1 +14045550101 $START | conv-store add | sent | conv-store record >/dev/null
	conv-store reply <<<'{"from": "+14045550101", "body": "Yes, see you", "provider_id": "SMr1", "received_at": "2025-11-24T16:05:00Z"}' >/dev/null
	appt H2 +14045550101 2025-11-26T15:00:00Z '.start_local = "Wed Nov 26, 10:00 AM EST"' | conv-store add -q
	appt H2 +14045550101 2025-11-26T15:00:00Z '.type = "cancel"' | at 60 conv-store add -q
	run -0 --separate-stderr "$HUBSPOT" -C "$T/hubspot.env"
	[ -z "$stderr" ] || fail "stderr: $stderr"
	last=$(conv-store changes | tail -n1 | jq .seq)
	[ "$(cat "$T/position")" = "$last" ]
	run -0 state
	json_is '.contacts | length == 1 and .[] == {email: "ada@example.org", firstname: "Ada", lastname: "Lovelace", phone: "+14045550101"}' <<<"$output"
	json_is '[.notes[].properties.hs_note_body] == [
		"Booked: Consultation on Tue Nov 25, 10:00 AM EST (calsms H1)",
		"SMS reply about Consultation on Tue Nov 25, 10:00 AM EST: \"Yes, see you\" (confirm)",
		"Booked: Consultation on Wed Nov 26, 10:00 AM EST (calsms H2)",
		"Appointment texts: pending -> canceled (Consultation on Wed Nov 26, 10:00 AM EST)"]' <<<"$output"
	json_is '.notes[1].properties.hs_timestamp == "2025-11-24T16:05:00Z" and .notes[3].properties.hs_timestamp == "2025-11-24T16:01:00Z"' <<<"$output"
	json_is 'all(.notes[]; .contact == "1000")' <<<"$output"
	# every request was one HubSpot takes
	run -0 requests
	refute_output --regexp ' [^2][0-9][0-9]$'
	n=$(wc -l <"$M/log")
	run -0 "$HUBSPOT" -C "$T/hubspot.env"
	[ "$(wc -l <"$M/log")" -eq "$n" ]
	# the next change alone, when it comes
	conv-store reply <<<'{"from": "+14045550101", "body": "STOP", "provider_id": "SMr2", "received_at": "2025-11-24T16:09:00Z"}' >/dev/null
	run -0 "$HUBSPOT" -C "$T/hubspot.env"
	run -0 state
	json_is '.notes | length == 6 and (.[4].properties.hs_note_body | startswith("Appointment texts: replied -> opted_out")) and (.[5].properties.hs_note_body | contains("\"STOP\" (stop)"))' <<<"$output"
}

@test "to-hubspot: without an email the contact is found by phone, made once" {
	appt P1 +14045550102 $START '.email = null | .name = "Grace Hopper" | .first_name = "Grace"' | conv-store add -q
	appt P2 +14045550102 2025-11-26T15:00:00Z '.email = null | .name = "Grace Hopper" | .first_name = "Grace"' | conv-store add -q
	run -0 "$HUBSPOT" -C "$T/hubspot.env"
	run -0 state
	json_is '.contacts == {"1000": {firstname: "Grace", lastname: "Hopper", phone: "+14045550102"}} and (.notes | length == 2)' <<<"$output"
	run -0 requests
	[ "$(grep -c '^POST /crm/v3/objects/contacts/search 200$' <<<"$output")" -eq 2 ]
	[ "$(grep -c '^POST /crm/v3/objects/contacts 201$' <<<"$output")" -eq 1 ]
}

@test "to-hubspot: a refused token is 77: nothing is made and the position does not move" {
	appt R1 +14045550101 $START | conv-store add -q
	printf 'HUBSPOT_TOKEN=pat-na1-wrong\nHUBSPOT_API_URL=%s\nHUBSPOT_POSITION=%s\n' "$API" "$T/position" >"$T/wrong.env"
	run --separate-stderr "$HUBSPOT" -C "$T/wrong.env"
	assert_failure 77
	[[ $stderr == *"HubSpot refused the token (401)"* ]] || fail "stderr: $stderr"
	[ ! -e "$T/position" ]
	run -0 state
	json_is '.contacts == {} and .notes == []' <<<"$output"
	# the token reaches curl in a file, never on its command line
	mkdir "$T/wrap"
	printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec %s "$@"\n' "$T/curl.args" "$(command -v curl)" >"$T/wrap/curl"
	chmod 0755 "$T/wrap/curl"
	PATH=$T/wrap:$PATH run -0 "$HUBSPOT" -C "$T/hubspot.env"
	[ -s "$T/curl.args" ]
	run grep -c pat-na1 "$T/curl.args"
	assert_failure 1
}

@test "to-hubspot: a throttled note (429) stops the run with 75 before it; the next run sends it once" {
	appt R1 +14045550101 $START | conv-store add -q
	appt R2 +14045550103 $START '.email = "r2@example.org"' | conv-store add -q
	run -0 "$HUBSPOT" -C "$T/hubspot.env" -p "$T/first"
	# one change at a time: the first is taken, the second throttled
	appt R3 +14045550104 $START '.email = "r3@example.org"' | conv-store add -q
	appt R4 +14045550105 $START '.email = "r4@example.org"' | conv-store add -q
	echo '{"mode": "429", "only": "/notes"}' >"$M/control"
	run --separate-stderr "$HUBSPOT" -C "$T/hubspot.env" -p "$T/first"
	assert_failure 75
	[[ $stderr == *"HubSpot answered 429; trying again next run"* ]] || fail "stderr: $stderr"
	[ "$(cat "$T/first")" = 2 ]
	echo '{"mode": "ok"}' >"$M/control"
	run -0 "$HUBSPOT" -C "$T/hubspot.env" -p "$T/first"
	[ "$(cat "$T/first")" = 4 ]
	run -0 state
	json_is '[.notes[].properties.hs_note_body | capture("calsms (?<id>R[0-9])").id] == ["R1", "R2", "R3", "R4"]' <<<"$output"
	# HubSpot down: 75 too, the position kept
	appt R5 +14045550106 $START | conv-store add -q
	kill "$(cat "$T/hubspot.pid")"
	run --separate-stderr "$HUBSPOT" -C "$T/hubspot.env" -p "$T/first"
	assert_failure 75
	[ "$(cat "$T/first")" = 4 ]
}

@test "to-hubspot: a change HubSpot refuses (400) is named, skipped, and the run ends 65 with the rest sent" {
	appt V1 +14045550101 $START '.email = "not-an-email"' | conv-store add -q
	appt V2 +14045550102 $START '.email = "v2@example.org"' | conv-store add -q
	run --separate-stderr "$HUBSPOT" -C "$T/hubspot.env"
	assert_failure 65
	[[ $stderr == *"batch/upsert: HubSpot refused it (400): an upsert by email"* && $stderr == *"seq 1 skipped"* ]] || fail "stderr: $stderr"
	[ "$(cat "$T/position")" = 2 ]
	run -0 state
	json_is '(.notes | length == 1) and (.notes[0].properties.hs_note_body | contains("V2"))' <<<"$output"
}

@test "to-hubspot: settings missing or unreadable are 78; bad usage is 64; a damaged position is 65" {
	run --separate-stderr env -u HUBSPOT_TOKEN "$HUBSPOT" -C "$T/none.env"
	assert_failure 78
	[[ $stderr == *"$T/none.env: cannot read the settings"* ]] || fail "stderr: $stderr"
	printf 'HUBSPOT_API_URL=%s\n' "$API" >"$T/empty.env"
	run --separate-stderr "$HUBSPOT" -C "$T/empty.env"
	assert_failure 78
	[[ $stderr == *"no HUBSPOT_TOKEN"* ]] || fail "stderr: $stderr"
	# the environment's token, when the file has none
	conv-store init
	HUBSPOT_TOKEN=pat-na1-test run -0 "$HUBSPOT" -C "$T/empty.env" -p "$T/p"
	run --separate-stderr "$HUBSPOT" -C "$T/hubspot.env" extra
	assert_failure 64
	echo banana >"$T/position"
	run --separate-stderr "$HUBSPOT" -C "$T/hubspot.env"
	assert_failure 65
	[[ $stderr == *"not a seq: banana"* ]] || fail "stderr: $stderr"
	[ ! -s "$M/log" ]
}
