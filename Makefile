# BizOS Hub. `make run` brings the whole stack up; `make test` runs every test.
SHELL := /bin/bash
export GOTOOLCHAIN ?= local
GO ?= go
BIN := bin/bizos
BIZOS_ADMIN_EMAIL ?= admin@bizos.local
BIZOS_ADMIN_PASSWORD ?= bizos-admin-123
export BIZOS_ADMIN_EMAIL BIZOS_ADMIN_PASSWORD
# scripts/portal.sh puts a Node.js toolchain here when the machine's is too old
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)

.PHONY: run test bench build portal portal-check services browser migrate lint clean

## run: install/start PostgreSQL and Redis if needed, build the portal and the binary, and run everything (`bizos dev`)
run: services portal build
	$(BIN) dev

## test: every test, against the real PostgreSQL, Redis and embedded Temporal; the portal's
## unit tests (Vitest) and its browser tests (Debian's Chromium, driven from cmd/bizos)
test: services browser
	bash scripts/promtool.sh
	bash scripts/portal.sh --require
	$(MAKE) portal-check
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...

## portal: build the web app into portal/dist/app (embedded by the next `make build`)
portal:
	bash scripts/portal.sh

## portal-check: type-check the portal and run its unit tests
portal-check:
	cd portal && npx tsc --noEmit -p . && npx vitest run

## browser: install Debian's Chromium for the portal's browser tests
browser:
	bash scripts/chromium.sh

## bench: performance figures and ratios measured side by side in one run
bench: services browser
	bash scripts/portal.sh --require
	$(GO) test -tags bench -run '^TestBench' -count=1 -timeout 20m -v ./cmd/bizos | grep -E '^(BENCH|---|ok|FAIL|PASS)|bench_test'
	$(GO) test -run '^$$' -bench . -benchtime 200000x ./rules/ | grep -E '^(Benchmark|ok|FAIL)'
	$(GO) test -run '^$$' -bench BenchmarkSpans -benchtime 50000x ./telemetry/ | grep -E '^(Benchmark|ok|FAIL)'
	$(GO) test -tags bench -run '^TestBenchKnowledgeSearch' -count=1 -timeout 30m -v ./knowledge/ | grep -E '^(BENCH|---|ok|FAIL)'

## build: the bizos binary (with whatever portal build portal/dist/app holds)
build:
	$(GO) build -o $(BIN) ./cmd/bizos

## services: install and start PostgreSQL and Redis when missing or stopped, and pgvector
## (knowledge search falls back to exact scoring without it; see docs/knowledge.md)
services:
	bash scripts/services.sh
	bash scripts/pgvector.sh || echo "pgvector could not be installed; knowledge search scores vectors without an index"

## migrate: apply database migrations
migrate: services build
	$(BIN) migrate

clean:
	rm -rf bin
