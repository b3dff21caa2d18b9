package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

func loadSpec(t *testing.T, src string) *scenarios.Spec {
	t.Helper()
	file := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := scenarios.Load(file)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return spec
}

const mixedScenario = `name: mixed
services:
  api: {url: "http://127.0.0.1:9"}
load:
  stages:
    - {for: 1s, rate: 100}
    - {for: 1s, concurrency: 10}
    - {for: 1s, idle_connections: {count: 100, service: api}}
requests:
  - url: "${api}/ping"
faults:
  - {at: 0s, for: 1s, latency: {service: api, delay: 1ms}}
thresholds:
  - p99 < 1s
  - {expr: "error_rate < 5%", window: faults}
  - time_to_recover < 5s
`

// TestSegmentSplitsThePlan checks each segment's share of a plan with an
// open, a closed and an idle-connections stage: the shares add up to the
// plan, and only segment 1 keeps the faults.
func TestSegmentSplitsThePlan(t *testing.T) {
	t.Parallel()
	const n = 3
	var requests uint64
	var workers, conns int
	for i := 1; i <= n; i++ {
		spec := loadSpec(t, mixedScenario)
		p, err := newPlan(spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		run, err := p.segmented(metrics.Segment{Index: i, Count: n})
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.runner(DefaultVariant, map[string]string{"api": "http://127.0.0.1:9"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ph, ok := r.(*runners.Phased)
		if !ok || len(ph.Segments) != 3 {
			t.Fatalf("runner %T; want a phased runner of 3 parts", r)
		}
		requests += ph.Segments[0].Runner.(*runners.Open).Pacer.Total()
		workers += ph.Segments[1].Runner.(*runners.Closed).Stages[0].Concurrency
		conns += ph.Segments[2].Runner.(*runners.Idle).Count

		h := p.header("test")
		if h.Segment == nil || h.Segment.Index != i || h.Segment.Count != n {
			t.Errorf("segment %d: header segment %+v; want %d/%d", i, h.Segment, i, n)
		}
		if h.Stages[1].Concurrency != 10 || h.Stages[2].IdleConnections != 100 {
			t.Errorf("segment %d: header stages %+v; want the scenario's whole plan", i, h.Stages)
		}
		wantFaults, wantThresholds := 1, 3
		if i > 1 {
			wantFaults, wantThresholds = 0, 1
		}
		if len(run.Faults) != wantFaults || len(p.faultWindows) != wantFaults || h.Segment.FaultsSkipped != (i > 1) {
			t.Errorf("segment %d: %d faults, %d fault windows, faults_skipped %v; want %d, %d, %v",
				i, len(run.Faults), len(p.faultWindows), h.Segment.FaultsSkipped, wantFaults, wantFaults, i > 1)
		}
		if len(h.Thresholds) != wantThresholds {
			t.Errorf("segment %d: thresholds %+v; want %d (those judging faults only where faults run)", i, h.Thresholds, wantThresholds)
		}
		if len(spec.Faults) != 1 {
			t.Errorf("segment %d: the scenario itself lost its faults", i)
		}
	}
	if requests != 100 || workers != 10 || conns != 100 {
		t.Errorf("segments together: %d requests, %d workers, %d idle connections; want 100, 10, 100", requests, workers, conns)
	}
}

func TestSegmentOfASearchIsRefused(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t, `name: s
services:
  api: {url: "http://127.0.0.1:9"}
load:
  model: search
  search: {slo: {p99: 50ms}}
requests:
  - url: "${api}/ping"
`)
	_, err := Run(t.Context(), spec, Options{OutDir: t.TempDir(), Segment: metrics.Segment{Index: 1, Count: 2}})
	if !errors.Is(err, ErrSegmentSearch) {
		t.Errorf("Run(search, segment 1/2) = %v; want ErrSegmentSearch", err)
	}
}

// TestClosedSegmentsShareIterations runs both halves of a closed plan with
// an iteration cap: together they run exactly the cap.
func TestClosedSegmentsShareIterations(t *testing.T) {
	t.Parallel()
	srv := sleepServer(t)
	src := `name: closed-seg
services:
  api: {url: "${URL}"}
load:
  model: closed
  stages: [{for: 5s, concurrency: 3}]
  iterations: 9
requests:
  - url: "${api}/sleep?ms=1"
`
	var total int64
	for i := 1; i <= 2; i++ {
		s, rec := runScenario(t, src, srv.URL, Options{Segment: metrics.Segment{Index: i, Count: 2}})
		total += s.Runs[0].Requests
		if rec.Header.Segment == nil || rec.Header.Segment.Index != i || s.Segment == nil {
			t.Errorf("segment %d: header %+v, summary %+v; want the segment in both", i, rec.Header.Segment, s.Segment)
		}
		if !strings.Contains(strings.Join(s.Runs[0].Warnings, "\n"), "this generator's share only") {
			t.Errorf("segment %d: warnings %q; want one saying the figures are a share", i, s.Runs[0].Warnings)
		}
	}
	if total != 9 {
		t.Errorf("segments ran %d iterations together; want the cap, 9", total)
	}
}
