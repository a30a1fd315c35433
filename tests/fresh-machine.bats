#!/usr/bin/env bats
# calsms-setup(7) on a fresh machine, as printed: the machine is this one
# seen through overlays in a mount namespace of the test's own (/etc,
# /usr/local, /var and /root take writes into the test's directory, and
# nothing outside it changes), with no calsms user, no /etc/calsms and no
# store.  One root shell follows the page's blocks in order, as an
# operator would.
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

# block N: the page's Nth literal block, mandoc's escapes undone
block() {
	awk -v n="$1" '/^\.Bd -literal/ {i++; b = (i == n); next} /^\.Ed/ {b = 0} b' "$SETUP" |
		sed -e 's/\\(dq/"/g' -e 's/\\e/\\/g'
}

# on_fresh_machine SCRIPT: SCRIPT run by bash (bash -x with TRACE set), as root, on the fresh
# machine, in the source directory; the host must be as it was after
on_fresh_machine() {
	local before
	{
		printf 'set -e\nfor d in etc usr/local var root; do\n'
		printf '\tmkdir -p "%s/o/$d/u" "%s/o/$d/w"\n' "$T" "$T"
		printf '\tchmod --reference="/$d" "%s/o/$d/u"	# the overlay takes its top from here\n' "$T"
		printf '\tmount -t overlay overlay -o "lowerdir=/$d,upperdir=%s/o/$d/u,workdir=%s/o/$d/w" "/$d"\n' "$T" "$T"
		printf 'done\n! id calsms 2>/dev/null || userdel calsms\nrm -rf /etc/calsms /var/lib/calsms\n'
		printf 'cd "%s"\n' "$BATS_TEST_DIRNAME/.."
		cat "$1"
	} >"$T/machine.sh"
	before=$(id calsms 2>&1; ls -ld /var/lib/calsms /etc/calsms 2>&1 || :)
	run --separate-stderr unshare -m --propagation private env -u CALSMS_DB -u CALSMS_BIN \
		PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash ${TRACE:+-x} "$T/machine.sh"
	[ "$status" -eq 0 ] || fail "on the fresh machine, exit $status: $stderr"
	[ "$(id calsms 2>&1; ls -ld /var/lib/calsms /etc/calsms 2>&1 || :)" = "$before" ] ||
		fail "the host changed"
}

