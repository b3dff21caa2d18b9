# gauntlet — build, run, test, bench.
#   make run    build what the default scenario needs and run it
#   make kube   build bin/gauntlet-kube (Kubernetes and Chaos Mesh support)
#   make test   install what the tests need, build everything, gofmt and vet (the Kubernetes layer: make test-kube), run every test (with -race where it can)
#   make bench  the bench/ scripts (wrk, vegeta and gauntlet on one target)
#   make mutants  plant known bugs one at a time; each must fail a test
#   make fuzz   fuzz the scenario decoder, the record reader and the histogram decoder (FUZZTIME=10m in all)
#   make proto  regenerate baselines/chainpb from chain.proto (nothing else needs protoc)

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.buildVersion=$(VERSION)
SCENARIO ?= go-jvm-python

export CGO_ENABLED ?= 0

.PHONY: test-prep test-compile test-packages fmt vet vet-kube race-build all build build-go build-gauntlet build-baseline-go build-std build-jvm build-python kube tools-run run test test-race-kube mutants check bench fuzz clean proto

all: build

build: build-go build-jvm build-python kube

build-go: build-gauntlet build-baseline-go

build-gauntlet:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/gauntlet ./cmd/gauntlet

build-baseline-go:
	$(GO) build -o bin/baseline-go ./baselines/go

# The larger parts of the standard library gauntlet imports (from go list
# -deps ./cmd/gauntlet), compiled into the build cache without downloading a
# module: make run does this while gauntlet's modules download. A package
# left off the list is only compiled later, with gauntlet.
STD_WARM := net/http net/http/httputil encoding/gob encoding/json encoding/xml encoding/csv html/template \
	image/png image/gif image/jpeg image/draw compress/zlib expvar os/exec os/user runtime/pprof database/sql

build-std:
	$(GO) build $(STD_WARM)

# gauntlet-kube is the same CLI with Kubernetes and Chaos Mesh linked in; gauntlet
# hands the commands that need them over to it. Its ~60 modules cost a cold build
# about 1 min 40 s, so make run (whose scenario needs none of it) does not build it.
kube:
	$(GO) build -tags kubernetes -ldflags "$(LDFLAGS)" -o bin/gauntlet-kube ./cmd/gauntlet

# The JVM baseline needs javac; without it the JVM variant is skipped at run time.
build-jvm: tools-run
	@if command -v javac >/dev/null 2>&1 && [ -f baselines/jvm/build.sh ]; then \
		bash baselines/jvm/build.sh bin/baseline-jvm.jar; \
	else echo "build: javac not found or no JVM baseline; skipping bin/baseline-jvm.jar"; fi

# The Python baseline is a zip app of its sources; without python3 the Python variant is
# skipped at run time.
build-python: tools-run
	@if command -v python3 >/dev/null 2>&1; then bash baselines/python/build.sh bin/baseline-python.pyz; \
	else echo "build: python3 not found; skipping bin/baseline-python.pyz"; fi

# One recipe, not two targets: two package installs at once would contend for
# apt's lock.
tools-run:
	@bash scripts/ensure-tools.sh jdk || echo "run: continuing without a JDK; the JVM variant will be skipped"
	@bash scripts/ensure-tools.sh python || echo "run: continuing without the Python packages; the Python variant will be skipped"

test-packages:
	bash scripts/ensure-tools.sh jdk chromium nginx prometheus jsonschema python

# fortio's gRPC ping server is the gRPC test's target (a server gauntlet did not write);
# its version is pinned in bench/tools/go.mod, built once and kept in bin/.
bin/fortio: bench/tools/go.mod bench/tools/go.sum
	cd bench/tools && CGO_ENABLED=0 $(GO) build -o ../../bin/fortio fortio.org/fortio

# A failed threshold (exit 3) is a finding of the run, not a failure of make run.
# On a new machine most of the build is gauntlet's: downloading its modules
# (about 20 s, the CPUs idle), then compiling them and the standard library.
# The standard library (build-std) and the JVM baseline compile meanwhile, and
# each baseline's tools are checked (and installed if missing). The Go
# baseline builds last: its modules are gauntlet's, by then compiled.
run:
	@$(MAKE) --no-print-directory -j4 build-gauntlet build-std build-jvm build-python
	@$(MAKE) --no-print-directory build-baseline-go
	./bin/gauntlet run $(SCENARIO) || [ $$? -eq 3 ]

# -race needs cgo; tests build the binaries they run themselves, but for
# cmd/gauntlet's, which make test's own builds in bin/ serve. The two
# Kubernetes packages run without -race here: instrumenting client-go,
# controller-runtime and the Chaos Mesh API costs 4 minutes of a cold build on
# two cores; `make test-race-kube` runs them with it.
KUBE_PKGS := ./chaos/chaosmesh ./kube
RACE_PKGS = ./cmd/gauntlet $(shell $(GO) list ./... | grep -v -e /chaos/chaosmesh -e /kube$$ -e /cmd/gauntlet$$)

