#!/usr/bin/env bats
# calsms's own SHA-256, SHA-1, HMAC and base64 (src/util/sha.c, hmac.c),
# which verify every webhook, against Python's hashlib, hmac and base64
# over every length around the block edges and some long inputs.
load helper
UNIT=$(dirname "$BIN")/build/unit

MODES=("sha256" "sha1" "hmac256 short-key" "hmac1 short-key" \
	"hmac256 $(printf 'k%.0s' $(seq 70))" "hmac1 $(printf 'k%.0s' $(seq 65))" "b64")

# compare LENGTH...: each mode on random bytes of each length, both ways;
# Python's answers all from one process, one line a length and mode
compare() {
	local n mode got k=0 wants=()
	for n in "$@"; do
		head -c "$n" /dev/urandom >"$BATS_TEST_TMPDIR/in.$n"
	done
	mapfile -t wants < <(python3 -c 'import sys, hashlib, hmac, base64
d, modes, lengths = sys.argv[1], sys.argv[2].split("|"), sys.argv[3:]
for n in lengths:
    data = open("%s/in.%s" % (d, n), "rb").read()
    for m in modes:
        mode = m.split(" ")
        if mode[0] == "sha256": print(hashlib.sha256(data).hexdigest())
        elif mode[0] == "sha1": print(hashlib.sha1(data).hexdigest())
        elif mode[0] == "hmac256": print(hmac.new(mode[1].encode(), data, hashlib.sha256).hexdigest())
        elif mode[0] == "hmac1": print(hmac.new(mode[1].encode(), data, hashlib.sha1).hexdigest())
        else: print(base64.b64encode(data).decode())' "$BATS_TEST_TMPDIR" "$(IFS='|'; echo "${MODES[*]}")" "$@")
	[ "${#wants[@]}" -eq $(($# * ${#MODES[@]})) ] || fail "python printed ${#wants[@]} answers"
	for n in "$@"; do
		f=$BATS_TEST_TMPDIR/in.$n
		for mode in "${MODES[@]}"; do
			# shellcheck disable=SC2086
			got=$("$UNIT/digest" $mode <"$f") || fail "digest $mode failed on $n bytes"
			[ "$got" = "${wants[k]}" ] || fail "$mode of $n bytes: $got, not ${wants[k]}"
			k=$((k + 1))
		done
		[ "$n" -gt 0 ] || continue	# an empty base64 is refused, tested below
		got=$(base64 -w0 "$f" | "$UNIT/digest" unb64 | cmp - "$f" && echo same) ||
			fail "unb64 of $n bytes differs"
		[ "$got" = same ]
	done
}

@test "digests, HMAC and base64 agree with Python's at every length near a block's edge" {
	compare 0 1 2 3 31 32 54 55 56 57 63 64 65 119 120 127 128 129
}

@test "digests, HMAC and base64 agree with Python's on long inputs" {
	compare 1000 4095 65537 300001
}

@test "the known vectors: FIPS 180-4's abc, RFC 4231 and RFC 2202 case 2" {
	run -0 "$UNIT/digest" sha256 < <(printf abc)
	assert_output ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
	run -0 "$UNIT/digest" sha1 < <(printf abc)
	assert_output a9993e364706816aba3e25717850c26c9cd0d89d
	run -0 "$UNIT/digest" hmac256 Jefe < <(printf 'what do ya want for nothing?')
	assert_output 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843
	run -0 "$UNIT/digest" hmac1 Jefe < <(printf 'what do ya want for nothing?')
	assert_output effcdf6ae5eb2fa2d27416d5f184df9c259a7c79
}

@test "base64 that is refused: bad length, bad characters, padding in the middle (65)" {
	for bad in "QQ=" "Q===" "QQ==QQ==" "QQ!=" "Q Q=" ""; do
		run -65 "$UNIT/digest" unb64 < <(printf '%s' "$bad")
		assert_output ''
	done
}
