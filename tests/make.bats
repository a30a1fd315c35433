#!/usr/bin/env bats
# The Makefile's own promises: dependency check, install layout.
load helper

ROOT=$BATS_TEST_DIRNAME/..

@test "make deps as a non-root user names the missing packages and stops" {
	[ "$(id -u)" = 0 ] || skip "needs root to switch to nobody"
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$ROOT/Makefile" ||
		skip "nobody cannot read the checkout"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		make -s --no-print-directory -C "$ROOT" deps-test DEPS_BUILD= DEPS_TEST=calsms-no-such-package
	assert_failure
	assert_output --partial "deps: missing packages; run as root:"
	assert_output --partial "apt-get install -y calsms-no-such-package"
}

@test "make deps with everything installed says nothing" {
	# only packages this test itself proves are there: it must not install any
	dpkg-query -W make dpkg >/dev/null
	run make -s --no-print-directory -C "$ROOT" deps DEPS_BUILD="make dpkg" DEPS_TEST=
	assert_success
	assert_output ""
	# a production box: make deps installs what the programs need, no test tools
	run -0 make -s --no-print-directory -C "$ROOT" deps DEPS_BUILD="make dpkg" DEPS_TEST=calsms-no-such-package
	assert_output ""
}

@test "make install honours DESTDIR and PREFIX" {
	run make -s --no-print-directory -C "$ROOT" install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/calsms
	assert_success
	d=$BATS_TEST_TMPDIR/root/opt/calsms
	n=0
	# a program is src/cmd/NAME.c or a folder src/cmd/NAME/ of its own
	for p in "$ROOT"/src/cmd/*.c "$ROOT"/src/cmd/*/main.c; do
		p=${p%/main.c}
		p=${p##*/}
		p=${p%.c}
		[ -x "$d/bin/$p" ] || fail "missing program $p"
		[ -f "$d/share/man/man1/$p.1" ] || fail "missing man page $p.1"
		n=$((n + 1))
	done
	[ "$n" -eq 7 ]
	[ -f "$d/share/man/man7/calsms.7" ]
	[ -x "$d/libexec/calsms/on-booking" ]
	# every installed helper README names is there, under the name it gives
	n=0
	for f in $(grep -o '/usr/local/libexec/calsms/[a-z-]*' "$ROOT/README.md" | sort -u); do
		[ -x "$d/libexec/calsms/${f##*/}" ] || fail "README names $f, not installed"
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}

@test "make install: explicit modes, SYSCONFDIR and LOCALSTATEDIR in every installed path; no sysusers on a build root" {
	R=$BATS_TEST_TMPDIR/root
	run -0 make -s --no-print-directory -C "$ROOT" install DESTDIR="$R" PREFIX=/usr \
		SYSCONFDIR=/usr/local/etc LOCALSTATEDIR=/srv
	[ "$(stat -c %a "$R/usr/bin/conv-store")" = 755 ]
	[ "$(stat -c %a "$R/usr/share/man/man1/conv-store.1")" = 644 ]
	[ "$(stat -c %a "$R/usr/share/calsms/templates/confirm.jq")" = 644 ]
	[ "$(stat -c %a "$R/usr/local/etc/calsms")" = 750 ]
	[ "$(stat -c %a "$R/srv/lib/calsms")" = 700 ]
	grep -q 'EnvironmentFile=-/usr/local/etc/calsms/calsms.env' "$R/usr/lib/systemd/system/calsms-sender.service"
	grep -q 'CALSMS_DB=/srv/lib/calsms' "$R/usr/lib/systemd/system/calsms-sender.service"
	grep -qx 'd /srv/lib/calsms 0700 calsms calsms -' "$R/usr/lib/tmpfiles.d/calsms.conf"
	[ "$output" = "" ] || fail "install printed: $output"
	# no /etc/calsms or /var/lib/calsms left but inside the new paths
	run -1 grep -rqE '(^|[^a-z])/(var/lib|etc)/calsms' "$R/usr/lib/systemd" "$R/usr/libexec" \
		"$R/usr/share/calsms/examples"
	run -2 make -s --no-print-directory -C "$ROOT" install-system DESTDIR="$R"
	assert_output --partial "install-system: not with DESTDIR"
}

@test "make uninstall removes exactly what install put, and keeps settings and store unless PURGE=yes" {
	R=$BATS_TEST_TMPDIR/root
	run -0 make -s --no-print-directory -C "$ROOT" install DESTDIR="$R" PREFIX=/opt/calsms
	echo CALSMS_URL=https://x >"$R/etc/calsms/calsms.env"
	mkdir -p "$R/opt/calsms/bin" && echo mine >"$R/opt/calsms/bin/other-tool"
	run -0 make -s --no-print-directory -C "$ROOT" uninstall DESTDIR="$R" PREFIX=/opt/calsms
	[ "$(find "$R" -type f -not -path "$R/etc/calsms/templates/*" | sort)" = \
		"$(printf '%s\n' "$R/etc/calsms/calsms.env" "$R/opt/calsms/bin/other-tool" | sort)" ]
	[ -f "$R/etc/calsms/templates/confirm.jq" ]	# the business's words are settings
	[ -d "$R/var/lib/calsms" ]
	run -0 make -s --no-print-directory -C "$ROOT" uninstall DESTDIR="$R" PREFIX=/opt/calsms PURGE=yes
	[ ! -e "$R/etc/calsms" ] && [ ! -e "$R/var/lib/calsms" ]
	[ -f "$R/opt/calsms/bin/other-tool" ]
}

# builds in a copy of the tree touch no store: once is enough, in the run
# on LMDB, not again in the run on PostgreSQL (tests/pg/with-cluster)
builds_once() {
	[ -z "${CALSMS_TEST_PG:-}" ] || skip "a build: run once, with the LMDB suite"
}

@test "make: conv-store is a static PIE; on a PostgreSQL store it runs conv-store-pg, installed beside it, or says it is missing (69) before it reads a line" {
	builds_once
	run -0 readelf -d "$ROOT/bin/conv-store"
	[[ $output != *"(NEEDED)"* ]] || skip "conv-store links the C library shared (a sanitizer, or jv as libjq.so)"
	run -0 readelf -d "$ROOT/bin/conv-store-pg"
	assert_output --partial "[libc.so.6]"
	refute_output --partial "libpq"
	R=$BATS_TEST_TMPDIR/root
	run -0 make -s --no-print-directory -C "$ROOT" install DESTDIR="$R" PREFIX=/opt/c
	[ "$(stat -c %a "$R/opt/c/bin/conv-store-pg")" = 755 ]
	uri=postgresql://calsms@127.0.0.1:1/none
	# the twin answers: nothing listens there (75), and it says so
	run -75 --separate-stderr "$R/opt/c/bin/conv-store" -d "$uri" get A1
	[[ $stderr == *"conv-store: store: postgresql://calsms@127.0.0.1:1/none: cannot connect"* ]] ||
		fail "the twin did not answer: $stderr"
	# copied alone, it says what it lacks, and leaves its input unread
	mkdir "$BATS_TEST_TMPDIR/alone"
	cp "$R/opt/c/bin/conv-store" "$BATS_TEST_TMPDIR/alone/"
	run -69 --separate-stderr sh -c '"$1" -d "$2" add -q; s=$?; cat; exit $s' sh \
		"$BATS_TEST_TMPDIR/alone/conv-store" "$uri" <<<'{"type":"booking","id":"A1"}'
	assert_output '{"type":"booking","id":"A1"}'
	[[ $stderr == *"conv-store: a PostgreSQL store needs conv-store-pg beside conv-store"* ]] ||
		fail "no line said what is missing: $stderr"
	# a static conv-store under the twin's name does not run itself
	cp "$BATS_TEST_TMPDIR/alone/conv-store" "$BATS_TEST_TMPDIR/alone/conv-store-pg"
	run -69 --separate-stderr "$BATS_TEST_TMPDIR/alone/conv-store" -d "$uri" get A1
	[[ $stderr == *"conv-store-pg is a static conv-store, which cannot load libpq"* ]] ||
		fail "the copy ran: $stderr"
	rm "$BATS_TEST_TMPDIR/alone/conv-store-pg"
	# on LMDB it needs nothing beside it
	appt A1 +14045550101 2025-11-25T15:00:00Z >"$BATS_TEST_TMPDIR/a"
	run -0 "$BATS_TEST_TMPDIR/alone/conv-store" -d "$BATS_TEST_TMPDIR/db" add -q <"$BATS_TEST_TMPDIR/a"
	run -0 "$BATS_TEST_TMPDIR/alone/conv-store" -d "$BATS_TEST_TMPDIR/db" get A1
	json_is '.status == "pending"' <<<"$output"
}

@test "make: CPPFLAGS reaches the compiler; a header rebuilds only what includes it; -j4 builds" {
	builds_once
	W=$BATS_TEST_TMPDIR/w
	mkdir -p "$W/build"
	cp -r "$ROOT/Makefile" "$ROOT/src" "$ROOT/tests" "$W/"
	# the jv already built here, rather than fetching Debian's jq source again
	[ ! -d "$ROOT/build/jq" ] || cp -r "$ROOT/build/jq" "$W/build/"
	run -0 make -s --no-print-directory -C "$W" -j4 all CPPFLAGS=-D_FORTIFY_SOURCE=2
	[ -x "$W/bin/sms-send" ] && [ -f "$W/build/obj/sms/lint.d" ]
	run -0 make --no-print-directory -C "$W" -n -B build/obj/util/arg.o CPPFLAGS=-DCALSMS_PACKAGER_MARK
	assert_output --partial -- "-DCALSMS_PACKAGER_MARK"
	touch "$W/src/sms/templates.h"
	run -0 make --no-print-directory -C "$W" -n all
	assert_output --partial "src/sms/lint.c"
	assert_output --partial "src/sms/templates.c"
	assert_output --partial "src/cmd/sms-send.c"
	refute_output --partial "src/store/rules.c"
	refute_output --partial "src/cmd/cal-parse.c"
	run -0 make -s --no-print-directory -C "$W" -j4 all
	run -0 make --no-print-directory -C "$W" -q all
}

@test "make install again (an upgrade) keeps the business's changed template; the shipped one is refreshed beside it" {
	R=$BATS_TEST_TMPDIR/root
	run -0 make -s --no-print-directory -C "$ROOT" install DESTDIR="$R" PREFIX=/usr/local
	cmp "$ROOT/examples/templates/confirm.jq" "$R/etc/calsms/templates/confirm.jq"
	echo '"Harbour Dental: see you soon. Reply YES to confirm, STOP to opt out."' >"$R/etc/calsms/templates/confirm.jq"
	rm "$R/etc/calsms/templates/reminder.jq"
	echo stale >"$R/usr/local/share/calsms/templates/confirm.jq"
	run -0 make -s --no-print-directory -C "$ROOT" install DESTDIR="$R" PREFIX=/usr/local
	grep -q 'Harbour Dental' "$R/etc/calsms/templates/confirm.jq"
	cmp "$ROOT/examples/templates/confirm.jq" "$R/usr/local/share/calsms/templates/confirm.jq"
	# a template the directory lacks (new in this release, or removed) is
	# added: the sender never starts without one it needs
	cmp "$ROOT/examples/templates/reminder.jq" "$R/etc/calsms/templates/reminder.jq"
	# the shipped units read the business's copy
	grep -q -- "-T /etc/calsms/templates" "$R/usr/local/lib/systemd/system/calsms-sender.service"
	run -1 grep -q -- "-T /usr/local/share/calsms/templates" "$R/usr/local/lib/systemd/system/calsms-sender.service"
}

@test "make: jq's jv is linked in where Debian's jq source was fetched, cal-parse whole; sms-send loads libjq for its jq programs" {
	link=$(cat "$ROOT"/build/jq/*/link 2>/dev/null) || skip "this tree was built with JV=shared"
	case $link in
	*libjv.a*) ;;
	*) skip "this machine could not fetch Debian's jq source" ;;
	esac
	for p in cal-parse cal-sync conv-store follow-up-due sms-parse sms-send; do
		run -0 readelf -d "$ROOT/bin/$p"
		refute_output --partial "libjq"
		refute_output --partial "libonig"
		refute_output --partial "libm.so"
	done
	# cal-parse loads nothing at run time: no shared library at all
	run -0 readelf -d "$ROOT/bin/cal-parse"
	refute_output --partial "(NEEDED)"
	run -0 "$ROOT/bin/cal-parse" -h
	# sms-send's jv is the programs' own: libjq's stays inside libjq
	run -0 nm -D "$ROOT/bin/sms-send"
	refute_output --partial " jv_"
	# the version built from is said, and is a version of Debian's jq
	run -0 cat "$ROOT"/build/jq/*/src/VERSION
	assert_output --regexp '^1\.[0-9]'
}

@test "make: without Debian's jq source (no network), the programs link libjq.so, and say so once" {
	builds_once
	W=$BATS_TEST_TMPDIR/w
	mkdir -p "$W" "$BATS_TEST_TMPDIR/fake"
	cp -r "$ROOT/Makefile" "$ROOT/src" "$W/"
	printf '#!/bin/sh\necho "E: no network" >&2\nexit 100\n' >"$BATS_TEST_TMPDIR/fake/apt-get"
	chmod +x "$BATS_TEST_TMPDIR/fake/apt-get"
	PATH=$BATS_TEST_TMPDIR/fake:$PATH run -0 make -s --no-print-directory -C "$W" -j2 bin/cal-parse
	assert_output --partial "fetch-jq: apt-get update of the source indexes failed"
	assert_output --partial "jv: linking libjq.so instead"
	run -0 readelf -d "$W/bin/cal-parse"
	assert_output --partial "[libjq.so.1]"
	run -0 "$W/bin/cal-parse" -h
	# said once: the next make does not try again
	PATH=$BATS_TEST_TMPDIR/fake:$PATH run -0 make -s --no-print-directory -C "$W" bin/cal-parse
	refute_output --partial "fetch-jq"
	# an update of libjq1 (its version names the build) fetches and relinks
	PATH=$BATS_TEST_TMPDIR/fake:$PATH run -0 make --no-print-directory -C "$W" bin/cal-parse \
		JQ_VERSION=9.9-calsms-test
	assert_output --partial "fetch-jq:"
	assert_output --partial "-o bin/cal-parse"
	[ -f "$W/build/jq/9.9-calsms-test/link" ]
}