# go vet compiles every dependency of what it checks and type-checks it a
# second time for its facts, and a change of build tags redoes all of that.
# make test vets every package but the Kubernetes layer, untagged, in one run
# and after the builds, so that it finds them compiled. vet-kube vets that
# layer (chaos/chaosmesh, kube, and cmd/gauntlet with the tag that links
# them): client-go and the Kubernetes API types alone cost a cold vet a
# minute, so make test-kube runs it, not make test.
check: fmt vet vet-kube

fmt:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

VET      = $(GO) vet $(RACE_PKGS)
VET_KUBE := $(GO) vet -tags kubernetes ./cmd/gauntlet $(KUBE_PKGS)

vet: build-go
	$(VET)

vet-kube: kube
	$(VET_KUBE)

# The -race build of every package make test runs with -race, compiled while
# the other preparations run, so that the test step finds it done.
race-build:
	CGO_ENABLED=1 $(GO) build -race $$($(GO) list -f '{{if .GoFiles}}{{.ImportPath}}{{end}}' $(RACE_PKGS))

# Figures a -race build cannot measure, tested without it, one package at a
# time so that none measures while another keeps the CPUs busy: the capacity
# search's accuracy, the open model's schedule lag, a fault's measured impact
# and time to recover, the second a pause's stall lands in, and the gate on
# real runs. With them, the tests that render whole reports: drawing charts
# is one goroutine's work, which -race makes 15 times slower (the browser
# tests are not even built with -race, so neither is chromedp).
NORACE_TESTS := TestSearchFindsKnownCapacity|TestOpenKeepsTheSchedule|TestOpenLatencyIsLagPlusServiceTimeThroughAStall|TestFaultImpactIsMeasured|TestPauseShowsInItsWindow|TestGateOnRealRuns|TestHTMLInBrowser|TestBrowserHarnessCatches|TestHTMLDeterministic|TestHTMLSelfContained|TestCompareHTML|TestCompareTextGolden|TestWriteSampleReport

# The gate's statistical tests: -race finds nothing in the gates package (it
# starts no goroutine) and slows them some twentyfold, so they
# skip under it and run here without it.
GATE_STATS := TestRegressErrorRates|TestRegressSameServerIsUnchanged|TestRegressSlowerHandlerRegresses|TestRegressPoolsRecordsAndJudgesSingleValuesByEffect

# make test prepares in parallel, its CPUs busy throughout: the tools, the
# builds, vet and the -race build. Then the -race tests, the longest-running
# package first; then, side by side, the Kubernetes packages' unit tests and
# the gate's statistical tests, with its error rates over 300 synthetic
# trials (they measure no time and need no -race); last, the figures above.
# go vet has checked every package but the Kubernetes layer by then (make
# test-kube vets that), so go test's own vet is off.
test:
	@$(MAKE) --no-print-directory -j4 test-prep
	CGO_ENABLED=1 GAUNTLET_TEST_BIN=$(CURDIR)/bin $(GO) test -race -vet=off -count=1 -timeout 9m $(RACE_PKGS)
	@echo '$(GO) test -vet=off -count=1 -timeout 5m $(KUBE_PKGS) & $(GO) test -vet=off -count=1 -run ^($(GATE_STATS))$$ ./gates'
	@$(GO) test -vet=off -count=1 -timeout 5m $(KUBE_PKGS) & kube=$$!; \
	$(GO) test -vet=off -count=1 -timeout 5m -run '^($(GATE_STATS))$$' ./gates; gates=$$?; \
	wait $$kube && [ $$gates -eq 0 ]
	GAUNTLET_TEST_BIN=$(CURDIR)/bin $(GO) test -vet=off -count=1 -p 1 -timeout 9m -run '^($(NORACE_TESTS))$$' ./engine ./runners ./cmd/gauntlet ./reports

test-prep: test-packages build-jvm build-python fmt race-build test-compile

# Two go commands at once compile the packages they share twice over: the
# build cache only holds what a finished compile wrote. So make test's
# non-race builds run one after another, gauntlet's first, and the ones
# after it (fortio's, gauntlet-kube's) compile only what they add; go vet
# then finds every package compiled (vet's own prerequisites are these
# builds, so it runs here without them). The -race build shares nothing
# with them and runs beside them.
test-compile:
	@$(MAKE) --no-print-directory build-gauntlet
	@$(MAKE) --no-print-directory build-baseline-go bin/fortio kube
	$(VET)

