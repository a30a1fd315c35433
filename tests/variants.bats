#!/usr/bin/env bats
# A/B wording: confirm.a.jq and confirm.b.jq, one variant per
# conversation from its id, kept on each message, and the reply rates
# compared by conv-store report --by variant.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	export CALSMS_NOW=1764000000 BUSINESS="Harbour Dental"
	mkdir -p "$T/tpl"
	cp "$BATS_TEST_DIRNAME"/../examples/templates/*.jq "$T/tpl/"
	rm "$T/tpl/confirm.jq"
	echo '"A: see you \((.appointment // .).start_local). Reply YES to confirm, STOP to opt out."' >"$T/tpl/confirm.a.jq"
	echo '"B: your visit is \((.appointment // .).start_local). Reply YES to confirm, STOP to opt out."' >"$T/tpl/confirm.b.jq"
	echo '"A again: still on? Reply YES. Reply STOP to opt out."' >"$T/tpl/followup.a.jq"
	echo '{"mode": "ok"}' >"$T/control"
	start_mock mock mock-provider.py "$T/port" "$T/log" "$T/control"
	export TWILIO_API_URL=http://127.0.0.1:$(cat "$T/port") TWILIO_ACCOUNT_SID=AC123 \
		TWILIO_AUTH_TOKEN=secret-token TWILIO_FROM=+15005550006
}

teardown() {
	stop_started
}

# variants N ID...: "ID variant" for each ID, the variant sms-send(1) says
# it gets among N, computed here (FNV-1a), from one Python
variants() {
	python3 -c 'import sys
for i in sys.argv[2:]:
    h = 2166136261
    for b in i.encode():
        h = ((h ^ b) * 16777619) & 0xffffffff
    print(i, "abcdefgh"[h % int(sys.argv[1])])' "$@"
}

# variant ID N: one ID's variant among N
variant() {
	variants "$2" "$1" | cut -d' ' -f2
}

# want_variants N COUNT: WANT[Bi], B1 to B<COUNT>'s variants among N
declare -gA WANT
want_variants() {
	local id v
	while read -r id v; do
		WANT[$id]=$v
	done < <(variants "$1" $(seq -f 'B%g' "$2"))
	[ "${#WANT[@]}" -eq "$2" ] || fail "python gave ${#WANT[@]} variants"
}

# bookings N: N bookings, B1 to BN, each with its own number
bookings() {
	local i
	for i in $(seq "$1"); do
		appt "B$i" "+1404555$(printf %04d "$i")" 2025-11-25T15:00:00Z
	done | conv-store add -q
}

# send [AT]: the sender's one pass, through the Twilio stand-in
send() {
	at "${1:-0}" follow-up-due | at "${1:-0}" sms-send -p twilio -r 1000 -T "$T/tpl" | at "${1:-0}" conv-store record >/dev/null
}

# replies ID...: a YES from each conversation's number
replies() {
	local id
	for id in "$@"; do
		jq -nc --arg p "$(conv-store get "$id" | jq -r .phone)" --arg id "$id" '{type: "reply", from: $p,
			to: "+15005550006", body: "Yes", intent: "confirm", provider: "twilio",
			provider_id: ("SMin-" + $id), received_at: "2025-11-24T16:05:00Z"}'
	done | conv-store reply >/dev/null
}

@test "variants: one per conversation, from its id, for all its messages, on the result and the stored message" {
	bookings 30
	send
	want_variants 2 30
	n=0
	for i in $(seq 30); do
		want=${WANT[B$i]}
		run -0 conv-store get "B$i"
		json_is --arg v "$want" '.messages[0].variant == $v and (.messages[0].body | startswith($v | ascii_upcase + ": "))' <<<"$output"
		[ "$want" = a ] && n=$((n + 1))
	done
	# both are used: 30 ids do not all hash to one side
	[ "$n" -gt 0 ] && [ "$n" -lt 30 ]
	# the follow-up goes out as the same variant; b has no followup.b.jq and uses followup.jq
	send 1860
	for i in $(seq 30); do
		want=${WANT[B$i]}
		run -0 conv-store get "B$i"
		json_is --arg v "$want" '.messages[1].kind == "followup" and .messages[1].variant == $v and
			(.messages[1].body | startswith("A again") == ($v == "a"))' <<<"$output"
	done
	[ "$(wc -l <"$T/log")" -eq 60 ]
}

@test "variants: a second sender, or a retry, picks the same variant" {
	bookings 6
	at 0 follow-up-due >"$T/due"
	for run in 1 2; do
		sms-send -p twilio -r 1000 -T "$T/tpl" <"$T/due" | jq -r '[.id, .sms.variant] | @tsv' | sort >"$T/run$run"
	done
	[ "$(wc -l <"$T/run1")" -eq 6 ]
	cmp "$T/run1" "$T/run2"
	while IFS=$'\t' read -r id v; do
		[ "$v" = "$(variant "$id" 2)" ] || fail "$id: $v"
	done <"$T/run1"
}

@test "variants: an event type's directory has its own; without variants, no variant is recorded" {
	mkdir -p "$T/tpl/cleaning"
	for v in x y z; do
		echo "\"$v: cleaning. Reply YES to confirm, STOP to opt out.\"" >"$T/tpl/cleaning/confirm.$v.jq"
	done
	appt C1 +14045550101 2025-11-25T15:00:00Z '.event_slug = "cleaning"' | conv-store add -q
	send
	run -0 conv-store get C1
	json_is --arg v "$(variant C1 3 | tr abc xyz)" '.messages[0].variant == $v and (.messages[0].body | startswith($v + ": cleaning"))' <<<"$output"
	# templates without variants: nothing is recorded
	mkdir -p "$T/plain"
	cp "$BATS_TEST_DIRNAME"/../examples/templates/*.jq "$T/plain/"
	appt P1 +14045550102 2025-11-25T15:00:00Z | conv-store add -q
	at 0 follow-up-due | sms-send -p twilio -T "$T/plain" | conv-store record >/dev/null
	conv_is P1 '.messages[0].kind == "confirm" and (.messages[0] | has("variant") | not)'
}

@test "variants: a moment only in variants needs every variant of its directory (78, naming the file)" {
	echo '"C again. Reply YES. Reply STOP to opt out."' >"$T/tpl/followup.c.jq"
	run -78 --separate-stderr sms-send --check -T "$T/tpl"
	[[ $stderr == *"$T/tpl/confirm.c.jq: missing: its directory has variant c"* ]] || fail "$stderr"
	appt B1 +14045550101 2025-11-25T15:00:00Z | conv-store add -q
	run -78 --separate-stderr sms-send -p twilio -T "$T/tpl" < <(at 0 follow-up-due)
	[ ! -s "$T/log" ]
	# a name that is no variant is a template of its own
	rm "$T/tpl/followup.c.jq"
	echo '"Dotted. Reply STOP to opt out."' >"$T/tpl/followup.Final.jq"
	run -0 --separate-stderr sms-send --check -T "$T/tpl"
	json_is -s 'map(select(.template | endswith("/followup.Final.jq"))) | length == 1 and (.[0] | has("variant") | not)' <<<"$output"
}

@test "variants: --check renders every variant, with its name" {
	run -0 --separate-stderr sms-send --check -T "$T/tpl"
	json_is -s '(map(select(.variant)) | map([(.template | split("/") | last), .variant])) ==
		[["confirm.a.jq", "a"], ["confirm.b.jq", "b"], ["followup.a.jq", "a"]]' <<<"$output"
	json_is -s 'map(select(.variant == "b"))[0].body | startswith("B: your visit is Tue Nov 25")' <<<"$output"
}

# ab_store: 40 bookings texted, and replies from 6 of a's and 14 of b's
ab_store() {
	local a=() b=() i v
	bookings 40
	send
	want_variants 2 40
	for i in $(seq 40); do
		v=${WANT[B$i]}
		if [ "$v" = a ]; then a+=("B$i"); else b+=("B$i"); fi
	done
	NA=${#a[@]} NB=${#b[@]}
	[ "$NA" -ge 6 ] && [ "$NB" -ge 14 ] || fail "the ids split $NA to $NB"
	replies "${a[@]:0:6}" "${b[@]:0:14}"
}

@test "report --by variant: texted, replied, the reply rate, and the two-proportion test against a" {
	ab_store
	run -0 conv-store report --by variant
	[ "${#lines[@]}" -eq 2 ]
	want=$(python3 -c 'import math, sys
na, nb = int(sys.argv[1]), int(sys.argv[2])
p = (6 + 14) / (na + nb)
z = (14 / nb - 6 / na) / math.sqrt(p * (1 - p) * (1 / na + 1 / nb))
print("%.2f %.3f" % (z, math.erfc(abs(z) / math.sqrt(2))))' "$NA" "$NB")
	json_is --argjson n "$NA" '.period == "a" and .variant == "a" and .bookings == $n and .texted == $n and
		.texted_replied == 6 and .reply_rate == 6 / $n and .vs == null and .p == null' <<<"${lines[0]}"
	json_is --argjson n "$NB" --arg zp "$want" '.period == "b" and .texted == $n and .texted_replied == 14 and
		.vs == "a" and ("\(.z | tostring) \(.p | tostring)" | split(" ") | map(tonumber)) == ($zp | split(" ") | map(tonumber))' <<<"${lines[1]}"
	# the table, and its note
	run -0 conv-store report --by variant -t
	assert_line --index 0 --partial $'\treply_rate\tvs\tz\tp'
	p=${want#* }
	assert_line --regexp "^# b: 14 of $NB texted replied \([0-9]+%\), a: 6 of $NA \([0-9]+%\); z=${want% *}, p=$p: (more than|within) chance \(two-proportion z-test, 5% level\)$"
	if python3 -c "import sys; sys.exit(0 if float('$p') < 0.05 else 1)"; then
		assert_output --partial "more than chance"
	else
		assert_output --partial "within chance"
	fi
}

@test "report --by event,variant: each event's variants against its own first; none without a variant" {
	ab_store
	appt N1 +14045559999 2025-11-25T15:00:00Z '.event_name = "Walk-in"' | conv-store add -q
	run -0 conv-store report --by event,variant
	[ "${#lines[@]}" -eq 3 ]
	json_is '.period == "Consultation/a" and .event == "Consultation" and .variant == "a"' <<<"${lines[0]}"
	json_is '.period == "Consultation/b" and .vs == "a" and (.p | type) == "number"' <<<"${lines[1]}"
	json_is '.period == "Walk-in/none" and .variant == "none" and .texted == 0 and .reply_rate == null and .vs == null' <<<"${lines[2]}"
	run -64 --separate-stderr conv-store report --by colour
	[[ $stderr == *"--by: day, week, month, event, variant or event,variant, not colour"* ]]
}

@test "report-plot: a report by variant, one cluster each, the p in the title" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	ab_store
	conv-store report --by variant >"$T/report"
	run -0 "$BATS_TEST_DIRNAME/../examples/report-plot" <"$T/report"
	assert_output --regexp "\(b vs a: p=0\.[0-9]+\)"
	run -0 "$BATS_TEST_DIRNAME/../examples/report-plot" -o "$T/ab.png" <"$T/report"
	[ "$(head -c 4 "$T/ab.png" | od -An -c | tr -d ' ')" = '211PNG' ]
}
