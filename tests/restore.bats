#!/usr/bin/env bats
# calsms-setup(7) section 10 on a fresh machine, as printed: the machine is
# this one seen through overlays in a mount namespace of the test's own
# (/etc, /usr/local, /var and /root take writes into the test's
# directory, and nothing outside it changes), with no calsms user, no
# /etc/calsms and no store; the backup a store of the test's made.
load helper

SETUP=$BATS_TEST_DIRNAME/../man/calsms-setup.7

setup() {
	T=$BATS_TEST_TMPDIR
	export CALSMS_NOW=1764000000
	[ "$(id -u)" = 0 ] || skip "a fresh machine's install needs root"
	command -v systemd-sysusers >/dev/null || skip "no systemd-sysusers"
	unshare -m sh -c "mkdir -p '$T/probe/u' '$T/probe/w' && mount -t overlay overlay \
		-o lowerdir=/etc,upperdir='$T/probe/u',workdir='$T/probe/w' /etc" 2>/dev/null ||
		skip "no overlay mounts in a mount namespace here"
}

# section BLOCK-TEXT: the literal block of section 10 that follows the
# line holding BLOCK-TEXT, mandoc's escapes undone
section() {
	sed -n '/^\.Ss 10\./,/^\.Ss 11\./p' "$SETUP" |
		awk -v t="$1" 'index($0, t) {f = 1} f && /^\.Ed/ {exit} f && b {print} f && /^\.Bd -literal/ {b = 1}' |
		sed -e 's/\\(dq/"/g' -e 's/\\e/\\/g'
}

@test "restore: section 10 as printed: a fresh machine's restore gives the calsms user its store back; the backup and live restore keep it" {
	# the backup: a store with a booking, its confirmation and a reply
	appt A1 +14045550101 2025-11-25T15:00:00Z | conv-store add | sent | conv-store record >/dev/null
	appt A2 +14045550102 2025-11-25T16:00:00Z | conv-store add -q
	conv-store dump >"$T/want.jsonl"
	[ "$(wc -l <"$T/want.jsonl")" -eq 2 ]
	fresh=$(section 'On a fresh machine')
	[[ $fresh == *"make install-system"* && $fresh == *"conv-store load"* ]] || fail "section 10 has no fresh-machine restore: $fresh"
	backup=$(grep -o '/root/calsms-[0-9-]*\.jsonl\.gz' <<<"$fresh")
	[ -n "$backup" ]
	cat >"$T/machine.sh" <<-EOF
		set -e
		for d in etc usr/local var root; do
			mkdir -p "$T/o/\$d/u" "$T/o/\$d/w"
			chmod --reference="/\$d" "$T/o/\$d/u"	# the overlay takes its top from here
			mount -t overlay overlay -o "lowerdir=/\$d,upperdir=$T/o/\$d/u,workdir=$T/o/\$d/w" "/\$d"
		done
		# a fresh machine: no calsms user, no settings, no store
		! id calsms 2>/dev/null || userdel calsms
		rm -rf /etc/calsms /var/lib/calsms
		gzip <"$T/want.jsonl" >"$backup"
		cd "$BATS_TEST_DIRNAME/.."
		$fresh
		# what the services see afterwards
		id -u calsms >"$T/uid"
		stat -c '%U %a' /var/lib/calsms /var/lib/calsms/data.mdb >"$T/owners"
		su -s /bin/sh calsms -c 'conv-store dump' >"$T/got.jsonl"
		su -s /bin/sh calsms -c 'conv-store health -q 4h' >"$T/health" || :
		# and the section's nightly backup and live restore, as printed
		$(section 'portable copy')
		zcat /root/calsms-\$(date +%F).jsonl.gz >"$T/again.jsonl"
		$(section 'To restore')
		su -s /bin/sh calsms -c 'conv-store dump' >"$T/after.jsonl"
	EOF
	host_before=$(id calsms 2>&1; ls -ld /var/lib/calsms /etc/calsms 2>&1 || :)
	run --separate-stderr unshare -m --propagation private env -u CALSMS_DB -u CALSMS_BIN \
		PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash "$T/machine.sh"
	[ "$status" -eq 0 ] || fail "the fresh-machine restore failed ($status): $stderr"
	[ -n "$(cat "$T/uid")" ]
	[ "$(cat "$T/owners")" = "calsms 700
calsms 600" ] || fail "owners: $(cat "$T/owners")"
	cmp "$T/want.jsonl" "$T/got.jsonl"
	cmp "$T/want.jsonl" "$T/again.jsonl"
	cmp "$T/want.jsonl" "$T/after.jsonl"
	[[ $(cat "$T/health") == "CALSMS OK"* ]] || fail "health: $(cat "$T/health")"
	# the machine itself is as it was
	[ "$(id calsms 2>&1; ls -ld /var/lib/calsms /etc/calsms 2>&1 || :)" = "$host_before" ]
}
