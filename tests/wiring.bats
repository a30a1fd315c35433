#!/usr/bin/env bats
# The production wiring as shipped: make install, examples/inetd.conf and
# the installed calsms-sender.service, with only their paths moved under a
# test root, a key file, and the Twilio mock for the provider.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	R=$T/root
	export CALSMS_NOW=1764000000
}

teardown() {
	stop_started
}

# inetd_up: the shipped inetd line on a free $port, installed under $R
inetd_up() {
	[ "$(id -u)" = 0 ] || skip "inetd needs root for its user field"
	command -v inetd >/dev/null || skip "inetd is not installed"
	make -s --no-print-directory -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$R" PREFIX=/usr/local >/dev/null
	mkdir -p "$T/etc" "$T/state"
	cp -r "$R/etc/calsms/templates" "$T/etc/"	# relocate's /etc/calsms is $T/etc
	printf '%s\n' "$KEY" >"$T/etc/calendly.key"
	# calsms-setup(7) step 2: the site's settings, which every handler reads
	printf 'CALSMS_COUNTRY=US\n' >"$T/etc/calsms.env"
	port=$(free_port)
	# the shipped line, run as root here: a calsms user is the operator's to make
	grep -v '^#' "$BATS_TEST_DIRNAME/../examples/inetd.conf" | relocate |
		sed -e "s|^127.0.0.1:8080 |127.0.0.1:$port |" -e 's| nowait\(\.[0-9]*\)\{0,1\} calsms | nowait\1 root |' \
		-e "s|PATH=|CALSMS_NOW=$CALSMS_NOW PATH=|" >"$T/inetd.conf"
	unset CALSMS_DB
	env -i PATH=/usr/sbin:/usr/bin:/bin inetd -i "$T/inetd.conf" 2>"$T/inetd.err" &
	echo $! >"$T/inetd.pid"
	wait_port "$port"
	"$R/usr/local/bin/conv-store" -d "$T/state" init
}

@test "wiring: under inetd, calsms.env's CALSMS_COUNTRY reaches the booking (a GB number without +44)" {
	inetd_up
	printf 'CALSMS_COUNTRY=GB\n' >"$T/etc/calsms.env"
	jq -c '.payload.text_reminder_number = "07700 900123" | .payload.timezone = "Europe/London"' \
		"$FIX/calendly/invitee-created.json" >"$T/gb.json"
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Calendly-Webhook-Signature: $(sign "$T/gb.json")" \
		--data-binary @"$T/gb.json" "http://127.0.0.1:$port/calendly"
	assert_output 200
	run -0 "$R/usr/local/bin/conv-store" -d "$T/state" list
	json_is '.status == "pending" and .phone == "+447700900123"' <<<"$output"
}

@test "wiring: inetd.conf's line stores a signed booking, the sender unit's pipeline texts it" {
	inetd_up
	run curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Calendly-Webhook-Signature: $(cat "$FIX/calendly/invitee-created.sig")" \
		--data-binary @"$FIX/calendly/invitee-created.json" "http://127.0.0.1:$port/calendly"
	assert_success
	assert_output 200
	run "$R/usr/local/bin/conv-store" -d "$T/state" list
	assert_success
	[ "$(jq -r .status <<<"$output")" = pending ]
	# the sender unit's pipeline, with its environment and a mock Twilio
	echo '{"mode": "ok"}' >"$T/control"
	MOCK_LIFETIME=60 start_mock mock mock-provider.py "$T/port" "$T/log" "$T/control"
	printf 'SMS_PROVIDER=twilio\nTWILIO_ACCOUNT_SID=AC123\nTWILIO_AUTH_TOKEN=secret-token\nTWILIO_FROM=+15005550006\nTWILIO_API_URL=http://127.0.0.1:%s\n' \
		"$(cat "$T/port")" >"$T/etc/sms.env"
	unit=$(relocate "$R/usr/local/lib/systemd/system/calsms-sender.service")
	cmd=$(sed -n "s/^ExecStart=\/bin\/bash -o pipefail -c '\(.*\)'$/\1/p" <<<"$unit")
	[ -n "$cmd" ]
	envs=$(sed -n 's/^Environment=//p' <<<"$unit")
	envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' <<<"$unit")
	[ "$envfile" = "$T/etc/calsms.env" ]
	echo CALSMS_COUNTRY=US >"$envfile"
	# what the unit runs before it starts: init, retry --waiting, --check
	while read -r pre; do
		( set -a; . "$envfile"; eval "export $envs"; eval "$pre" ) || fail "ExecStartPre=$pre failed"
	done < <(sed -n 's/^ExecStartPre=//p' <<<"$unit")
	[ "$(grep -c '^ExecStartPre=' <<<"$unit")" -eq 3 ]
	# -w runs for ever: the test stops it once the text is recorded
	( set -a; . "$envfile"; eval "export $envs"; exec timeout 20 bash -o pipefail -c "$cmd" ) 2>"$T/sender.err" &
	echo $! >"$T/sender.pid"
	for _ in $(seq 100); do
		"$R/usr/local/bin/conv-store" -d "$T/state" list -s awaiting_reply | grep -q . && break
		sleep 0.1
	done
	run -0 "$R/usr/local/bin/conv-store" -d "$T/state" list
	json_is '.status == "awaiting_reply" and .messages[0].provider == "twilio"
		and (.messages[0].provider_id | startswith("SM"))' <<<"$output"
	[ "$(wc -l <"$T/log")" -eq 1 ]
	json_is '.form.To == "+14045550134"' "$T/log"
}

