# calsms: appointment SMS automation as small C programs.
#
# src/cmd/    one main per program (conv-store/ a folder of its own)
# src/store/  the conversation's rules (rules results due operator intent,
#             pure) and the store behind store.h (LMDB: store damage record
#             tables walk stream check)
# src/sms/    the SMS providers behind provider.h, segments, SigV4, templates
# src/cal/    Calendly and Cal.com as appointment lines; cal-sync's API client
# src/util/   JSON streams, clock, log, phone numbers, HMAC, buffers, HTTP heads
#
# Each program is listed below with the parts it links.

PREFIX ?= /usr/local
MANPREFIX ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/calsms
LIBEXECDIR ?= $(PREFIX)/libexec/calsms
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
CC ?= cc
CFLAGS ?= -O2 -g
WERROR ?=
override CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Wall -Wextra $(WERROR) -Isrc/util -Isrc/store -Isrc/sms -Isrc/cal $(CFLAGS)

# O is the output directory: bin/ and build/ by default, build/asan for check
O ?= .
OBJ = $(O)/build/obj
BIN = $(O)/bin
UNIT = $(O)/build/unit

PROGRAMS = cal-parse cal-sync conv-store follow-up-due http-hook sms-parse sms-send
UTIL = arg clock conf file form hmac http json log phone strbuf
STORE = kinds rules results due operator intent store damage record tables walk stream check
SMS = provider twilio sns eum logsms aws sigv4 segments sns-verify templates lint
CAL = calendly calcom api

# a program in a folder of its own (src/cmd/NAME/) is made of these files
conv-store_SRCS = main streams operator reads report health

# what each program links, after its own main
cal-parse_PARTS = cal util
cal-sync_PARTS = cal util
conv-store_PARTS = store util
follow-up-due_PARTS = store util
http-hook_PARTS = util
sms-parse_PARTS = sms store util
sms-send_PARTS = sms store util

# cal-parse runs once per webhook: libcrypto linked in statically saves the
# dynamic loading of all of it (about 0.7 ms a process).
cal-parse_LIBS = -Wl,-Bstatic -lcrypto -Wl,-Bdynamic -ljq -lm
cal-sync_LIBS = -lcurl -ljq -lcrypto -lm
conv-store_LIBS = -llmdb -ljq -lcrypto -lm
follow-up-due_LIBS = -llmdb -ljq -lcrypto -lm
http-hook_LIBS = -ljq -lcrypto -lm
# sms-parse loads libcurl itself, only when it must fetch (sns-verify.c)
sms-parse_LIBS = -Wl,-Bstatic -lcrypto -Wl,-Bdynamic -ljq -lm
sms-send_LIBS = -lcurl -llmdb -ljq -lcrypto -lm

