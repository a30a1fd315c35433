#!/usr/bin/env bats
# calsms-setup(7) followed step by step in a fresh root: make install, the
# settings files, cal-sync subscribe against a mock Calendly, a signed
# booking over TLS stored and texted through a mock Twilio by the
# installed units' own commands; then the listener down while two
# bookings and a cancellation are made, and the backfill unit bringing
# them back: one text for each new booking, none for the canceled one.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	R=$T/root
	M=$T/calendly
	mkdir -p "$M"
	export CALSMS_NOW=2025-11-24T16:00:00Z
	unset CALSMS_DB CALENDLY_KEY_FILE
}

teardown() {
	stop_started
}


# as_unit UNIT CMD...: CMD with the environment the installed UNIT gives
# its service (its EnvironmentFile and Environment lines), relocated
as_unit() {
	local unit
	unit=$(relocate "$R/usr/local/lib/systemd/system/$1")
	shift
	(
		set -a
		. "$T/etc/calsms.env"
		eval "export $(sed -n 's/^Environment=//p' <<<"$unit" | tr '\n' ' ')"
		exec "$@"
	)
}

# unit_command UNIT: the command of the installed UNIT's ExecStart, relocated
unit_command() {
	relocate "$R/usr/local/lib/systemd/system/$1" |
		sed -n "s/^ExecStart=\/bin\/bash -o pipefail -c '\(.*\)'$/\1/p; s/^ExecStart=\(\/[^b].*\)$/\1/p"
}

# the sender's pipeline, one pass (the unit runs it with -w, for ever)
sender_pass() {
	local cmd
	cmd=$(unit_command calsms-sender.service | sed 's/follow-up-due -w /follow-up-due /')
	[ -n "$cmd" ] || fail "no sender command"
	as_unit calsms-sender.service bash -o pipefail -c "$cmd"
}

texts_to() {
	jq -s --arg to "$1" '[.[] | select(.form.To == $to)] | length' "$T/twilio.log"
}