@test "wiring: one inetd line: README, sms-parse(1) and http-hook(1) show examples/inetd.conf's as is" {
	line=$(grep -v '^#' "$BATS_TEST_DIRNAME/../examples/inetd.conf")
	[ "$(wc -l <<<"$line")" -eq 1 ] && [[ $line == "127.0.0.1:8080 "* ]]
	[[ $line == *" /calendly="*" /twilio="*" /calcom="* && $line == *"CALSMS_CONF="* ]]
	grep -qxF "    $line" "$BATS_TEST_DIRNAME/../README.md" || fail "README shows another inetd line"
	for m in sms-parse.1 http-hook.1; do
		grep -qxF "$line" "$BATS_TEST_DIRNAME/../man/$m" || fail "$m shows another inetd line"
	done
	n=$(cat "$BATS_TEST_DIRNAME"/../README.md "$BATS_TEST_DIRNAME"/../man/*.[0-9] | grep -c 'stream tcp')
	[ "$n" -eq 3 ] || fail "$n inetd lines in the documents, not 3"
}

@test "wiring: README's sender pipeline is the unit's, hours and cap included" {
	unit=$BATS_TEST_DIRNAME/../examples/systemd/calsms-sender.service
	want=$(sed -n "s/^ExecStart=\/bin\/bash -o pipefail -c '\(.*\)'$/\1/p" "$unit")
	got=$(sed -n '/^    follow-up-due -w/,/conv-store record/p' "$BATS_TEST_DIRNAME/../README.md" | tr -s ' \n' ' ' | sed 's/ $//; s/^ //')
	[ -n "$want" ] && [ "$got" = "$want" ] || fail "README: $got
unit: $want"
	[[ $want == *"-Q 20:00-08:00"* && $want == *"-F 3"* ]]
}

@test "wiring: CALSMS_SENDER_OPTS reaches the unit's follow-up-due, after its own options" {
	unit=$BATS_TEST_DIRNAME/../examples/systemd/calsms-sender.service
	cmd=$(sed -n "s/^ExecStart=\/bin\/bash -o pipefail -c '\(.*\)'$/\1/p" "$unit" |
		sed "s|/etc/calsms/templates|$BATS_TEST_DIRNAME/../examples/templates|g; s| -w | |; s|/etc/calsms|$T|g")
	echo SMS_PROVIDER=log >"$T/sms.env"
	store
	# -A needs after.jq, which the shipped directory lacks: the option arrived
	CALSMS_SENDER_OPTS="-A 2h" run --separate-stderr bash -o pipefail -c "$cmd"
	assert_failure 78
	[[ $stderr == *"after.jq"* ]] || fail "stderr: $stderr"
	CALSMS_SENDER_OPTS="-Q 24:59-08:00" run --separate-stderr bash -o pipefail -c "$cmd"
	assert_failure 64
	run -0 --separate-stderr bash -o pipefail -c "$cmd"
}

@test "wiring: the sender unit without a provider stops at once (78) and is not restarted" {
	grep -q '^RestartPreventExitStatus=.*78' "$BATS_TEST_DIRNAME/../examples/systemd/calsms-sender.service"
	store
	run --separate-stderr bash -o pipefail -c 'follow-up-due | sms-send -T "$0" | conv-store record' \
		"$BATS_TEST_DIRNAME/../examples/templates"
	assert_failure 78
	[[ "$stderr" == *"no provider"* ]]
}

@test "wiring: every shipped example uses one store, /var/lib/calsms, whoever runs it" {
	ex=$BATS_TEST_DIRNAME/../examples
	grep -q 'CALSMS_DB=/var/lib/calsms' "$ex/inetd.conf"
	grep -q '^Environment=CALSMS_DB=/var/lib/calsms' "$ex/systemd/calsms-sender.service"
	grep -q '^StateDirectory=calsms' "$ex/systemd/calsms-sender.service"
	unset CALSMS_DB
	[ ! -e /var/lib/calsms/data.mdb ] || skip "this machine has a store in /var/lib/calsms"
	for home in /nonexistent "$T"; do
		run --separate-stderr env HOME="$home" XDG_STATE_HOME="$T/xdg" conv-store list
		assert_failure 66
		[[ "$stderr" == *"/var/lib/calsms: no store there"* ]]
	done
}

# socat_exec FILE LISTEN: the EXEC argument of FILE's socat line with LISTEN
socat_exec() {
	grep -A1 -F "socat $2" "$BATS_TEST_DIRNAME/../$1" | sed -n 's/.*EXEC:"\(.*\)"$/\1/p'
}

# readme_exec LISTEN: README's, its key file $T/etc/calendly.key and its
# handlers the examples
readme_exec() {
	socat_exec README.md "$1" |
		sed -e "s|/etc/calsms|$T/etc|g" -e "s|/usr/local/libexec/calsms|$BATS_TEST_DIRNAME/../examples|g"
}

@test "wiring: README's socat lines, plain and TLS in front (curl checking the certificate), store a signed booking" {
	command -v socat >/dev/null || skip "no socat"
	mkdir -p "$T/etc"
	printf '%s\n' "$KEY" >"$T/etc/calendly.key"
	plain=$(readme_exec TCP-LISTEN:8080) tls=$(readme_exec OPENSSL-LISTEN:443)
	[[ "$plain" == "http-hook /calendly=cal-parse -k $T/etc/calendly.key | conv-store add -q" ]] ||
		fail "README's socat line: $plain"
	[[ "$tls" == "$plain /twilio="*/examples/on-sms ]] || fail "README's TLS line: $tls"
	[ "$(socat_exec man/calsms-setup.7 OPENSSL-LISTEN:443)" = "$(socat_exec README.md OPENSSL-LISTEN:443)" ] ||
		fail "calsms-setup(7) shows another socat line than README"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
		-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
	port=$(free_port) plain_port=$(free_port)
	store
	socat OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,cert="$T/cert.pem",key="$T/key.pem",verify=0 \
		EXEC:"$tls" 2>"$T/socat.err" &
	echo $! >"$T/socat.pid"
	socat TCP-LISTEN:$plain_port,bind=127.0.0.1,reuseaddr,fork EXEC:"$plain" 2>"$T/plain.err" &
	echo $! >"$T/plain.pid"
	wait_port "$port"
	wait_port "$plain_port"
	run -0 curl -sS --cacert "$T/cert.pem" -o /dev/null -w '%{http_code}' \
		-H "Calendly-Webhook-Signature: $(cat "$FIX/calendly/invitee-created.sig")" \
		--data-binary @"$FIX/calendly/invitee-created.json" "https://localhost:$port/calendly"
	assert_output 200
	conv_is INV0000000000001 '.status == "pending" and .phone == "+14045550134"'
	# the plain line: a second booking stored, a bad signature (the second's
	# on a third) a 401 that stores nothing
	for n in 2 3; do
		jq -c ".payload.uri |= sub(\"INV0000000000001\"; \"INV000000000000$n\")" \
			"$FIX/calendly/invitee-created.json" >"$T/$n.json"
	done
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H "Calendly-Webhook-Signature: $(sign "$T/2.json")" \
		--data-binary @"$T/2.json" "http://127.0.0.1:$plain_port/calendly"
	assert_output 200
	conv_is INV0000000000002 '.status == "pending"'
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H "Calendly-Webhook-Signature: $(sign "$T/2.json")" \
		--data-binary @"$T/3.json" "http://127.0.0.1:$plain_port/calendly"
	assert_output 401
	run -0 conv-store list
	[ "${#lines[@]}" -eq 2 ] || fail "stored: $output"
	# plain http to the TLS port is no request at all
	run curl -sS -o /dev/null -w '%{http_code}' --data-binary x "http://localhost:$port/calendly"
	refute_output 200
	# curl gets no HTTP answer: an empty reply (52) or a reset (56), not a page
	[[ $status == 52 || $status == 56 || $status == 35 ]] || fail "curl exited $status: $output"
}
