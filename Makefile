# calsms: appointment SMS automation as small C programs.
#
# src/cmd/    one main per program (conv-store/ a folder of its own)
# src/store/  the conversation's rules (rules results due operator intent,
#             pure) and the store behind store.h (LMDB: store damage record
#             tables walk stream check changes; PostgreSQL: store-pg pg-rows
#             pg-schema pg-check pg-changes)
# src/sms/    the SMS providers behind provider.h, segments, SigV4, templates
# src/cal/    Calendly and Cal.com as appointment lines; cal-sync's API client
# src/util/   JSON streams, clock, log, phone numbers, HMAC, buffers, HTTP heads,
#             the sender's token bucket
#
# Each program is listed below with the parts it links.

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
MANPREFIX ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/calsms
LIBEXECDIR ?= $(PREFIX)/libexec/calsms
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
CC ?= cc
CFLAGS ?= -O2 -g
WERROR ?=
# a packager's CPPFLAGS (-D_FORTIFY_SOURCE=2), CFLAGS and LDFLAGS are used as given
override CPPFLAGS := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Isrc/util -Isrc/store -Isrc/sms -Isrc/cal -I/usr/include/postgresql $(CPPFLAGS)
override CFLAGS := -std=c11 -Wall -Wextra $(WERROR) $(CFLAGS)

# O is the output directory: bin/ and build/ by default, build/asan for check
O ?= .
OBJ = $(O)/build/obj
BIN = $(O)/bin
UNIT = $(O)/build/unit

PROGRAMS = cal-parse cal-sync conv-store follow-up-due http-hook sms-parse sms-send
UTIL = arg bucket clock clock-json conf curl-load dl-load file form hmac http json json-parse log \
	phone sha strbuf
STORE = kinds rules results due operator intent store damage record tables walk stream check changes \
	store-pg pg-load pg-rows pg-schema pg-check pg-changes
SMS = provider twilio sns eum logsms aws sigv4 segments sns-fetch sns-verify crypto-load \
	templates jq-load lint
CAL = calendly calcom api

# a program in a folder of its own (src/cmd/NAME/) is made of these files
conv-store_SRCS = main streams operator reads report health human feed

# what each program links, after its own main
cal-parse_PARTS = cal util
cal-sync_PARTS = cal util
conv-store_PARTS = store util
follow-up-due_PARTS = store util
http-hook_SRCS = main run
http-hook_PARTS = util
sms-parse_PARTS = sms store util
sms-send_PARTS = sms store util

# Every program starts about as fast as /bin/true (make bench): ld.so maps
# libc and nothing else.  Each shared library costs 0.08-0.12 ms of mapping
# and page faults at every start here, so what is linked is linked in, and
# what only some runs need is loaded then (below; sms-send's jq programs
# run in the system's libjq, loaded at the first compile: jq-load.c):
#
# - jq's JSON values (jq's jv*.c files, not its language): built from
#   Debian's jq source package (src/jv/fetch-jq fetches it with apt's
#   signed indexes) into build/jq/VERSION/libjv.a, VERSION being the
#   installed libjq1's.  A jq security update changes that version, so
#   the next 'make install' fetches the source again, rebuilds and relinks
#   (calsms-setup(7), section 1).  Where the source cannot be fetched (no
#   network), or with JV=shared, the programs link libjq.so instead.
# - liblmdb: its security update reaches the programs when they are
#   linked again: they depend on its archive, so 'make install' after the
#   update relinks them.
# - the C library, in cal-parse and conv-store: the two stages of every
#   webhook are static PIEs (no ld.so, no libc.so: a start 0.4 ms where
#   /bin/true takes 0.5; one add 0.3 ms less).  They depend on libc.a, so
#   after an update of Debian's libc6-dev 'make install' relinks them.
#   Not under a sanitizer (CFLAGS with -fsanitize), nor when jv is
#   libjq.so (there is no libjq.a).  A static program cannot load libpq,
#   so conv-store is also built as conv-store-pg, linked with the shared
#   C library and installed beside it; on a PostgreSQL store conv-store
#   runs it before it reads anything (src/cmd/conv-store/twin.c).
#
# SHA-256, SHA-1, HMAC and base64 are calsms's own (sha.c, hmac.c): linked
# with libcrypto, a program runs OpenSSL's CPU detection at every start
# (0.35 ms here).  Only sms-parse needs libcrypto (RSA, for SNS
# signatures), and loads it when it first verifies one (crypto-load.c), as
# libcurl is loaded when a program first sends or fetches (curl-load.c)
# and libpq when a store is a PostgreSQL URI (pg-load.c): the system's
# shared library, so its security updates reach the programs at once.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
STATIC_LIBS = $(wildcard $(foreach l,lmdb,$(addsuffix /lib$(l).a,\
	/usr/lib/$(MULTIARCH) /usr/lib)))
