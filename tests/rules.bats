#!/usr/bin/env bats
# The rules of a conversation (src/store/rules.c), through their unit test.
load helper

UNIT=$(dirname "$BIN")/build/unit

# the table as calsms(7) shows it, from rules-test --table
mdoc_table() {
	"$UNIT/rules-test" --table | awk -F'\t' '{
		from = $2 == "-" ? "\\(em" : "Ql " $2
		to = $3 == "refused" ? "refused" : "Ql " $3
		print ".It " $1 " Ta " from " Ta " to }'
}

@test "rules: every row of the transition table, and the cases beside it" {
	run "$UNIT/rules-test"
	assert_success
	assert_line --regexp '^1\.\.[0-9]+$'
	refute_line --partial 'not ok'
	[ "$(grep -c '^ok ' <<<"$output")" -ge 60 ]
}

@test "rules: calsms(7) shows the transition table rules.c has" {
	run mdoc_table
	assert_success
	[ "${#lines[@]}" -ge 40 ]
	want=$output
	got=$(sed -n '/^\.Ss Transitions/,/^\.El/p' "$BATS_TEST_DIRNAME/../man/calsms.7" | grep '^\.It .* Ta ' | grep -v '^\.It Sy')
	[ "$got" = "$want" ] || {
		diff <(echo "$want") <(echo "$got") >&2
		false
	}
}

@test "rules: conv-store(1) lists the opt-out words and phrases intent.c has" {
	run -0 "$UNIT/rules-test" --keywords
	[ "${#lines[@]}" -ge 40 ]
	man=$BATS_TEST_DIRNAME/../man/conv-store.1
	want=$(awk -F'\t' '$1 == "phrase" { print $2 }' <<<"$output")
	got=$(sed -n '/^anywhere:$/,/^or every word/p' "$man" | sed -n 's/^\.Dq \(.*\) [,;]$/\1/p')
	[ "$got" = "$want" ] || {
		diff <(echo "$want") <(echo "$got") >&2
		false
	}
	# the single words, upper case, in the text (arrêt as mandoc writes it)
	for w in $(awk -F'\t' '$1 != "phrase" { print $2 }' <<<"$output" | grep -v 'arr.t$' | tr a-z A-Z); do
		grep -q -- "$w" "$man" || fail "conv-store(1) does not name $w"
	done
}
