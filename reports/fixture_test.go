package reports

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gauntletbench/gauntlet/gates"
	"github.com/gauntletbench/gauntlet/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// epoch is the fixed wall clock of every fixture record.
var epoch = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// fixture describes a synthetic record: a seeded open-model run per variant
// written through the real metrics.Writer and metrics.Recorder.
type fixture struct {
	seed      uint64
	variants  []string
	seconds   int     // measured stages; a 2 s warm-up comes first
	rate      float64 // requests per second after the warm-up
	faults    bool    // a latency window and a kill, with their effect on latency and errors
	readings  bool    // probe readings per service
	interrupt string  // variant whose run is interrupted halfway
	crash     string  // variant whose inventory service exits unexpectedly at the end
	ths       []metrics.Threshold
}

var fixtureRequests = []string{"create-order", "get-order", "ping"}

// defaultThresholds has one passing and one failing threshold for the fixture,
// plus one scoped to a request.
var defaultThresholds = []metrics.Threshold{
	{Expr: "p99 < 250ms", Metric: "p99", Op: "<", Value: 250},
	{Expr: "error_rate < 1%", Metric: "error_rate", Op: "<", Value: 0.01},
	{Expr: "p99 < 5ms", Metric: "p99", Op: "<", Value: 5, Request: "ping"},
}

var (
	recordsMu sync.Mutex
	records   = map[string]*metrics.Record{}
)

// write builds the record under dir and returns it read back, with a fixed
// Path so reports that print it stay byte-stable. Records are built once per
// fixture and shared: reports only read them.
func (f fixture) write(tb testing.TB, dir string) *metrics.Record {
	tb.Helper()
	key := fmt.Sprintf("%#v", f)
	recordsMu.Lock()
	defer recordsMu.Unlock()
	if rec, ok := records[key]; ok {
		return rec
	}
	rec := f.build(tb, dir)
	records[key] = rec
	return rec
}

func (f fixture) build(tb testing.TB, dir string) *metrics.Record {
	tb.Helper()
	path := filepath.Join(dir, "record.ndjson")
	w, err := metrics.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	stages := []metrics.Stage{
		{StartS: 0, ForS: 2, Rate: f.rate / 5, Ramp: "step", Warmup: true},
		{StartS: 2, ForS: float64(f.seconds), Rate: f.rate, Ramp: "step"},
	}
	h := metrics.Header{
		Type: metrics.LineHeader, Format: metrics.RecordFormat, Scenario: "order-chain",
		Description: "Full-link test of the order chain, Go vs JVM, with a slow and a dead hop.",
		File:        "library:order-chain", RunID: "20261122T030000Z-abc123", GauntletVersion: "v0.1.0-test",
		GoVersion: "go1.26.8", StartedAt: epoch, Model: "open", Variants: f.variants, Requests: fixtureRequests,
		Host:   metrics.Host{Hostname: "bench-1", OS: "linux", Arch: "amd64", CPUs: 2, CPUModel: "Test CPU @ 2.0GHz", MemoryByte: 24 << 30},
		Stages: stages, Thresholds: f.ths, IntervalMs: 1000, Seed: int64(f.seed), TimeoutMs: 2000, MaxInFlight: 1000,
	}
	must(tb, w.Write(h))
	for vi, variant := range f.variants {
		f.writeRun(tb, w, h, vi, variant)
	}
	must(tb, w.Write(metrics.Trailer{Type: metrics.LineTrailer, End: epoch.Add(time.Hour), Status: metrics.StatusCompleted}))
	must(tb, w.Close())
	rec, err := metrics.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	rec.Path = "out/order-chain/record.ndjson"
	return rec
}

