#!/usr/bin/env bats
# The store on PostgreSQL: the schema, selection by URI, moving between
# backends, check, claims by many schedulers, fencing tokens, wake-ups
# across processes, the database restarting or down, and two "hosts" on
# one database.  This file starts a cluster of its own (tests/pg/cluster),
# since it restarts and stops it; each test gets a database there.
load helper

setup_file() {
	# under /tmp itself: the cluster's user (nobody, for root) reaches no bats directory
	PGC=$(mktemp -d --tmpdir=/tmp --suffix=.calsms-pg)
	export PGC
	PGBASE=$(sh "$BATS_TEST_DIRNAME/pg/cluster" start "$PGC")
	export PGBASE=${PGBASE%/postgres}
}

teardown_file() {
	sh "$BATS_TEST_DIRNAME/pg/cluster" stop "$PGC"
}

setup() {
	T=$BATS_TEST_TMPDIR
	export CALSMS_NOW=1764000000
	DB=t$(printf %s "$T" | md5sum | cut -c1-16)
	psql -qX "$PGBASE/postgres" -c "CREATE DATABASE $DB" >/dev/null
	export CALSMS_DB=$PGBASE/$DB
}

teardown() {
	stop_started
	for g in "$T"/*.pgid; do
		[ -e "$g" ] && kill -- -"$(cat "$g")" 2>/dev/null
	done
	# a test that stopped the server leaves it running for the next
	[ -e "$PGC/data/postmaster.pid" ] || sh "$BATS_TEST_DIRNAME/pg/cluster" restart "$PGC" 2>/dev/null ||
		runuser -u nobody -- "$(ls -d /usr/lib/postgresql/*/bin | tail -1)/pg_ctl" -D "$PGC/data" \
			-l "$PGC/server.log" -w -s start >/dev/null 2>&1 || :
}

sql() {
	psql -qtAX "$CALSMS_DB" -c "$1"
}

pg_ctl_as() {
	local bin
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$bin/pg_ctl" -D "$PGC/data" -l "$PGC/server.log" -w -s "$@"
	else
		"$bin/pg_ctl" -D "$PGC/data" -l "$PGC/server.log" -w -s "$@"
	fi
}

# bookings N [FIRST]: N appointment lines, ids B<FIRST>..
bookings() {
	local i
	for i in $(seq "${2:-1}" $(( ${2:-1} + $1 - 1 ))); do
		appt "B$i" "+1202555$(printf %04d "$i")" 2025-11-26T15:00:00Z
	done
}

@test "pg: init makes the schema a DBA reads; again changes nothing; a newer one is refused (78)" {
	run -0 conv-store init
	run -0 conv-store init
	run -0 sql "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'calsms'"
	assert_output "change_seq changes conversations due messages optouts orphans schema_version"
	run -0 sql "SELECT string_agg(version::text, ' ' ORDER BY version) FROM calsms.schema_version"
	assert_output "1 2"
	# the due rows' partial indexes, one a kind
	run -0 sql "SELECT count(*) FROM pg_indexes WHERE schemaname = 'calsms' AND indexdef LIKE '%WHERE (kind = %'"
	assert_output 8
	bookings 2 | conv-store add -q
	run -0 sql "SELECT kind || ' ' || conv_id FROM calsms.due ORDER BY conv_id"
	assert_output "confirm B1
confirm B2"
	run -0 sql "SELECT doc->>'status' FROM calsms.conversations WHERE id = 'B1'"
	assert_output pending
	sql "INSERT INTO calsms.schema_version VALUES (99)"
	run --separate-stderr conv-store list
	assert_failure 78
	[[ $stderr == *"schema is version 99"* ]] || fail "stderr: $stderr"
}