# Plant known bugs in the measurement core one at a time and run the tests
# that must catch each (scripts/mutants); fails when one goes uncaught.
mutants:
	$(GO) run ./scripts/mutants

test-race-kube:
	CGO_ENABLED=1 $(GO) test -race -count=1 $(KUBE_PKGS)

# The real-server tests (build tag kubeapi). kube-apiserver, etcd, controller-gen,
# kwok and chaos-controller-manager are built from the pinned modules in
# tools/kube (one module each, so their Kubernetes versions stay their own and
# gauntlet's go.mod gains nothing) into bin/kube, and rebuilt only when their
# go.mod changes; the CRDs are regenerated when go.mod changes. Nothing is
# downloaded while the tests run.
KUBE_ASSETS  := bin/kube
KUBE_VERSION := v1.35.4
KUBE_VERSION_PKG := k8s.io/component-base/version
KUBE_TOOLS   := $(addprefix $(KUBE_ASSETS)/,kube-apiserver etcd controller-gen kwok chaos-controller-manager)

.PHONY: test-kube kube-assets

kube-assets: $(KUBE_TOOLS) $(KUBE_ASSETS)/crd/.stamp

$(KUBE_ASSETS)/kube-apiserver: tools/kube/apiserver/go.mod tools/kube/apiserver/go.sum
	cd tools/kube/apiserver && $(GO) build -trimpath -ldflags "-s -w -X $(KUBE_VERSION_PKG).gitVersion=$(KUBE_VERSION) -X $(KUBE_VERSION_PKG).gitMajor=1 -X $(KUBE_VERSION_PKG).gitMinor=35" -o $(CURDIR)/$@ k8s.io/kubernetes/cmd/kube-apiserver

$(KUBE_ASSETS)/etcd: tools/kube/etcd/go.mod tools/kube/etcd/go.sum
	cd tools/kube/etcd && $(GO) build -trimpath -ldflags "-s -w" -o $(CURDIR)/$@ go.etcd.io/etcd/server/v3

$(KUBE_ASSETS)/controller-gen: tools/kube/controller-gen/go.mod tools/kube/controller-gen/go.sum
	cd tools/kube/controller-gen && $(GO) build -trimpath -ldflags "-s -w" -o $(CURDIR)/$@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(KUBE_ASSETS)/kwok: tools/kube/kwok/go.mod tools/kube/kwok/go.sum
	cd tools/kube/kwok && $(GO) build -trimpath -ldflags "-s -w" -o $(CURDIR)/$@ sigs.k8s.io/kwok/cmd/kwok

$(KUBE_ASSETS)/chaos-controller-manager: tools/kube/chaos-mesh/go.mod tools/kube/chaos-mesh/go.sum
	cd tools/kube/chaos-mesh && $(GO) build -trimpath -ldflags "-s -w" -o $(CURDIR)/$@ github.com/chaos-mesh/chaos-mesh/cmd/chaos-controller-manager

$(KUBE_ASSETS)/crd/.stamp: go.mod tools/kube/chaos-mesh/go.mod scripts/kube-crds.sh $(KUBE_ASSETS)/controller-gen
	GO=$(GO) bash scripts/kube-crds.sh $(KUBE_ASSETS)/controller-gen $(KUBE_ASSETS)/crd
	touch $@

test-kube: kube-assets vet-kube
	KUBEBUILDER_ASSETS=$(CURDIR)/$(KUBE_ASSETS) GAUNTLET_KUBE_ASSETS=$(CURDIR)/$(KUBE_ASSETS) \
		$(GO) test -tags kubeapi -count=1 -timeout 15m -run '^TestKubeAPI' ./chaos/chaosmesh ./cmd/gauntlet

bench: build
	bash bench/run.sh

# make test runs the fuzz targets' seeds and committed corpus (testdata/fuzz)
# as normal tests; this fuzzes for FUZZTIME, split between the three targets,
# each input within 1 GiB, and adds what it finds to the corpus.
FUZZTIME ?= 10m
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# The order chain's gRPC code is generated once and checked in, so building and testing need
# no protoc. This regenerates it with protoc from Debian's protobuf-compiler (3.21.12 made the
# files in the tree) and the plugins at pinned versions.
PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
proto:
	@command -v protoc >/dev/null || apt-get install -y protobuf-compiler
	GOBIN=$(CURDIR)/bin/proto $(GO) install $(PROTOC_GEN_GO)
	GOBIN=$(CURDIR)/bin/proto $(GO) install $(PROTOC_GEN_GO_GRPC)
	cd baselines/chainpb && PATH=$(CURDIR)/bin/proto:$$PATH protoc --go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative chain.proto

clean:
	rm -rf bin out
