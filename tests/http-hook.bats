#!/usr/bin/env bats
# http-hook: raw requests on stdin, through socat and through inetd.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	cat >"$T/h" <<'SH'
#!/bin/sh
env | grep -E '^(HTTP_|CONTENT_|REQUEST_|QUERY_|SCRIPT_|REMOTE_|SERVER_|GATEWAY_)' | sort >"$(dirname "$0")/env"
cat >"$(dirname "$0")/body"
echo "handler: ran" >&2
exit "${CODE:-0}"
SH
	chmod +x "$T/h"
}

teardown() {
	stop_started
}

# req REQUEST...: printf the request into http-hook with the test handler
req() {
	printf "$1" | http-hook -q "${@:2}" /hook="$T/h" 2>>"$T/stderr"
}

status_line() { head -n1 <<<"$1" | tr -d '\r'; }


@test "a POST runs the handler CGI style: headers as HTTP_*, body on stdin" {
	run --separate-stderr req 'POST /hook?a=1&b=2 HTTP/1.1\r\nHost: hooks.example\r\nContent-Type: application/json\r\nX-Trace: one\r\nx-trace: two\r\nCalendly-Webhook-Signature: t=1,v1=ab\r\nContent-Length: 11\r\n\r\n{"a": "b"}\n'
	assert_success
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	assert_output --partial $'Connection: close\r'
	assert_equal "$(cat "$T/body")" '{"a": "b"}'
	run -0 cat "$T/env"
	assert_line "CONTENT_LENGTH=11"
	assert_line "CONTENT_TYPE=application/json"
	assert_line "GATEWAY_INTERFACE=CGI/1.1"
	assert_line "HTTP_CALENDLY_WEBHOOK_SIGNATURE=t=1,v1=ab"
	assert_line "HTTP_HOST=hooks.example"
	assert_line "HTTP_X_TRACE=one, two"
	assert_line "QUERY_STRING=a=1&b=2"
	assert_line "REQUEST_METHOD=POST"
	assert_line "SCRIPT_NAME=/hook"
	assert_line "SERVER_PROTOCOL=HTTP/1.1"
	refute_line --partial "HTTP_CONTENT_LENGTH"
}

@test "handler exit status becomes the HTTP status" {
	for pair in 0:200 64:500 65:400 69:503 75:503 77:401 1:500 70:500; do
		CODE=${pair%:*} run req 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi'
		assert_success
		assert_equal "$(status_line "$output")" "HTTP/1.1 ${pair#*:} $(case ${pair#*:} in
			200) echo OK;; 400) echo Bad Request;; 401) echo Unauthorized;;
			500) echo Internal Server Error;; 503) echo Service Unavailable;; esac)"
	done
	CODE=75 run -0 req 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi'
	assert_equal "$(status_line "$output")" "HTTP/1.1 503 Service Unavailable"
	assert_output --partial $'Retry-After: 60\r'
}

@test "a handler killed by a signal is a 500" {
	printf '#!/bin/sh\nkill -9 $$\n' >"$T/k"
	chmod +x "$T/k"
	run -0 bash -c "printf 'POST /k HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n' | http-hook -q /k=$T/k 2>/dev/null"
	assert_equal "$(status_line "$output")" "HTTP/1.1 500 Internal Server Error"
}

@test "CGI Status and headers from the handler are the response" {
	printf '#!/bin/sh\ncat >/dev/null\nprintf "Status: 202 Accepted\\nContent-Type: text/xml\\nX-Extra: yes\\n\\n<Response/>\\n"\n' >"$T/cgi"
	chmod +x "$T/cgi"
	run bash -c "printf 'POST /sms HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc' | http-hook -q /hook=$T/h /sms=$T/cgi"
	assert_success
	assert_equal "$(status_line "$output")" "HTTP/1.1 202 Accepted"
	assert_output --partial $'Content-Type: text/xml\r'
	assert_output --partial $'X-Extra: yes\r'
	assert_output --partial $'Content-Length: 12\r'
	[[ "$output" == *$'\r\n\r\n<Response/>' ]]
}

@test "plain handler output is the body; JSON gets application/json" {
	printf '#!/bin/sh\ncat >/dev/null\necho "{\\"ok\\":true}"\n' >"$T/j"
	chmod +x "$T/j"
	run -0 bash -c "printf 'POST /j HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n' | http-hook -q /j=$T/j"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	assert_output --partial $'Content-Type: application/json\r'
	[[ "$output" == *$'\r\n\r\n{"ok":true}' ]]
}

