#!/usr/bin/env bats
load helper

setup() {
	export CALSMS_NOW=1764000000
	C=$FIX/calendly
}

@test "cal-parse: the shared booking fixture gives a full appointment" {
	run --separate-stderr cal-parse -k <(echo "$KEY") -s "$(cat $C/invitee-created.sig)" $C/invitee-created.json
	assert_success
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	run jq -e '.type == "booking" and .id == "INV0000000000001"
		and .phone == "+14045550134" and .phone_source == "text_reminder_number"
		and .start_time == "2025-11-25T15:00:00Z" and .end_time == "2025-11-25T15:30:00Z"
		and .start_local == "Tue Nov 25, 10:00 AM EST" and .timezone == "America/New_York"
		and .first_name == "Ada" and .name == "Ada Lovelace" and .email == "ada@example.org"
		and .event_name == "30 Minute Consultation"
		and .invitee_uri == "https://api.calendly.com/scheduled_events/EV00000000000001/invitees/INV0000000000001"
		and .event_uri == "https://api.calendly.com/scheduled_events/EV00000000000001"
		and .cancel_url == "https://calendly.com/cancellations/INV0000000000001"
		and .reschedule_url == "https://calendly.com/reschedulings/INV0000000000001"
		and .old_id == null and .new_id == null and .rescheduled == false
		and .reason == null and .received_at == "2025-11-24T16:00:00Z"' <<<"$output"
	assert_success
}
