#!/usr/bin/env bats
# cal-sync against a loopback mock of Calendly's API (tests/mock-calendly.py)

load helper

URL=https://hooks.example.com/calendly

setup() {
	T=$BATS_TEST_TMPDIR
	M=$T/mock
	mkdir -p "$M"
	echo '{"mode": "ok"}' >"$M/control"
	data "$FIX"/calendly/invitee-created*.json
	start_mock mock mock-calendly.py "$T/port" "$M"
	export CALENDLY_API_URL=http://127.0.0.1:$(cat "$T/port")/
	export CALENDLY_TOKEN=pat-secret CALENDLY_KEY_FILE=$T/calendly.key
	export CALSMS_NOW=2025-11-24T16:00:00Z
	unset CALENDLY_TOKEN_FILE CALSMS_URL
}

teardown() {
	kill "$(cat "$T/mock.pid")" 2>/dev/null || true
}

# data WEBHOOK...: the mock's events and invitees are these webhooks' payloads
data() {
	python3 "$BATS_TEST_DIRNAME/mock-calendly.py" --data "$@" >"$M/data.json"
}

control() {
	echo "$1" >"$M/control"
}

# calls METHOD PATH: how many requests the mock had
calls() {
	jq -s --arg m "$1" --arg p "$2" '[.[] | select(.method == $m and .path == $p)] | length' "$M/log"
}

# cal-parse's line for a webhook body, unsigned
parsed() {
	CALENDLY_KEY_FILE= cal-parse -n "$1"
}

@test "cal-sync: -h prints the usage on stdout and exits 0" {
	run -0 cal-sync -h
	assert_line --partial "subscribe [URL]"
	assert_line --partial "since TIME"
}

@test "cal-sync: no command, an unknown one or extra words are usage errors (64)" {
	run -64 cal-sync
	assert_output --partial usage
	run -64 cal-sync frobnicate
	assert_output --partial "unknown command: frobnicate"
	run -64 cal-sync since
	run -64 cal-sync since 1h 2h
	run -64 cal-sync status a b
	run -64 cal-sync subscribe -r "$URL"
}

@test "cal-sync: since needs a time it can read" {
	run -64 cal-sync since lastweek
	assert_output --partial "since: not a time"
	run -64 cal-sync -a soon since 1h
	assert_output --partial "-a: not a duration"
	run -64 cal-sync -q '(' since 1h
	assert_output --partial "-q: bad regular expression"
}

@test "cal-sync: no token is exit 78 and no request; the token is read from a file" {
	unset CALENDLY_TOKEN
	run -78 cal-sync since 1h
	assert_output --partial "no Calendly token"
	[ ! -e "$M/log" ]
	printf 'pat-secret\n' >"$T/token"
	CALENDLY_TOKEN_FILE=$T/token run -0 cal-sync since 2025-11-24
	[ "$(wc -l <<<"$output")" -gt 0 ]
	printf 'CALENDLY_TOKEN=pat-secret\n' >"$T/conf"
	run -0 --separate-stderr cal-sync -C "$T/conf" since 2025-11-24
	[ "$(jq -s length <<<"$output")" -eq 4 ]
}

@test "cal-sync: a refused token is exit 78 (configuration), one clear line" {
	export CALENDLY_TOKEN=wrong
	run -78 cal-sync since 1h
	assert_output "cal-sync: GET /users/me: the token was refused (401, Unauthenticated: The access token is invalid): make a new Personal Access Token"
}

@test "cal-sync since: the same lines cal-parse writes for each booking, field by field" {
	run -0 cal-sync since 2025-11-24
	echo "$output" | grep -v '^cal-sync:' >"$T/sync"
	[ "$(wc -l <"$T/sync")" -eq 4 ]
	for f in "$FIX"/calendly/invitee-created*.json; do
		id=$(jq -r '.payload.uri | split("/") | last' "$f")
		want=$(parsed "$f" | jq -S .)
		got=$(jq -S --arg id "$id" 'select(.id == $id)' "$T/sync")
		[ -n "$got" ] || fail "no line for $id"
		[ "$want" = "$got" ] || fail "$id differs: $(diff <(echo "$want") <(echo "$got"))"
	done
	# the date's parts too, for templates in other languages
	json_is -s 'length == 4 and all(.start_parts.year == 2025 and .start_parts.zone_abbr != null)' "$T/sync"
}

