#!/bin/sh
# make demo: the calsms story on the signed fixtures, with no network.
set -e
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
F=tests/fixtures/calendly
export CALENDLY_SIGNING_KEY=5mEzn9C-I28UtwOjZJtFoob0sAAFZ95GbZkqj4y3i0I
# the fixtures were signed at this time: replay them then
export CALSMS_NOW=1764000000

say() { printf '\n== %s\n' "$*"; }

say "A booking arrives: cal-parse verifies the signature and writes an appointment"
echo "\$ cal-parse -s \"\$(cat $F/invitee-created.sig)\" $F/invitee-created.json | jq ."
cal-parse -s "$(cat $F/invitee-created.sig)" $F/invitee-created.json | jq .

say "A forged body is refused (exit 77), nothing printed"
sed 's/Ada/Eve/' $F/invitee-created.json >"${TMPDIR:-/tmp}/calsms-forged.json"
if cal-parse -s "$(cat $F/invitee-created.sig)" "${TMPDIR:-/tmp}/calsms-forged.json"; then
	echo "demo: forged body accepted" >&2; exit 1
else
	echo "exit status $?"
fi
rm -f "${TMPDIR:-/tmp}/calsms-forged.json"
