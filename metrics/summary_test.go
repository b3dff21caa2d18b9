package metrics

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestSummaryPercentilesOfAKnownDistribution records latencies whose
// quantiles are known exactly and checks the summary's percentiles against
// them, through a real Recorder, the record file and Summarize.
func TestSummaryPercentilesOfAKnownDistribution(t *testing.T) {
	t.Parallel()
	const n = 20000
	tests := []struct {
		name string
		// lat is the latency of the request of rank k (0 ≤ k < n) in
		// ascending order; quantile q is lat(⌈q·n⌉−1).
		lat      func(k int) time.Duration
		quantile func(q float64) float64 // ms
	}{
		{"uniform 50µs..1s",
			func(k int) time.Duration { return time.Duration(k+1) * 50 * time.Microsecond },
			func(q float64) float64 { return q * n * 0.05 }},
		{"exponential, mean 20ms",
			func(k int) time.Duration {
				return time.Duration(-20 * float64(time.Millisecond) * math.Log(1-(float64(k)+0.5)/n))
			},
			func(q float64) float64 { return -20 * math.Log(1-(q*n-0.5)/n) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The ranks are sent in a scrambled order over 4 s, so the
			// quantiles come from merging interval histograms.
			results := make([]Result, 0, n)
			for i := range n {
				k := i * 7919 % n // 7919 is prime, so this visits every rank once
				at := time.Duration(i) * 4 * time.Second / n
				results = append(results, Result{Intended: at, Sent: at, End: at + tt.lat(k), Request: uint16(i % 2), Code: 200})
			}
			rs := summarizeOne(t, []Stage{{ForS: 5, Rate: n / 5}}, results)
			if rs.Requests != n {
				t.Fatalf("requests = %d; want %d", rs.Requests, n)
			}
			for _, p := range []struct {
				name string
				q    float64
				got  float64
			}{{"p50", 0.5, rs.Latency.P50}, {"p90", 0.9, rs.Latency.P90}, {"p99", 0.99, rs.Latency.P99}, {"p99.9", 0.999, rs.Latency.P999}} {
				// HDR histograms at three significant digits: within 0.1%.
				if want := tt.quantile(p.q); math.Abs(p.got-want) > 0.001*want {
					t.Errorf("%s = %.4f ms; want %.4f ms ± 0.1%%", p.name, p.got, want)
				}
			}
			if want := ms(tt.lat(n - 1)); math.Abs(rs.Latency.Max-want) > 0.001*want {
				t.Errorf("max = %.4f ms; want %.4f ms", rs.Latency.Max, want)
			}
			// Every request left on time: service time is the latency, and
			// the schedule lag is nil (1 µs, the histograms' floor).
			if rs.ServiceTime != rs.Latency || rs.ScheduleLag.Max > 0.001 {
				t.Errorf("service time %+v, schedule lag %+v; want the latency's and none", rs.ServiceTime, rs.ScheduleLag)
			}
		})
	}
}

// TestClampedSurvivesTheRecord checks that latencies beyond the histograms'
// one-hour range are counted in the record and warned about.
func TestClampedSurvivesTheRecord(t *testing.T) {
	t.Parallel()
	var results []Result
	for i := range 100 {
		at := time.Duration(i) * 10 * time.Millisecond
		lat := time.Millisecond
		if i%40 == 0 { // three requests
			lat = 90 * time.Minute
		}
		results = append(results, Result{Intended: at, Sent: at, End: at + lat, Code: 200})
	}
	rs := summarizeOne(t, []Stage{{ForS: 1, Rate: 100}}, results)
	want := "3 latencies exceeded one hour and were recorded as one hour"
	if !strings.Contains(strings.Join(rs.Warnings, "\n"), want) {
		t.Errorf("warnings %q; want %q", rs.Warnings, want)
	}
	if hour := float64(time.Hour / time.Millisecond); math.Abs(rs.Latency.Max-hour) > 0.001*hour {
		t.Errorf("max = %v ms; want one hour (%v ms) at histogram precision", rs.Latency.Max, hour)
	}
}