@test "cal-sync since: a cancellation and both halves of a reschedule, as cal-parse would write them" {
	data "$FIX"/calendly/invitee-created.json "$FIX"/calendly/reschedule-canceled.json \
		"$FIX"/calendly/reschedule-created.json
	run -0 cal-sync since 2025-11-24
	echo "$output" | grep -v '^cal-sync:' >"$T/sync"
	jq -S 'select(.id == "INV0000000000001")' "$T/sync" >"$T/got"
	parsed "$FIX"/calendly/reschedule-canceled.json | jq -S . >"$T/want"
	diff "$T/want" "$T/got"
	jq -S 'select(.id == "INV0000000000005")' "$T/sync" >"$T/got"
	parsed "$FIX"/calendly/reschedule-created.json | jq -S . >"$T/want"
	diff "$T/want" "$T/got"
	data "$FIX"/calendly/invitee-created.json "$FIX"/calendly/invitee-canceled.json
	run -0 cal-sync since 2025-11-24
	jq -S 'select(.id == "INV0000000000001")' <<<"$(grep -v '^cal-sync:' <<<"$output")" >"$T/got"
	parsed "$FIX"/calendly/invitee-canceled.json | jq -S . >"$T/want"
	diff "$T/want" "$T/got"
	json_is '.type == "cancel" and .reason == "Double booked"' "$T/got"
}

@test "cal-sync since: only invitees created or changed since TIME; events from TIME on" {
	run -0 cal-sync since 2025-11-24T16:00:00Z
	refute_output --partial '"type"'
	assert_output --partial "4 events, 4 invitees, 0 changed"
	json_is '.query.min_start_time == "2025-11-24T16:00:00Z" and
		.query.max_start_time == "2026-11-24T16:00:00Z" and .query.user != null and
		.query.sort == "start_time:asc" and (.query | has("status") | not)' \
		<(grep '"/scheduled_events"' "$M/log")
	# an hour ago: the fixtures' 15:59:58 bookings
	run -0 cal-sync since 1h
	[ "$(grep -c '"type":"booking"' <<<"$output")" -eq 4 ]
}

@test "cal-sync since | conv-store add -q: backfill is idempotent, a missed cancel is applied" {
	store
	parsed "$FIX"/calendly/invitee-created.json | conv-store add -q
	cal-sync since 26h | conv-store add -q
	cal-sync since 26h | conv-store add -q
	run -0 conv-store list
	[ "$(wc -l <<<"$output")" -eq 4 ]
	run -0 follow-up-due
	[ "$(jq -s 'map(select(.due == "confirm")) | length' <<<"$output")" -eq 3 ]
	[ "$(jq -s 'map(.id) | unique | length' <<<"$output")" -eq 3 ]
	# the webhook for this cancel never arrived: the backfill applies it
	data "$FIX"/calendly/invitee-created*.json "$FIX"/calendly/invitee-canceled.json
	cal-sync since 26h | conv-store add -q
	conv_is INV0000000000001 '.status == "canceled"'
	run -0 follow-up-due
	refute_output --partial INV0000000000001
}

@test "cal-sync since: follows next_page_token through every page of events" {
	python3 "$BATS_TEST_DIRNAME/mock-calendly.py" --generate 250 2025-11-26T09:00:00Z >"$M/data.json"
	control '{"mode": "ok", "page": 7}'
	run -0 --separate-stderr cal-sync since 2025-11-24
	[ "$(wc -l <<<"$output")" -eq 250 ]
	[ "$(jq -s 'map(.id) | unique | length' <<<"$output")" -eq 250 ]
	[ "$(calls GET /scheduled_events)" -eq 36 ]
	[ "$(grep -c page_token "$M/log")" -ge 35 ]
}

@test "cal-sync: 429 waits X-RateLimit-Reset and retries; a 5xx on GET is retried" {
	control '{"mode": "429", "times": 2, "reset": 1}'
	run -0 cal-sync since 2025-11-24
	[ "$(calls GET /users/me)" -eq 3 ]
	[ "$(grep -c '"type":"booking"' <<<"$output")" -eq 4 ]
	control '{"mode": "500", "times": 1}'
	run -0 cal-sync since 2025-11-24
	[ "$(grep -c '"type":"booking"' <<<"$output")" -eq 4 ]
}

@test "cal-sync: Calendly down for good is exit 75 with one line, after a few tries" {
	control '{"mode": "500"}'
	run -75 --separate-stderr cal-sync since 1h
	[ -z "$output" ]
	[ "$stderr" = "cal-sync: GET /users/me: Calendly answered 500 (Internal Server Error: Something went wrong)" ]
	[ "$(calls GET /users/me)" -eq 4 ]
	control '{"mode": "429", "reset": 3600}'
	run -75 cal-sync since 1h
	assert_output --partial "rate limited (429)"
	[ "$(calls GET /users/me)" -eq 5 ]
}

@test "cal-sync: a request that times out is tried again (-t)" {
	control '{"mode": "slow", "delay": 3, "times": 1}'
	run -0 cal-sync -t 1 since 2025-11-24
	[ "$(grep -c '"type":"booking"' <<<"$output")" -eq 4 ]
	[ "$(calls GET /users/me)" -eq 2 ]
}

