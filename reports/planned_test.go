package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// hugeRecord is a run planned for a million hours and interrupted after five
// seconds; lateT, when > 0, adds one interval claiming to end at that second.
func hugeRecord(t *testing.T, lateT int) *metrics.Record {
	t.Helper()
	h := metrics.NewHistogram()
	for i := range 100 {
		h.Record(time.Duration(1+i) * time.Millisecond)
	}
	lat, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	planned := (1_000_000 * time.Hour).Seconds()
	lines := []any{
		metrics.Header{Type: metrics.LineHeader, Format: metrics.RecordFormat, Scenario: "huge", StartedAt: epoch, Model: "open",
			Requests: []string{"ping"}, Stages: []metrics.Stage{{ForS: planned, Rate: 100, Kind: "open"}}, IntervalMs: 1000},
		metrics.RunStart{Type: metrics.LineRun, Variant: "v", Start: epoch},
		metrics.LoadStart{Type: metrics.LineLoad, Variant: "v", Start: epoch, PlannedS: planned},
	}
	for s := range 5 {
		lines = append(lines, metrics.Interval{Type: metrics.LineInterval, Variant: "v", T: s, Request: "ping", Requests: 100, Latency: lat, Service: lat, Lag: lat})
	}
	if lateT > 0 {
		lines = append(lines, metrics.Interval{Type: metrics.LineInterval, Variant: "v", T: lateT, Request: "ping", Requests: 100, Latency: lat, Service: lat, Lag: lat})
	}
	lines = append(lines,
		metrics.RunEnd{Type: metrics.LineRunEnd, Variant: "v", End: epoch.Add(5 * time.Second), DurationS: 5, Status: metrics.StatusInterrupted},
		metrics.Trailer{Type: metrics.LineTrailer, End: epoch.Add(5 * time.Second), Status: metrics.StatusInterrupted})
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := metrics.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// The report of a run costs what the run recorded, not what it planned: a
// million hours planned and five seconds run, or one interval claiming to be
// 10^8 seconds late, render every report in well under 100 MB of allocation.
func TestReportsCostWhatHappened(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lateT int
	}{{"planned 1000000h, ran 5s", 0}, {"an interval at t=1e8 s", 100_000_000}} {
		t.Run(tt.name, func(t *testing.T) {
			rec := hugeRecord(t, tt.lateT)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			done := make(chan error, 1)
			go func() {
				s, err := metrics.Summarize(rec)
				if err == nil {
					err = HTML(io.Discard, rec, s)
				}
				if err == nil {
					err = Text(io.Discard, s)
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("rendering still running after 60s")
			}
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
				t.Errorf("rendering allocated %d MB; want < 100 MB", alloc>>20)
			}
		})
	}
}
