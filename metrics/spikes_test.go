package metrics

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// spikeRun is a 20 s run at 100 req/s and 1 ms, with the given seconds at
// other latencies.
func spikeRun(t *testing.T, slow map[int]time.Duration) (*Header, *Run) {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run := &Run{Load: &LoadStart{Start: start}, End: &RunEnd{DurationS: 20, Status: StatusCompleted}}
	for s := range 20 {
		h := NewHistogram()
		lat := time.Millisecond
		if d, ok := slow[s]; ok {
			lat = d
		}
		for range 100 {
			h.Record(lat)
		}
		enc, err := h.Encode()
		if err != nil {
			t.Fatal(err)
		}
		run.Intervals = append(run.Intervals, Interval{T: s, Request: "r", Requests: 100, Latency: enc})
	}
	return &Header{Host: Host{CPUs: 2}, Stages: []Stage{{ForS: 20, Rate: 100}}}, run
}

func TestFindSpikes(t *testing.T) {
	t.Parallel()
	h, run := spikeRun(t, map[int]time.Duration{
		5: 20 * time.Millisecond, 8: 100 * time.Millisecond, 12: 50 * time.Millisecond,
		15: 30 * time.Millisecond, 17: 2 * time.Millisecond,
	})
	start := run.Load.Start
	at := func(s float64) time.Time { return start.Add(time.Duration(s * float64(time.Second))) }
	run.Faults = []FaultEvent{{Name: "crash", Kind: "kill", Target: "api", Event: "injected", T: 8.2, Time: at(8.2)}}
	run.Services = []ServiceEvent{
		{Service: "api", Kind: "exited", Fault: "crash", Time: at(8.25), Signal: "killed"},
		{Service: "api", Kind: "ready", Fault: "crash", Time: at(10.3)},
	}
	for i := range 20 {
		ts := float64(i) + 0.5
		pause := 0.0005 * float64(i) // 0.5 ms a second
		if i >= 12 {
			pause += 0.040 // 40 ms between 11.5 and 12.5
		}
		host := 0.5
		if i == 5 {
			host = 0.99
		}
		run.Readings = append(run.Readings,
			Readings{Owner: "api", T: ts, Values: map[string]float64{"gc_pause_seconds_total": pause, "gc_collections_total": float64(i), "goroutines": 10, "cpu_seconds_total": 0.1 * ts}},
			Readings{Owner: OwnerHost, T: ts, Values: map[string]float64{"host_cpu_utilization_ratio": host}})
	}
	rec := &Record{Header: *h, Runs: []*Run{run}}
	s, err := Summarize(rec)
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Runs[0]
	if rs.TypicalP99Ms < 1 || rs.TypicalP99Ms > 1.001 {
		t.Errorf("typical p99 = %v ms; want 1", rs.TypicalP99Ms)
	}
	want := []struct {
		t      float64
		p99    float64
		causes []string
	}{
		{5, 20, []string{"host CPU saturated (99 %)"}},
		{8, 100, []string{"fault crash (kill on api) at 8.2 s", "service api killed by fault crash at 8.2 s"}},
		{12, 50, []string{"GC pause in api: 41 ms paused in 2 collections"}},
		{15, 30, []string{noCauseSeen}},
	}
	if len(rs.Spikes) != len(want) {
		t.Fatalf("spikes = %+v; want %d (not second 17: 2 ms is under 3× typical)", rs.Spikes, len(want))
	}
	for i, w := range want {
		got := rs.Spikes[i]
		if got.T != w.t || got.P99Ms < w.p99 || got.P99Ms > w.p99*1.001 {
			t.Errorf("spike %d = t %v p99 %v; want t %v p99 %v", i, got.T, got.P99Ms, w.t, w.p99)
		}
		for _, c := range w.causes {
			if !slices.Contains(got.Causes, c) {
				t.Errorf("spike at %v s causes = %q; want %q among them", got.T, got.Causes, c)
			}
		}
		if w.causes[0] == noCauseSeen && len(got.Causes) != 1 {
			t.Errorf("spike at %v s causes = %q; want only %q", got.T, got.Causes, noCauseSeen)
		}
	}
	// The restart at 10.3 s is not near any spike; the kill is not at 5 s.
	for _, sp := range rs.Spikes {
		if sp.T != 8 && strings.Contains(strings.Join(sp.Causes, ";"), "crash") {
			t.Errorf("spike at %v s blames the kill: %q", sp.T, sp.Causes)
		}
	}
}
