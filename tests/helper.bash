# Loaded by every test: the built programs first on PATH, a fresh store each.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

BIN=${CALSMS_BIN:-$BATS_TEST_DIRNAME/../bin}
PATH="$BIN:$PATH"
FIX=$BATS_TEST_DIRNAME/fixtures
export CALSMS_DB=$BATS_TEST_TMPDIR/db
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