@test "what http-hook judges alone never starts the handler" {
	check() {
		rm -f "$T/env"
		run req "$2" "${@:3}"
		assert_success
		assert_equal "$(status_line "$output")" "$1"
		[ ! -e "$T/env" ] || fail "handler ran for: $2"
	}
	check "HTTP/1.1 404 Not Found" 'POST /other HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'
	check "HTTP/1.1 404 Not Found" 'POST /hook/x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'
	check "HTTP/1.1 405 Method Not Allowed" 'GET /hook HTTP/1.1\r\nHost: a\r\n\r\n'
	check "HTTP/1.1 411 Length Required" 'POST /hook HTTP/1.1\r\nHost: a\r\n\r\n'
	check "HTTP/1.1 411 Length Required" 'POST /hook HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc'
	check "HTTP/1.1 413 Content Too Large" 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n'
	check "HTTP/1.1 413 Content Too Large" 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world' -m 10
	check "HTTP/1.1 505 HTTP Version Not Supported" 'POST /hook HTTP/2.0\r\nHost: a\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nContent-Length: 0\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nBad Name: 1\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST  /hook HTTP/1.1\r\nHost: a\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST hook HTTP/1.1\r\nHost: a\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook FTP/1.1\r\nHost: a\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'garbage\r\n\r\n'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort'
	check "HTTP/1.1 400 Bad Request" 'POST /hook HTTP/1.1\r\nHost'
}

@test "431 for a head larger than 16 KiB" {
	big=$(head -c 20000 /dev/zero | tr '\0' a)
	run -0 req "POST /hook HTTP/1.1\r\nHost: a\r\nX-Big: $big\r\n\r\n"
	assert_equal "$(status_line "$output")" "HTTP/1.1 431 Request Header Fields Too Large"
	hdrs=$(for i in $(seq 120); do printf 'X-H%d: v\\r\\n' "$i"; done)
	run -0 req "POST /hook HTTP/1.1\r\nHost: a\r\n${hdrs}Content-Length: 0\r\n\r\n"
	assert_equal "$(status_line "$output")" "HTTP/1.1 431 Request Header Fields Too Large"
}

@test "408 for a client that stops sending; the handler never runs" {
	run -0 bash -c "(printf 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc'; sleep 2) | http-hook -q -t 1 /hook=$T/h"
	assert_equal "$(status_line "$output")" "HTTP/1.1 408 Request Timeout"
	[ ! -e "$T/env" ]
	run -0 bash -c "(printf 'POST /hook HTTP/1.1\r\n'; sleep 2) | http-hook -q -t 1 /hook=$T/h"
	assert_equal "$(status_line "$output")" "HTTP/1.1 408 Request Timeout"
}

@test "a handler that runs too long is killed with its children: 503" {
	printf '#!/bin/sh\nsleep 30 &\necho $! >"%s/child"\nwait\n' "$T" >"$T/slow"
	chmod +x "$T/slow"
	run -0 bash -c "printf 'POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n' | http-hook -q -T 1 /s=$T/slow 2>/dev/null"
	assert_equal "$(status_line "$output")" "HTTP/1.1 503 Service Unavailable"
	# gone, or a zombie waiting for a reaper: not running either way (the
	# kill is sent before the answer; the kernel may take a moment to reap)
	for _ in $(seq 100); do
		state=$(ps -o stat= -p "$(cat "$T/child")" || true)
		[[ -z "$state" || "$state" == Z* ]] && break
		sleep 0.05
	done
	[[ -z "$state" || "$state" == Z* ]] || fail "child still running: $state"
}

@test "Proxy and underscore headers never reach the handler; old HTTP_ variables are cleared" {
	HTTP_STALE=1 run -0 req 'POST /hook HTTP/1.1\r\nHost: a\r\nProxy: http://evil\r\nX_Under: 1\r\nContent-Length: 0\r\n\r\n'
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	run -0 cat "$T/env"
	refute_line --partial "HTTP_PROXY"
	refute_line --partial "HTTP_X_UNDER"
	refute_line --partial "HTTP_STALE"
}

@test "Expect: 100-continue gets an interim 100 before the answer" {
	run -0 req 'POST /hook HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n'
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	printf 'sleep 0.3; printf abc' >"$T/later"
	run -0 bash -c "(printf 'POST /hook HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'; sh $T/later) | http-hook -q /hook=$T/h 2>/dev/null"
	assert_equal "$(status_line "$output")" "HTTP/1.1 100 Continue"
	assert_output --partial "HTTP/1.1 200 OK"
	assert_equal "$(cat "$T/body")" "abc"
}

