package metrics

import (
	"runtime"
	"testing"
	"time"
)

// faultRun builds a run of 20 one-second intervals at 100 req/s with 1 ms
// latency, where seconds [stallFrom, stallTo) have latency slow and errRate
// errors, and one fault event pair.
func faultRun(t *testing.T, stallFrom, stallTo int, slow time.Duration, errs int64, inject, revert float64) (*Header, *Run) {
	t.Helper()
	run := &Run{End: &RunEnd{DurationS: 20, Status: StatusCompleted}}
	for s := 0; s < 20; s++ {
		h := NewHistogram()
		lat := time.Millisecond
		iv := Interval{T: s, Request: "r", Requests: 100}
		if s >= stallFrom && s < stallTo {
			lat = slow
			iv.Errors = errs
		}
		for i := 0; i < 100; i++ {
			h.Record(lat)
		}
		enc, err := h.Encode()
		if err != nil {
			t.Fatal(err)
		}
		iv.Latency = enc
		run.Intervals = append(run.Intervals, iv)
	}
	run.Faults = []FaultEvent{
		{Name: "slow", Kind: "latency", Target: "api", Event: "injected", T: inject},
		{Name: "slow", Kind: "latency", Target: "api", Event: "reverted", T: revert},
	}
	return &Header{Stages: []Stage{{ForS: 20, Rate: 100}}}, run
}

func TestImpacts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		stallFrom, stallTo int
		inject, revert     float64
		wantTTR            float64 // ms; -1 = never
		wantDuringP50      float64
		wantFailed         int64
	}{
		{"recovers at revert", 5, 10, 5, 10, 0, 100, 50},
		{"slow tail after revert", 5, 13, 5, 10, 3000, 100, 50},
		{"never recovers", 5, 20, 5, 10, -1, 100, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, run := faultRun(t, tt.stallFrom, tt.stallTo, 100*time.Millisecond, 10, tt.inject, tt.revert)
			got, err := faultImpacts(h, run, DefaultRecovery)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("faultImpacts() = %d faults; want 1", len(got))
			}
			fi := got[0]
			if fi.Before.Requests != 500 || fi.Before.Latency.P50 < 1 || fi.Before.Latency.P50 > 1.001 {
				t.Errorf("before = %+v; want 500 requests at 1 ms", fi.Before)
			}
			if p50 := fi.During.Latency.P50; p50 < tt.wantDuringP50 || p50 > tt.wantDuringP50*1.001 || fi.Failed != tt.wantFailed {
				t.Errorf("during p50 %v failed %d; want %v, %d", fi.During.Latency.P50, fi.Failed, tt.wantDuringP50, tt.wantFailed)
			}
			switch {
			case tt.wantTTR < 0 && fi.TimeToRecoverMs != nil:
				t.Errorf("time to recover = %v; want none", *fi.TimeToRecoverMs)
			case tt.wantTTR >= 0 && (fi.TimeToRecoverMs == nil || *fi.TimeToRecoverMs != tt.wantTTR):
				t.Errorf("time to recover = %v; want %v ms", fi.TimeToRecoverMs, tt.wantTTR)
			}
		})
	}
}

func TestSeries(t *testing.T) {
	t.Parallel()
	s := Series{T: []float64{-1, 0.5, 1, 2, 3, 4}, V: []float64{10, 12, 15, 3, 8, 9}}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"peak over all", s.Peak(-10, 10), 15},
		{"peak in window", s.Peak(2, 4), 9},
		{"last before load", s.Last(0), 10},
		{"delta across a reset", s.Delta(0, 3), 2 + 3 + 3 + 5},
		{"delta from before the window", s.Delta(1, 4), 3 + 5 + 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v; want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestMeasureRunKeepsLittlePerSecond checks that what measureRun keeps of a
// run grows by a few hundred bytes per second of the run, not by a latency
// histogram or two (tens of KB each) per second: an hour's run must
// summarize in the memory of a minute's, give or take its record.
func TestMeasureRunKeepsLittlePerSecond(t *testing.T) { // not parallel: it measures the heap
	held := func(seconds int) uint64 {
		h, run := longRun(t, seconds)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		_, secs, _, err := measureRun(h, run, DefaultRecovery)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if len(secs) != seconds {
			t.Fatalf("%d seconds measured; want %d", len(secs), seconds)
		}
		runtime.KeepAlive(secs)
		return after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
	}
	short, long := held(60), held(3600)
	if perSecond := (long - min(long, short)) / (3600 - 60); perSecond > 4<<10 {
		t.Errorf("measureRun keeps %d bytes per second of a run (%d MB for an hour); want under 4 KB", perSecond, long>>20)
	}
}

// longRun is a run of seconds one-second intervals at 100 req/s, with a
// fault in its middle.
func longRun(t *testing.T, seconds int) (*Header, *Run) {
	t.Helper()
	h := NewHistogram()
	for i := range 100 {
		h.Record(time.Duration(1+i%7) * time.Millisecond)
	}
	enc, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	run := &Run{End: &RunEnd{DurationS: float64(seconds), Status: StatusCompleted}}
	for s := range seconds {
		run.Intervals = append(run.Intervals, Interval{T: s, Request: "r", Requests: 100, Latency: enc, Lag: enc})
	}
	mid := float64(seconds / 2)
	run.Faults = []FaultEvent{
		{Name: "slow", Kind: "latency", Target: "api", Event: "injected", T: mid},
		{Name: "slow", Kind: "latency", Target: "api", Event: "reverted", T: mid + 5},
	}
	return &Header{Stages: []Stage{{ForS: float64(seconds), Rate: 100}}}, run
}