@test "setup: calsms-setup(7) in a fresh root, a booking over TLS, the listener down, the backfill" {
	# 1. Install
	make -s --no-print-directory -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$R" PREFIX=/usr/local >/dev/null
	PATH=$R/usr/local/bin:/usr/bin:/bin
	mkdir -p "$T/etc" "$T/state"
	cp -r "$R/etc/calsms/templates" "$T/etc/"	# relocate's /etc/calsms is $T/etc
	port=$(free_port)
	# 2. Site settings: the public URL, once
	printf 'CALSMS_URL=https://localhost:%s\nCALSMS_COUNTRY=US\nCALSMS_NOW=%s\n' "$port" "$CALSMS_NOW" >"$T/etc/calsms.env"
	# the mocks: Calendly's API and Twilio
	cp /dev/null "$M/log"
	python3 "$BATS_TEST_DIRNAME/mock-calendly.py" --data "$FIX/calendly/invitee-created.json" >"$M/data.json"
	echo '{"mode": "ok"}' >"$M/control"
	start_mock calendly mock-calendly.py "$T/calendly.port" "$M"
	echo '{"mode": "ok"}' >"$T/twilio.control"
	start_mock twilio mock-provider.py "$T/twilio.port" "$T/twilio.log" "$T/twilio.control"
	# 5. Calendly: the token, then subscribe
	printf 'CALENDLY_TOKEN=pat-secret\nCALENDLY_API_URL=http://127.0.0.1:%s\n' "$(cat "$T/calendly.port")" >"$T/etc/calendly.env"
	export CALENDLY_KEY_FILE=$T/etc/calendly.key
	run -0 --separate-stderr cal-sync -C "$T/etc/calsms.env" -C "$T/etc/calendly.env" subscribe
	json_is --arg u "https://localhost:$port/calendly" '.callback_url == $u' <<<"$output"
	[ "$(stat -c %a "$T/etc/calendly.key")" = 600 ]
	chmod 0640 "$T"/etc/*
	# 6. The provider
	printf 'SMS_PROVIDER=twilio\nTWILIO_ACCOUNT_SID=AC123\nTWILIO_AUTH_TOKEN=secret-token\nTWILIO_FROM=+15005550006\nTWILIO_API_URL=http://127.0.0.1:%s\n' \
		"$(cat "$T/twilio.port")" >"$T/etc/sms.env"
	# 3./4. TLS in front of the listener's own command, one per connection
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/etc/tls.key" -out "$T/etc/tls.crt" -days 2 \
		-subj /CN=localhost -addext "subjectAltName=DNS:localhost" >/dev/null 2>&1
	hook=$(unit_command calsms-http@.service)
	[ -n "$hook" ]
	# socat notes its own pid: as_unit runs in a subshell of its own
	as_unit calsms-http@.service sh -c 'echo $$ >"$0"; exec "$@"' "$T/listener.pid" \
		socat OPENSSL-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork,cert="$T/etc/tls.crt",key="$T/etc/tls.key",verify=0 \
		EXEC:"$hook" >/dev/null 2>"$T/listener.err" &
	wait_port "$port"
	# the sender's ExecStartPre
	as_unit calsms-sender.service conv-store init
	# a booking, signed with the key cal-sync made, over TLS
	body=$FIX/calendly/invitee-created.json
	run -0 curl -sS --cacert "$T/etc/tls.crt" -o /dev/null -w '%{http_code}' \
		-H "Calendly-Webhook-Signature: $(sign "$body" 1764000000 "$(cat "$T/etc/calendly.key")")" \
		--data-binary @"$body" "https://localhost:$port/calendly"
	assert_output 200
	sender_pass
	export CALSMS_DB=$T/state
	conv_is INV0000000000001 '.status == "awaiting_reply"'
	[ "$(texts_to +14045550134)" -eq 1 ]
	# 7. the status timer's command: active
	as_unit calsms-sync-status.service $(unit_command calsms-sync-status.service)
	# the listener goes down; meanwhile two bookings and a cancellation
	kill "$(cat "$T/listener.pid")"
	python3 "$BATS_TEST_DIRNAME/mock-calendly.py" --data "$FIX/calendly/invitee-created.json" \
		"$FIX/calendly/invitee-canceled.json" "$FIX/calendly/invitee-created-question-phone.json" \
		"$FIX/calendly/invitee-created-outbound-call.json" >"$M/data.json"
	run -0 sender_pass
	[ "$(wc -l <"$T/twilio.log")" -eq 1 ]
	# the backfill timer's command brings them back; twice is the same as once
	cmd=$(unit_command calsms-backfill.service)
	[ -n "$cmd" ]
	as_unit calsms-backfill.service bash -o pipefail -c "$cmd"
	as_unit calsms-backfill.service bash -o pipefail -c "$cmd"
	conv_is INV0000000000001 '.status == "canceled"'
	sender_pass
	sender_pass
	[ "$(texts_to +447700900123)" -eq 1 ]
	[ "$(texts_to +12125550199)" -eq 1 ]
	[ "$(texts_to +14045550134)" -eq 1 ]
	[ "$(wc -l <"$T/twilio.log")" -eq 3 ]
	# half an hour on: follow-ups for the two new ones, nothing to the canceled one
	sed -i 's/^CALSMS_NOW=.*/CALSMS_NOW=2025-11-24T16:31:00Z/' "$T/etc/calsms.env"
	sender_pass
	[ "$(texts_to +14045550134)" -eq 1 ]
	[ "$(texts_to +447700900123)" -eq 2 ]
	# 9. Monitoring, as the manual has it
	run -0 --separate-stderr cal-sync -C "$T/etc/calsms.env" -C "$T/etc/calendly.env" status
	json_is '.state == "active"' <<<"$output"
	run -0 conv-store list -s failed,uncertain
	assert_output ""
	# 10. Backups: dump, load into a new store, the same conversations
	conv-store dump | gzip >"$T/backup.jsonl.gz"
	zcat "$T/backup.jsonl.gz" | CALSMS_DB=$T/restored conv-store load
	diff <(conv-store dump) <(CALSMS_DB=$T/restored conv-store dump)
}
