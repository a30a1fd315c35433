# calsms: appointment SMS automation as small C programs.
# Programs are src/<name-with-dash>.c; every other src/*.c is a shared module.

PREFIX ?= /usr/local
MANPREFIX ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/calsms
CC ?= cc
CFLAGS ?= -O2 -g
override CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Wall -Wextra -Werror $(CFLAGS)
LDLIBS = -Wl,--as-needed -lcurl -lcrypto -ljq -llmdb -lm

# O is the output directory: bin/ and build/ by default, build/asan for check
O ?= .
OBJ = $(O)/build/obj
BIN = $(O)/bin

PROG_SRC := $(sort $(wildcard src/*-*.c))
LIB_SRC := $(filter-out $(PROG_SRC),$(sort $(wildcard src/*.c)))
PROGS := $(patsubst src/%.c,$(BIN)/%,$(PROG_SRC))
LIB_OBJ := $(patsubst src/%.c,$(OBJ)/%.o,$(LIB_SRC))
MANS := $(wildcard man/*.[1-8])

SAN = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# Debian packages: to build, to test, to run the benchmarks
DEPS_BUILD = gcc make libc6-dev libcurl4-openssl-dev libssl-dev libjq-dev \
	liblmdb-dev tzdata
DEPS_TEST = bats bats-support bats-assert mandoc socat openbsd-inetd \
	python3 jq curl perl procps sqlite3 ca-certificates

.PHONY: all deps clean install check test test-asan lint demo bench
.SECONDARY:

all: $(PROGS)

$(OBJ)/%.o: src/%.c src/*.h
	@mkdir -p $(OBJ)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OBJ)/libcalsms.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# cal-parse runs once per webhook: libcrypto linked in statically saves the
# dynamic loading of all of it (about 0.7 ms a process).
$(BIN)/cal-parse: LDLIBS = -Wl,--as-needed -Wl,-Bstatic -lcrypto -Wl,-Bdynamic -ljq -lm

$(BIN)/%: $(OBJ)/%.o $(OBJ)/libcalsms.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $< $(OBJ)/libcalsms.a $(LDLIBS)

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

check: deps
	$(MAKE) all
	$(MAKE) test
	$(MAKE) test-asan
	$(MAKE) lint

test: all
	prove --failures --comments -e 'bats --tap' tests/*.bats

test-asan:
	$(MAKE) O=build/asan CFLAGS="$(SAN)" LDFLAGS="$(SAN)" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CALSMS_BIN=$(CURDIR)/build/asan/bin prove --failures --comments -e 'bats --tap' tests/*.bats

lint:
	mandoc -Tlint -Wwarning $(MANS)

demo: deps all
	@sh examples/demo.sh

bench: deps all
	@sh tests/bench/run

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
		$(DESTDIR)$(MANPREFIX)/man7 $(DESTDIR)$(SHAREDIR)/templates \
		$(DESTDIR)$(PREFIX)/libexec/calsms
	cp $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	cp examples/on-booking $(DESTDIR)$(PREFIX)/libexec/calsms/
	for m in $(MANS); do \
		s=$${m##*.}; cp $$m $(DESTDIR)$(MANPREFIX)/man$$s/; done
	for t in examples/templates/*.jq; do \
		[ ! -f "$$t" ] || cp "$$t" $(DESTDIR)$(SHAREDIR)/templates/; done

clean:
	rm -rf bin build