PROGS := $(PROGRAMS:%=$(BIN)/%)
MANS := $(wildcard man/*.[1-8])
SYSTEMD := $(wildcard examples/systemd/*.service examples/systemd/*.socket \
	examples/systemd/*.timer)
HEADERS := $(wildcard src/*/*.h src/cmd/*/*.h)
UNITS = $(UNIT)/rules-test $(UNIT)/sigv4-vectors $(UNIT)/store-poke

SAN = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# libFuzzer targets (tests/fuzz), built by clang with ASan and UBSan
FUZZERS = http-head cal-sig cal-payload sms-form sns-message phone segments json-lines
FUZZ_TIME ?= 60
FUZZ_SAN = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# Debian packages: to build, to test, to run the benchmarks
DEPS_BUILD = gcc make libc6-dev libcurl4-openssl-dev libssl-dev libjq-dev \
	liblmdb-dev tzdata
DEPS_TEST = bats bats-support bats-assert mandoc socat openbsd-inetd \
	python3 jq curl perl procps sqlite3 ca-certificates openssl systemd \
	clang libclang-rt-14-dev gnuplot-nox

.PHONY: all units deps clean install check check-long test test-asan lint demo bench fuzz fuzz-bins
.SECONDARY:

all: $(PROGS)

units: $(UNITS)

$(OBJ)/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OBJ)/libutil.a: $(UTIL:%=$(OBJ)/util/%.o)
$(OBJ)/libstore.a: $(STORE:%=$(OBJ)/store/%.o)
$(OBJ)/libsms.a: $(SMS:%=$(OBJ)/sms/%.o)
$(OBJ)/libcal.a: $(CAL:%=$(OBJ)/cal/%.o)
$(OBJ)/lib%.a:
	rm -f $@
	$(AR) rcs $@ $^

define program
$(BIN)/$(1): $(if $($(1)_SRCS),$($(1)_SRCS:%=$(OBJ)/cmd/$(1)/%.o),$(OBJ)/cmd/$(1).o) \
    $(foreach p,$($(1)_PARTS),$(OBJ)/lib$(p).a)
	@mkdir -p $(BIN)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ -Wl,--as-needed $$($(1)_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program,$(p))))

$(UNIT)/rules-test: tests/unit/rules-test.c $(OBJ)/libstore.a $(OBJ)/libutil.a
	@mkdir -p $(UNIT)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -llmdb -ljq -lcrypto -lm

$(UNIT)/sigv4-vectors: tests/unit/sigv4-vectors.c $(OBJ)/libsms.a $(OBJ)/libutil.a
	@mkdir -p $(UNIT)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcurl -ljq -lcrypto -lm

$(UNIT)/store-poke: tests/unit/store-poke.c
	@mkdir -p $(UNIT)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -llmdb

fuzz-bins: $(FUZZERS:%=$(O)/bin/%)

$(O)/bin/%: tests/fuzz/%.c $(OBJ)/libcal.a $(OBJ)/libsms.a $(OBJ)/libstore.a $(OBJ)/libutil.a
	@mkdir -p $(O)/bin
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ -lcurl -llmdb -ljq -lcrypto -lm -ldl

# FUZZ_TIME seconds a target (60 by default; make check runs each briefly)
fuzz: deps
	$(MAKE) O=build/fuzz CC=clang CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" fuzz-bins
	FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run build/fuzz

# Installs what is missing when root; otherwise says what to run, and stops.
deps:
	@missing=; for p in $(DEPS_BUILD) $(DEPS_TEST); do \
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

# warnings are errors here, not in a packager's build
check: deps
	$(MAKE) WERROR=-Werror all units
	$(MAKE) WERROR=-Werror test
	$(MAKE) WERROR=-Werror test-asan
	$(MAKE) fuzz FUZZ_TIME=5
	$(MAKE) lint

# the fault storms at full length (50 rounds each, a 150 s provider outage
# under the -w sender) and a minute of fuzzing
check-long: deps all units
	STORM_ROUNDS=50 STORM_OUTAGE=150 bats tests/storm.bats
	$(MAKE) fuzz FUZZ_TIME=60

test: all units
	prove --failures --comments -e 'bats --tap' tests/*.bats

test-asan:
	$(MAKE) O=build/asan CFLAGS="$(SAN)" LDFLAGS="$(SAN)" all units
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CALSMS_BIN=$(CURDIR)/build/asan/bin prove --failures --comments -e 'bats --tap' tests/*.bats

lint:
	mandoc -Tlint -Wwarning $(MANS)

demo: deps all
	@sh examples/demo.sh

bench: deps all
	@sh tests/bench/run

# Programs, manual, templates, handlers, and the systemd units with their
# user (sysusers.d) and directories (tmpfiles.d), every path under PREFIX.
# Run as root without DESTDIR, it also makes the calsms user and the
# directories at once (systemd-sysusers and systemd-tmpfiles).
install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
		$(DESTDIR)$(MANPREFIX)/man7 $(DESTDIR)$(SHAREDIR)/templates \
		$(DESTDIR)$(SHAREDIR)/examples $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	mkdir -p -m 0750 $(DESTDIR)/etc/calsms
	mkdir -p -m 0700 $(DESTDIR)/var/lib/calsms
	cp $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	for f in on-booking on-calcom on-sms on-sms-aws notify-owner report-plot; do \
		sed 's|/usr/local|$(PREFIX)|g' examples/$$f >$(DESTDIR)$(LIBEXECDIR)/$$f; \
		chmod 0755 $(DESTDIR)$(LIBEXECDIR)/$$f; done
	for m in $(MANS); do \
		s=$${m##*.}; cp $$m $(DESTDIR)$(MANPREFIX)/man$$s/; done
	cp examples/templates/*.jq $(DESTDIR)$(SHAREDIR)/templates/
	for d in templates-es moments moments-es; do \
		mkdir -p $(DESTDIR)$(SHAREDIR)/$$d; cp examples/$$d/*.jq $(DESTDIR)$(SHAREDIR)/$$d/; done
	sed 's|/usr/local|$(PREFIX)|g' examples/inetd.conf >$(DESTDIR)$(SHAREDIR)/examples/inetd.conf
	for u in $(SYSTEMD); do \
		sed 's|/usr/local|$(PREFIX)|g' $$u >$(DESTDIR)$(UNITDIR)/$${u##*/}; done
	cp examples/systemd/calsms.sysusers $(DESTDIR)$(SYSUSERSDIR)/calsms.conf
	cp examples/systemd/calsms.tmpfiles $(DESTDIR)$(TMPFILESDIR)/calsms.conf
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
		echo "install: the calsms user and its directories"; \
		systemd-sysusers $(SYSUSERSDIR)/calsms.conf && \
		systemd-tmpfiles --create $(TMPFILESDIR)/calsms.conf; fi

clean:
	rm -rf bin build
