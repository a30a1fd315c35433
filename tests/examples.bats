#!/usr/bin/env bats
# Every line of the man pages' EXAMPLES, run as printed.  Each page's
# literal blocks (mandoc's escapes undone) are run in order by one test,
# with only the machine moved under the test's root: /usr/local (a real
# make install), /etc/calsms, /var/lib/calsms, /var/backups,
# /var/cache/calsms and /tmp go under $R, port 8080 is a free port, and
# db.example.com is the test's PostgreSQL cluster.  The clock is the
# fixtures' (CALSMS_NOW=1764000000) unless a line sets its own; loopback
# stand-ins answer for Twilio, AWS and Calendly, and mail(1) and aws(1) are
# stand-ins that log what they are given.  The lines printed under a "$ "
# command are what it must print ("..." matches anything).  A page that
# gains or loses a block fails here until the new block is run.
load helper
load webhooks

MAN=$BATS_TEST_DIRNAME/../man
SID=AC0123456789abcdef0123456789abcdef
TOKEN=secret-token
CALCOM=calcom-test-secret

setup() {
	T=$BATS_TEST_TMPDIR
	R=$T/root
	W=$T/work
	export CALSMS_NOW=1764000000
	make -s --no-print-directory -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$R" PREFIX=/usr/local >/dev/null
	mkdir -p "$W" "$T/tmp" "$T/run" "$R/var/backups" "$R/var/cache/calsms"
	for f in "$R"/usr/local/libexec/calsms/*; do
		moved <"$f" >"$T/moved" && cat "$T/moved" >"$f"
	done
	# the programs under test, in the test root's /usr/local/bin
	cp "$BIN"/* "$R/usr/local/bin/"
	stand_in mail
	stand_in aws '[ "$1" != sns ] || [ "$2" != create-topic ] || echo "{\"TopicArn\": \"arn:aws:sns:us-east-1:123456789012:$4\"}"'
	PATH=$R/usr/local/bin:$PATH
	# PostgreSQL's test database through the loopback (its URI has no &),
	# when there is a cluster; the store is LMDB
	PGURI=${CALSMS_TEST_PG:+${CALSMS_TEST_PG%/*}/$PGDB}
	export CALSMS_DB=$R/var/lib/calsms
	conv-store init
	printf '%s\n' "$KEY" >"$R/etc/calsms/calendly.key"
	printf '%s\n' "$CALCOM" >"$R/etc/calsms/calcom.key"
	printf 'CALSMS_URL=https://hooks.example.com\nCALSMS_COUNTRY=US\n' >"$R/etc/calsms/calsms.env"
	printf 'SMS_PROVIDER=twilio\nTWILIO_ACCOUNT_SID=%s\nTWILIO_AUTH_TOKEN=%s\nTWILIO_FROM=+15005550006\n' \
		"$SID" "$TOKEN" >"$R/etc/calsms/sms.env"
	chmod 0640 "$R"/etc/calsms/*.env
	cp "$FIX/calendly/invitee-created.json" "$W/body.json"
	cp "$FIX/calendly/invitee-created.sig" "$W/body.sig"
	cp "$FIX/twilio/inbound.form" "$W/body.form"
	printf '%s\n' "$KEY" >"$W/key"
	cp -r "$BATS_TEST_DIRNAME/../examples/templates" "$W/templates"
	export TWILIO_ACCOUNT_SID=$SID TWILIO_AUTH_TOKEN=$TOKEN TWILIO_FROM=+15005550006
	export AWS_ACCESS_KEY_ID=AKIDMOCK AWS_SECRET_ACCESS_KEY=mock-secret-key
	unset SMS_PARSE_URL CALSMS_CONF SMS_PARSE_CONF
	cd "$W"
}

teardown() {
	stop_started
}

# stand_in NAME [SHELL]: a program in the test root's /usr/local/bin that
# logs its arguments and standard input to $T/NAME.log, then runs SHELL
stand_in() {
	{
		echo '#!/bin/sh'
		echo "{ echo \"$1 \$*\"; cat; } >>'$T/$1.log'"
		printf '%s\n' "${2:-}"
	} >"$R/usr/local/bin/$1"
	chmod 0755 "$R/usr/local/bin/$1"
}

# moved: standard input with the machine's paths under the test root
moved() {
	sed -e "s|/tmp/|$T/tmp/|g" -e "s|/usr/local|$R/usr/local|g" -e "s|/etc/calsms|$R/etc/calsms|g" \
		-e "s|/var/lib/calsms|$R/var/lib/calsms|g" -e "s|/var/backups|$R/var/backups|g" \
		-e "s|/var/cache/calsms|$R/var/cache/calsms|g" -e "s|8080|${PORT:-8080}|g" \
		-e "s|postgresql://calsms@db.example.com/calsms|${PGURI:-postgresql://calsms@db.example.com/calsms}|g" \
		-e "s|https://crm.example.com|${CRM_URL:-https://crm.example.com}|g"
}

# blocks PAGE: the page's EXAMPLES literal blocks, escapes undone and the
# machine moved, as $T/ex/1 to $T/ex/$NB
blocks() {
	rm -rf "$T/ex"
	mkdir -p "$T/ex"
	awk -v d="$T/ex" '/^\.Sh /{p = ($2 == "EXAMPLES")} p && /^\.Ed/{b = 0}
		p && b {print > (d "/" n)} p && /^\.Bd -literal/{b = 1; n++}' "$MAN/$1"
	NB=$(find "$T/ex" -type f | wc -l)
	for f in "$T"/ex/*; do
		sed -e 's/\\(dq/"/g' -e 's/\\e/\\/g' "$f" | moved >"$f.txt" && mv "$f.txt" "$f"
	done
}

# commands FILE: the block's commands, "$ " taken off, each with its
# continuation lines, one per NUL-ended record, and the printed output
# under each in $T/run/want.K
commands() {
	local line cmd="" k=0 want="$T/run/want.0"
	: >"$want"
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ -n $cmd && ($cmd == *'\' || $cmd == *'|' || $cmd == *'||') && ! -s $want ]]; then
			cmd+=$'\n'$line
		elif [[ $line == '$ '* ]] || { [[ $line != '#'* && -n $line ]] && ! grep -q '^\$ ' "$1"; }; then
			[ -z "$cmd" ] || printf '%s\0' "$cmd"
			cmd=${line#\$ }
			k=$((k + 1))
			want=$T/run/want.$k
			: >"$want"
		elif [ -n "$cmd" ] && grep -q '^\$ ' "$1"; then
			printf '%s\n' "$line" >>"$want"
		fi
	done <"$1"
	[ -z "$cmd" ] || printf '%s\0' "$cmd"
}

# run_block N: block N's commands in one bash (what one sets, the next
# sees), standard input $STDIN or none, each to succeed and print what is
# printed under it.  A command that runs until stopped (follow-up-due -w,
# socat) runs until $UNTIL, a shell command tried every 0.1 s for 10 s,
# succeeds; then it is stopped.  conv-store changes -f too.
run_block() {
	local k=0 cmd script=$T/run/block.sh
	rm -f "$T"/run/out.* "$T"/run/err.* "$T"/run/rc.*
	printf 'set -o pipefail\n' >"$script"
	while IFS= read -r -d '' cmd; do
		k=$((k + 1))
		if [[ $cmd == *"follow-up-due -w"* || $cmd == *"socat "* || $cmd == *"changes -f"* ]]; then
			printf 'set -m\n{ %s\n} >%s 2>%s <%s & pid=$!\nset +m\n' "$cmd" "$T/run/out.$k" "$T/run/err.$k" "${STDIN:-/dev/null}"
			printf 'for _ in $(seq 100); do (%s) && break; sleep 0.1; done\n' "$UNTIL"
			printf '(%s); echo $? >%s; kill -TERM -- -$pid; wait $pid\n' "$UNTIL" "$T/run/rc.$k"
		else
			printf '{ %s\n} >%s 2>%s <%s; echo $? >%s\n' "$cmd" "$T/run/out.$k" "$T/run/err.$k" "${STDIN:-/dev/null}" "$T/run/rc.$k"
		fi
	done < <(commands "$T/ex/$1") >>"$script"
	[ "$k" -gt 0 ] || fail "block $1 has no command"
	bash "$script" 3>&- || :
	for k in $(seq "$k"); do
		[ "$(cat "$T/run/rc.$k" 2>/dev/null)" = 0 ] ||
			fail "block $1, command $k exited $(cat "$T/run/rc.$k" 2>/dev/null): $(sed -n "$((k * 2 - 1)),\$p" "$script" | head -3)
$(cat "$T/run/err.$k")"
		[ ! -s "$T/run/want.$k" ] || same_lines "$T/run/out.$k" "$T/run/want.$k" ||
			fail "block $1, command $k printed: $(cat "$T/run/out.$k"), not: $(cat "$T/run/want.$k")"
	done
}

# same_lines GOT WANT: the same lines, "..." in WANT matching anything
same_lines() {
	python3 - "$1" "$2" <<'PY'
import re, sys
got = open(sys.argv[1]).read().splitlines()
want = open(sys.argv[2]).read().splitlines()
pats = [re.compile("^" + ".*".join(map(re.escape, w.split("..."))) + "$") for w in want]
sys.exit(0 if len(got) == len(want) and all(p.match(g) for p, g in zip(pats, got)) else 1)
PY
}

# crontab N...: the blocks as one crontab, each entry run as cron runs
# it: sh -c with only the crontab's variables, HOME and SHELL, the
# harness's clock and the stand-ins' addresses; each must succeed
crontab() {
	local n line cmd vars=() k=0
	for n in "$@"; do
		while IFS= read -r line || [ -n "$line" ]; do
			[[ -z $line || $line == '#'* ]] && continue
			if [[ $line =~ ^[A-Z_]+= ]]; then
				vars+=("$line")
				continue
			fi
			[[ $line =~ ^([^ ]+ +){5} ]] || fail "block $n: not a crontab entry: $line"
			cmd=${line#"${BASH_REMATCH[0]}"}
			[[ $cmd != *%* ]] || fail "block $n: a % in a crontab entry is a newline to cron: $cmd"
			k=$((k + 1))
			run --separate-stderr env -i HOME="$T" SHELL=/bin/sh LOGNAME=calsms "${vars[@]}" \
				CALSMS_NOW="$CALSMS_NOW" ${TWILIO_API_URL:+TWILIO_API_URL=$TWILIO_API_URL} \
				${CALENDLY_API_URL:+CALENDLY_API_URL=$CALENDLY_API_URL} sh -c "$cmd"
			[ "$status" -eq 0 ] || fail "block $n: $cmd exited $status: $stderr"
		done <"$T/ex/$n"
	done
	CRON_RUN=$k
}

# handler N PATH REQUEST: block N, a handler's lines, run by http-hook for
# PATH on the request in file REQUEST; prints the status line, and keeps
# the whole answer in $T/run/answer
handler() {
	cp "$T/ex/$1" "$W/handler.$1"
	http-hook -q "$2=sh" "$W/handler.$1" <"$3" >"$T/run/answer" || fail "http-hook exited $?"
	head -n1 "$T/run/answer" | tr -d '\r'
}

# request PATH BODYFILE HEADER...: an HTTP request, as a file's name
request() {
	local path=$1 body=$2 f=$T/run/request.$RANDOM
	shift 2
	{
		printf 'POST %s HTTP/1.1\r\nHost: hooks.example.com\r\n' "$path"
		printf '%s\r\n' "$@"
		printf 'Content-Length: %d\r\n\r\n' "$(wc -c <"$body")"
		cat "$body"
	} >"$f"
	printf '%s' "$f"
}

calendly_request() {	# the fixture booking, signed
	request /calendly "$W/body.json" 'Content-Type: application/json' \
		"Calendly-Webhook-Signature: $(cat "$W/body.sig")"
}

calcom_request() {	# Cal.com's booking fixture, signed
	local sig
	sig=$(python3 -c 'import hmac, hashlib, sys
print(hmac.new(sys.argv[2].encode(), open(sys.argv[1], "rb").read(), hashlib.sha256).hexdigest(), end="")' \
		"$FIX/calcom/booking-created.json" "$CALCOM")
	request /calcom "$FIX/calcom/booking-created.json" 'Content-Type: application/json' "X-Cal-Signature-256: $sig"
}

twilio_up() {	# the Twilio and AWS stand-in, its address in the environment
	echo '{"mode": "ok"}' >"$T/control"
	MOCK_TWILIO_SID=$SID MOCK_TWILIO_TOKEN=$TOKEN start_mock mock mock-provider.py "$T/port" "$T/sent.log" "$T/control"
	export TWILIO_API_URL=http://127.0.0.1:$(cat "$T/port")
	export AWS_ENDPOINT_URL=$TWILIO_API_URL
}

sent_count() { [ -f "$T/sent.log" ] && wc -l <"$T/sent.log" || echo 0; }

@test "examples: cal-parse(1)" {
	blocks cal-parse.1
	[ "$NB" -eq 5 ]
	run_block 1
	run_block 2
	json_is '.type == "booking" and .phone == "+14045550134"' "$T/run/out.1"
	[ "$(handler 3 /calendly "$(calendly_request)")" = "HTTP/1.1 200 OK" ]
	run -0 conv-store list
	json_is '.phone == "+14045550134" and .status == "pending"' <<<"$output"
	run_block 4
	json_is '.type == "booking"' "$T/run/out.1"
	# Cal.com's fixture was signed at 16:00:30
	CALSMS_NOW=2025-11-24T16:00:30Z STDIN=$(calcom_request) run_block 5
	[ "$(head -n1 "$T/run/out.1" | tr -d '\r')" = "HTTP/1.1 200 OK" ]
	run -0 conv-store list
	json_is -s 'length == 2 and any(.id == "cal0000000000001")' <<<"$output"
}

@test "examples: cal-sync(1)" {
	M=$T/mock
	mkdir -p "$M"
	echo '{"mode": "ok"}' >"$M/control"
	python3 "$BATS_TEST_DIRNAME/mock-calendly.py" --data "$FIX"/calendly/invitee-created*.json >"$M/data.json"
	start_mock calendly mock-calendly.py "$T/cport" "$M"
	export CALENDLY_API_URL=http://127.0.0.1:$(cat "$T/cport")/
	blocks cal-sync.1
	[ "$NB" -eq 3 ]
	# cal-sync's compiled-in /etc/calsms/calendly.key, moved
	export CALENDLY_KEY_FILE=$R/etc/calsms/calendly.key
	TOKEN=pat-secret run_block 1
	[ "$(stat -c %a "$R/etc/calsms/calendly.env")" = 600 ]
	json_is '.state == "active"' "$T/run/out.3"
	crontab 2
	[ "$CRON_RUN" -eq 2 ]
	run -0 conv-store list
	json_is -s 'length == 4 and all(.source == "calendly" or .source == null)' <<<"$output"
	CALENDLY_TOKEN=pat-secret run_block 3
	[ "$(wc -l <"$T/run/out.1")" -eq 4 ] && grep -q $'\tbooking\t' "$T/run/out.1"
}

@test "examples: calsms(7)" {
	twilio_up
	blocks calsms.7
	[ "$NB" -eq 3 ]
	# the handler's key, from inetd's line or the unit
	[ "$(CALENDLY_KEY_FILE=$R/etc/calsms/calendly.key handler 1 /calendly "$(calendly_request)")" = "HTTP/1.1 200 OK" ]
	UNTIL='conv-store list -s awaiting_reply | grep -q .' run_block 2
	[ "$(sent_count)" -eq 1 ]
	json_is '.form.To == "+14045550134" and .form.From == "+15005550006"' "$T/sent.log"
	export CALSMS_DB=$T/another
	conv-store init
	run_block 3
	[ "$(cat "$T/run/out.1")" = '"awaiting_reply"' ]
}

@test "examples: conv-store(1)" {
	export SMS_PROVIDER=log	# the operator's sms.env, in the environment
	blocks conv-store.1
	[ "$NB" -eq 11 ]
	run_block 1
	# two ways to store one booking: the second finds it stored
	conv_is +14045550134 '.status == "pending"'
	follow-up-due | sms-send -T templates | conv-store record >/dev/null
	# its follow-up, 31 minutes later: the customer has not answered
	at 1860 follow-up-due | at 1860 sms-send -T templates | at 1860 conv-store record >/dev/null
	run_block 2
	id=$(conv-store get +14045550134 | jq -r .id)
	[ "$(cat "$T/run/out.1")" = "$id	+14045550134" ]
	[ "$(jq -sc 'map(.[0])' "$T/run/out.2")" = '["confirm","followup"]' ]
	# a question from the customer, which the front desk must answer
	sms-parse -p twilio -u https://hooks.example.com/twilio -s "$(cat "$FIX/twilio/inbound.sig")" body.form |
		jq -c '.body = "what should I bring?" | .intent = "other"' | conv-store reply >/dev/null
	run_block 3
	grep -q 'what should I bring?' "$T/run/out.1"
	grep -q '(404) 555-01..' "$T/run/out.1" || grep -q '\*\*' "$T/run/out.1"
	# in a store of their own, a booking whose number is mistyped, and the
	# fixture's, whose send is uncertain: its sender's lease lapsed
	export CALSMS_DB=$T/second
	conv-store init
	cal-parse -n body.json | conv-store add -q
	follow-up-due | grep -q INV0000000000001
	appt INV0000000000003 null 2025-11-25T15:00:00Z '.phone_raw = "404 555 O134"' | conv-store add -q
	at 700 follow-up-due >/dev/null
	conv_is INV0000000000001 '.status == "uncertain"'
	run_block 4
	conv_is INV0000000000003 '.phone == "+14045550134" and .history[-1].text == "called: typo in the number"'
	run_block 5
	conv_is INV0000000000001 '.status == "awaiting_reply" and .history[-1].action == "resolve"'
	export CALSMS_DB=$R/var/lib/calsms
	crontab 6 7
	[ "$CRON_RUN" -eq 5 ]
	[ "$(zcat "$R/var/backups/calsms.jsonl.gz" | wc -l)" -eq "$(conv-store dump | wc -l)" ]
	grep -qx 'mail -s calsms: last week owner' "$T/mail.log"
	grep -q '^period	bookings	' "$T/mail.log"
	run_block 8
	# the PostgreSQL block has a test of its own, below
	grep -q 'init$' "$T/ex/9"
	# an A/B test's report: the fixture's conversation went out as no variant
	CALSMS_NOW=$((1764000000 + 86400)) run_block 10
	grep -q $'\treply_rate\tvs\tz\tp$' "$T/run/out.1"
	grep -q '^none	' "$T/run/out.1"
	# the feed from a saved position: what comes after it, and then a note made meanwhile
	conv-store changes | tail -n1 | jq .seq >"$R/var/lib/calsms/crm.position"
	conv-store note INV0000000000001 "called back" >/dev/null
	UNTIL="grep -q operator $T/run/out.2" run_block 11
	json_is -s 'length == 1 and .[0].what == ["operator"] and .[0].seq == ('"$(cat "$R/var/lib/calsms/crm.position")"' + 1)' "$T/run/out.2"
}

@test "examples: conv-store(1), from LMDB into PostgreSQL" {
	[ -n "${CALSMS_TEST_PG:-}" ] || skip "no PostgreSQL cluster (make test-pg runs this)"
	blocks conv-store.1
	cal-parse -n body.json | conv-store add -q
	appt B2 +14045550102 2025-11-25T15:00:00Z | conv-store add -q
	run_block 9
	[ "$(cat "$T/run/out.3")" = same ]
	run -0 conv-store -d "$PGURI" list
	json_is -s 'length == 2' <<<"$output"
}

@test "examples: follow-up-due(1)" {
	twilio_up
	blocks follow-up-due.1
	[ "$NB" -eq 4 ]
	cal-parse -n body.json | conv-store add -q
	UNTIL='conv-store list -s awaiting_reply | grep -q .' run_block 1
	[ "$(sent_count)" -eq 1 ]
	appt B2 +14045550102 2025-11-25T15:00:00Z | conv-store add -q
	crontab 2
	[ "$CRON_RUN" -eq 1 ]
	[ "$(sent_count)" -eq 2 ]
	conv_is B2 '.status == "awaiting_reply"'
	appt B3 +14045550103 2025-11-25T15:00:00Z | conv-store add -q
	UNTIL='conv-store get B3 | grep -q awaiting_reply' run_block 3
	[ -f "$R/etc/calsms/templates/after.jq" ]
	[ "$(sent_count)" -eq 3 ]
	run_block 4
	[ -d "$T/tmp/copy" ]
	[ "$(dumped -d "$T/tmp/copy" | wc -l)" -eq 3 ]
}

# posted PORT: a shell command that posts the signed booking to a
# listener on PORT and succeeds on a 200
posted() {
	printf '%s' 'curl -sS -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" ' \
		'-H "Calendly-Webhook-Signature: $(cat body.sig)" --data-binary @body.json ' \
		"http://127.0.0.1:$1/calendly | grep -qx 200"
}

@test "examples: http-hook(1)" {
	PORT=$(free_port)
	blocks http-hook.1
	[ "$NB" -eq 5 ]
	UNTIL=$(posted "$PORT") run_block 1
	conv_is INV0000000000001 '.status == "pending"'
	[ "$(handler 2 /calendly "$(calendly_request)")" = "HTTP/1.1 200 OK" ]
	# the inetd line is run under inetd by wiring.bats
	grep -v '^#' "$BATS_TEST_DIRNAME/../examples/inetd.conf" | moved | cmp - "$T/ex/3"
	# the socat line of block 4 on a port of its own, into a store of its own
	PORT=$(free_port)
	blocks http-hook.1
	export CALSMS_DB=$T/second
	conv-store init
	UNTIL=$(posted "$PORT") run_block 4
	conv_is INV0000000000001 '.status == "pending"'
	cp "$R/usr/local/libexec/calsms/on-booking" "$W/on-booking"
	run_block 5
	[ "$(head -n1 "$T/run/out.1" | tr -d '\r')" = "HTTP/1.1 401 Unauthorized" ]
}

@test "examples: sms-parse(1)" {
	twilio_up
	blocks sms-parse.1
	[ "$NB" -eq 6 ]
	cal-parse -n body.json | conv-store add | sms-send -p log -T templates | conv-store record >/dev/null
	req=$(request /twilio body.form 'Content-Type: application/x-www-form-urlencoded' \
		"X-Twilio-Signature: $(cat "$FIX/twilio/inbound.sig")")
	# the environment the shipped inetd line gives the handler
	[ "$(SMS_PARSE_CONF=$R/etc/calsms/sms.env CALSMS_CONF=$R/etc/calsms/calsms.env handler 1 /twilio "$req")" = "HTTP/1.1 200 OK" ]
	grep -q '<Response/>' "$T/run/answer"
	conv_is INV0000000000001 '.status == "replied" and .replies[0].intent == "confirm" and .replies[0].body == "Yes, see you then"'
	grep -v '^#' "$BATS_TEST_DIRNAME/../examples/inetd.conf" | moved | cmp - "$T/ex/2"
	appt B2 +14045550102 2025-11-25T15:00:00Z | conv-store add -q
	follow-up-due >"$T/due"
	STDIN=$T/due run_block 3
	json_is '.form.StatusCallback == "https://hooks.example.com/twilio" and .form.To == "+14045550102"' "$T/sent.log"
	run_block 4
	[ "$(grep -c '^aws ' "$T/aws.log")" -eq 3 ]
	grep -qx 'aws sns subscribe --topic-arn arn:aws:sns:us-east-1:123456789012:calsms-sms --protocol https --notification-endpoint https://hooks.example.com/aws' "$T/aws.log"
	# an inbound SMS through AWS, signed as SNS signs it
	sns_setup
	appt B3 +14045550101 2025-11-25T15:00:00Z | conv-store add | sms-send -p log -T templates | conv-store record >/dev/null
	snsmsg Notification "$(inbound_sms "Yes")" 1 "" "$CERT" >"$T/sns.json"
	req=$(request /aws "$T/sns.json" 'Content-Type: text/plain; charset=UTF-8' 'x-amz-sns-message-type: Notification')
	[ "$(handler 5 /aws "$req")" = "HTTP/1.1 200 OK" ]
	conv_is B3 '.status == "replied" and .replies[0].intent == "confirm"'
	[ -n "$(ls "$R/var/cache/calsms")" ]
	run_block 6
}

@test "examples: sms-send(1)" {
	twilio_up
	blocks sms-send.1
	[ "$NB" -eq 10 ]
	run_block 1
	grep -q 'confirm' "$T/run/out.1"
	run_block 2
	grep -q 'consulta-en-espanol/confirm' "$T/run/out.2"
	cp -r templates "$T/lang"
	cp "$T/ex/3" "$T/lang/confirm.jq"
	run -0 --separate-stderr sms-send --check -T "$T/lang"
	json_is -s 'any((.template | endswith("/confirm.jq")) and (.body | startswith("Hi Ada")))' <<<"$output"
	run_block 4
	json_is '.status == "awaiting_reply"' "$T/run/out.1"
	appt B2 +14045550102 2025-11-25T15:00:00Z | conv-store add -q
	run_block 5
	conv_is B2 '.status == "awaiting_reply" and .messages[0].provider == "twilio"'
	appt B3 +14045550103 2025-11-25T15:00:00Z | conv-store add -q
	UNTIL='conv-store get B3 | grep -q awaiting_reply' run_block 6
	conv_is B3 '.messages[0].provider == "sns"'
	appt B4 +14045550104 2025-11-25T15:00:00Z | conv-store add -q
	follow-up-due >due.jsonl
	run_block 7
	json_is '.sms.status == "sent" and .sms.provider == "eum"' "$T/run/out.1"
	printf 'TWILIO_ACCOUNT_SID=%s\nTWILIO_AUTH_TOKEN=%s\nTWILIO_FROM=+15005550006\n' "$SID" "$TOKEN" >twilio.env
	run_block 8
	[ "$(cat "$T/run/out.1")" = '"sent"' ]
	run_block 9
	[ "$(grep -c $'\t[ab]$' "$T/run/out.3")" -eq 2 ]
	[ -f "$R/etc/calsms/templates/confirm.a.jq" ] && [ ! -e "$R/etc/calsms/templates/confirm.jq" ]
	run_block 10
	json_is '.content_sid == "HX0123456789abcdef0123456789abcdef" and .variables == {"1": "Ada", "2": "Tue Nov 25, 10:00 AM EST"}' "$T/run/out.4"
	# Twilio twice, SNS and End User Messaging once each
	[ "$(sent_count)" -eq 4 ]
	[ "$(jq -r .path "$T/sent.log" | grep -c Messages.json)" -eq 2 ]
}

@test "examples: to-hubspot(1)" {
	mkdir -p "$T/hubspot"
	echo '{"mode": "ok"}' >"$T/hubspot/control"
	MOCK_HUBSPOT_TOKEN=pat-na1-example start_mock hubspot mock-hubspot.py "$T/hport" "$T/hubspot"
	export HUBSPOT_API_URL=http://127.0.0.1:$(cat "$T/hport") HUBSPOT_PRIVATE_APP_TOKEN=pat-na1-example
	CRM_URL=$HUBSPOT_API_URL blocks to-hubspot.1
	[ "$NB" -eq 3 ]
	# a booking, its confirmation and the customer's answer: three changes
	cal-parse -n body.json | conv-store add | sms-send -p log -T templates 2>/dev/null | conv-store record >/dev/null
	sms-parse -p twilio -u https://hooks.example.com/twilio -s "$(cat "$FIX/twilio/inbound.sig")" body.form |
		conv-store reply >/dev/null
	run_block 1
	[ "$(stat -c %a "$R/etc/calsms/hubspot.env")" = 600 ]
	run -0 curl -sS "$HUBSPOT_API_URL/_state"
	json_is '(.contacts | length == 1) and (.notes | length == 2) and (.notes[1].properties.hs_note_body | contains("(confirm)"))' <<<"$output"
	# cron gives it no environment: the settings file names the API
	printf 'HUBSPOT_API_URL=%s\n' "$HUBSPOT_API_URL" >>"$R/etc/calsms/hubspot.env"
	conv-store note INV0000000000001 "called back" >/dev/null
	crontab 2
	[ "$CRON_RUN" -eq 1 ]
	[ "$(cat "$R/var/lib/calsms/hubspot.position")" = 4 ]
	# the generic webhook: every change, as it is, once
	cp "$T/ex/3" "$W/to-webhook"
	run -0 sh "$W/to-webhook"
	[ "$(cat "$R/var/lib/calsms/webhook.position")" = 4 ]
	run -0 curl -sS "$HUBSPOT_API_URL/_state"
	json_is '[.hooks[].seq] == [1, 2, 3, 4] and .hooks[3].changes[0].what == "operator"' <<<"$output"
	run -0 sh "$W/to-webhook"
	run -0 curl -sS "$HUBSPOT_API_URL/_state"
	json_is '.hooks | length == 4' <<<"$output"
	[ -z "$(ls "$T/tmp" | grep changes)" ]
}

@test "examples: every page with EXAMPLES has its test here" {
	for m in "$MAN"/*.[0-9]; do
		grep -q '^\.Sh EXAMPLES' "$m" || continue
		n=${m##*/}
		grep -qF "@test \"examples: ${n%.*}(${n##*.})\"" "$BATS_TEST_FILENAME" || fail "$n: its EXAMPLES are not run"
	done
}