func (f fixture) writeRun(tb testing.TB, w *metrics.Writer, h metrics.Header, vi int, variant string) {
	rng := rand.New(rand.NewPCG(f.seed, uint64(vi)))
	start := epoch.Add(time.Duration(vi) * 10 * time.Minute)
	t0 := start.Add(300 * time.Millisecond)
	total := 2 + f.seconds
	interrupted := variant == f.interrupt
	if interrupted {
		total = 2 + f.seconds/2
	}
	slow := 1.0 + 2.5*float64(vi) // the second variant is slower
	services := []string{"gateway", "order", "inventory", "payment"}
	must(tb, w.Write(metrics.RunStart{Type: metrics.LineRun, Variant: variant, Start: start}))
	for si, svc := range services {
		ms := (12 + 3*float64(si)) * (1 + 14*float64(vi))
		must(tb, w.Write(
			metrics.ServiceEvent{Type: metrics.LineService, Variant: variant, Time: start, Service: svc, Kind: "started", PID: 1000 + si},
			metrics.ServiceEvent{Type: metrics.LineService, Variant: variant, Time: start.Add(time.Duration(ms * float64(time.Millisecond))),
				Service: svc, Kind: "ready", PID: 1000 + si, StartupMs: ms},
		))
	}
	must(tb, w.Write(metrics.LoadStart{Type: metrics.LineLoad, Variant: variant, Start: t0, PlannedS: float64(2 + f.seconds)}))

	slowFrom, slowTo := 2+float64(f.seconds)*0.3, 2+float64(f.seconds)*0.5
	killAt := 2 + float64(f.seconds)*0.7
	// The recorder's clock must never pass its t0 while it consumes, or it
	// would flush intervals by wall time: put t0 in the future.
	rec := metrics.NewRecorder(w, variant, fixtureRequests, len(h.Stages), time.Now().Add(24*time.Hour))
	var rs []metrics.Result
	for sec := 0; sec < total; sec++ {
		stage, rate := 1, f.rate
		if sec < 2 {
			stage, rate = 0, f.rate/5
		}
		n := int(rate)
		for i := 0; i < n; i++ {
			at := float64(sec) + float64(i)/rate
			req := uint16(rng.IntN(len(fixtureRequests)))
			lat := 0.4 * slow * math.Exp(0.5*rng.NormFloat64()) // ms, lognormal
			if rng.Float64() < 0.002 {
				lat *= 40 // a GC pause or a slow path: a real tail
			}
			class, code := metrics.OK, uint16(200)
			if f.faults && at >= slowFrom && at < slowTo && req == 0 {
				lat += 100 + 20*rng.Float64()
			}
			if f.faults && at >= killAt && at < killAt+2 && req == 0 {
				switch rng.IntN(3) {
				case 0:
					class, code, lat = metrics.ConnRefused, 0, 0.2
				default:
					class, code = metrics.HTTP5xx, 503
				}
			}
			if f.faults && rng.Float64() < 0.0005 {
				class, code = metrics.Timeout, 0
				lat = 2000
			}
			intended := time.Duration(at * float64(time.Second))
			lag := time.Duration((0.05 + 0.05*rng.Float64()) * float64(time.Millisecond))
			rs = append(rs, metrics.Result{
				Intended: intended, Sent: intended + lag, End: intended + lag + time.Duration(lat*float64(time.Millisecond)),
				Request: req, Stage: uint16(stage), Code: code, Class: class, BytesIn: 120, BytesOut: 40,
			})
		}
	}
	// Responses reach the recorder in the order they end, as in a real run.
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].End < rs[j].End })
	results := metrics.NewSink()
	buf := results.Buffer()
	for _, r := range rs {
		buf.Put(r)
	}
	buf.Close()
	done := make(chan struct{})
	close(done)
	must(tb, rec.Consume(results, done))

	if f.readings {
		cpu := make([]float64, len(services))
		for sec := -1; sec <= total; sec++ {
			for si, svc := range services {
				load := 1.0
				if sec < 0 {
					load = 0
				}
				cpu[si] += load * (0.05 + 0.02*float64(si)) * slow
				rss := (8 + 2*float64(si) + 0.05*float64(max(sec, 0))) * (1 + 5*float64(vi)) * 1e6
				must(tb, w.Write(metrics.Readings{Type: metrics.LineReadings, Variant: variant,
					Time: t0.Add(time.Duration(sec) * time.Second), T: float64(sec), Owner: svc,
					Values: map[string]float64{"rss_bytes": rss, "cpu_seconds_total": cpu[si], "threads": float64(6 + 20*vi + si)}}))
			}
		}
	}
	if f.faults {
		ev := func(t float64, name, kind, target, event string) metrics.FaultEvent {
			return metrics.FaultEvent{Type: metrics.LineFault, Variant: variant,
				Time: t0.Add(time.Duration(t * float64(time.Second))), T: t, Name: name, Kind: kind, Target: target, Event: event}
		}
		must(tb, w.Write(
			ev(slowFrom, "slow-inventory", "latency", "inventory", "injected"),
			ev(slowTo, "slow-inventory", "latency", "inventory", "reverted"),
			ev(killAt, "kill-payment", "kill", "payment", "injected"),
			ev(killAt+2, "kill-payment", "kill", "payment", "reverted"),
		))
	}
	if variant == f.crash {
		must(tb, w.Write(metrics.ServiceEvent{Type: metrics.LineService, Variant: variant, Time: t0.Add(time.Duration(total) * time.Second),
			Service: "inventory", Kind: "exited", PID: 1002, Signal: "SIGSEGV", Unexpected: true}))
	}
	status := metrics.StatusCompleted
	if interrupted {
		status = metrics.StatusInterrupted
	}
	end := t0.Add(time.Duration(total) * time.Second)
	must(tb, w.Write(metrics.RunEnd{Type: metrics.LineRunEnd, Variant: variant, End: end, DurationS: float64(total), Status: status}))
}

// summary is Summarize plus gates.Check, as the CLI does it.
func summary(tb testing.TB, rec *metrics.Record) *metrics.Summary {
	tb.Helper()
	s, err := metrics.Summarize(rec)
	if err != nil {
		tb.Fatal(err)
	}
	gates.Check(s, rec.Header.Thresholds)
	return s
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// golden compares got with testdata/<name>, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports/ -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; diff:\n%s\n(rerun with -update if the change is intended)", name, lineDiff(string(want), string(got)))
	}
}

func lineDiff(want, got string) string {
	return cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n"))
}
