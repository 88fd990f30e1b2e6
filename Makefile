# perfadvisor — see README.md. `make run` and `make test` are the two commands a
# fresh machine needs; everything else is installed by scripts/install-deps.sh.
SHELL        := /bin/bash
GO           ?= go
OCB_VERSION  := v0.165.0
GOBIN        := $(shell $(GO) env GOPATH)/bin
BUILDER      := $(GOBIN)/builder
COLLECTOR    := _build/otelcol-perfadvisor
FEATURE_GATES := --feature-gates=service.profilesSupport
CLI          := bin/perfadvisor

.PHONY: all deps build cli run test unit vet e2e fuzz bench grade clean load soak flood

all: cli build

## deps: Debian packages and tools the tests need (idempotent)
deps:
	./scripts/install-deps.sh

## cli: the offline analyzer
cli:
	$(GO) build -o $(CLI) ./cmd/perfadvisor

$(BUILDER):
	$(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

## build: the ocb-built collector with perfadvisor in it
build: $(BUILDER)
	$(BUILDER) --config=builder-config.yaml

## run: build the collector and run it on config.example.yaml with the demo feeder
run: build
	./scripts/run-demo.sh

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

## e2e: end-to-end tests against the ocb-built collector (and Prometheus/Alertmanager)
e2e: build
	PERFADVISOR_COLLECTOR=$(abspath $(COLLECTOR)) $(GO) test -count=1 -tags e2e -timeout 30m ./test/e2e/...

## test: the README's test command (CI runs exactly this)
test: deps vet unit e2e

grade: cli
	python3 ../shared/eval/grade.py --bin $(CLI)

clean:
	rm -rf _build bin

# ---------------------------------------------------------------------------
# Measuring (docs/performance.md). None of these is part of `make test`.

# The collector binary, rebuilt when a source it is built from changed.
COLLECTOR_SRCS := $(shell find processor receiver internal -name '*.go' -not -name '*_test.go' 2>/dev/null) builder-config.yaml go.mod go.sum
$(COLLECTOR): $(COLLECTOR_SRCS) | $(BUILDER)
	$(BUILDER) --config=builder-config.yaml

LOAD       := $(GO) run ./cmd/perfadvisor-load -collector $(COLLECTOR)
# The warm-up outlasts the first 60 s window: the analysis budget learns each
# service's rate from it, and a collector lives in the windows after.
LOAD_FLAGS ?= -services 10 -rate 200 -warmup 75s -duration 30s -rounds 3

## load: two collectors (with and without perfadvisor) on the same OTLP load; CPU and RSS ratios (~5.5 min)
load: $(COLLECTOR)
	$(LOAD) -mode paired $(LOAD_FLAGS)

SOAK_FLAGS  ?= -services 100 -rate 200 -duration 10m -soak-max-growth-mb 16
FLOOD_FLAGS ?= -flood-services 100000 -flood-batch 200 -flood-max-rss-mb 512

## soak: 10 min at constant cardinality (RSS slope of the second half, bounded), then the floods
soak: $(COLLECTOR)
	$(LOAD) -mode soak $(SOAK_FLAGS)
	$(LOAD) -mode flood $(FLOOD_FLAGS)

## flood: only the floods of `make soak`: 100,000 services, versions and windows, 20,000 rule-raising services, each against its caps
flood: $(COLLECTOR)
	$(LOAD) -mode flood $(FLOOD_FLAGS)

BENCH_PKGS  := ./internal/attribution/ ./internal/pprofconv/ ./processor/perfadvisor/ ./internal/fleet/ ./receiver/pyroscope/
BENCH_COUNT ?= 6
BENCHSTAT   := $(GOBIN)/benchstat

## bench: engine benchmarks into bench/current.txt, compared with bench/baseline.txt when it exists
bench:
	@mkdir -p bench
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) $(BENCH_PKGS) | tee bench/current.txt
	@test -x $(BENCHSTAT) || $(GO) install golang.org/x/perf/cmd/benchstat@latest
	@if [ -f bench/baseline.txt ]; then $(BENCHSTAT) bench/baseline.txt bench/current.txt; \
	else echo "no bench/baseline.txt: cp bench/current.txt bench/baseline.txt to record one"; fi

FUZZTIME ?= 10m

## fuzz: every Fuzz target in the repository for FUZZTIME each, one after another; stops at the first failure
fuzz:
	@set -e; \
	for f in $$(grep -rl --include='*_test.go' --exclude-dir=_build --exclude-dir=.cache '^func Fuzz' . | sort); do \
	  d=$$(dirname $$f); \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "== $$t in $$d for $(FUZZTIME)"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$d || { echo "FAIL: $$t in $$d"; exit 1; }; \
	  done; \
	done; echo "fuzz: every target ran $(FUZZTIME) without a failure"
