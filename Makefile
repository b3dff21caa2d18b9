# gauntlet — build, run, test, bench.
#   make run    build everything and run the embedded default scenario
#   make test   format and vet checks, then the whole test suite with -race
#   make bench  the bench/ scripts (wrk, vegeta and gauntlet on one target)

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.buildVersion=$(VERSION)
SCENARIO ?= quickstart

export CGO_ENABLED ?= 0

.PHONY: all build run test check bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/gauntlet ./cmd/gauntlet
	$(GO) build -o bin/baseline-go ./baselines/go

run: build
	./bin/gauntlet run $(SCENARIO)

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# -race needs cgo; the tests build their own binaries where they need them.
test: build check
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 8m ./...

bench: build
	bash bench/run.sh

clean:
	rm -rf bin out
