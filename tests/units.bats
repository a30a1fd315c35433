#!/usr/bin/env bats
# make install's systemd units, sysusers.d and tmpfiles.d entries, checked
# by systemd-analyze and run the way systemd runs them.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	R=$T/root
	make -s --no-print-directory -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$R" PREFIX=/usr/local >/dev/null
	U=$R/usr/local/lib/systemd/system
}

teardown() {
	stop_started
}

@test "make install: programs, handlers, units, sysusers.d and tmpfiles.d under DESTDIR and PREFIX" {
	for p in cal-parse cal-sync conv-store follow-up-due http-hook sms-parse sms-send; do
		[ -x "$R/usr/local/bin/$p" ] || fail "no $p"
	done
	for u in calsms-http.socket calsms-http@.service calsms-sender.service \
		calsms-sync-status.service calsms-sync-status.timer \
		calsms-backfill.service calsms-backfill.timer; do
		[ -f "$U/$u" ] || fail "no $u"
	done
	[ -x "$R/usr/local/libexec/calsms/on-booking" ]
	[ -f "$R/usr/local/share/man/man1/cal-sync.1" ]
	[ -f "$R/usr/local/share/man/man7/calsms-setup.7" ]
	grep -qx 'u calsms - "calsms appointment SMS" /var/lib/calsms /usr/sbin/nologin' \
		"$R/usr/local/lib/sysusers.d/calsms.conf"
	grep -qx 'd /etc/calsms 0750 root calsms -' "$R/usr/local/lib/tmpfiles.d/calsms.conf"
	grep -qx 'd /var/lib/calsms 0700 calsms calsms -' "$R/usr/local/lib/tmpfiles.d/calsms.conf"
	[ "$(stat -c %a "$R/etc/calsms")" = 750 ]
	[ "$(stat -c %a "$R/var/lib/calsms")" = 700 ]
	# another PREFIX: every path in the units and handlers follows it
	make -s --no-print-directory -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$T/opt" PREFIX=/opt/calsms >/dev/null
	run -1 grep -rl /usr/local "$T/opt/opt/calsms/lib" "$T/opt/opt/calsms/libexec" "$T/opt/opt/calsms/share/calsms/examples"
	grep -q '^ExecStart=/opt/calsms/bin/http-hook /calendly=cal-parse | conv-store add -q /calcom=/opt/calsms/libexec/calsms/on-calcom' \
		"$T/opt/opt/calsms/lib/systemd/system/calsms-http@.service"
	# the route's programs are found on the unit's PATH, which starts at PREFIX
	grep -q '^Environment=PATH=/opt/calsms/bin:' "$T/opt/opt/calsms/lib/systemd/system/calsms-http@.service"
}

@test "units: systemd-analyze verify finds nothing to say" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze here: units not verified"
	mkdir -p "$T/units"
	for u in "$U"/*; do relocate "$u" >"$T/units/${u##*/}"; done
	cd "$T/units"
	run -0 systemd-analyze verify --man=no ./calsms-http.socket ./calsms-http@1.service \
		./calsms-sender.service ./calsms-sync-status.service ./calsms-sync-status.timer \
		./calsms-backfill.service ./calsms-backfill.timer
	assert_output ""
	# and it does catch a mistake
	sed -i 's/^ListenStream=/ListenStrem=/' calsms-http.socket
	run ! systemd-analyze verify --man=no ./calsms-http.socket
	assert_output --partial "ListenStrem"
}

