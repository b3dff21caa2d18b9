package metrics

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestShutdownObserve(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	signal := 1000 * ms
	results := []Result{
		{Sent: 900 * ms, End: 950 * ms, Class: OK},            // done before the signal
		{Sent: 980 * ms, End: 1030 * ms, Class: OK},           // in flight, answered
		{Sent: 990 * ms, End: 1000 * ms, Class: OK},           // ends at the signal: in flight
		{Sent: 995 * ms, End: 1010 * ms, Class: ConnReset},    // in flight, failed
		{Sent: 999 * ms, End: 1200 * ms, Class: HTTP5xx},      // in flight, failed
		{Sent: 999 * ms, End: 1100 * ms, Class: Canceled},     // the run was interrupted: not counted
		{Sent: 1000 * ms, End: 1001 * ms, Class: ConnRefused}, // after: refused
		{Sent: 1100 * ms, End: 1101 * ms, Class: ConnRefused}, // after: refused
		{Sent: 1100 * ms, End: 1102 * ms, Class: ConnReset},   // after: reset
		{Sent: 1100 * ms, End: 1150 * ms, Class: OK},          // after, answered
		{Sent: 1100 * ms, End: 3100 * ms, Class: Timeout},     // after, neither refused nor reset
		{Intended: 1100 * ms, End: 4000 * ms, Class: Dropped}, // never sent
	}
	var s Shutdown
	for i := range results {
		s.Observe(&results[i], signal)
	}
	want := Shutdown{InFlight: 4, Failed: 2, FailedByClass: map[string]int64{"connection_reset": 1, "http_5xx": 1},
		Refused: 2, Reset: 1}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Observe (-want +got):\n%s", diff)
	}
}

func TestShutdownImpactJoinsTheExit(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	run := &Run{
		Shutdowns: []Shutdown{
			{Fault: "stop", Service: "api", T: 2, Time: t0.Add(2 * time.Second), InFlight: 20, Failed: 1, Refused: 7},
			{Fault: "stop", Service: "api", T: 6, Time: t0.Add(6 * time.Second), InFlight: 9},
		},
		Services: []ServiceEvent{
			{Service: "api", Kind: "exited", Time: t0.Add(1 * time.Second), ExitCode: 1}, // before the signal
			{Service: "db", Kind: "exited", Time: t0.Add(2100 * time.Millisecond)},       // another service
			{Service: "api", Kind: "ready", Time: t0.Add(2200 * time.Millisecond)},
			{Service: "api", Kind: "exited", Time: t0.Add(2250 * time.Millisecond), ExitCode: 0},
			{Service: "api", Kind: "exited", Time: t0.Add(6500 * time.Millisecond), ExitCode: -1, Signal: "killed"},
		},
	}
	first := shutdownImpact(run, "stop", 2.01)
	if first == nil || first.InFlight != 20 || first.Failed != 1 || first.Refused != 7 ||
		first.ExitMs == nil || *first.ExitMs != 250 || *first.ExitCode != 0 || first.ExitSignal != "" {
		t.Errorf("first signal: %+v; want 20 in flight, 1 failed, 7 refused, exit 0 after 250 ms", first)
	}
	second := shutdownImpact(run, "stop", 5.98)
	if second == nil || second.InFlight != 9 || second.ExitMs == nil || *second.ExitMs != 500 || second.ExitSignal != "killed" {
		t.Errorf("second signal: %+v; want 9 in flight, ended by a signal after 500 ms", second)
	}
	if got := shutdownImpact(run, "other", 2); got != nil {
		t.Errorf("a fault without a shutdown line: %+v; want nil", got)
	}
	run.Services = nil
	if got := shutdownImpact(run, "stop", 2); got == nil || got.ExitMs != nil || got.ExitCode != nil {
		t.Errorf("no exit seen: %+v; want counts without exit figures", got)
	}
}
