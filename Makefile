# OpenRGM. `make` builds every binary into ./bin; `make start` also starts a
# single-node rgmd for the current user; `make test` runs every test.
GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
# -s -w: the scha_* commands start once per query, and a smaller binary
# maps faster.
LDFLAGS  := -s -w -X main.version=$(VERSION)
BINARIES := $(notdir $(wildcard cmd/*))

.PHONY: all build start stop test test-go test-man bench install clean

all: build

build:
	@mkdir -p bin
	# No cgo: the net package would link libc's resolver, which costs the
	# scha_* commands most of a millisecond at start-up.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

start: build
	@scripts/start.sh

stop:
	@scripts/stop.sh

test: build test-go test-man

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Every page in man/ must pass mandoc's linter.
test-man:
	@scripts/lint-man.sh

bench: build
	@scripts/bench.sh

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 bin/rgmd $(DESTDIR)$(SBINDIR)/rgmd
	for b in $(filter-out rgmd,$(BINARIES)); do install -m 0755 bin/$$b $(DESTDIR)$(BINDIR)/$$b; done
	for s in 1 3 5 8; do \
	  if ls man/man$$s/*.$$s >/dev/null 2>&1; then \
	    install -d $(DESTDIR)$(MANDIR)/man$$s && install -m 0644 man/man$$s/*.$$s $(DESTDIR)$(MANDIR)/man$$s/; \
	  fi; \
	done

clean:
	rm -rf bin
