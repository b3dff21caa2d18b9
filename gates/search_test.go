package gates

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// searchProbe is one probe of a synthetic capacity search: 2 s at rate,
// every request taking lat after a schedule lag of lag.
type searchProbe struct {
	rate     float64
	lat, lag time.Duration
	capped   bool
}

// searchRecord is the record of a capacity search whose probes ran back to
// back, 2 s each, without warm-up: probe k is stage 2k+1, seconds 2k and 2k+1.
func searchRecord(t *testing.T, probes ...searchProbe) *metrics.Record {
	t.Helper()
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	plan := &metrics.SearchPlan{StartRPS: 100, MaxRPS: 1000, ProbeS: 2, Growth: 2, Precision: 0.05, MaxProbes: 10,
		SLOP99Ms: 50, SLOErrorRate: 0.01, MaxLagMs: 10, MaxGeneratorCPU: 0.95}
	h := metrics.Header{Type: metrics.LineHeader, Format: metrics.RecordFormat, Scenario: "search", RunID: "s", Model: "search",
		StartedAt: t0, Requests: []string{"get"}, IntervalMs: 1000, Search: plan, MaxInFlight: 100}
	dur := float64(2 * len(probes))
	run := &metrics.Run{
		Start: metrics.RunStart{Type: metrics.LineRun, Variant: "default", Start: t0},
		Load:  &metrics.LoadStart{Type: metrics.LineLoad, Variant: "default", Start: t0},
		End:   &metrics.RunEnd{Type: metrics.LineRunEnd, Variant: "default", End: t0.Add(time.Duration(dur) * time.Second), DurationS: dur, Status: metrics.StatusCompleted},
		Notes: []metrics.Note{{Type: metrics.LineNote, Variant: "default", T: dur, Kind: metrics.NoteSearchStopped, Text: metrics.SearchConverged}},
	}
	enc := func(d time.Duration, n int) string {
		h := metrics.NewHistogram()
		for range n {
			h.Record(d)
		}
		s, err := h.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for k, p := range probes {
		n := int(p.rate) // per second
		run.Probes = append(run.Probes, metrics.Probe{Type: metrics.LineProbe, Variant: "default", Index: k, OfferedRPS: p.rate,
			StartS: float64(2 * k), ForS: 2, WarmupStage: 2 * k, Stage: 2*k + 1, GeneratorCPU: 0.3, InFlightCapped: p.capped})
		for s := range 2 {
			run.Intervals = append(run.Intervals, metrics.Interval{Type: metrics.LineInterval, Variant: "default", T: 2*k + s,
				Request: "get", Stage: 2*k + 1, Requests: int64(n), Codes: map[string]int64{"200": int64(n)},
				Latency: enc(p.lat, n), Service: enc(p.lat-p.lag, n), Lag: enc(p.lag, n)})
		}
	}
	return &metrics.Record{Header: h, Runs: []*metrics.Run{run}}
}

// TestSearchJudgedAtTheRateFound: a capacity search's request figures and
// thresholds are those of the probe at the rate found, not pooled over
// probes of different rates (which would give a p99 of no probe), and its
// schedule-lag warning names each late probe with its own lag.
func TestSearchJudgedAtTheRateFound(t *testing.T) {
	t.Parallel()
	p99 := func(ms float64) metrics.Threshold {
		return metrics.Threshold{Expr: "p99 < " + strconv.FormatFloat(ms, 'f', -1, 64) + "ms", Metric: "p99", Op: "<", Value: ms}
	}
	lag := metrics.Threshold{Expr: "schedule_lag < 5ms", Metric: "schedule_lag", Op: "<", Value: 5}
	rps := metrics.Threshold{Expr: "rps >= 190", Metric: "rps", Op: ">=", Value: 190}
	t.Run("found", func(t *testing.T) {
		t.Parallel()
		// Probe 2 (200/s, 2 ms) is the rate found; probe 3 (400/s) queued
		// at the target (in flight capped): 200 ms, lag 30 ms.
		rec := searchRecord(t,
			searchProbe{rate: 100, lat: 8 * time.Millisecond, lag: 7 * time.Millisecond},
			searchProbe{rate: 200, lat: 2 * time.Millisecond, lag: time.Millisecond},
			searchProbe{rate: 400, lat: 200 * time.Millisecond, lag: 30 * time.Millisecond, capped: true})
		s, err := metrics.Summarize(rec)
		if err != nil {
			t.Fatal(err)
		}
		rs := &s.Runs[0]
		if rs.Search == nil || rs.Search.MaxRate != 200 || rs.Search.Found != 2 {
			t.Fatalf("search = %+v; want max rate 200 found by probe 2", rs.Search)
		}
		if rs.DurationS != 6 {
			t.Errorf("DurationS = %.1f; want the whole search's 6 s", rs.DurationS)
		}
		if rs.Requests != 400 || rs.RPS != 200 || math.Abs(rs.Latency.P99-2) > 0.01 || math.Abs(rs.ScheduleLag.P99-1) > 0.01 {
			t.Errorf("run figures: %d requests, %.1f req/s, p99 %.2f ms, lag p99 %.2f ms; want probe 2's: 400, 200, 2, 1",
				rs.Requests, rs.RPS, rs.Latency.P99, rs.ScheduleLag.P99)
		}
		Check(s, []metrics.Threshold{p99(10), lag, rps})
		for _, r := range rs.Thresholds {
			if !r.Pass {
				t.Errorf("%s: %+v; want it judged on probe 2 and passed (pooled over probes it fails)", r.Expr, r)
			}
		}
		var late []string
		for _, w := range rs.Warnings {
			if strings.Contains(w, "left late") {
				late = append(late, w)
			}
		}
		if len(late) != 1 || !strings.Contains(late[0], "probe 1 (100 req/s: 7.0 ms), probe 3 (400 req/s: 30.0 ms)") {
			t.Errorf("lag warnings = %q; want one naming probes 1 and 3 with their own lag", late)
		}
	})
	t.Run("none found", func(t *testing.T) {
		t.Parallel()
		rec := searchRecord(t, searchProbe{rate: 100, lat: 90 * time.Millisecond, lag: time.Millisecond})
		s, err := metrics.Summarize(rec)
		if err != nil {
			t.Fatal(err)
		}
		Check(s, []metrics.Threshold{p99(100), lag})
		for _, r := range s.Runs[0].Thresholds {
			if r.Pass || !strings.Contains(r.Error, "no probe of the capacity search met its SLO") {
				t.Errorf("%s: %+v; want it failed: no rate found to judge it at", r.Expr, r)
			}
		}
	})
}