STATIC = -Wl,-Bstatic
DYNAMIC = -Wl,-Bdynamic

JV ?= static
JQ_VERSION := $(subst :,_,$(shell dpkg-query -W -f='$${Version}' libjq1 2>/dev/null))
JQ_DIR = build/jq/$(or $(JQ_VERSION),unknown)
JV_SRCS = jv jv_parse jv_print jv_dtoa jv_unicode jv_alloc jv_aux jv_file
# jq's own flags (IEEE_8087 on a little-endian machine) with Debian's
# hardening, at -O3 (ingest 10% faster than at -O2: its UTF-8 checks
# inline); its warnings are jq's, not ours
JV_CFLAGS ?= -O3 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wformat \
	-Werror=format-security
JV_ENDIAN := $(if $(shell $(CC) -dM -E -x c /dev/null 2>/dev/null | \
	grep '__BYTE_ORDER__ __ORDER_BIG_ENDIAN__'),IEEE_MC68k,IEEE_8087)
ifeq ($(JV),static)
JV_LINK = $(JQ_DIR)/link
JV_LIBS = `cat $(JQ_DIR)/link`
else
JV_LINK =
JV_LIBS = -ljq -lm
endif
LIBC_A = $(wildcard /usr/lib/$(MULTIARCH)/libc.a)
ifeq ($(findstring -fsanitize,$(CFLAGS) $(LDFLAGS))$(JV),static)
STATIC_PIE = `grep -q libjv.a $(JQ_DIR)/link && echo -static-pie`
cal-parse_LDFLAGS = $(STATIC_PIE)
cal-parse_DEPS = $(LIBC_A)
# (twin.o ahead of the archives: its dl_load stands in for libutil's)
conv-store_LDFLAGS = `grep -q libjv.a $(JQ_DIR)/link && echo -static-pie $(OBJ)/cmd/conv-store/twin.o`
conv-store_DEPS = $(LIBC_A) $(OBJ)/cmd/conv-store/twin.o
conv-store_STATIC = `grep -q libjv.a $(JQ_DIR)/link && echo -llmdb || \
	echo -Wl,-Bstatic -llmdb -Wl,-Bdynamic`
TWINS = $(BIN)/conv-store-pg
endif

cal-parse_LIBS = $(JV_LIBS)
cal-sync_LIBS = $(JV_LIBS)
conv-store_LIBS = $(or $(conv-store_STATIC),$(STATIC) -llmdb $(DYNAMIC)) $(JV_LIBS)
follow-up-due_LIBS = $(STATIC) -llmdb $(DYNAMIC) $(JV_LIBS)
http-hook_LIBS = -lm
sms-parse_LIBS = $(STATIC) -llmdb $(DYNAMIC) $(JV_LIBS)
sms-send_LIBS = $(STATIC) -llmdb $(DYNAMIC) $(JV_LIBS)

