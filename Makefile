# OpenRGM. `make` builds every binary into ./bin, libscha into ./bin/lib
# and the C example type in examples/hello_c; `make start` also starts a
# single-node rgmd for the current user; `make test` runs every test.
GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CC       ?= cc
CFLAGS   ?= -O2 -g -Wall -Wextra
# -s -w: the scha_* commands start once per query, and a smaller binary
# maps faster.
LDFLAGS  := -s -w -X main.version=$(VERSION)
BINARIES := $(notdir $(wildcard cmd/*))

.PHONY: all build commands capi examples start stop test test-go test-c test-man lint bench chaos install clean

all: build

build: commands capi examples
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/orgm_echod ./examples/echo/echod

commands:
	@mkdir -p bin
	# No cgo: the net package would link libc's resolver, which costs the
	# scha_* commands most of a millisecond at start-up.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./cmd/,$(BINARIES))

# libscha.so.1: the C API, the one cgo build. -w drops DWARF (the symbol
# table stays, for valgrind's suppressions and for debuggers' names);
# netgo,osusergo keep libc's resolver out, as for the commands.
capi:
	@mkdir -p bin/lib/pkgconfig
	CGO_ENABLED=1 $(GO) build -trimpath -tags netgo,osusergo -buildmode=c-shared \
	  -ldflags '-w -extldflags -Wl,-soname,libscha.so.1' -o bin/lib/libscha.so.1 ./capi
	@rm -f bin/lib/libscha.so.h  # cgo's generated header; capi/scha.h is the real one
	ln -sf libscha.so.1 bin/lib/libscha.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(VERSION)|' capi/libscha.pc.in >bin/lib/pkgconfig/libscha.pc

# The C example type's methods go beside its RTR file, where rgmd looks
# for relative method paths. rgmd runs methods with a clean environment,
# so they find libscha by their run path: this tree's, then the installed.
HELLO_C := hello_c_start hello_c_stop hello_c_validate hello_c_monitor_start hello_c_monitor_stop hello_c_probe
examples: capi
	for m in $(HELLO_C); do \
	  $(CC) $(CFLAGS) -Icapi -o examples/hello_c/$$m examples/hello_c/$$m.c examples/hello_c/hello_c.c \
	    -Lbin/lib -lscha -Wl,-rpath,$(CURDIR)/bin/lib:$(LIBDIR) || exit 1; \
	done

start: build
	@scripts/start.sh

stop:
	@scripts/stop.sh

test: build test-go test-c test-man test-deb

# capi/ctest is test-c's; `go test ./...` alone runs it too.
test-go:
	$(GO) vet ./...
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /capi/ctest)

# The C tests of libscha and examples/hello_c against a real rgmd, every
# program under valgrind --leak-check=full (capi/libscha.supp).
test-c: capi
	RGM_REQUIRE_VALGRIND=1 $(GO) test -count=1 ./capi/ctest/

# The randomized fault run at full length (pkg/cluster TestChaos, which
# make test skips): RGM_CHAOS_FAULTS and RGM_CHAOS_SEED override.
chaos: build
	RGM_CHAOS_FAULTS=$${RGM_CHAOS_FAULTS:-200} $(GO) test -count=1 -timeout 90m -v -run '^TestChaos$$' ./pkg/cluster/

# Every page in man/ must pass mandoc's linter.
test-man:
	@scripts/lint-man.sh

# gofmt, go mod tidy, go vet and staticcheck (scripts/lint-go.sh); CI
# runs it before `make test`.
lint:
	@scripts/lint-go.sh

# ONLY=scha,import runs just those end-to-end benchmarks (scripts/bench
# -only; the Go micro-benchmarks always run).
bench: build
	@scripts/bench.sh $(if $(ONLY),-only $(ONLY))

install: build install-systemd install-callbacks install-links install-completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 bin/rgmd $(DESTDIR)$(SBINDIR)/rgmd
	for b in $(filter-out rgmd $(CALLBACK_BINARIES),$(BINARIES)); do install -m 0755 bin/$$b $(DESTDIR)$(BINDIR)/$$b; done
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 bin/lib/libscha.so.1 $(DESTDIR)$(LIBDIR)/libscha.so.1
	ln -sf libscha.so.1 $(DESTDIR)$(LIBDIR)/libscha.so
	install -m 0644 capi/scha.h $(DESTDIR)$(INCLUDEDIR)/scha.h
	install -m 0644 bin/lib/pkgconfig/libscha.pc $(DESTDIR)$(PKGCONFIGDIR)/libscha.pc
	# valgrind suppressions for programs linked with libscha (scha_calls(3)).
	install -d $(DESTDIR)$(PREFIX)/share/openrgm/valgrind
	install -m 0644 capi/libscha.supp $(DESTDIR)$(PREFIX)/share/openrgm/valgrind/libscha.supp
	for s in 1 3 5 8; do \
	  if ls man/man$$s/*.$$s >/dev/null 2>&1; then \
	    install -d $(DESTDIR)$(MANDIR)/man$$s && install -m 0644 man/man$$s/*.$$s $(DESTDIR)$(MANDIR)/man$$s/; \
	  fi; \
	done

clean:
	rm -rf bin
	cd examples/hello_c && rm -f $(HELLO_C)

# --- systemd units, shipped resource types, Solaris paths, Debian package.
# UNITDIR is where systemd looks for vendor units under PREFIX (/usr/lib/
# systemd/system for PREFIX=/usr, /usr/local/lib/systemd/system for the
# default). CLUSTERDIR is always /usr/cluster whatever PREFIX is: it is the
# path older agents hard-code.
UNITDIR       ?= $(PREFIX)/lib/systemd/system
DBUSPOLICYDIR ?= $(PREFIX)/share/dbus-1/system.d
CALLBACKDIR   ?= $(PREFIX)/lib/openrgm/callbacks
CLUSTERDIR    ?= /usr/cluster
# Programs that are callbacks of a shipped type, not commands for PATH.
CALLBACK_BINARIES := orgm_systemd_unit orgm_agent
# ORGM.systemd_unit's methods: links to the multi-call program, which
# takes its method from the name it is called by.
SYSTEMD_UNIT_METHODS := start stop validate monitor_start monitor_stop monitor_check
# The types orgm_agent implements (ORGM.gds(5), ORGM.LogicalHostname(5),
# ORGM.HAStoragePlus(5), and the OCF agents' methods, ORGM.ocf(5)): each a
# folder of CALLBACKDIR with its RTR file and links to ../orgm_agent named
# PREFIX_METHOD, the link's name selecting the type and the method.
AGENT_TYPES := gds:gds logicalhostname:hostname hastorageplus:hasp ocf:ocf
# /usr/cluster/bin gets whatever scha_*, pmfadm and hatimerun are built.
CLUSTER_BIN_LINKS := $(filter scha_% pmfadm hatimerun,$(BINARIES))

.PHONY: install-systemd install-callbacks install-links install-completion deb test-deb

# Bash completion, where bash-completion looks for a command's file by the
# command's name: rgmadm's, and one file for the scha_* commands under
# each of their names (links to the first).
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
install-completion:
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 scripts/completion/rgmadm $(DESTDIR)$(BASHCOMPDIR)/rgmadm
	install -m 0644 scripts/completion/scha $(DESTDIR)$(BASHCOMPDIR)/scha_resource_get
	for c in $(filter-out scha_resource_get,$(filter scha_%,$(BINARIES))); do ln -sfn scha_resource_get $(DESTDIR)$(BASHCOMPDIR)/$$c; done

install-systemd:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DBUSPOLICYDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/systemd/rgmd.service >$(DESTDIR)$(UNITDIR)/rgmd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/rgmd.service
	install -m 0644 scripts/systemd/rgmd.socket $(DESTDIR)$(UNITDIR)/rgmd.socket
	install -m 0644 scripts/systemd/org.openrgm.RGM1.conf $(DESTDIR)$(DBUSPOLICYDIR)/org.openrgm.RGM1.conf

# The RTR file sets no RT_basedir: registering the installed file makes
# its directory the base of the relative method names.
install-callbacks: build
	install -d $(DESTDIR)$(CALLBACKDIR)/systemd
	install -m 0755 bin/orgm_systemd_unit $(DESTDIR)$(CALLBACKDIR)/systemd/orgm_systemd_unit
	install -m 0644 callbacks/systemd/systemd_unit.rtr $(DESTDIR)$(CALLBACKDIR)/systemd/systemd_unit.rtr
	for m in $(SYSTEMD_UNIT_METHODS); do ln -sfn orgm_systemd_unit $(DESTDIR)$(CALLBACKDIR)/systemd/systemd_unit_$$m; done
	install -m 0755 bin/orgm_agent $(DESTDIR)$(CALLBACKDIR)/orgm_agent
	for t in $(AGENT_TYPES); do \
	  dir=$${t%%:*}; \
	  install -d $(DESTDIR)$(CALLBACKDIR)/$$dir; \
	  for f in callbacks/$$dir/*; do \
	    case $$f in \
	    *.rtr) install -m 0644 $$f $(DESTDIR)$(CALLBACKDIR)/$$dir/ ;; \
	    *) ln -sfn ../orgm_agent $(DESTDIR)$(CALLBACKDIR)/$$dir/$${f##*/} ;; \
	    esac; \
	  done; \
	done

# Links at the Solaris Cluster paths, each made only if what it points to
# is built (the C library and scds_syslog come from other parts of the
# tree). Links are relative (ln -r: /usr/cluster/bin/scha_resource_get ->
# ../../bin/scha_resource_get), so they hold inside DESTDIR and a chroot.
install-links: build
	install -d $(DESTDIR)$(CLUSTERDIR)/bin
	for b in $(CLUSTER_BIN_LINKS); do ln -sfnr $(DESTDIR)$(BINDIR)/$$b $(DESTDIR)$(CLUSTERDIR)/bin/$$b; done
	if [ -x bin/scds_syslog ]; then \
	  install -d $(DESTDIR)$(CLUSTERDIR)/lib/sc && ln -sfnr $(DESTDIR)$(BINDIR)/scds_syslog $(DESTDIR)$(CLUSTERDIR)/lib/sc/scds_syslog; \
	fi
	if [ -f bin/lib/libscha.so.1 ]; then \
	  install -d $(DESTDIR)$(CLUSTERDIR)/lib && \
	  ln -sfnr $(DESTDIR)$(LIBDIR)/libscha.so.1 $(DESTDIR)$(CLUSTERDIR)/lib/libscha.so.1 && \
	  ln -sfnr $(DESTDIR)$(LIBDIR)/libscha.so.1 $(DESTDIR)$(CLUSTERDIR)/lib/libscha.so; \
	fi
	if [ -f capi/scha.h ]; then \
	  install -d $(DESTDIR)$(CLUSTERDIR)/include && ln -sfnr $(DESTDIR)$(INCLUDEDIR)/scha.h $(DESTDIR)$(CLUSTERDIR)/include/scha.h; \
	fi

# `make deb` stages `make install PREFIX=/usr` (the library in Debian's
# multiarch directory) in bin/deb/root and splits it into the packages
# openrgm, libscha1 and libscha-dev in bin/deb (scripts/mkdeb.sh, with
# the packaging files in scripts/deb/); the version comes from git
# (scripts/debversion.sh). DEB_MAINTAINER='Name <address>' sets the
# Maintainer field.
DEBVERSION ?= $(shell scripts/debversion.sh)
DEB_HOST_MULTIARCH ?= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH)
deb:
	rm -rf bin/deb
	$(MAKE) install DESTDIR=$(CURDIR)/bin/deb/root PREFIX=/usr LIBDIR=/usr/lib/$(DEB_HOST_MULTIARCH)
	scripts/mkdeb.sh bin/deb/root '$(DEBVERSION)' bin/deb

# Runs lintian on the three packages, installs them into an empty root
# with dpkg --root (maintainer scripts included), uses them, removes and
# purges them (scripts/test-deb.sh).
test-deb: deb
	scripts/test-deb.sh bin/deb/*_$(DEBVERSION)_*.deb
