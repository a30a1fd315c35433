#!/usr/bin/env bats
# The Makefile's own promises: dependency check, install layout.
load helper

ROOT=$BATS_TEST_DIRNAME/..

@test "make deps as a non-root user names the missing packages and stops" {
	[ "$(id -u)" = 0 ] || skip "needs root to switch to nobody"
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$ROOT/Makefile" ||
		skip "nobody cannot read the checkout"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		make -s --no-print-directory -C "$ROOT" deps DEPS_BUILD= DEPS_TEST=calsms-no-such-package
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
}