@test "handler stderr reaches http-hook's stderr, with an access line" {
	run --separate-stderr bash -c "printf 'POST /hook HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n' | http-hook /hook=$T/h"
	assert_success
	[[ "$stderr" == *"handler: ran"* ]]
	[[ "$stderr" == *"http-hook: POST /hook: 200, handler exit 0,"* ]]
}

@test "usage errors" {
	run -64 http-hook
	run -64 http-hook hook=/bin/true
	run -64 http-hook /hook=
	run -64 http-hook -t x /hook=/bin/true
	run -0 http-hook -h
	assert_output --partial "usage: http-hook"
}

@test "through socat: curl posts a signed Calendly webhook; a forged one gets 401" {
	port=$(free_port)
	cat >"$T/on-booking" <<SH
#!/bin/sh
cal-parse >>"$T/appointments"
SH
	chmod +x "$T/on-booking"
	CALENDLY_SIGNING_KEY=$KEY CALSMS_NOW=1764000000 \
	socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork EXEC:"http-hook -q /calendly=$T/on-booking" 2>"$T/socat.err" &
	echo $! >"$T/socat.pid"
	wait_port "$port"
	run -0 curl -sS -o "$T/resp" -w '%{http_code}' -H "Calendly-Webhook-Signature: $(cat "$FIX/calendly/invitee-created.sig")" \
		-H 'Content-Type: application/json' --data-binary @"$FIX/calendly/invitee-created.json" "http://127.0.0.1:$port/calendly"
	assert_output 200
	run -0 jq -r .phone "$T/appointments"
	assert_output "+14045550134"
	run -0 curl -sS -o "$T/resp" -w '%{http_code}' -H "Calendly-Webhook-Signature: t=1764000000,v1=$(printf '0%.0s' {1..64})" \
		--data-binary @"$FIX/calendly/invitee-created.json" "http://127.0.0.1:$port/calendly"
	assert_output 401
	[ "$(wc -l <"$T/appointments")" -eq 1 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' --data-binary x "http://127.0.0.1:$port/nope"
	assert_output 404
}

@test "through inetd: handler notes never leak into the response" {
	port=$(free_port)
	printf '127.0.0.1:%s stream tcp nowait root %s http-hook /hook=%s\n' "$port" "$(command -v http-hook)" "$T/h" >"$T/inetd.conf"
	command -v inetd >/dev/null || skip "inetd is not installed"
	[ "$(id -u)" = 0 ] || skip "inetd needs root for its user field"
	inetd -i "$T/inetd.conf" 2>"$T/inetd.err" &
	echo $! >"$T/inetd.pid"
	wait_port "$port"
	run curl -sS -i --data-binary 'from inetd' "http://127.0.0.1:$port/hook"
	assert_success
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	refute_output --partial "handler: ran"
	assert_equal "$(cat "$T/body")" "from inetd"
	run -0 cat "$T/env"
	assert_line "REMOTE_ADDR=127.0.0.1"
}

# handler NAME BODY: a handler script in $T/NAME
handler() {
	printf '#!/bin/sh\n%s\n' "$2" >"$T/$1"
	chmod +x "$T/$1"
}

@test "SIGCHLD ignored by the parent: the handler's 75 is still a 503, its 0 a 200" {
	handler fail 'cat >/dev/null; exit 75'
	handler pass 'cat >/dev/null; echo stored'
	rq='POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi'
	run bash -c "printf '$rq' | perl -e '\$SIG{CHLD} = \"IGNORE\"; exec @ARGV' http-hook -q /h=$T/fail"
	assert_success
	assert_equal "$(status_line "$output")" "HTTP/1.1 503 Service Unavailable"
	run -0 bash -c "printf '$rq' | perl -e '\$SIG{CHLD} = \"IGNORE\"; exec @ARGV' http-hook -q /h=$T/pass"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	assert_output --partial "stored"
}

@test "SIGCHLD blocked by the parent: a handler's exit is still seen after its pipes closed" {
	# its pipes close a while before it exits: only the exit says it is done
	handler quiet 'exec <&- >&- 2>&-; sleep 0.5; exit 77'
	rq='POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'
	# (not left waiting to the -T limit: timeout gives up long before it)
	run -0 timeout 10 bash -c "printf '$rq' | perl -MPOSIX -e 'sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGCHLD)) or die; exec @ARGV' http-hook -q -T 60 /h=$T/quiet"
	assert_equal "$(status_line "$output")" "HTTP/1.1 401 Unauthorized"
}

@test "-T holds when the handler closes its descriptors and sleeps" {
	handler h2 'exec <&- >&- 2>&-; sleep 30'
	run --separate-stderr timeout 15 bash -c "printf 'POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' | http-hook -q -T 1 /h=$T/h2"
	assert_success
	assert_equal "$(status_line "$output")" "HTTP/1.1 503 Service Unavailable"
}

@test "a handler's background child does not hold the answer once the handler exited" {
	handler h2 'cat >/dev/null; sleep 30 & echo done'
	run timeout 15 bash -c "printf 'POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx' | http-hook -q -T 20 /h=$T/h2"
	assert_success
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	assert_output --partial "done"
}

@test "bodies: a NUL byte reaches the handler; an LF-only head ends at its first empty line" {
	printf 'POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\na\0b\r\n' | http-hook -q /hook="$T/h" >"$T/out"
	[ "$(status_line "$(cat "$T/out")")" = "HTTP/1.1 200 OK" ]
	[ "$(wc -c <"$T/body")" -eq 5 ]
	[ "$(od -An -c "$T/body" | tr -d ' ')" = 'a\0b\r\n' ]
	printf 'POST /hook HTTP/1.1\nHost: x\nContent-Length: 8\n\nx\r\n\r\nyz\n' | http-hook -q /hook="$T/h" >"$T/out"
	[ "$(status_line "$(cat "$T/out")")" = "HTTP/1.1 200 OK" ]
	[ "$(od -An -c "$T/body" | tr -d ' ')" = 'x\r\n\r\nyz\n' ]
}

@test "a bare CR in a header value is refused (400), and never reaches a handler" {
	run -0 req 'POST /hook HTTP/1.1\r\nHost: x\r\nX-A: one\rtwo\r\nContent-Length: 0\r\n\r\n'
	assert_equal "$(status_line "$output")" "HTTP/1.1 400 Bad Request"
	[ ! -e "$T/env" ]
}

@test "handler output: plain text that looks like a header is a body; over 1 MiB is a 500" {
	handler note 'cat >/dev/null; printf "Note: booked\n\nsee you\n"'
	run -0 bash -c "printf 'POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' | http-hook -q /h=$T/note"
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	assert_output --partial "Note: booked"
	handler big 'cat >/dev/null; head -c 1100000 /dev/zero | tr "\0" x'
	run -0 --separate-stderr bash -c "printf 'POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' | http-hook -q /h=$T/big"
	assert_equal "$(status_line "$output")" "HTTP/1.1 500 Internal Server Error"
}

@test "through socat: a body over -m gets its 413, not a reset, every time" {
	port=$(free_port)
	socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork EXEC:"http-hook -q -m 1000 /hook=$T/h" 2>"$T/socat.err" &
	echo $! >"$T/socat.pid"
	wait_port "$port"
	head -c 200000 /dev/zero | tr '\0' a >"$T/big"
	for i in $(seq 20); do
		run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Expect:' --data-binary @"$T/big" "http://127.0.0.1:$port/hook"
		assert_output 413
	done
}

@test "a control byte in the request target (a bare CR, ESC) is 400, never reaches QUERY_STRING, and is escaped in the log" {
	run -0 req 'POST /hook?a=1\rb=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'
	assert_equal "$(status_line "$output")" "HTTP/1.1 400 Bad Request"
	[ ! -e "$T/env" ]
	printf 'POST /hook?\033[2J\033]0;owned\007 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' |
		http-hook /hook="$T/h" >"$T/out" 2>"$T/err"
	assert_equal "$(status_line "$(cat "$T/out")")" "HTTP/1.1 400 Bad Request"
	[ ! -e "$T/env" ]
	run -1 grep -c $'\033' "$T/err"
	assert_output 0
	grep -q '\\x1b\[2J' "$T/err"
	# a query string of visible characters still reaches the handler
	run -0 req 'POST /hook?a=1&b=%%0D HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'
	grep -qx 'QUERY_STRING=a=1&b=%0D' "$T/env"
}

# a signed Calendly request for the fixture booking, with its signature
booking_request() {
	local body=$FIX/calendly/invitee-created.json
	printf 'POST /calendly HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nCalendly-Webhook-Signature: %s\r\nContent-Length: %d\r\n\r\n' \
		"${1:-$(cat "$FIX/calendly/invitee-created.sig")}" "$(wc -c <"$body")"
	cat "$body"
}

@test "a pipe route runs without a shell: a signed booking is committed before the 200" {
	export CALENDLY_SIGNING_KEY=$KEY CALSMS_NOW=1764000000
	run -0 --separate-stderr http-hook -q /calendly=cal-parse '|' conv-store add -q < <(booking_request)
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	run -0 conv-store list
	json_is -s 'length == 1 and .[0].status == "pending" and .[0].phone == "+14045550134"' <<<"$output"
	# the same request again: Calendly's retry stores nothing twice
	run -0 --separate-stderr http-hook -q /calendly=cal-parse '|' conv-store add -q < <(booking_request)
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	run -0 conv-store list
	json_is -s 'length == 1' <<<"$output"
}

@test "a pipe route answers with the first failed stage: a bad signature is 401, nothing stored" {
	export CALENDLY_SIGNING_KEY=$KEY CALSMS_NOW=1764000000
	store
	run -0 --separate-stderr http-hook -q /calendly=cal-parse '|' conv-store add -q \
		< <(booking_request "t=1764000000,v1=$(printf '%064d' 0)")
	assert_equal "$(status_line "$output")" "HTTP/1.1 401 Unauthorized"
	run -0 conv-store list
	assert_output ''
}

@test "a pipe route answers with the last stage when the first succeeded: a store that cannot be reached is 503" {
	export CALENDLY_SIGNING_KEY=$KEY CALSMS_NOW=1764000000 CALSMS_DB_WAIT=0
	export CALSMS_DB=postgresql://calsms@127.0.0.1:$(free_port)/none
	run -0 --separate-stderr http-hook -q /calendly=cal-parse '|' conv-store add -q < <(booking_request)
	assert_equal "$(status_line "$output")" "HTTP/1.1 503 Service Unavailable"
	assert_output --partial $'Retry-After: 60\r'
}

@test "a pipe route: the body goes to the first stage, the last one's output is the answer, every stderr is forwarded" {
	run -0 --separate-stderr http-hook /echo=sh -c 'cat; echo first: ran >&2' '|' tr a-z A-Z \
		< <(printf 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nhello\n')
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	assert_output --partial $'\r\n\r\nHELLO'
	grep -q 'first: ran' <<<"$stderr" || fail "stderr not forwarded: $stderr"
	# four stages, each reading the one before it (they start last first)
	run -0 --separate-stderr http-hook /echo=cat '|' tr a-z A-Z '|' sed s/L/7/g '|' rev \
		< <(printf 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nhello\n')
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	[[ "$output" == *$'\r\n\r\nO77EH' ]] || fail "not the pipe's output: $output"
}

@test "a pipe route over -T is killed whole: 503, no stage left running" {
	run -0 --separate-stderr http-hook -T 1 /slow=cat '|' sleep 61.25 \
		< <(printf 'POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nx\n')
	assert_equal "$(status_line "$output")" "HTTP/1.1 503 Service Unavailable"
	run -1 pgrep -f 'sleep 61.25'
}

@test "a pipe route that is not one is refused at start (64)" {
	for routes in "/x=true |" "/x=true | | cat" "/x=a | b | c | d | e" "/x="; do
		run -64 --separate-stderr http-hook $routes </dev/null
		[ -n "$stderr" ] || fail "no message for: $routes"
		assert_equal "$output" ""
	done
}

@test "a handler that cannot be started, alone or as a stage, is said on stderr and is a 500" {
	for route in "/x=calsms-no-such-program" "/x=cat | calsms-no-such-program"; do
		run -0 --separate-stderr http-hook $route \
			< <(printf 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nx\n')
		assert_equal "$(status_line "$output")" "HTTP/1.1 500 Internal Server Error"
		[[ "$stderr" == *"calsms-no-such-program: No such file or directory"* ]] ||
			fail "$route: not said: $stderr"
	done
}

@test "a pipe route: a stage whose reader stopped dies of SIGPIPE, as from a shell, and the reader answers" {
	# http-hook itself ignores SIGPIPE; a stage that inherited that would
	# get EPIPE, exit 1 and make the answer a 500
	run -0 --separate-stderr http-hook /yes=yes '|' head -c 4 \
		< <(printf 'POST /yes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nx\n')
	assert_equal "$(status_line "$output")" "HTTP/1.1 200 OK"
	assert_output --partial $'Content-Length: 4\r\n'
	[[ "$output" == *$'\r\n\r\ny\ny' ]] || fail "not yes's output: $output"
}