@test "pg: a schema from before the change feed (version 1) is refused (78) until init takes it forward" {
	bookings 1 | conv-store add -q
	sql "DROP TABLE calsms.changes, calsms.change_seq; DROP FUNCTION calsms.add_changes, calsms.load_change; DELETE FROM calsms.schema_version WHERE version = 2"
	run --separate-stderr conv-store list
	assert_failure 78
	[[ $stderr == *"schema is version 1, older than 2: run conv-store init"* ]] || fail "stderr: $stderr"
	run -0 conv-store init
	conv_is B1 '.status == "pending"'
	conv-store note B1 "after the upgrade" >/dev/null
	run -0 conv-store changes
	json_is '.seq == 1 and .id == "B1" and .changes[0].what == "operator"' <<<"$output"
}

@test "pg: without a schema a read says so (66, as for a directory without a store); add makes it" {
	run --separate-stderr conv-store get B1
	assert_failure 66
	run -66 follow-up-due
	[[ $stderr == *"no calsms schema"*"conv-store init"* ]] || fail "stderr: $stderr"
	bookings 1 | conv-store add -q
	conv_is B1 '.status == "pending"'
}

@test "pg: a URI is never made a directory; a server that is down is 75 with one line, and a 503" {
	mkdir "$T/cwd"
	cd "$T/cwd"
	port=$(free_port)
	bookings 1 >"$T/one"
	run --separate-stderr conv-store -d "postgresql://calsms:secret@127.0.0.1:$port/x" add <"$T/one"
	assert_failure 75
	[ "$(wc -l <<<"$stderr")" -eq 1 ] || fail "more than one line: $stderr"
	[[ $stderr == *"cannot connect"* && $stderr != *secret* ]] || fail "stderr: $stderr"
	[ -z "$(ls -A "$T/cwd")" ] || fail "made: $(ls -A "$T/cwd")"
	[ ! -e postgresql: ] && [ ! -e /postgresql: ]
	# the shipped handler behind http-hook: 503, so Calendly retries
	body=$FIX/calendly/invitee-created.json
	run -0 --separate-stderr bash -c 'printf "POST /calendly HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nCalendly-Webhook-Signature: %s\r\nContent-Length: %s\r\n\r\n" "$(cat "$1")" "$(wc -c <"$2")" | cat - "$2" |
		CALENDLY_SIGNING_KEY=$3 CALSMS_DB=$4 http-hook -q /calendly="$5"' _ \
		"$FIX/calendly/invitee-created.sig" "$body" "$KEY" "postgresql://calsms@127.0.0.1:$port/x" \
		"$BATS_TEST_DIRNAME/../examples/on-booking"
	[[ ${lines[0]} == "HTTP/1.1 503"* ]] || fail "answered: ${lines[0]}"
}

@test "pg: dump from LMDB loads into PostgreSQL and back, byte for byte" {
	L=$T/lmdb
	bookings 5 | conv-store -d "$L" add -q
	follow-up-due -d "$L" | sent | conv-store -d "$L" record >/dev/null
	printf '{"type":"reply","from":"+12025550002","body":"YES","provider":"twilio","provider_id":"SMr2","received_at":"2025-11-24T16:05:00Z"}\n{"type":"reply","from":"+12025550003","body":"STOP","provider":"twilio","provider_id":"SMr3","received_at":"2025-11-24T16:06:00Z"}\n{"type":"reply","from":"+19995550000","body":"who is this","provider":"twilio","provider_id":"SMr9","received_at":"2025-11-24T16:07:00Z"}\n' |
		conv-store -d "$L" reply >/dev/null
	conv-store -d "$L" optout +12025550777
	conv-store -d "$L" dump >"$T/from-lmdb"
	[ "$(grep -vc '^{"change":' "$T/from-lmdb")" -eq 8 ]
	run -0 conv-store load <"$T/from-lmdb"
	conv-store dump >"$T/from-pg"
	cmp "$T/from-lmdb" "$T/from-pg"
	run -0 conv-store check
	# and back into a new LMDB store
	conv-store dump | conv-store -d "$T/back" load
	conv-store -d "$T/back" dump >"$T/back-dump"
	cmp "$T/from-lmdb" "$T/back-dump"
	# the same walks on both: by status, by phone, what is due
	for args in "list -s awaiting_reply" "list -p +12025550002" "list" "stats"; do
		[ "$(conv-store -d "$L" $args)" = "$(conv-store $args)" ] || fail "$args differs"
	done
	[ "$(CALSMS_NOW=$((CALSMS_NOW + 3600)) follow-up-due -d "$L" | jq -c 'del(.claim.token)')" = \
		"$(CALSMS_NOW=$((CALSMS_NOW + 3600)) follow-up-due | jq -c 'del(.claim.token)')" ]
}