PROGS := $(PROGRAMS:%=$(BIN)/%)
MANS := $(wildcard man/*.[1-8])
SYSTEMD := $(wildcard examples/systemd/*.service examples/systemd/*.socket \
	examples/systemd/*.timer)
UNITS = $(UNIT)/rules-test $(UNIT)/sigv4-vectors $(UNIT)/store-poke $(UNIT)/digest

SAN = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# libFuzzer targets (tests/fuzz), built by clang with ASan and UBSan
FUZZERS = http-head cal-sig cal-payload sms-form sns-message phone segments json-lines json-parse
FUZZ_TIME ?= 60
FUZZ_SAN = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# Debian packages: to build and run (make deps), to test and demonstrate
# (make deps-test, which make check, demo, bench and fuzz run)
DEPS_BUILD = gcc make libc6-dev libcurl4-openssl-dev libssl-dev libjq-dev \
	liblmdb-dev libpq-dev tzdata dpkg-dev
DEPS_TEST = bats bats-support bats-assert mandoc socat openbsd-inetd \
	python3 jq curl perl procps sqlite3 ca-certificates openssl systemd \
	clang libclang-rt-14-dev gnuplot-nox postgresql

.PHONY: all units deps deps-test clean install install-system uninstall check check-long \
	test test-pg test-lmdb test-asan lint demo bench fuzz fuzz-bins

all: $(JV_LINK) $(PROGS) $(TWINS)

units: $(UNITS)

# each object records the headers it includes (-MMD -MP), read back below
$(OBJ)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<
-include $(wildcard $(OBJ)/*/*.d $(OBJ)/cmd/*/*.d)

$(OBJ)/libutil.a: $(UTIL:%=$(OBJ)/util/%.o)
$(OBJ)/libstore.a: $(STORE:%=$(OBJ)/store/%.o)
$(OBJ)/libsms.a: $(SMS:%=$(OBJ)/sms/%.o)
$(OBJ)/libcal.a: $(CAL:%=$(OBJ)/cal/%.o)
$(OBJ)/lib%.a:
	rm -f $@
	$(AR) rcs $@ $^

define program
$(BIN)/$(1): $(if $($(1)_SRCS),$($(1)_SRCS:%=$(OBJ)/cmd/$(1)/%.o),$(OBJ)/cmd/$(1).o) \
    $(foreach p,$($(1)_PARTS),$(OBJ)/lib$(p).a) $(STATIC_LIBS) $(if $(filter -ljq,$($(1)_LIBS)),,$(JV_LINK)) \
    $($(1)_DEPS)
	@mkdir -p $(BIN)
	$$(CC) $$(LDFLAGS) $$($(1)_LDFLAGS) -o $$@ $$(filter-out $(STATIC_LIBS) $(JV_LINK) \
	    $($(1)_DEPS) $(patsubst ./%,%,$($(1)_DEPS)),$$^) \
	    -Wl,--as-needed $$($(1)_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program,$(p))))

# conv-store's twin: the same objects, with the shared C library
$(BIN)/conv-store-pg: $(conv-store_SRCS:%=$(OBJ)/cmd/conv-store/%.o) $(OBJ)/libstore.a \
    $(OBJ)/libutil.a $(STATIC_LIBS) $(JV_LINK)
	$(CC) $(LDFLAGS) -o $@ $(filter-out $(STATIC_LIBS) $(JV_LINK),$^) \
	    -Wl,--as-needed $(STATIC) -llmdb $(DYNAMIC) $(JV_LIBS)

# what the programs link for jv: the archive, or libjq.so when Debian's
# jq source could not be fetched (said once; rm -r build/jq to try again)
$(JQ_DIR)/link: src/jv/memmem.c src/jv/fetch-jq
	@rm -rf $(JQ_DIR) && mkdir -p $(JQ_DIR)
	@if sh src/jv/fetch-jq $(JQ_DIR)/src; then \
		echo "jv: jq's JSON values from Debian's jq source $$(cat $(JQ_DIR)/src/VERSION)"; \
		for f in $(JV_SRCS); do \
			$(CC) $(JV_CFLAGS) -D$(JV_ENDIAN) -D_GNU_SOURCE -w -c -o $(JQ_DIR)/$$f.o \
			    $(JQ_DIR)/src/jq/src/$$f.c || exit; done; \
		$(CC) $(JV_CFLAGS) -D_GNU_SOURCE -c -o $(JQ_DIR)/memmem.o src/jv/memmem.c && \
		$(AR) rcs $(JQ_DIR)/libjv.a $(JV_SRCS:%=$(JQ_DIR)/%.o) $(JQ_DIR)/memmem.o && \
		echo "$(JQ_DIR)/libjv.a -lm" >$@; \
	else \
		echo "jv: linking libjq.so instead (each start 0.3 ms slower)" >&2; \
		echo "-ljq -lm" >$@; \
	fi

$(UNIT)/rules-test: tests/unit/rules-test.c $(OBJ)/libstore.a $(OBJ)/libutil.a
	@mkdir -p $(UNIT)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ -llmdb -ljq -lcrypto -lm

$(UNIT)/sigv4-vectors: tests/unit/sigv4-vectors.c $(OBJ)/libsms.a $(OBJ)/libutil.a
	@mkdir -p $(UNIT)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcurl -ljq -lcrypto -lm

$(UNIT)/digest: tests/unit/digest.c $(OBJ)/libutil.a
	@mkdir -p $(UNIT)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ -ljq -lm

$(UNIT)/store-poke: tests/unit/store-poke.c
	@mkdir -p $(UNIT)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -llmdb

fuzz-bins: $(FUZZERS:%=$(O)/bin/%)

$(O)/bin/%: tests/fuzz/%.c $(OBJ)/libcal.a $(OBJ)/libsms.a $(OBJ)/libstore.a $(OBJ)/libutil.a
	@mkdir -p $(O)/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ -lcurl -llmdb -ljq -lcrypto -lm -ldl

# FUZZ_TIME seconds a target (60 by default; make check runs each briefly)
fuzz: deps-test
	$(MAKE) -j$(BUILD_JOBS) O=build/fuzz CC=clang CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" fuzz-bins
	FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run build/fuzz

# Installs what is missing when root; otherwise says what to run, and stops.
# deps is what the programs need (a production box); deps-test adds the
# test tools.
deps:
	@$(MAKE) -s --no-print-directory deps-install PKGS="$(DEPS_BUILD)"

deps-test:
	@$(MAKE) -s --no-print-directory deps-install PKGS="$(DEPS_BUILD) $(DEPS_TEST)"

deps-install:
	@missing=; for p in $(PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "deps: missing Debian packages:$$missing (no apt-get here)" >&2; exit 1; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "deps: missing packages; run as root:" >&2; \
		echo "  apt-get install -y$$missing" >&2; exit 1; fi; \
	echo "deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing

# warnings are errors here, not in a packager's build.  The whole suite
# runs twice: on PostgreSQL (a throwaway cluster), and on LMDB under ASan
# and UBSan; both at once do not fit a quarter of an hour otherwise.
check: deps-test
	$(MAKE) -j$(BUILD_JOBS) WERROR=-Werror all units
	$(MAKE) WERROR=-Werror test-pg
	$(MAKE) WERROR=-Werror test-lmdb
	$(MAKE) WERROR=-Werror test-asan
	$(MAKE) fuzz FUZZ_TIME=5
	$(MAKE) lint

# the fault storms at full length (50 rounds each, a 150 s provider outage
# under the -w sender) and a minute of fuzzing
check-long: deps-test all units
	STORM_ROUNDS=50 STORM_OUTAGE=150 bats tests/storm.bats
	$(MAKE) fuzz FUZZ_TIME=60

# test files run TEST_JOBS at a time: each test has its own directory,
# store (or database) and ports; check's builds run BUILD_JOBS compilers
TEST_JOBS ?= 2
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PROVE = prove -j$(TEST_JOBS) --failures --comments -e 'bats --tap'

test: all units
	$(PROVE) tests/*.bats

# the suite with every test's store a database of its own in a cluster
# the tests start (tests/pg/cluster), as an unprivileged user on loopback
test-pg: all units
	sh tests/pg/with-cluster $(PROVE) tests/*.bats

# conv-store as built here (a static PIE) on LMDB: test-pg runs its twin
# and test-asan a build that links the C library shared, so the store's
# and the webhook's own files run once more with it
LMDB_TESTS = conv-store promises variants report changes wiring
test-lmdb: all units
	$(PROVE) $(LMDB_TESTS:%=tests/%.bats)

test-asan:
	$(MAKE) -j$(BUILD_JOBS) O=build/asan CFLAGS="$(SAN)" LDFLAGS="$(SAN)" all units
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CALSMS_BIN=$(CURDIR)/build/asan/bin $(PROVE) tests/*.bats

lint:
	mandoc -Tlint -Wwarning $(MANS)

demo: deps-test all
	@sh examples/demo.sh

bench: deps-test all
	@sh tests/bench/run

# Programs, manual, templates, handlers, and the systemd units with their
# user (sysusers.d) and directories (tmpfiles.d), under DESTDIR and PREFIX;
# the installed files name SYSCONFDIR/calsms and LOCALSTATEDIR/lib/calsms.
# install touches nothing outside DESTDIR; install-system (as root, no
# DESTDIR) also makes the calsms user and its directories at once.  The
# business's templates (ETCDIR/templates, which the sender reads) are
# installed once and never overwritten; share/calsms keeps the shipped ones.
ETCDIR = $(SYSCONFDIR)/calsms
STATEDIR = $(LOCALSTATEDIR)/lib/calsms
PATHS = sed -e 's|/usr/local|$(PREFIX)|g' -e 's|/etc/calsms|$(ETCDIR)|g' \
	-e 's|/var/lib/calsms|$(STATEDIR)|g'
HANDLERS = on-booking on-calcom on-sms on-sms-aws owner-hook notify-owner report-plot to-hubspot
TEMPLATE_DIRS = templates templates-es templates-fr moments moments-es moments-fr

install: all
	install -d -m 0755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
		$(DESTDIR)$(MANPREFIX)/man7 $(DESTDIR)$(SHAREDIR)/examples \
		$(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR)
	install -d -m 0750 $(DESTDIR)$(ETCDIR)
	install -d -m 0700 $(DESTDIR)$(STATEDIR)
	install -d -m 0755 $(DESTDIR)$(ETCDIR)/templates
	for t in examples/templates/*.jq; do \
		[ -e $(DESTDIR)$(ETCDIR)/templates/$${t##*/} ] || \
		install -m 0644 $$t $(DESTDIR)$(ETCDIR)/templates/ || exit; done
	install -m 0755 $(PROGS) $(TWINS) $(DESTDIR)$(PREFIX)/bin/
	for f in $(HANDLERS); do \
		$(PATHS) examples/$$f >$(DESTDIR)$(LIBEXECDIR)/$$f && \
		chmod 0755 $(DESTDIR)$(LIBEXECDIR)/$$f || exit; done
	for m in $(MANS); do \
		install -m 0644 $$m $(DESTDIR)$(MANPREFIX)/man$${m##*.}/ || exit; done
	for d in $(TEMPLATE_DIRS); do \
		install -d -m 0755 $(DESTDIR)$(SHAREDIR)/$$d && \
		install -m 0644 examples/$$d/*.jq $(DESTDIR)$(SHAREDIR)/$$d/ || exit; done
	$(PATHS) examples/inetd.conf >$(DESTDIR)$(SHAREDIR)/examples/inetd.conf
	chmod 0644 $(DESTDIR)$(SHAREDIR)/examples/inetd.conf
	for u in $(SYSTEMD); do \
		$(PATHS) $$u >$(DESTDIR)$(UNITDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit; done
	$(PATHS) examples/systemd/calsms.sysusers >$(DESTDIR)$(SYSUSERSDIR)/calsms.conf
	$(PATHS) examples/systemd/calsms.tmpfiles >$(DESTDIR)$(TMPFILESDIR)/calsms.conf
	chmod 0644 $(DESTDIR)$(SYSUSERSDIR)/calsms.conf $(DESTDIR)$(TMPFILESDIR)/calsms.conf

install-system: install
	@if [ -n "$(DESTDIR)" ]; then \
		echo "install-system: not with DESTDIR: the user and directories are made on this machine" >&2; \
		exit 1; fi
	systemd-sysusers $(SYSUSERSDIR)/calsms.conf
	systemd-tmpfiles --create $(TMPFILESDIR)/calsms.conf

# Removes what install put, under the same DESTDIR and PREFIX; the settings
# (SYSCONFDIR/calsms) and the store (LOCALSTATEDIR/lib/calsms) stay unless
# PURGE=yes.
uninstall:
	for p in $(PROGRAMS) conv-store-pg; do rm -f $(DESTDIR)$(PREFIX)/bin/$$p; done
	for f in $(HANDLERS); do rm -f $(DESTDIR)$(LIBEXECDIR)/$$f; done
	for m in $(MANS); do rm -f $(DESTDIR)$(MANPREFIX)/man$${m##*.}/$${m##*/}; done
	for d in $(TEMPLATE_DIRS); do \
		for t in examples/$$d/*.jq; do rm -f $(DESTDIR)$(SHAREDIR)/$$d/$${t##*/}; done; \
		rmdir $(DESTDIR)$(SHAREDIR)/$$d 2>/dev/null || true; done
	rm -f $(DESTDIR)$(SHAREDIR)/examples/inetd.conf
	for u in $(SYSTEMD); do rm -f $(DESTDIR)$(UNITDIR)/$${u##*/}; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/calsms.conf $(DESTDIR)$(TMPFILESDIR)/calsms.conf
	rmdir $(DESTDIR)$(SHAREDIR)/examples $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true
	@if [ "$(PURGE)" = yes ]; then \
		echo "uninstall: PURGE=yes: removing $(DESTDIR)$(ETCDIR) and $(DESTDIR)$(STATEDIR)"; \
		rm -rf $(DESTDIR)$(ETCDIR) $(DESTDIR)$(STATEDIR); fi

clean:
	rm -rf bin build