@test "restore: section 10 as printed: a fresh machine's restore gives the calsms user its store back; the backup and live restore keep it" {
	# the backup: a store with a booking, its confirmation and a reply
	appt A1 +14045550101 2025-11-25T15:00:00Z | conv-store add | sent | conv-store record >/dev/null
	appt A2 +14045550102 2025-11-25T16:00:00Z | conv-store add -q
	conv-store dump >"$T/want.jsonl"
	[ "$(grep -vc '^{"change":' "$T/want.jsonl")" -eq 2 ]
	fresh=$(section 'On a fresh machine')
	[[ $fresh == *"make install-system"* && $fresh == *"conv-store load"* ]] || fail "section 10 has no fresh-machine restore: $fresh"
	backup=$(grep -o '/root/calsms-[0-9-]*\.jsonl\.gz' <<<"$fresh")
	[ -n "$backup" ]
	cat >"$T/restore.sh" <<-EOF
		gzip <"$T/want.jsonl" >"$backup"
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
	on_fresh_machine "$T/restore.sh"
	[ -n "$(cat "$T/uid")" ]
	[ "$(cat "$T/owners")" = "calsms 700
calsms 600" ] || fail "owners: $(cat "$T/owners")"
	cmp "$T/want.jsonl" "$T/got.jsonl"
	cmp "$T/want.jsonl" "$T/again.jsonl"
	cmp "$T/want.jsonl" "$T/after.jsonl"
	[[ $(cat "$T/health") == "CALSMS OK"* ]] || fail "health: $(cat "$T/health")"
}

# inetd_as_calsms: the command of the installed inetd line, as the calsms
# user, its words split as inetd splits them and run without a shell (the
# route's "|" is http-hook's), its request on standard input; prints the
# status line
inetd_as_calsms() {
	printf '%s\n' 'inetd_as_calsms() {' \
		'	set -f' \
		'	set -- $(grep -v "^#" /usr/local/share/calsms/examples/inetd.conf | sed "s|^.* calsms /usr/bin/env ||")' \
		'	set +f' \
		'	runuser -u calsms -- "$@" | head -n1 | tr -d "\r"' \
		'}'
}

@test "setup: calsms-setup(7) followed as printed, from install to the webhooks, by one root shell" {
	unset CALSMS_NOW	# Calendly's signature is made now
	blocks=$(grep -c '^\.Bd -literal' "$SETUP")
	[ "$blocks" -eq 23 ] || fail "calsms-setup(7) has $blocks blocks, not 23: say here how each new one runs"
	M=$T/mock
	mkdir -p "$M"
	echo '{"mode": "ok"}' >"$M/control"
	python3 "$BATS_TEST_DIRNAME/mock-calendly.py" --data "$FIX"/calendly/invitee-created.json >"$M/data.json"
	start_mock calendly mock-calendly.py "$T/cport" "$M"
	req=$T/requests
	mkdir -p "$req"
	{
		printf 'export TOKEN=pat-secret CALCOM_SECRET=calcom-test-secret CALENDLY_API_URL=http://127.0.0.1:%s/\n' "$(cat "$T/cport")"
		# no systemd runs here: systemctl and journalctl are stand-ins that log
		for s in systemctl journalctl; do
			printf 'printf "#!/bin/sh\\necho %s \\"\\$*\\" >>%s/systemd.log\\n" >/usr/local/bin/%s; chmod 0755 /usr/local/bin/%s\n' "$s" "$T" "$s" "$s"
		done
		# 1 install, 2 an upgrade, 3 settings; 4 and 5 are a proxy's
		# settings and 6 a TLS socat line (http-hook(1)'s plain one is run by
		# examples.bats); 7 the listener's socket; 8 and 9 Calendly and
		# Cal.com; 10 Twilio; 11 the units; 12 the moments; 13 is a drop-in
		# (wiring.bats runs CALSMS_SENDER_OPTS)
		for n in 1 2 3 7 8 9 10 11 12; do block "$n"; done
		# 14: a first booking (and a Cal.com one, and a reply), through the
		# installed inetd line's command, as inetd runs it
		inetd_as_calsms
		cat <<-'SCRIPT'
			# what the sender unit checks before it starts, as calsms
			su -s /bin/sh calsms -c 'sms-send --check -C /etc/calsms/calsms.env -T /etc/calsms/templates' >/dev/null
			python3 - <<'PY'
			import hmac, hashlib, time, urllib.parse, base64, os
			d = os.environ["REQ"]
			body = open(os.environ["FIX"] + "/calendly/invitee-created.json", "rb").read()
			key = open("/etc/calsms/calendly.key").read().strip().encode()
			t = str(int(time.time())).encode()
			sig = "t=%s,v1=%s" % (t.decode(), hmac.new(key, t + b"." + body, hashlib.sha256).hexdigest())
			def write(name, path, body, headers):
			    head = "POST %s HTTP/1.1\r\nHost: hooks.example.com\r\n" % path
			    head += "".join("%s: %s\r\n" % h for h in headers)
			    head += "Content-Length: %d\r\n\r\n" % len(body)
			    open(d + "/" + name, "wb").write(head.encode() + body)
			write("calendly", "/calendly", body, [("Content-Type", "application/json"),
			      ("Calendly-Webhook-Signature", sig)])
			import json, datetime
			cal = json.load(open(os.environ["FIX"] + "/calcom/booking-created.json"))
			cal["createdAt"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
			cal = json.dumps(cal).encode()
			write("calcom", "/calcom", cal, [("Content-Type", "application/json"),
			      ("X-Cal-Signature-256", hmac.new(b"calcom-test-secret", cal, hashlib.sha256).hexdigest())])
			form = open(os.environ["FIX"] + "/twilio/inbound.form").read()
			pairs = sorted(urllib.parse.parse_qsl(form, keep_blank_values=True))
			s = "https://hooks.example.com/twilio" + "".join(k + v for k, v in pairs)
			tsig = base64.b64encode(hmac.new(b"...", s.encode(), hashlib.sha1).digest()).decode()
			write("twilio", "/twilio", form.encode(), [("Content-Type", "application/x-www-form-urlencoded"),
			      ("X-Twilio-Signature", tsig)])
			PY
			inetd_as_calsms <"$REQ/calendly" >"$REQ/calendly.status"
			inetd_as_calsms <"$REQ/calcom" >"$REQ/calcom.status"
			inetd_as_calsms <"$REQ/twilio" >"$REQ/twilio.status"
		SCRIPT
		# 14 and 15: looking at it, and monitoring
		block 14
		block 15
		# 16: three lines for calsms.env, 17 the front desk's inbox
		printf 'cat >>/etc/calsms/calsms.env <<"SETTINGS"\n%s\nSETTINGS\n' "$(block 16)"
		block 17
		# 18 to 20 are section 10's, run by the test above; 21 to 23 need a
		# PostgreSQL server of the machine's (pg.bats runs the backend)
		cat <<-'SCRIPT'
			su -s /bin/sh calsms -c 'conv-store list' >"$REQ/list"
			stat -c '%n %U:%G %a' /etc/calsms /etc/calsms/* /etc/calsms/templates/* >"$REQ/modes"
		SCRIPT
	} >"$T/setup.sh"
	REQ=$req FIX=$FIX on_fresh_machine "$T/setup.sh"
	for r in calendly calcom twilio; do
		[ "$(cat "$req/$r.status")" = "HTTP/1.1 200 OK" ] || fail "$r: $(cat "$req/$r.status"): $stderr"
	done
	json_is -s 'length == 2 and (map(.id) | sort) == ["INV0000000000001", "cal0000000000001"]' "$req/list"
	grep -qx 'systemctl enable --now calsms-sender.service' "$T/systemd.log"
	# the secrets are the calsms group's to read, and nobody else's
	run -0 grep -E ' (calendly|calcom)\.key |\.env ' "$req/modes"
	refute_output --regexp ' [0-9][0-7][1-7]$'
	refute_output --partial 'root:root'
}