@test "pg: check names a missing and a stale due row; --repair rebuilds them from the records" {
	bookings 3 | conv-store add -q
	run -0 conv-store check
	sql "DELETE FROM calsms.due WHERE conv_id = 'B1'"
	sql "INSERT INTO calsms.due VALUES ('B2', 'followup', 1, NULL)"
	sql "UPDATE calsms.conversations SET status = 'confirmed' WHERE id = 'B3'"
	run -1 --separate-stderr conv-store check
	got=$(jq -r '"\(.id) \(.problem)"' <<<"$output")
	[[ $got == *"B1 index key 'c' missing"* ]] || fail "check: $got"
	[[ $got == *"B2 a stale index key 'f'"* ]] || fail "check: $got"
	[[ $got == *"B3 a stale index key 's'"* && $got == *"B3 index key 's' missing"* ]] || fail "check: $got"
	run -0 conv-store check --repair
	run -0 conv-store check
	run -0 sql "SELECT count(*) FROM calsms.due WHERE kind = 'confirm'"
	assert_output 3
}

@test "pg: four schedulers at once hand out each of 300 confirmations once" {
	bookings 300 | conv-store add -q
	for i in 1 2 3 4; do
		follow-up-due -s 100000 >"$T/due.$i" 2>"$T/err.$i" &
	done
	wait
	cat "$T"/due.? >"$T/all"
	[ "$(wc -l <"$T/all")" -eq 300 ] || fail "$(wc -l <"$T/all") lines handed out: $(cat "$T"/err.?)"
	[ -z "$(jq -r .id "$T/all" | sort | uniq -d)" ]
	# each went to one scheduler, with the token of the transaction that claimed it
	[ "$(jq -r .claim.token "$T/all" | sort -u | wc -l)" -ge 1 ]
	run -0 sql "SELECT count(*) FROM calsms.due WHERE kind = 'lease' AND token IS NOT NULL"
	assert_output 300
	run -0 conv-store check
}

@test "pg: follow-up-due -w wakes for a booking another process commits" {
	conv-store init
	mkfifo "$T/out"
	setsid follow-up-due -w >"$T/out" 2>"$T/w.err" 3>&- &
	echo $! >"$T/w.pid"
	exec 4<"$T/out"
	bookings 1 | conv-store add -q
	read -r -t 20 line <&4 || fail "nothing woke -w: $(cat "$T/w.err")"
	exec 4<&-
	json_is '.id == "B1" and .due == "confirm"' <<<"$line"
}

