# Loaded by every test: the built programs first on PATH, a fresh store each.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

# what the tests write is theirs alone, as settings files must be (0600)
umask 077
BIN=${CALSMS_BIN:-$BATS_TEST_DIRNAME/../bin}
PATH="$BIN:$PATH"
FIX=$BATS_TEST_DIRNAME/fixtures
export CALSMS_DB=$BATS_TEST_TMPDIR/db
# CALSMS_TEST_PG, a throwaway cluster's URI (tests/pg/with-cluster): each
# test's store is then a database of its own there, reached through the
# cluster's socket (CALSMS_TEST_PG_DIR), which connects in half the time
# of its loopback port
if [ -n "${CALSMS_TEST_PG:-}" ] && [ -n "${BATS_TEST_TMPDIR:-}" ]; then
	PGDB=t$(printf %s "$BATS_TEST_TMPDIR" | md5sum | cut -c1-20)
	export CALSMS_DB=${CALSMS_TEST_PG%/*}/$PGDB
	PGADMIN=$CALSMS_TEST_PG
	if [ -n "${CALSMS_TEST_PG_DIR:-}" ]; then
		socket="host=$CALSMS_TEST_PG_DIR&port=$(cat "$CALSMS_TEST_PG_DIR/port")"
		CALSMS_DB="postgresql://calsms@/$PGDB?$socket"
		PGADMIN="postgresql://calsms@/postgres?$socket"
	fi
	# copied as files, not through the WAL: 40 ms less a test (fsync is off)
	psql -qX "$PGADMIN" -c "CREATE DATABASE $PGDB STRATEGY FILE_COPY" >/dev/null 2>&1 || :
fi
export CALSMS_COUNTRY=US
KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I
unset CALENDLY_SIGNING_KEY HTTP_CALENDLY_WEBHOOK_SIGNATURE SMS_PROVIDER CALSMS_NOW

# sign BODYFILE [T [KEY]]: prints a Calendly-Webhook-Signature for the body
sign() {
	local t=${2:-1764000000}
	python3 -c 'import hmac, hashlib, sys
t = sys.argv[2].encode(); body = open(sys.argv[1], "rb").read()
mac = hmac.new(sys.argv[3].encode(), t + b"." + body, hashlib.sha256)
sys.stdout.write("t=%s,v1=%s" % (t.decode(), mac.hexdigest()))' "$1" "$t" "${3:-$KEY}"
}

# appt ID PHONE START [JQ]: an appointment line as cal-parse writes it,
# changed by an optional jq filter (phone "null" for none)
appt() {
	jq -nc --arg id "$1" --arg phone "$2" --arg start "$3" '{
		type: "booking", id: $id,
		invitee_uri: ("https://api.calendly.com/scheduled_events/EV1/invitees/" + $id),
		event_uri: "https://api.calendly.com/scheduled_events/EV1",
		name: "Ada Lovelace", first_name: "Ada", email: "ada@example.org",
		phone: (if $phone == "null" then null else $phone end),
		phone_source: (if $phone == "null" then null else "text_reminder_number" end),
		timezone: "America/New_York", event_name: "Consultation",
		start_time: $start, end_time: $start, start_local: "Tue Nov 25, 10:00 AM EST",
		cancel_url: "https://calendly.com/c", reschedule_url: "https://calendly.com/r",
		old_id: null, new_id: null, rescheduled: false, reason: null,
		received_at: "2025-11-24T16:00:00Z"} | '"${4:-.}"
}

# store_open_by PID: PID holds the store open (LMDB's file, or a connection)
store_open_by() {
	if [ -n "${CALSMS_TEST_PG:-}" ]; then
		[ -n "$(psql -qtAX "$CALSMS_DB" -c "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'psql'" 2>/dev/null)" ]
	else
		ls -l "/proc/$1/fd" 2>/dev/null | grep -q data.mdb
	fi
}

# dumped [-d STORE]: conv-store dump's conversations, one a line (not its
# opt-outs, orphans or change feed)
dumped() {
	conv-store "$@" dump | jq -c 'select(.change == null and .optout == null and .orphan == null)'
}

# store: makes an empty store at $CALSMS_DB
store() {
	conv-store init
}

# sent [STATUS [PERMANENT]]: sms-send's result added to each line on stdin
sent() {
	jq -c --arg s "${1:-sent}" --arg p "${2:-false}" '. + {sms: {
		status: $s, provider: "twilio", provider_id: ("SM-" + .id + "-" + .due),
		to: .phone, body: "hello", segments: 1, encoding: "gsm7", attempts: 1,
		at: (env.AT // "2025-11-24T16:00:00Z"),
		error: (if $s == "sent" then null else {code: "x", message: "no", permanent: ($p == "true")} end)}}'
}

# at OFFSET CMD...: runs CMD with the clock at 2025-11-24T16:00:00Z + OFFSET seconds
at() {
	local t=$((1764000000 + $1))
	shift
	CALSMS_NOW=$t AT=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ) "$@"
}

# conv_is ID JQ: conversation ID is stored, and JQ holds for it
conv_is() {
	run -0 conv-store get "$1"
	[ -n "$output" ] || fail "conv-store get $1 printed nothing"
	jq -e "$2" <<<"$output" >/dev/null || fail "conversation $1 is not $2: $output"
}

# relocate FILE...: an installed file with its paths moved under the test
# root $R, the store to $T/state and the settings to $T/etc
relocate() {
	sed -e "s|/usr/local|$R/usr/local|g" -e "s|/var/lib/calsms|$T/state|g" \
		-e "s|/etc/calsms|$T/etc|g" "$@"
}

# stop_started: kills what the test started and noted in $T/*.pid
stop_started() {
	local p
	for p in "$T"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
	done
}

# json_is [JQ-OPTIONS] FILTER [FILE]: the JSON on stdin (or in FILE) is not
# empty and FILTER holds for it (jq -e alone passes on no input at all)
json_is() {
	local in last=${!#}
	if [ $# -gt 1 ] && [ -e "$last" ] && [ ! -d "$last" ]; then
		in=$(cat "$last")
		set -- "${@:1:$#-1}"
	else
		in=$(cat)
	fi
	# (a glob, not ${in//...}: bash's substitution takes a minute over 1 MB)
	[[ $in == *[![:space:]]* ]] || fail "json_is ${!#}: no input"
	jq -e "$@" <<<"$in" >/dev/null || fail "json_is: ${!#} does not hold for: $in"
}

# free_port: a loopback port nothing listens on now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: returns once something accepts on PORT (5 s at most, else fails)
wait_port() {
	for _ in $(seq 100); do
		python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "nothing listens on $1"
}

# start_mock NAME SCRIPT PORTFILE ARGS...: the loopback mock tests/SCRIPT in
# the background (its pid in $T/NAME.pid, for stop_started), returning once
# it has written the port it listens on to PORTFILE
start_mock() {
	local name=$1 script=$2 portfile=$3
	shift 3
	MOCK_LIFETIME=${MOCK_LIFETIME:-120} python3 "$BATS_TEST_DIRNAME/$script" "$portfile" "$@" 3>&- &
	echo $! >"$T/$name.pid"
	for _ in $(seq 100); do
		[ -s "$portfile" ] && return 0
		sleep 0.05
	done
	fail "$script never wrote its port to $portfile"
}

# closed_stdout CMD...: runs CMD with stdin from $IN (or /dev/null) and its
# stdout a pipe whose reader is gone; prints its exit status (-13: SIGPIPE)
# and then its stderr
closed_stdout() {
	python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stdin=open(os.environ.get("IN", "/dev/null")), stderr=subprocess.PIPE)
print(p.returncode)
sys.stdout.write(p.stderr.decode())' "$@"
}
