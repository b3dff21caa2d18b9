package metrics

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hopRun builds a run whose order service reports its calls to payment at times ts (seconds
// since load start), with the fault proxy in front of payment reading proxied requests.
func hopRun(ts []float64, calls, attempts, openS, opened, proxied []float64) *Run {
	run := &Run{}
	for i, t := range ts {
		run.Readings = append(run.Readings, Readings{Owner: "order", T: t, Values: map[string]float64{
			ReadingCalls + "/payment":         calls[i],
			ReadingAttempts + "/payment":      attempts[i],
			ReadingBreakerOpen + "/payment":   openS[i],
			ReadingBreakerOpened + "/payment": opened[i],
			ReadingAttemptMax + "/payment":    0.25,
			ReadingTimeout + "/payment":       2,
		}})
		if proxied != nil {
			run.Readings = append(run.Readings, Readings{Owner: ProxyOwner("payment"), T: t,
				Values: map[string]float64{ReadingProxyRequests: proxied[i]}})
		}
	}
	return run
}

func TestHops(t *testing.T) {
	t.Parallel()
	ts := []float64{-0.5, 1, 2, 3, 4, 5, 6}
	// 100 calls a second; warm traffic before the load is not counted. The breaker opens
	// between 2 and 3 s and refuses calls for 2.5 s; while open, calls send nothing.
	run := hopRun(ts,
		[]float64{50, 150, 250, 350, 450, 550, 650},
		[]float64{50, 150, 250, 262, 262, 300, 400},
		[]float64{0, 0, 0, 0.7, 1.7, 2.5, 2.5},
		[]float64{0, 0, 0, 1, 1, 1, 1},
		[]float64{60, 160, 260, 272, 272, 310, 410})
	held := true
	received := 350.0
	want := []Hop{{Caller: "order", Dependency: "payment", Calls: 600, Attempts: 350, Received: &received,
		RetryAmplification: 350.0 / 600, BreakerOpened: 1, BreakerOpenS: 2.5,
		BreakerOpen: []Span{{FromS: 2, ToS: 5}}, AttemptMaxMs: 250, TimeoutMs: 2000, TimeoutsHeld: &held}}
	if diff := cmp.Diff(want, hops(run)); diff != "" {
		t.Errorf("hops mismatch (-want +got):\n%s", diff)
	}

	// A fault from 2.5 to 4.5 s counts from the last reading before it (2 s) to the last
	// before its revert (4 s); an instant one at 5.5 s to the end of the run.
	faults := []FaultImpact{{Name: "flaky", InjectedAt: 2.5, RevertedAt: 4.5}, {Name: "kill", InjectedAt: 5.5, RevertedAt: 5.5}}
	faultHops(run, faults)
	got := [][2]float64{{faults[0].Hops[0].Calls, faults[0].Hops[0].Attempts}, {faults[1].Hops[0].Calls, faults[1].Hops[0].Attempts}}
	if want := [][2]float64{{200, 12}, {100, 100}}; !cmp.Equal(got, want) {
		t.Errorf("fault hops calls, attempts = %v; want %v", got, want)
	}
	if o := faults[0].Hops[0].BreakerOpenS; math.Abs(o-1.7) > 1e-9 {
		t.Errorf("flaky fault breaker open = %v s; want 1.7", o)
	}
}

func TestHopAcrossACallerRestart(t *testing.T) {
	t.Parallel()
	// The caller restarted between 2 and 3 s: its counters start again from zero, and the
	// growth after the restart counts from there.
	run := hopRun([]float64{-1, 2, 3, 4},
		[]float64{0, 200, 50, 150},
		[]float64{0, 300, 60, 160},
		[]float64{0, 1, 0.5, 0.5},
		[]float64{0, 2, 1, 1},
		nil)
	h := hops(run)[0]
	if h.Calls != 350 || h.Attempts != 460 || h.BreakerOpenS != 1.5 || h.BreakerOpened != 3 || h.Received != nil {
		t.Errorf("hop across a restart = %+v; want 350 calls, 460 attempts, opened 3×, 1.5 s open, no proxy count", h)
	}
	if want := []Span{{-1, 3}}; !cmp.Equal(h.BreakerOpen, want) {
		t.Errorf("open spans = %v; want %v", h.BreakerOpen, want)
	}
}

func TestTimeoutsHeld(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		maxS float64
		held bool
	}{{2, true}, {2.3, true}, {2.31, false}, {4, false}} {
		run := hopRun([]float64{0, 1}, []float64{0, 1}, []float64{0, 1}, []float64{0, 0}, []float64{0, 0}, nil)
		run.Readings[1].Values[ReadingAttemptMax+"/payment"] = tt.maxS
		if h := hops(run)[0]; h.TimeoutsHeld == nil || *h.TimeoutsHeld != tt.held {
			t.Errorf("slowest attempt %v s of a 2 s timeout: held = %v; want %v (slack 300 ms)", tt.maxS, h.TimeoutsHeld, tt.held)
		}
	}
}

func TestNoHopsWithoutDependencyReadings(t *testing.T) {
	t.Parallel()
	run := &Run{Readings: []Readings{{Owner: "api", T: 1, Values: map[string]float64{"goroutines": 7}}}}
	faults := []FaultImpact{{Name: "f", InjectedAt: 1, RevertedAt: 2}}
	faultHops(run, faults)
	if h := hops(run); h != nil || faults[0].Hops != nil {
		t.Errorf("hops = %v, fault hops = %v; want none", h, faults[0].Hops)
	}
}
