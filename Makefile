# iosd - IOSignal server, operator tools and the libproto codecs.
#
#   make            build everything into build/
#   make run        install missing packages, build, start iosd
#   make test       install missing packages, build, run every test
#   make fuzz       run each libFuzzer target for FUZZ_TIME seconds
#   make install    the programs, man pages, configuration, service files
#                   (PREFIX, DESTDIR, SYSCONFDIR); make uninstall
#   make deb        the Debian package, build/deb/iosd_*.deb
#   make bench      side-by-side figures against the reference server,
#                   the cost of a trace client, iostui's CPU, and the
#                   servers' limits under build/loadgen beside a bare
#                   epoll forwarder, the machine's limit (LIMITS_ARGS:
#                   '--nice -10' on a busy machine)
#   make clean
#
# Libraries come from pkg-config; Debian's libev and wslay ship no .pc
# file, so plain -l flags stand in for them.

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/iosd
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
OPENRCDIR ?= $(SYSCONFDIR)/init.d
DEFS	?=
NODEPS	?=
BUILD	?= build
CC	?= cc
CFLAGS	?= -O2 -g
WERROR	?= -Werror
FUZZ_TIME ?= 60
FUZZ_SMOKE ?= 4

WARN	:= -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla
CSTD	:= -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE
PKG	?= pkg-config

pkg_cflags = $(shell $(PKG) --cflags $(1) 2>/dev/null)
pkg_libs = $(shell $(PKG) --libs $(1) 2>/dev/null || echo $(2))

PROTO_PKGS	:= nettle jansson
PROTO_CFLAGS	:= $(call pkg_cflags,$(PROTO_PKGS))
PROTO_LIBS	:= $(call pkg_libs,$(PROTO_PKGS),-lnettle -ljansson) -lm

ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(DEFS) -MMD -MP -Ilibproto \
	     -Ilibctl $(PROTO_CFLAGS)

IOSD_PKGS	:= gnutls nettle jansson sqlite3 hiredis gmp
# uthash: a table that cannot grow leaves the element out instead of
# exiting (iosd checks hh.tbl after each HASH_ADD).
IOSD_CFLAGS	:= $(call pkg_cflags,$(IOSD_PKGS) libev libwslay) \
		   -DHASH_NONFATAL_OOM=1
IOSD_LIBS	:= $(call pkg_libs,$(IOSD_PKGS),-lgnutls -lnettle -ljansson -lsqlite3 -lhiredis -lgmp) \
		   $(call pkg_libs,libev,-lev) $(call pkg_libs,libwslay,-lwslay) -lm

# libedit: iosctl connect's line editing; nettle and wslay: its
# WebSocket client (and libproto's Boho).
IOSCTL_PKGS	:= jansson gnutls nettle libedit
IOSCTL_CFLAGS	:= $(call pkg_cflags,$(IOSCTL_PKGS))
IOSCTL_LIBS	:= $(call pkg_libs,$(IOSCTL_PKGS),-ljansson -lgnutls -lnettle -ledit) \
		   $(call pkg_libs,libwslay,-lwslay) -lm

IOSTUI_PKGS	:= jansson ncursesw
IOSTUI_CFLAGS	:= $(call pkg_cflags,$(IOSTUI_PKGS)) -D_XOPEN_SOURCE_EXTENDED
IOSTUI_LIBS	:= $(call pkg_libs,$(IOSTUI_PKGS),-ljansson -lncursesw) -lm

# libsystemd when present: sd_notify for Type=notify. Without it (OpenRC
# systems, or SYSTEMD=no) iosd builds the same and notifies nobody.
SYSTEMD ?= $(shell $(PKG) --exists libsystemd 2>/dev/null && echo yes)
ifeq ($(SYSTEMD),yes)
IOSD_CFLAGS	+= $(call pkg_cflags,libsystemd) -DHAVE_SYSTEMD
IOSD_LIBS	+= $(call pkg_libs,libsystemd,-lsystemd)
endif

