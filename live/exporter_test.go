package live

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gauntletbench/gauntlet/metrics"
)

func encoded(t *testing.T, counts map[time.Duration]int) string {
	t.Helper()
	h := metrics.NewHistogram()
	for d, n := range counts {
		for range n {
			h.Record(d)
		}
	}
	s, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func gather(t *testing.T, x *Exporter) map[string][]*dto.Metric {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(x)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*dto.Metric{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf.GetMetric()
	}
	return out
}

// TestExporter feeds two seconds of a run and checks every figure against
// what was fed.
func TestExporter(t *testing.T) {
	t.Parallel()
	x := New()
	x.Observe([]any{
		metrics.Interval{Type: metrics.LineInterval, Variant: "go", T: 0, Request: "get", Requests: 100, Errors: 2,
			Classes: map[string]int64{"http_5xx": 2}, Latency: encoded(t, map[time.Duration]int{3 * time.Millisecond: 100}),
			Lag: encoded(t, map[time.Duration]int{50 * time.Microsecond: 100})},
		metrics.Readings{Type: metrics.LineReadings, Variant: "go", Owner: "api", Values: map[string]float64{"rss_bytes": 5e6, "cpu_seconds_total": 0.5}},
		metrics.FaultEvent{Type: metrics.LineFault, Variant: "go", Name: "slow", Kind: "latency", Target: "api", Event: "injected"},
	})
	x.Observe([]any{
		&metrics.Interval{Type: metrics.LineInterval, Variant: "go", T: 1, Request: "get", Requests: 10, Errors: 1,
			Classes: map[string]int64{"timeout": 1}, Latency: encoded(t, map[time.Duration]int{300 * time.Millisecond: 10})},
		metrics.Readings{Type: metrics.LineReadings, Variant: "go", Owner: "api", Values: map[string]float64{"rss_bytes": 7e6}},
	})
	x.SetInFlight("go", func() int64 { return 7 })
	m := gather(t, x)
	if v := m["gauntlet_requests_in_flight"][0].GetGauge().GetValue(); v != 7 {
		t.Errorf("in flight = %g; want the runner's 7", v)
	}
	if v := m["gauntlet_requests_total"][0].GetCounter().GetValue(); v != 110 {
		t.Errorf("requests_total = %g; want 110", v)
	}
	errs := map[string]float64{}
	for _, e := range m["gauntlet_request_errors_total"] {
		for _, l := range e.GetLabel() {
			if l.GetName() == "class" {
				errs[l.GetValue()] = e.GetCounter().GetValue()
			}
		}
	}
	if errs["http_5xx"] != 2 || errs["timeout"] != 1 || len(errs) != 2 {
		t.Errorf("errors by class = %v; want http_5xx 2, timeout 1", errs)
	}
	h := m["gauntlet_request_duration_seconds"][0].GetHistogram()
	cum := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		cum[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	if h.GetSampleCount() != 110 || cum[0.0025] != 0 || cum[0.005] != 100 || cum[0.25] != 100 || cum[0.5] != 110 {
		t.Errorf("latency histogram: count %d, buckets %v; want 110 with 100 ≤ 5 ms and 10 in (250, 500] ms", h.GetSampleCount(), cum)
	}
	// HDR keeps 3 significant digits: the sum is within 0.1 %.
	if s, want := h.GetSampleSum(), 100*0.003+10*0.3; s < want*0.999 || s > want*1.001 {
		t.Errorf("latency sum = %g s; want %g", s, want)
	}
	if lag := m["gauntlet_schedule_lag_seconds"][0].GetHistogram(); lag.GetSampleCount() != 100 {
		t.Errorf("schedule lag count = %d; want 100", lag.GetSampleCount())
	}
	if v := m["gauntlet_service_resident_memory_bytes"][0].GetGauge().GetValue(); v != 7e6 {
		t.Errorf("rss = %g; want the latest, 7e6", v)
	}
	if v := m["gauntlet_service_cpu_seconds_total"][0].GetCounter().GetValue(); v != 0.5 {
		t.Errorf("cpu = %g; want 0.5", v)
	}
	if v := m["gauntlet_faults_active"][0].GetGauge().GetValue(); v != 1 {
		t.Errorf("faults_active = %g; want 1", v)
	}
	x.Observe([]any{metrics.FaultEvent{Type: metrics.LineFault, Variant: "go", Name: "slow", Kind: "latency", Target: "api", Event: "reverted"}})
	if v := gather(t, x)["gauntlet_faults_active"][0].GetGauge().GetValue(); v != 0 {
		t.Errorf("faults_active after revert = %g; want 0", v)
	}
}
