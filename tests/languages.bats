#!/usr/bin/env bats
# Dates in the customer's language: start_parts on every appointment line,
# in the invitee's zone, and the shipped Spanish and French sets that
# write the date from it; each set one directory.
load helper

EX=$BATS_TEST_DIRNAME/../examples

setup() {
	T=$BATS_TEST_TMPDIR
	export CALSMS_NOW=1764000000 BUSINESS="Harbour Dental"
}

# booking START ZONE: the Calendly fixture booking at START in ZONE, parsed
booking() {
	jq -c --arg s "$1" --arg z "$2" '.payload.scheduled_event.start_time = $s | .payload.timezone = $z' \
		"$FIX/calendly/invitee-created.json" >"$T/body.json"
	cal-parse -n "$T/body.json"
}

# texts DUE...: the sender's texts, one a line, for the appointment on
# stdin, in the event type "es" (Spanish), "fr" (French) or neither
texts() {
	local a
	a=$(cat)
	mkdir -p "$T/tpl"
	cp -r "$EX/templates/." "$T/tpl/"
	cp -r "$EX/templates-es" "$T/tpl/es"
	cp "$EX"/moments-es/*.jq "$T/tpl/es/"
	cp -r "$EX/templates-fr" "$T/tpl/fr"
	cp "$EX"/moments-fr/*.jq "$T/tpl/fr/"
	for due in "$@"; do
		jq -c --arg d "$due" '{id, phone, due: $d, appointment: .}' <<<"$a"
	done | sms-send -p log -T "$T/tpl" 2>/dev/null | jq -r .sms.body
}

@test "start_parts: the appointment's time in the invitee's zone, field by field" {
	run -0 booking 2025-11-25T15:00:00.000000Z America/New_York
	json_is '.start_parts == {year: 2025, month: 11, day: 25, weekday: 2, hour: 10, minute: 0,
		zone_abbr: "EST", utc_offset: -18000} and .start_local == "Tue Nov 25, 10:00 AM EST"' <<<"$output"
	# summer time in Paris, a Wednesday, the first of the month
	run -0 booking 2026-07-01T08:05:00.000000Z Europe/Paris
	json_is '.start_parts == {year: 2026, month: 7, day: 1, weekday: 3, hour: 10, minute: 5,
		zone_abbr: "CEST", utc_offset: 7200}' <<<"$output"
	# across midnight and the year: New Year's Eve in Los Angeles is 2027 in UTC
	run -0 booking 2027-01-01T07:30:00.000000Z America/Los_Angeles
	json_is '.start_parts | .year == 2026 and .month == 12 and .day == 31 and .weekday == 4 and
		.hour == 23 and .minute == 30 and .zone_abbr == "PST" and .utc_offset == -28800' <<<"$output"
	# a zone with a half-hour offset
	run -0 booking 2025-11-25T15:00:00.000000Z Asia/Kolkata
	json_is '.start_parts | .hour == 20 and .minute == 30 and .utc_offset == 19800' <<<"$output"
}

@test "start_parts: an unknown zone gives UTC's parts, as start_local does, and says so" {
	run -0 --separate-stderr booking 2025-11-25T15:00:00.000000Z Mars/Olympus_Mons
	json_is '.start_parts == {year: 2025, month: 11, day: 25, weekday: 2, hour: 15, minute: 0,
		zone_abbr: "UTC", utc_offset: 0}' <<<"$output"
	[[ $stderr == *'unknown time zone "Mars/Olympus_Mons"'* ]]
}

@test "start_parts: a Cal.com booking has them too, in the attendee's zone" {
	export CALSMS_NOW=2025-11-24T16:00:30Z
	run -0 cal-parse -n -f calcom "$FIX/calcom/booking-created.json"
	json_is '.start_parts == {year: 2025, month: 11, day: 25, weekday: 2, hour: 10, minute: 0,
		zone_abbr: "EST", utc_offset: -18000}' <<<"$output"
}

@test "start_parts: kept by the store, and on every line the sender gets" {
	booking 2025-11-25T15:00:00.000000Z America/New_York | conv-store add -q
	run -0 follow-up-due
	json_is '.due == "confirm" and .appointment.start_parts.weekday == 2' <<<"$output"
	run -0 dumped
	json_is '.appointment.start_parts.utc_offset == -18000' <<<"$output"
}

# every_moment SLUG DATE OPTOUT: the set in event type SLUG writes DATE and
# OPTOUT in each moment's text (in $lines after)
every_moment() {
	run -0 texts confirm followup reminder help canceled rescheduled < <(booking 2025-11-25T15:00:00.000000Z America/New_York |
		jq -c --arg s "$1" '.event_slug = $s')
	[ "${#lines[@]}" -eq 6 ] || fail "${#lines[@]} texts: $output"
	for l in "${lines[@]}"; do
		[[ $l == *"$2"* && $l == *"$3"* ]] || fail "not \"$2\" and \"$3\": $l"
	done
}

@test "Spanish: the date in Spanish in every moment, from start_parts" {
	every_moment es "martes 25 de noviembre, 10:00" "Responda STOP para"
	[[ ${lines[0]} == "Hola Ada, confirmamos su cita 30 Minute Consultation con Dana Host el martes 25 de noviembre, 10:00 en "* ]]
	run -0 texts confirm < <(booking 2026-07-01T08:05:00.000000Z Europe/Madrid | jq -c '.event_slug = "es"')
	[[ $output == *" el miércoles 1 de julio, 10:05 en "* ]] || fail "$output"
}

@test "French: the date in French in every moment, from start_parts; a language is one directory" {
	every_moment fr "mardi 25 novembre à 10h00" "Répondez STOP pour"
	[[ ${lines[0]} == "Bonjour Ada, nous confirmons votre rendez-vous 30 Minute Consultation avec Dana Host le mardi 25 novembre à 10h00 au "* ]]
	[[ ${lines[3]} == "Harbour Dental : "* ]]
	run -0 texts confirm < <(booking 2026-07-01T08:05:00.000000Z Europe/Paris | jq -c '.event_slug = "fr"')
	[[ $output == *" le mercredi 1er juillet à 10h05 au "* ]] || fail "$output"
	# the other event types stay in English
	run -0 texts confirm < <(booking 2025-11-25T15:00:00.000000Z America/New_York)
	[[ $output == "Hi Ada, this confirms your 30 Minute Consultation with Dana Host on Tue Nov 25, 10:00 AM EST"* ]]
	# and the carriers' rules hold for the whole set
	run -0 --separate-stderr sms-send --check -T "$T/tpl"
	assert_equal "$stderr" ""
	json_is -s 'map(select(.template | test("/fr/"))) | length == 7' <<<"$output"
}

@test "a conversation stored before start_parts: the Spanish and French sets fall back to start_local" {
	run -0 texts confirm < <(booking 2025-11-25T15:00:00.000000Z America/New_York | jq -c 'del(.start_parts) | .event_slug = "es"')
	[[ $output == *" el Tue Nov 25, 10:00 AM EST en "* ]] || fail "$output"
	run -0 texts confirm < <(booking 2025-11-25T15:00:00.000000Z America/New_York | jq -c 'del(.start_parts) | .event_slug = "fr"')
	[[ $output == *" le Tue Nov 25, 10:00 AM EST au "* ]] || fail "$output"
}

@test "French and Spanish replies: OUI, NON, AIDE, ARRET; SI, BAJA, AYUDA" {
	for pair in "Oui:confirm" "oui, à demain:confirm" "NON:decline" "Non merci:decline" "AIDE:help" \
		"ARRET:stop" "Sí:confirm" "BAJA:stop" "AYUDA:help"; do
		body=${pair%:*}
		printf 'From=%%2B14045550134&To=%%2B15005550006&Body=%s&MessageSid=SM1' "$(jq -rn --arg b "$body" '$b | @uri')" >"$T/form"
		run -0 env -u TWILIO_AUTH_TOKEN sms-parse -p twilio -n "$T/form"
		json_is --arg i "${pair##*:}" '.intent == $i' <<<"$output"
	done
}