@test "pg: a restart and a crash of the server during a stream of 5,000 adds lose none and duplicate none" {
	conv-store init
	python3 "$BATS_TEST_DIRNAME/bench/gen.py" appt 5000 >"$T/appts"
	mkfifo "$T/in"
	conv-store add <"$T/in" >"$T/added" 2>"$T/add.err" &
	pid=$!
	exec 4>"$T/in"
	# a third committed (printed), then the server shut down and back (fast),
	# another third, then the server crashed and back (immediate: recovery)
	for part in 1:fast 2:immediate 3:; do
		n=${part%%:*} mode=${part#*:}
		sed -n "$(( (n - 1) * 1667 + 1 )),$(( n * 1667 ))p" "$T/appts" >&4
		[ -n "$mode" ] || break
		for _ in $(seq 200); do
			[ "$(wc -l <"$T/added")" -ge $(( n * 1667 )) ] && break
			sleep 0.05
		done
		pg_ctl_as -m "$mode" restart 4>&-	# the server must not hold the stream open
	done
	exec 4>&-
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "add exited $rc: $(cat "$T/add.err")"
	grep -q "connection lost" "$T/add.err" || fail "the restart was not met: $(cat "$T/add.err")"
	[ "$(wc -l <"$T/added")" -eq 5000 ] || fail "printed $(wc -l <"$T/added"): $(cat "$T/add.err")"
	[ -z "$(jq -r .id "$T/added" | sort | uniq -d)" ]
	run -0 sql "SELECT count(*), count(DISTINCT id) FROM calsms.conversations"
	assert_output "5000|5000"
	run -0 conv-store check
}

@test "pg: the server down under the -w sender: it waits, and resumes by itself" {
	conv-store init
	echo SMS_PROVIDER=log >"$T/sms.env"
	setsid bash -o pipefail -c 'follow-up-due -w | sms-send -C "$0" -T "$1" | conv-store record' \
		"$T/sms.env" "$BATS_TEST_DIRNAME/../examples/templates" 2>"$T/sender.err" 3>&- &
	echo $! >"$T/sender.pgid"
	bookings 1 | conv-store add -q
	for _ in $(seq 200); do
		[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 1 ] && break
		sleep 0.05
	done
	pg_ctl_as -m fast stop
	sleep 1	# the sender meets the server gone (what it does meanwhile is the test)
	pg_ctl_as start
	bookings 1 2 | conv-store add -q
	for _ in $(seq 300); do
		[ "$(conv-store list -s awaiting_reply | wc -l)" -eq 2 ] && break
		sleep 0.05
	done
	run -0 conv-store list -s awaiting_reply
	[ "${#lines[@]}" -eq 2 ] || fail "sender: $(cat "$T/sender.err")"
	kill -0 "$(cat "$T/sender.pgid")" || fail "the sender exited: $(cat "$T/sender.err")"
	grep -q "connection lost" "$T/sender.err" || fail "the outage was not met: $(cat "$T/sender.err")"
}

# host N: a working directory and process group of its own: an http-hook
# listener on a free port (socat and the shipped on-booking) and the
# sender pipeline against the Twilio mock, on the one database
host() {
	local h=$T/host$1
	mkdir -p "$h"
	echo "$(free_port)" >"$h/port"
	( cd "$h" && CALENDLY_SIGNING_KEY=$KEY exec setsid socat \
		TCP-LISTEN:"$(cat "$h/port")",bind=127.0.0.1,reuseaddr,fork \
		EXEC:"http-hook -q /calendly=$BATS_TEST_DIRNAME/../examples/on-booking" 2>"$h/socat.err" 3>&- ) &
	echo $! >"$T/listener$1.pgid"
	( cd "$h" && exec setsid bash -o pipefail -c 'follow-up-due -w | sms-send -C "$0" -T "$1" | conv-store record' \
		"$T/sms.env" "$BATS_TEST_DIRNAME/../examples/templates" >"$h/sender.out" 2>"$h/sender.err" 3>&- ) &
	echo $! >"$T/sender$1.pgid"
	wait_port "$(cat "$h/port")"
}

@test "pg: two hosts, one database: duplicate webhooks spread over both listeners, each booking texted once" {
	conv-store init
	echo '{"mode": "ok"}' >"$T/control"
	start_mock mock mock-provider.py "$T/mport" "$T/log" "$T/control"
	printf 'SMS_PROVIDER=twilio\nTWILIO_ACCOUNT_SID=AC123\nTWILIO_AUTH_TOKEN=secret-token\nTWILIO_FROM=+15005550006\nTWILIO_API_URL=http://127.0.0.1:%s\n' \
		"$(cat "$T/mport")" >"$T/sms.env"
	host 1
	host 2
	# 20 bookings, each delivered 3 times, over both listeners at once
	for i in $(seq 20); do
		jq -c --arg i "$i" '.payload.uri |= sub("[^/]+$"; "INV-" + $i) |
			.payload.text_reminder_number = ("+1404555" + ("000" + $i | .[-4:]))' \
			"$FIX/calendly/invitee-created.json" >"$T/b$i.json"
	done
	curls=()
	for n in 1 2 3; do
		for i in $(seq 20); do
			p=$(cat "$T/host$(( (i + n) % 2 + 1 ))/port")
			curl -sS -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
				-H "Calendly-Webhook-Signature: $(sign "$T/b$i.json")" \
				--data-binary @"$T/b$i.json" "http://127.0.0.1:$p/calendly" >>"$T/codes" &
			curls+=($!)
		done
	done
	wait "${curls[@]}"
	for _ in $(seq 300); do
		[ "$(wc -l <"$T/codes")" -eq 60 ] && [ "$(conv-store list -s awaiting_reply | wc -l)" -eq 20 ] && break
		sleep 0.1
	done
	[ "$(sort -u "$T/codes")" = 200 ] || fail "answers: $(sort "$T/codes" | uniq -c)"
	run -0 conv-store list -s awaiting_reply
	[ "${#lines[@]}" -eq 20 ] || fail "$(conv-store list | jq -c '[.id, .status]')"
	# one text a booking, whichever host's sender took it
	[ "$(wc -l <"$T/log")" -eq 20 ] || fail "$(wc -l <"$T/log") texts"
	[ "$(jq -r .form.To "$T/log" | sort -u | wc -l)" -eq 20 ]
	run -0 conv-store check
}

@test "pg: one line in calsms.env moves the handlers to PostgreSQL, whatever CALSMS_DB the launcher set" {
	conv-store init
	printf 'CALSMS_DB=%s\nCALSMS_COUNTRY=US\n' "$CALSMS_DB" >"$T/calsms.env"
	body=$FIX/calendly/invitee-created.json
	run -0 --separate-stderr bash -c 'printf "POST /calendly HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nCalendly-Webhook-Signature: %s\r\nContent-Length: %s\r\n\r\n" "$(cat "$1")" "$(wc -c <"$2")" | cat - "$2" |
		CALENDLY_SIGNING_KEY=$3 CALSMS_DB=$4 CALSMS_CONF=$5 http-hook -q /calendly="$6"' _ \
		"$FIX/calendly/invitee-created.sig" "$body" "$KEY" "$T/lmdb" "$T/calsms.env" \
		"$BATS_TEST_DIRNAME/../examples/on-booking"
	[[ ${lines[0]} == "HTTP/1.1 200"* ]] || fail "answered: ${lines[0]} $stderr"
	[ ! -e "$T/lmdb" ]
	run -0 conv-store list
	json_is '.status == "pending" and .phone == "+14045550134"' <<<"$output"
}

@test "pg: a password in the URI is never shown: not by a failed connection, not by health" {
	port=$(free_port)
	for uri in "postgresql://calsms:hunter2@127.0.0.1:$port/x" "postgres://calsms@127.0.0.1:$port/x?password=hunter2&sslmode=disable"; do
		run -75 --separate-stderr conv-store -d "$uri" list
		[[ $stderr == *"127.0.0.1:$port"* && $stderr != *hunter2* ]] || fail "stderr: $stderr"
		run -3 --separate-stderr conv-store -d "$uri" health
		[[ $output == "CALSMS UNKNOWN - no usable store at "*"***"* && $output != *hunter2* ]] || fail "health: $output"
		[[ $stderr != *hunter2* ]] || fail "stderr: $stderr"
	done
}