@test "cal-sync: nothing listening is exit 75; -R sets the tries" {
	CALENDLY_API_URL=http://127.0.0.1:1 run -75 cal-sync -R 1 since 1h
	assert_output --partial "GET /users/me:"
	control '{"mode": "500"}'
	run -75 cal-sync -R 2 since 1h
	[ "$(calls GET /users/me)" -eq 2 ]
	run -64 cal-sync -R 0 since 1h
}

@test "cal-sync subscribe: finds the user, writes a new key 0600, subscribes both events with it" {
	run -0 --separate-stderr cal-sync subscribe "$URL"
	json_is --arg u "$URL" '.callback_url == $u and .state == "active"' <<<"$output"
	[ "$(stat -c %a "$T/calendly.key")" = 600 ]
	key=$(cat "$T/calendly.key")
	[ "${#key}" -ge 40 ]
	json_is --arg k "$key" --arg u "$URL" 'length == 1 and .[0].signing_key == $k and
		.[0].callback_url == $u and .[0].scope == "user" and
		.[0].events == ["invitee.created", "invitee.canceled"] and
		.[0].user == "https://api.calendly.com/users/HOST000000000001" and
		.[0].organization == "https://api.calendly.com/organizations/ORG0000000000001"' "$M/subs.json"
	[ "$(calls GET /users/me)" -eq 1 ]
	# the key cal-parse reads verifies a webhook signed with it
	f=$FIX/calendly/invitee-created.json
	CALSMS_NOW=1764000000 run -0 cal-parse -s "$(sign "$f" 1764000000 "$key")" "$f"
	json_is '.id == "INV0000000000001"' <<<"$output"
}

@test "cal-sync subscribe: again is a no-op; an existing key file is kept" {
	echo my-own-key >"$T/calendly.key"
	chmod 600 "$T/calendly.key"
	run -0 cal-sync subscribe "$URL"
	json_is '.[0].signing_key == "my-own-key"' "$M/subs.json"
	run -0 cal-sync subscribe "$URL"
	assert_output --partial "already subscribed; nothing to do"
	[ "$(calls POST /webhook_subscriptions)" -eq 1 ]
	[ "$(cat "$T/calendly.key")" = my-own-key ]
}

@test "cal-sync subscribe: a URL subscribed without our key is refused (73)" {
	run -0 cal-sync subscribe "$URL"
	rm "$T/calendly.key"
	run -73 cal-sync subscribe "$URL"
	assert_output --partial "no key file to verify it with"
}

@test "cal-sync subscribe: a free plan (403) is exit 78 and the POST is not repeated" {
	control '{"mode": "403"}'
	run -78 cal-sync subscribe "$URL"
	assert_output --partial "webhooks need a paid Calendly plan"
	[ "$(calls POST /webhook_subscriptions)" -eq 1 ]
}

@test "cal-sync subscribe: a POST that fails is never retried, and says it may have been done" {
	control '{"mode": "500", "only": "POST"}'
	run -75 cal-sync subscribe "$URL"
	assert_output --partial "POST /webhook_subscriptions: Calendly answered 500"
	assert_output --partial "may or may not have been done: check with cal-sync status"
	[ "$(calls POST /webhook_subscriptions)" -eq 1 ]
	control '{"mode": "429", "only": "POST", "times": 1, "reset": 1}'
	run -0 cal-sync subscribe "$URL"
	[ "$(calls POST /webhook_subscriptions)" -eq 3 ]
	json_is 'length == 1' "$M/subs.json"
}

@test "cal-sync status: active is 0 and prints the subscription; the URL can come from CALSMS_URL" {
	cal-sync subscribe "$URL"
	run -0 --separate-stderr cal-sync status "$URL"
	json_is '.state == "active" and .retry_started_at == null' <<<"$output"
	CALSMS_URL=https://hooks.example.com/ run -0 --separate-stderr cal-sync status
	json_is '.state == "active"' <<<"$output"
	run -64 cal-sync status
	assert_output --partial "set CALSMS_URL"
}

@test "cal-sync status: retrying is 1, disabled or missing is 2, each with a line saying so" {
	run -2 cal-sync status "$URL"
	assert_output --partial "no Calendly subscription for $URL"
	cal-sync subscribe "$URL"
	jq '.[0].retry_started_at = "2025-11-24T10:00:00.000000Z"' "$M/subs.json" >"$T/s" && mv "$T/s" "$M/subs.json"
	run -1 cal-sync status "$URL"
	assert_output --partial "retrying failed deliveries to $URL since 2025-11-24T10:00:00.000000Z"
	jq '.[0].state = "disabled"' "$M/subs.json" >"$T/s" && mv "$T/s" "$M/subs.json"
	run -2 cal-sync status "$URL"
	assert_output --partial "is disabled: Calendly sends nothing"
	[ "$(calls DELETE /webhook_subscriptions/"$(jq -r '.[0].uri | split("/") | last' "$M/subs.json")")" -eq 0 ]
}