func TestHistogramMergeKeepsClamped(t *testing.T) {
	t.Parallel()
	a, b := NewHistogram(), NewHistogram()
	a.Record(2 * time.Hour)
	a.Record(time.Second)
	b.Record(3 * time.Hour)
	b.Merge(a)
	if b.Clamped != 2 || b.Count() != 3 {
		t.Errorf("after Merge: Clamped %d, Count %d; want 2, 3", b.Clamped, b.Count())
	}
}

// summarizeOne records results through a real Recorder and returns the
// summary of the record file's only run.
func summarizeOne(t *testing.T, stages []Stage, results []Result) RunSummary {
	t.Helper()
	rec, err := ReadFile(writeRecord(t, stages, results, true))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(rec)
	if err != nil {
		t.Fatal(err)
	}
	return s.Runs[0]
}

// TestRateIsOverTheTimeTheRequestsTookToSend: a plan's requests sent late,
// after the window they were due in, make a rate over the time it took to
// send them; requests sent on time stay a rate over the window, however long
// their answers take.
func TestRateIsOverTheTimeTheRequestsTookToSend(t *testing.T) {
	t.Parallel()
	const n = 2000 // due evenly over 2 s
	tests := []struct {
		name string
		sent func(i int, due time.Duration) time.Duration
		end  func(sent time.Duration) time.Duration
		rps  float64
	}{
		{"on time", func(_ int, due time.Duration) time.Duration { return due },
			func(s time.Duration) time.Duration { return s + time.Millisecond }, 1000},
		{"on time, answered after 10 s", func(_ int, due time.Duration) time.Duration { return due },
			func(s time.Duration) time.Duration { return s + 10*time.Second }, 1000},
		// The generator fell behind: the requests left evenly from 0 to 12 s.
		{"sent over 12 s", func(i int, _ time.Duration) time.Duration { return time.Duration(i+1) * 12 * time.Second / n },
			func(s time.Duration) time.Duration { return s + time.Millisecond }, n / 12.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var results []Result
			for i := range n {
				due := time.Duration(i) * 2 * time.Second / n
				sent := max(tt.sent(i, due), due)
				results = append(results, Result{Intended: due, Sent: sent, End: tt.end(sent), Code: 200})
			}
			rs := summarizeOne(t, []Stage{{ForS: 2, Rate: n / 2}}, results)
			// The longest lag is read from an HDR histogram: within 0.1 %.
			if math.Abs(rs.RPS-tt.rps) > 0.002*tt.rps || math.Abs(rs.PlanAchievedRPS-tt.rps) > 0.002*tt.rps {
				t.Errorf("rps %.2f, plan achieved %.2f; want %.2f", rs.RPS, rs.PlanAchievedRPS, tt.rps)
			}
		})
	}
}

// TestStealIsWarnedAbout: a run whose host lent a noticeable share of its CPU
// time to other virtual machines says so; one with a little steal does not.
func TestStealIsWarnedAbout(t *testing.T) {
	t.Parallel()
	h := &Header{Stages: []Stage{{ForS: 4, Rate: 100}}}
	for _, tt := range []struct {
		steal []float64 // one reading a second
		want  bool
	}{
		{[]float64{0, 0.01, 0.02, 0.01}, false},
		{[]float64{0.02, 0.30, 0.05, 0.03}, true}, // mean 10 %
		{nil, false},
	} {
		run := &Run{End: &RunEnd{DurationS: 4}}
		for i, v := range tt.steal {
			run.Readings = append(run.Readings, Readings{T: float64(i + 1), Owner: OwnerHost, Values: map[string]float64{"host_cpu_steal_ratio": v}})
		}
		w := warnings(h, run, &RunSummary{Status: StatusCompleted}, newMerged(), 0, 4)
		if got := strings.Contains(strings.Join(w, "\n"), "(steal)"); got != tt.want {
			t.Errorf("steal %v: warnings %q; want a steal warning %v", tt.steal, w, tt.want)
		}
	}
}