@test "units: one store, one key file, explicit settings files, one unprivileged user" {
	for u in "$U"/*.service; do
		grep -qx 'User=calsms' "$u" || fail "${u##*/}: not User=calsms"
		grep -qx 'Environment=CALSMS_DB=/var/lib/calsms' "$u" || fail "${u##*/}: another store"
		grep -qx 'EnvironmentFile=-/etc/calsms/calsms.env' "$u" || fail "${u##*/}: no calsms.env"
	done
	for u in calsms-http@ calsms-sync-status calsms-backfill; do
		grep -qx 'Environment=CALENDLY_KEY_FILE=/etc/calsms/calendly.key' "$U/$u.service" ||
			fail "$u: another key file"
	done
	grep -q 'sms-send -C /etc/calsms/sms.env ' "$U/calsms-sender.service"
	grep -qx 'Environment=SMS_PARSE_CONF=/etc/calsms/sms.env' "$U/calsms-http@.service"
	grep -q 'cal-sync -C /etc/calsms/calendly.env status -r$' "$U/calsms-sync-status.service"
	grep -q "cal-sync -C /etc/calsms/calendly.env since 26h | conv-store add -q'$" "$U/calsms-backfill.service"
	grep -qx 'Accept=yes' "$U/calsms-http.socket"
	grep -qx 'OnCalendar=\*:0/15' "$U/calsms-sync-status.timer"
	grep -qx 'OnCalendar=hourly' "$U/calsms-backfill.timer"
	# the inetd line names the same
	grep -q 'CALSMS_DB=/var/lib/calsms CALENDLY_KEY_FILE=/etc/calsms/calendly.key CALSMS_CONF=/etc/calsms/calsms.env SMS_PARSE_CONF=/etc/calsms/sms.env' \
		"$R/usr/local/share/calsms/examples/inetd.conf"
}

# serve: runs calsms-http@.service's command for each connection to a
# fresh port, the way the socket unit's Accept=yes does, with the unit's
# environment; prints the port
serve() {
	local unit cmd port env=()
	unit=$(relocate "$U/calsms-http@.service")
	cmd=$(sed -n 's/^ExecStart=//p' <<<"$unit")
	port=$(free_port)
	# systemd passes the service only what the unit and its files say
	while read -r e; do env+=(-E "$e"); done < <(grep -v '^#' "$T/etc/calsms.env"; sed -n 's/^Environment=//p' <<<"$unit")
	systemd-socket-activate --inetd -a -l "127.0.0.1:$port" "${env[@]}" $cmd >/dev/null 2>"$T/listener.err" &
	echo $! >"$T/listener.pid"
	wait_port "$port"
	echo "$port"
}

@test "units: the socket unit's service, one per connection, stores a booking and a Twilio reply" {
	command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate here"
	mkdir -p "$T/etc" "$T/state"
	printf '%s\n' "$KEY" >"$T/etc/calendly.key"
	printf 'CALSMS_URL=https://hooks.example.com\nCALSMS_COUNTRY=US\nCALSMS_NOW=1764000000\n' >"$T/etc/calsms.env"
	printf 'TWILIO_AUTH_TOKEN=twilio-test-token\n' >"$T/etc/sms.env"
	CALSMS_DB=$T/state conv-store init
	port=$(serve)
	run -0 curl -sS -o /dev/null -w '%{http_code}' \
		-H "Calendly-Webhook-Signature: $(cat "$FIX/calendly/invitee-created.sig")" \
		--data-binary @"$FIX/calendly/invitee-created.json" "http://127.0.0.1:$port/calendly"
	assert_output 200 || { cat "$T/listener.err"; false; }
	export CALSMS_DB=$T/state
	conv_is INV0000000000001 '.status == "pending"'
	# a bad signature: 401, nothing stored
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H "Calendly-Webhook-Signature: t=1764000000,v1=00" \
		--data-binary @"$FIX/calendly/invitee-created-no-phone.json" "http://127.0.0.1:$port/calendly"
	assert_output 401
	run -1 conv-store get INV0000000000004
	# a reply signed for the public URL in calsms.env
	body='From=%2B14045550134&To=%2B15005550006&Body=YES&MessageSid=SMr1&AccountSid=AC123'
	sig=$(python3 -c 'import sys, hmac, hashlib, base64, urllib.parse
pairs = sorted(urllib.parse.parse_qsl(sys.argv[1]))
s = "https://hooks.example.com/twilio" + "".join(k + v for k, v in pairs)
print(base64.b64encode(hmac.new(b"twilio-test-token", s.encode(), hashlib.sha1).digest()).decode())' "$body")
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" \
		--data-binary "$body" "http://127.0.0.1:$port/twilio"
	assert_output 200
	conv_is INV0000000000001 '.replies[0].body == "YES" and .replies[0].intent == "confirm"'
}
