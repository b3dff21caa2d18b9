package metrics

import (
	"math"
	"testing"
	"time"
)

// TestFaultWindowsTakeTheIntervalsWhoseMiddleIsInside checks which seconds
// each fault window counts when faults start and end mid-second, act in a
// moment, or follow one another: an interval belongs to a window when its
// middle (t + 0.5 s) falls inside [from, to). Second t of the run has
// 100 + t requests and t errors, so a window's counts name its seconds.
func TestFaultWindowsTakeTheIntervalsWhoseMiddleIsInside(t *testing.T) {
	t.Parallel()
	type span struct {
		name, kind     string
		inject, revert float64 // revert < 0: instant, no revert event
	}
	type want struct{ before, during, after []int }
	tests := []struct {
		name   string
		faults []span
		want   []want
	}{
		{"fractional, middles outside the ends",
			[]span{{"slow", "latency", 4.6, 7.4}},
			[]want{{before: seq(0, 4), during: seq(5, 6), after: seq(7, 19)}}},
		{"fractional, middles inside the ends",
			[]span{{"slow", "latency", 4.4, 7.6}},
			[]want{{before: seq(0, 3), during: seq(4, 7), after: seq(8, 19)}}},
		{"whole seconds",
			[]span{{"slow", "latency", 5, 10}},
			[]want{{before: seq(0, 4), during: seq(5, 9), after: seq(10, 19)}}},
		{"a before-window shorter than the run so far",
			[]span{{"slow", "latency", 12.3, 13.9}},
			[]want{{before: seq(2, 11), during: seq(12, 13), after: seq(14, 19)}}},
		{"instant fault",
			[]span{{"boom", "kill", 8.3, -1}},
			[]want{{before: seq(0, 7), during: nil, after: seq(8, 19)}}},
		{"back to back",
			[]span{{"first", "latency", 3.2, 6.7}, {"second", "pause", 6.7, 9.5}},
			[]want{
				{before: seq(0, 2), during: seq(3, 6), after: nil},
				{before: nil, during: seq(7, 8), after: seq(9, 19)},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := &Run{End: &RunEnd{DurationS: 20, Status: StatusCompleted}}
			for s := range 20 {
				h := NewHistogram()
				for range 100 + s {
					h.Record(time.Millisecond)
				}
				enc, err := h.Encode()
				if err != nil {
					t.Fatal(err)
				}
				run.Intervals = append(run.Intervals, Interval{T: s, Request: "r", Requests: int64(100 + s), Errors: int64(s),
					Classes: map[string]int64{"http_5xx": int64(s)}, Latency: enc})
			}
			for _, f := range tt.faults {
				run.Faults = append(run.Faults, FaultEvent{Name: f.name, Kind: f.kind, Event: "injected", T: f.inject})
				if f.revert >= 0 {
					run.Faults = append(run.Faults, FaultEvent{Name: f.name, Kind: f.kind, Event: "reverted", T: f.revert})
				}
			}
			got, err := faultImpacts(&Header{Stages: []Stage{{ForS: 20, Rate: 100}}}, run, DefaultRecovery)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("faultImpacts() = %d faults; want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				fi := got[i]
				for _, c := range []struct {
					name string
					got  Window
					secs []int
				}{{"before", fi.Before, w.before}, {"during", fi.During, w.during}, {"after", fi.After, w.after}} {
					var req, errs int64
					for _, s := range c.secs {
						req += int64(100 + s)
						errs += int64(s)
					}
					if c.got.Requests != req || c.got.Errors != errs {
						t.Errorf("%s: %s window [%v, %v) has %d requests, %d errors; want seconds %v: %d, %d",
							fi.Name, c.name, c.got.FromS, c.got.ToS, c.got.Requests, c.got.Errors, c.secs, req, errs)
					}
					if d := c.got.ToS - c.got.FromS; d > 0 && math.Abs(c.got.RPS-float64(req)/d) > 1e-9 {
						t.Errorf("%s: %s rps = %v; want %d requests / %v s", fi.Name, c.name, c.got.RPS, req, d)
					}
				}
				// A window fault's failures are those during it; an instant
				// fault's, those after it.
				wantFailed := fi.During.Errors
				if tt.faults[i].revert < 0 {
					wantFailed = fi.After.Errors
				}
				if fi.Failed != wantFailed || fi.FailedByClass["http_5xx"] != wantFailed {
					t.Errorf("%s: failed %d (%v); want %d", fi.Name, fi.Failed, fi.FailedByClass, wantFailed)
				}
			}
		})
	}
}

// seq returns the seconds from through to.
func seq(from, to int) []int {
	var out []int
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}
