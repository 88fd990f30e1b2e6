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

.PHONY: all deps build cli run test unit vet e2e fuzz bench grade clean

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
