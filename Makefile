# Civigate. `make run` starts it on its embedded defaults; `make test` runs every test.
SHELL := /bin/bash
GO ?= go

# make run: Civigate on Caddyfile.example. Without CIVICRM_UPSTREAM the bundled
# CiviCRM simulator is started on 127.0.0.1:8081 and used as the upstream.
# Site key and sign keys default to values generated for this run only.
CIVIGATE_LISTEN ?= :8080
CIVIGATE_ADMIN ?= localhost:2019
# Caddyfile.example's site address is CIVIGATE_LISTEN's port alone, so the
# site answers any Host ("localhost:8080" as well as "127.0.0.1:8080"); its
# bind line keeps the host.
CIVIGATE_PORT := $(lastword $(subst :, ,$(CIVIGATE_LISTEN)))
export CIVIGATE_LISTEN CIVIGATE_ADMIN CIVIGATE_PORT

.PHONY: run test bench fuzz caddy loadtest reliability build clean

build:
	$(GO) build -o bin/civigate ./cmd/civigate
	$(GO) build -o bin/civicrmsim ./cmd/civicrmsim

run: build
	@set -euo pipefail; \
	export CIVICRM_SITE_KEY="$${CIVICRM_SITE_KEY:-dev-$$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}"; \
	export CIVICRM_SIGN_KEYS="$${CIVICRM_SIGN_KEYS:-jwt-hs256:hkdf-sha256:$$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"; \
	echo "site key for this run: $$CIVICRM_SITE_KEY (set CIVICRM_SITE_KEY to choose it)"; \
	if [ -z "$${CIVICRM_UPSTREAM:-}" ]; then \
	  export CIVICRM_UPSTREAM=127.0.0.1:8081; \
	  echo "CIVICRM_UPSTREAM is unset: starting the CiviCRM simulator on $$CIVICRM_UPSTREAM"; \
	  bin/civicrmsim -listen "$$CIVICRM_UPSTREAM" & sim=$$!; \
	  trap 'kill $$sim 2>/dev/null' EXIT; \
	fi; \
	bin/civigate run --config Caddyfile.example --adapter caddyfile

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 20m ./...

# make reliability: Redis topologies started for real (plain, Sentinel, Cluster), two Civigate
# processes each, a master killed under load (RUNS times, default 3); writes the Reliability
# section of BENCHMARKS.md.
RUNS ?= 3
reliability:
	set -o pipefail; CIVIGATE_RELIABILITY_MD=$(CURDIR)/BENCHMARKS.md $(GO) test -count=$(RUNS) -timeout 30m -run '^TestRedisTopologies$$' -v ./tests/ | grep -E '^(---|ok|FAIL)|RELIABILITY'

# wrk against real processes on 127.0.0.1 (Civigate, a CiviCRM stub, a private
# redis-server, plain-Caddy baselines); prints one table and writes BENCHMARKS.md.
loadtest:
	$(GO) run ./tests/loadtest

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
FUZZTIME ?= 20s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

# A production Caddy built by xcaddy from the pins in xcaddy.toml.
caddy:
	tools/xcaddy-build.sh

clean:
	rm -rf bin