PROTO_SRC := $(wildcard libproto/*.c)
PROTO_OBJ := $(PROTO_SRC:%.c=$(BUILD)/obj/%.o)
LIBPROTO  := $(BUILD)/libproto.a

# The control-socket client code iosctl and iostui share (on libproto's
# ctlmsg).
LIBCTL_SRC := $(wildcard libctl/*.c)
LIBCTL_OBJ := $(LIBCTL_SRC:%.c=$(BUILD)/obj/%.o)
LIBCTL     := $(BUILD)/libctl.a

IOSD_SRC  := $(wildcard iosd/*.c)
IOSD_OBJ  := $(IOSD_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/migrations.o
MIGRATIONS := $(sort $(wildcard migrations/[0-9]*.sql))
IOSD_BIN  := $(BUILD)/iosd

IOSCTL_SRC := $(wildcard iosctl/*.c)
IOSCTL_OBJ := $(IOSCTL_SRC:%.c=$(BUILD)/obj/%.o)
IOSCTL_BIN := $(BUILD)/iosctl

IOSTUI_SRC := $(wildcard iostui/*.c)
IOSTUI_OBJ := $(IOSTUI_SRC:%.c=$(BUILD)/obj/%.o)
IOSTUI_BIN := $(BUILD)/iostui

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_LIB   := $(BUILD)/obj/tests/unit/tap.o $(BUILD)/obj/tests/unit/fixture.o

FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_CC    ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=undefined $(CSTD) -Ilibproto $(PROTO_CFLAGS)

.PHONY: all deps run test unit asan fuzz fuzz-build clean npm-deps bench \
	install install-build uninstall deb
all: $(LIBPROTO) $(LIBCTL) $(IOSD_BIN) $(IOSCTL_BIN) $(IOSTUI_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBPROTO): $(PROTO_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBCTL): $(LIBCTL_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/obj/iosd/%.o: iosd/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(IOSD_CFLAGS) -c $< -o $@

# The SQL of migrations/ compiled in, so the binary carries its schema.
$(BUILD)/gen/migrations.c: $(MIGRATIONS) migrations/embed.sh
	@mkdir -p $(@D)
	sh migrations/embed.sh $@ $(MIGRATIONS)

$(BUILD)/obj/migrations.o: $(BUILD)/gen/migrations.c iosd/migrations.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iiosd -c $< -o $@

$(IOSD_BIN): $(IOSD_OBJ) $(LIBPROTO)
	$(CC) $(CFLAGS) -o $@ $^ $(IOSD_LIBS)

$(BUILD)/obj/iosctl/%.o: iosctl/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(IOSCTL_CFLAGS) -c $< -o $@

$(IOSCTL_BIN): $(IOSCTL_OBJ) $(LIBCTL) $(LIBPROTO)
	$(CC) $(CFLAGS) -o $@ $^ $(IOSCTL_LIBS)

$(BUILD)/obj/iostui/%.o: iostui/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(IOSTUI_CFLAGS) -c $< -o $@

$(IOSTUI_BIN): $(IOSTUI_OBJ) $(LIBCTL) $(LIBPROTO)
	$(CC) $(CFLAGS) -o $@ $^ $(IOSTUI_LIBS)

# ---- tests ----

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_LIB) $(LIBCTL) $(LIBPROTO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PROTO_LIBS)

# Unit tests of daemon modules (router, admin) link the iosd objects
# they test, and tests/unit/stubs_*.c instead of the network, the
# connections and the log (as Mosquitto's test/unit/*_stubs.c).
UNIT_IOSD_OBJ := $(addprefix $(BUILD)/obj/tests/unit/,test_router.o \
		 test_admin.o stubs_conn.o stubs_log.o stubs_store.o \
		 stubs_cluster.o)
UNIT_STUBS := $(addprefix $(BUILD)/obj/tests/unit/,stubs_conn.o stubs_log.o \
	      stubs_cluster.o)
ROUTER_DEPS := $(addprefix $(BUILD)/obj/iosd/,router.o msg.o options.o \
	       notify.o)
ADMIN_DEPS := $(ROUTER_DEPS) $(addprefix $(BUILD)/obj/iosd/,admin.o \
	      admit.o authjs.o authsrc.o metrics.o store.o store_redis.o \
	      xmalloc.o acl.o presence.o) $(BUILD)/obj/migrations.o

$(UNIT_IOSD_OBJ): $(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iiosd $(IOSD_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_router: $(BUILD)/obj/tests/unit/test_router.o \
    $(BUILD)/obj/tests/unit/stubs_store.o $(UNIT_STUBS) $(ROUTER_DEPS) \
    $(UNIT_LIB) $(LIBPROTO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(IOSD_LIBS)

$(BUILD)/tests/test_admin: $(BUILD)/obj/tests/unit/test_admin.o \
    $(UNIT_STUBS) $(ADMIN_DEPS) $(UNIT_LIB) $(LIBPROTO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(IOSD_LIBS)

# Keep objects make would consider intermediate (incremental builds).
.SECONDARY:

# Helpers the integration tests run (not tests themselves).
TOOL_SRC   := $(wildcard tests/tools/*.c)
TOOL_BIN   := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/%: tests/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) -o $@ $<

unit: $(UNIT_BIN) $(TOOL_BIN)

# The daemon again with AddressSanitizer and UBSan, for the suites that
# feed it hostile input (make test runs them against it).
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	       -fno-sanitize-recover=undefined
asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan \
	    CFLAGS='$(ASAN_CFLAGS)' $(BUILD)/asan/iosd
	@# Suites find iosctl beside the daemon they are given (--bin): any
	@# of them can run against build/asan/iosd.
	@ln -sf ../iosctl $(BUILD)/asan/iosctl

deps:
	@sh tests/install-deps.sh

# npm iosignal@2.2.1 and its deps, for the fixture generator and the
# interoperability tests; reinstalled when the lock file changes.
tests/node_modules/.stamp: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
npm-deps: tests/node_modules/.stamp

test: deps
	@$(MAKE) --no-print-directory all unit asan npm-deps
	@BUILD=$(BUILD) FUZZ_SMOKE=$(FUZZ_SMOKE) FUZZ_CC=$(FUZZ_CC) \
	    sh tests/run.sh

# ---- fuzzing (clang, libFuzzer, ASan + UBSan) ----

$(BUILD)/fuzz/%: tests/fuzz/%.c $(PROTO_SRC) $(wildcard libproto/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(PROTO_SRC) $(PROTO_LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build npm-deps
	@BUILD=$(BUILD) sh tests/fuzz/run.sh $(FUZZ_TIME)

# ---- benchmarks (never part of make test) ----

# The load generator of tests/bench/limits.mjs: raw ws and cong clients
# on epoll, the server's CPU and RSS from /proc.
LOADGEN := $(BUILD)/loadgen
$(LOADGEN): $(BUILD)/obj/tests/bench/loadgen.o $(LIBPROTO)
	$(CC) $(CFLAGS) -o $@ $^ $(PROTO_LIBS)
-include $(BUILD)/obj/tests/bench/loadgen.d

# The bare forwarder, limits.mjs's "bare" column: epoll + writev and only
# the protocol loadgen speaks (fan-out and ping), the machine's limit.
FORWARDER := $(BUILD)/forwarder
$(FORWARDER): $(BUILD)/obj/tests/bench/forwarder.o
	$(CC) $(CFLAGS) -o $@ $^ $(call pkg_libs,nettle,-lnettle)
-include $(BUILD)/obj/tests/bench/forwarder.d

BENCH_ARGS ?= --idle 1000 --subs 100 --msgs 20000
# The server's limits (fan-out, idle memory at 10k connections, ping,
# connections/s), iosd, the reference and the bare forwarder side by
# side: about 2-3 minutes.
LIMITS_ARGS ?=
bench: deps
	@$(MAKE) --no-print-directory all $(LOADGEN) $(FORWARDER) npm-deps
	@for s in iosd ref; do node tests/bench/quick.mjs --server $$s \
	    --bin $(IOSD_BIN) $(BENCH_ARGS) || exit 1; done
	@node tests/bench/quick.mjs --server iosd --bin $(IOSD_BIN) \
	    $(BENCH_ARGS) --trace 'no-such-*'
	@node tests/bench/tui.mjs --bin $(IOSD_BIN) --tui $(IOSTUI_BIN)
	@node tests/bench/limits.mjs --bin $(IOSD_BIN) --loadgen $(LOADGEN) \
	    --forwarder $(FORWARDER) --out $(BUILD)/bench-limits.json \
	    $(LIMITS_ARGS)
	@# Two --cluster nodes over a private redis-server: cross-node
	@# deliveries/s and the latency Redis adds.
	@node tests/bench/cluster.mjs --bin $(IOSD_BIN)

# ---- running ----

# Foreground, with an embedded database under ./var (store: issue #4).
RUN_ARGS ?= -l 7777 -L 8888
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var && chmod 700 var
	@echo "control socket: var/iosd.sock (export IOSD_CONTROL=$$PWD/var/iosd.sock for iosctl)"
	exec $(IOSD_BIN) $(RUN_ARGS) -D var/iosd.db -c var/iosd.sock

# ---- installing ----

# The installed programs are built apart, with the installed defaults:
# the configuration file, the control socket and the database of a
# service (a build in build/ reads no /etc file and opens no /run socket).
INSTALL_BUILD := $(BUILD)/install
INSTALL_DEFS := -DIOSD_DEFAULT_CONFIG=\"$(SYSCONFDIR)/iosd/iosd.conf\" \
	-DIOSD_DEFAULT_CONTROL=\"/run/iosd/control.sock\" \
	-DIOSD_DEFAULT_DB=\"/var/lib/iosd/iosd.db\"
MAN8 := doc/iosd.8 doc/iosctl.8 doc/iostui.8
subst = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

# NODEPS=1: leave the packages alone (a package build, whose
# Build-Depends are already there).
install-build:
	@[ -n "$(NODEPS)" ] || sh tests/install-deps.sh build
	@# Built again when the installed defaults change (SYSCONFDIR).
	@mkdir -p $(INSTALL_BUILD)
	@echo '$(INSTALL_DEFS)' | cmp -s - $(INSTALL_BUILD)/.defs || \
	    { rm -rf $(INSTALL_BUILD) && mkdir -p $(INSTALL_BUILD) && \
	    echo '$(INSTALL_DEFS)' > $(INSTALL_BUILD)/.defs; }
	@$(MAKE) --no-print-directory BUILD=$(INSTALL_BUILD) \
	    DEFS='$(INSTALL_DEFS)' $(INSTALL_BUILD)/iosd \
	    $(INSTALL_BUILD)/iosctl $(INSTALL_BUILD)/iostui

install: install-build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/iosd \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(OPENRCDIR)
	install -m 0755 $(INSTALL_BUILD)/iosd $(INSTALL_BUILD)/iosctl \
	    $(INSTALL_BUILD)/iostui $(DESTDIR)$(BINDIR)
	@# The pages name the default paths: the installed ones instead.
	for m in $(MAN8); do \
		sed -e 's|/usr/local/share/doc/iosd|$(DOCDIR)|g' \
		    -e 's|/etc/iosd/|$(SYSCONFDIR)/iosd/|g' $$m \
		    > $(DESTDIR)$(MANDIR)/man8/$$(basename $$m) && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man8/$$(basename $$m) || exit 1; \
	done
	install -m 0644 dist/iosd.conf $(DESTDIR)$(DOCDIR)/iosd.conf.example
	install -m 0644 doc/operations.md doc/iosd.md doc/control.md \
	    doc/auth.md $(DESTDIR)$(DOCDIR)
	@# On the machine itself (no DESTDIR), as root: the service's user.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && \
	    ! id iosd >/dev/null 2>&1; then \
		if command -v systemd-sysusers >/dev/null 2>&1; then \
			systemd-sysusers $(SYSUSERSDIR)/iosd.conf; \
		else \
			useradd --system --user-group --home-dir /var/lib/iosd \
			    --shell /usr/sbin/nologin iosd; \
		fi; \
	fi
	@# An operator's configuration is never overwritten. It holds no
	@# key but may name files that do: root writes it, the service's
	@# group reads it (0640 root:iosd).
	test -e $(DESTDIR)$(SYSCONFDIR)/iosd/iosd.conf || \
	    install -m 0640 dist/iosd.conf $(DESTDIR)$(SYSCONFDIR)/iosd/iosd.conf
	@if getent group iosd >/dev/null 2>&1; then \
		chgrp iosd $(DESTDIR)$(SYSCONFDIR)/iosd/iosd.conf; \
	else \
		echo "note: no group iosd here: after creating it," \
		    "chgrp iosd $(SYSCONFDIR)/iosd/iosd.conf"; \
	fi
	$(subst) dist/iosd.service.in > $(DESTDIR)$(UNITDIR)/iosd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/iosd.service
	install -m 0644 dist/iosd.sysusers $(DESTDIR)$(SYSUSERSDIR)/iosd.conf
	$(subst) dist/iosd.openrc.in > $(DESTDIR)$(OPENRCDIR)/iosd
	chmod 0755 $(DESTDIR)$(OPENRCDIR)/iosd

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/iosd $(DESTDIR)$(BINDIR)/iosctl \
	    $(DESTDIR)$(BINDIR)/iostui
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8)))
	rm -rf $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(UNITDIR)/iosd.service \
	    $(DESTDIR)$(SYSUSERSDIR)/iosd.conf $(DESTDIR)$(OPENRCDIR)/iosd
	@echo "kept: $(DESTDIR)$(SYSCONFDIR)/iosd (your configuration)," \
	    "/var/lib/iosd (the database)"

# ---- the Debian package ----

# dpkg-buildpackage -b on a copy of the tree (the tree itself gets no
# debian/ build files, and its build/ is not cleaned): iosd_*.deb and
# its companions land in $(DEB_OUT). debian/rules alone decides how it
# is built (this make's variables are not passed on): `make install`
# under /usr, then the C unit tests (DEB_BUILD_OPTIONS=nocheck: not them).
DEB_OUT ?= $(BUILD)/deb
DEB_BUILD_OPTIONS ?= parallel=$(shell nproc 2>/dev/null || echo 2)
deb:
	@[ -n "$(NODEPS)" ] || sh tests/install-deps.sh deb
	@set -e; t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT; \
	    v=$$(dpkg-parsechangelog -S Version); \
	    mkdir "$$t/iosd-$$v"; \
	    tar -c --exclude=./build --exclude='./build-*' --exclude=./var \
	        --exclude=./.git --exclude=./tests/node_modules . | \
	        tar -x -C "$$t/iosd-$$v"; \
	    echo "deb: dpkg-buildpackage -us -uc -b in $$t/iosd-$$v" \
	        "(DEB_BUILD_OPTIONS=$(DEB_BUILD_OPTIONS))"; \
	    mkdir -p $(DEB_OUT); \
	    rm -f $(DEB_OUT)/build.log $(DEB_OUT)/iosd*.deb $(DEB_OUT)/iosd*.ddeb \
	        $(DEB_OUT)/iosd*.buildinfo $(DEB_OUT)/iosd*.changes; \
	    rc=0; ( cd "$$t/iosd-$$v" && unset MAKEFLAGS MFLAGS MAKELEVEL && \
	        DEB_BUILD_OPTIONS='$(DEB_BUILD_OPTIONS)' \
	        dpkg-buildpackage -us -uc -b ) >"$$t/build.log" 2>&1 || rc=$$?; \
	    cp "$$t/build.log" $(DEB_OUT)/; \
	    if [ $$rc -ne 0 ]; then tail -n 40 "$$t/build.log"; \
	        echo "deb: failed, the log is $(DEB_OUT)/build.log"; exit 1; fi; \
	    for f in "$$t"/*.deb "$$t"/*.ddeb "$$t"/*.buildinfo "$$t"/*.changes; do \
	        if [ -e "$$f" ]; then cp "$$f" $(DEB_OUT)/; fi; done; \
	    ls $(DEB_OUT)/*.deb

clean:
	rm -rf $(BUILD)

-include $(PROTO_OBJ:.o=.d) $(LIBCTL_OBJ:.o=.d) $(IOSD_OBJ:.o=.d) $(IOSCTL_OBJ:.o=.d) \
    $(IOSTUI_OBJ:.o=.d) \
    $(UNIT_LIB:.o=.d) $(UNIT_IOSD_OBJ:.o=.d) \
    $(UNIT_SRC:tests/unit/%.c=$(BUILD)/obj/tests/unit/%.d)