@test "cal-sync status --repair: a disabled subscription is recreated with the same key" {
	cal-sync subscribe "$URL"
	key=$(cat "$T/calendly.key")
	old=$(jq -r '.[0].uri' "$M/subs.json")
	jq '.[0].state = "disabled" | .[0].retry_started_at = "2025-11-23T10:00:00.000000Z"' \
		"$M/subs.json" >"$T/s" && mv "$T/s" "$M/subs.json"
	run -0 cal-sync status --repair "$URL"
	assert_output --partial "cal-sync since 2025-11-23T10:00:00.000000Z | conv-store add -q"
	json_is --arg k "$key" --arg old "$old" 'length == 1 and .[0].uri != $old and
		.[0].state == "active" and .[0].signing_key == $k' "$M/subs.json"
	[ "$(cat "$T/calendly.key")" = "$key" ]
	run -0 cal-sync status "$URL"
	# missing: -r subscribes again with the key on file
	cal-sync unsubscribe "$URL"
	run -0 cal-sync status -r "$URL"
	json_is --arg k "$key" '.[0].signing_key == $k' "$M/subs.json"
}

@test "cal-sync status -r: no key file to recreate with is an error, nothing deleted" {
	cal-sync subscribe "$URL"
	jq '.[0].state = "disabled"' "$M/subs.json" >"$T/s" && mv "$T/s" "$M/subs.json"
	rm "$T/calendly.key"
	run -66 cal-sync status -r "$URL"
	assert_output --partial "cannot recreate the subscription with the same key"
	json_is 'length == 1' "$M/subs.json"
}

@test "cal-sync unsubscribe: deletes ours and keeps the key; none left is 69" {
	cal-sync subscribe "$URL"
	cal-sync subscribe https://other.example.com/calendly
	run -0 --separate-stderr cal-sync unsubscribe "$URL"
	json_is --arg u "$URL" '.callback_url == $u' <<<"$output"
	json_is 'length == 1 and .[0].callback_url == "https://other.example.com/calendly"' "$M/subs.json"
	[ -s "$T/calendly.key" ]
	run -69 cal-sync unsubscribe "$URL"
	assert_output --partial "no Calendly subscription for $URL"
}

@test "cal-sync -s organization: everyone's events and an organization subscription, no user named" {
	run -0 --separate-stderr cal-sync -s organization -a 2d since 2025-11-24
	[ "$(grep -c '"type":"booking"' <<<"$output")" -eq 4 ]
	json_is '.query.organization == "https://api.calendly.com/organizations/ORG0000000000001" and
		(.query | has("user") | not) and .query.max_start_time == "2025-11-26T16:00:00Z"' \
		<(grep '"/scheduled_events"' "$M/log")
	run -0 --separate-stderr cal-sync -s organization subscribe "$URL"
	json_is '.[0].scope == "organization" and .[0].user == null' "$M/subs.json"
	grep '"POST"' "$M/log" | json_is '.body | fromjson | .scope == "organization" and (has("user") | not)'
	run -64 cal-sync -s team since 1h
}

@test "cal-sync since: a closed stdout is 74, not death by SIGPIPE" {
	run -0 closed_stdout cal-sync since 2025-11-24
	assert_line --index 0 74
	assert_line --partial "write error on standard output"
}

@test "cal-sync(1)'s cron lines run as printed, with the site's settings file" {
	mkdir -p "$T/etc"
	printf 'CALSMS_URL=https://hooks.example.com\nCALSMS_COUNTRY=US\n' >"$T/etc/calsms.env"
	printf 'CALENDLY_TOKEN=pat-secret\nCALENDLY_API_URL=%s\n' "$CALENDLY_API_URL" >"$T/etc/calendly.env"
	unset CALENDLY_TOKEN CALENDLY_API_URL
	run -0 cal-sync -C "$T/etc/calsms.env" -C "$T/etc/calendly.env" subscribe
	export CALSMS_DB=$T/db
	n=0
	while read -r line; do
		cmd=$(sed -e 's/^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]* *//' -e "s|/etc/calsms|$T/etc|g" <<<"$line")
		run -0 --separate-stderr bash -o pipefail -c "$cmd"
		n=$((n + 1))
	done < <(sed -n '/^From cron/,/^\.Ed/p' "$BATS_TEST_DIRNAME/../man/cal-sync.1" | grep -E '^([0-9*/]+ +){5}cal-sync ')
	[ "$n" -eq 2 ]
	run -0 conv-store list
	json_is -s 'length == 4' <<<"$output"
}
