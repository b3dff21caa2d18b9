package gates

import (
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
)

func ptr(v float64) *float64 { return &v }

// fixture is a run summary holding every figure a threshold can name.
func fixture() metrics.RunSummary {
	lat := metrics.Percentiles{P50: 2, P90: 4, P95: 5, P99: 9, P999: 20, P9999: 40, Max: 50, Mean: 2.5}
	return metrics.RunSummary{
		Variant: "go", Status: metrics.StatusCompleted, Requests: 1000, Errors: 20, RPS: 100, Latency: lat,
		ScheduleLag:   metrics.Percentiles{P99: 1.5},
		ErrorsByClass: map[string]int64{"timeout": 15, "http_5xx": 5},
		StatusCodes:   map[string]int64{"200": 980, "503": 3, "500": 2},
		ByRequest: []metrics.RequestSummary{
			{Name: "ping", Requests: 600, Errors: 0, RPS: 60, Latency: metrics.Percentiles{P99: 3},
				ErrorsByClass: map[string]int64{}, StatusCodes: map[string]int64{"200": 600}},
			{Name: "order", Requests: 400, Errors: 20, RPS: 40, Latency: metrics.Percentiles{P99: 12},
				ErrorsByClass: map[string]int64{"timeout": 15, "http_5xx": 5}, StatusCodes: map[string]int64{"200": 380, "503": 3}},
		},
		Services: map[string]metrics.ServiceSummary{
			"api": {StartupMs: 22, PID: 10, RSSIdleBytes: 7 << 20, RSSPeakBytes: 30 << 20, CPUSeconds: 1, CPUMsPer1kRequests: 12,
				ThreadsPeak: 9, Tagged: 990, Received: 1000},
			"db": {StartupMs: 200, PID: 11, RSSIdleBytes: 46 << 20, RSSPeakBytes: 250 << 20, CPUSeconds: 2, CPUMsPer1kRequests: 30,
				ThreadsPeak: 40, Tagged: 500, Received: 1000},
			"remote": {Tagged: -1, Received: -1},
		},
		Faults: []metrics.FaultImpact{
			{Name: "slow", Before: metrics.Window{Requests: 300, Errors: 0, RPS: 100, Latency: metrics.Percentiles{P99: 8}},
				During: metrics.Window{Requests: 200, Errors: 10, RPS: 95, Latency: metrics.Percentiles{P99: 120}}, TimeToRecoverMs: ptr(800)},
			{Name: "kill", Before: metrics.Window{Requests: 300, Errors: 3, RPS: 100, Latency: metrics.Percentiles{P99: 10}},
				During: metrics.Window{Requests: 100, Errors: 40, RPS: 60, Latency: metrics.Percentiles{P99: 30}}, TimeToRecoverMs: ptr(2500)},
		},
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		th    metrics.Threshold
		value float64
		unit  string
		pass  bool
	}{
		{metrics.Threshold{Metric: "p99", Op: "<", Value: 10}, 9, "ms", true},
		{metrics.Threshold{Metric: "p99.9", Op: "<", Value: 10}, 20, "ms", false},
		{metrics.Threshold{Metric: "mean", Op: "<=", Value: 2.5}, 2.5, "ms", true},
		{metrics.Threshold{Metric: "p99", Op: "<", Value: 5, Request: "ping"}, 3, "ms", true},
		{metrics.Threshold{Metric: "rps", Op: ">=", Value: 50, Request: "order"}, 40, "req/s", false},
		{metrics.Threshold{Metric: "error_rate", Op: "<", Value: 0.01}, 0.02, "ratio", false},
		{metrics.Threshold{Metric: "errors", Op: "<", Value: 1, Request: "ping"}, 0, "count", true},
		{metrics.Threshold{Metric: "errors.timeout", Op: "<", Value: 10}, 15, "count", false},
		{metrics.Threshold{Metric: "error_rate.http_5xx", Op: "<", Value: 0.01}, 0.005, "ratio", true},
		{metrics.Threshold{Metric: "status.5xx", Op: "<", Value: 5}, 5, "count", false},
		{metrics.Threshold{Metric: "status.503", Op: "<", Value: 5, Request: "order"}, 3, "count", true},
		{metrics.Threshold{Metric: "status_rate.2xx", Op: ">", Value: 0.97}, 0.98, "ratio", true},
		{metrics.Threshold{Metric: "schedule_lag", Op: "<", Value: 1}, 1.5, "ms", false},
		{metrics.Threshold{Metric: "startup_ms", Op: "<", Value: 100, Service: "api"}, 22, "ms", true},
		// Without a service: every started service must pass; the worst shows.
		{metrics.Threshold{Metric: "startup_ms", Op: "<", Value: 100}, 200, "ms", false},
		{metrics.Threshold{Metric: "rss_peak", Op: "<", Value: 300 << 20}, 250 << 20, "bytes", true},
		{metrics.Threshold{Metric: "rss_idle", Op: "<", Value: 10 << 20, Service: "api"}, 7 << 20, "bytes", true},
		{metrics.Threshold{Metric: "cpu_per_1k", Op: "<", Value: 20}, 30, "ms", false},
		{metrics.Threshold{Metric: "threads_peak", Op: "<=", Value: 40}, 40, "threads", true},
		{metrics.Threshold{Metric: "tag_coverage", Op: ">=", Value: 0.99, Service: "api"}, 0.99, "ratio", true},
		{metrics.Threshold{Metric: "time_to_recover", Op: "<", Value: 1000}, 2500, "ms", false},
		{metrics.Threshold{Metric: "time_to_recover", Op: "<", Value: 1000, Window: "fault:slow"}, 800, "ms", true},
		// faults: every during-window must pass, so the worst one decides.
		{metrics.Threshold{Metric: "error_rate", Op: "<", Value: 0.1, Window: "faults"}, 0.4, "ratio", false},
		{metrics.Threshold{Metric: "p99", Op: "<", Value: 100, Window: "faults"}, 120, "ms", false},
		{metrics.Threshold{Metric: "rps", Op: ">", Value: 50, Window: "faults"}, 60, "req/s", true},
		{metrics.Threshold{Metric: "p99", Op: "<", Value: 20, Window: "steady"}, 10, "ms", true},
		{metrics.Threshold{Metric: "error_rate", Op: "<", Value: 0.5, Window: "fault:kill"}, 0.4, "ratio", true},
	}
	rs := fixture()
	for _, tt := range tests {
		got := Evaluate(&rs, tt.th)
		if got.Error != "" || got.Pass != tt.pass || got.Unit != tt.unit || got.Value < tt.value*0.999 || got.Value > tt.value*1.001+1e-12 {
			t.Errorf("Evaluate(%+v) = %+v; want value %g %s, pass %v", tt.th, got, tt.value, tt.unit, tt.pass)
		}
	}
}

func TestEvaluateFailsWithoutData(t *testing.T) {
	t.Parallel()
	empty := metrics.RunSummary{Variant: "go", Services: map[string]metrics.ServiceSummary{"api": {PID: 1, StartupMs: 20, Tagged: -1, Received: -1}}}
	full := fixture()
	tests := []struct {
		rs   *metrics.RunSummary
		th   metrics.Threshold
		want string
	}{
		{&empty, metrics.Threshold{Metric: "p99", Op: "<", Value: 10}, "no requests were measured"},
		{&empty, metrics.Threshold{Metric: "error_rate", Op: "<", Value: 0.01, Window: "faults"}, "has no fault windows"},
		{&empty, metrics.Threshold{Metric: "time_to_recover", Op: "<", Value: 1000}, "no fault impact"},
		{&empty, metrics.Threshold{Metric: "rss_peak", Op: "<", Value: 1 << 30}, "no memory readings"},
		{&empty, metrics.Threshold{Metric: "tag_coverage", Op: ">", Value: 0.9}, "was not scraped"},
		{&empty, metrics.Threshold{Metric: "threads_peak", Op: "<", Value: 9, Service: "nope"}, `service "nope" is not in`},
		{&full, metrics.Threshold{Metric: "p99", Op: "<", Value: 10, Request: "nope"}, `no request named "nope"`},
		{&full, metrics.Threshold{Metric: "p99", Op: "<", Value: 10, Request: "ping", Window: "faults"}, "no per-request figures"},
		{&full, metrics.Threshold{Metric: "errors.timeout", Op: "<", Value: 10, Window: "faults"}, "no error classes"},
		{&full, metrics.Threshold{Metric: "p99", Op: "<", Value: 10, Window: "fault:gone"}, `fault "gone" is not in`},
		{&full, metrics.Threshold{Metric: "tag_coverage", Op: ">", Value: 0.4}, "service remote"},
	}
	for _, tt := range tests {
		got := Evaluate(tt.rs, tt.th)
		if got.Pass || !strings.Contains(got.Error, tt.want) {
			t.Errorf("Evaluate(%+v) = %+v; want a failure saying %q", tt.th, got, tt.want)
		}
	}
	never := fixture()
	never.Faults[1].TimeToRecoverMs = nil
	if got := Evaluate(&never, metrics.Threshold{Metric: "time_to_recover", Op: "<", Value: 1e9}); got.Pass || !strings.Contains(got.Error, "never recovered") {
		t.Errorf("time_to_recover with a fault that never recovered = %+v; want a failure", got)
	}
}

func TestCheckScopesVariants(t *testing.T) {
	t.Parallel()
	goRun, jvmRun := fixture(), fixture()
	jvmRun.Variant = "jvm"
	jvmRun.Latency.P99 = 90
	s := &metrics.Summary{Runs: []metrics.RunSummary{goRun, jvmRun}}
	Check(s, []metrics.Threshold{{Expr: "p99 < 50ms", Metric: "p99", Op: "<", Value: 50, Variant: "go"}})
	if s.Verdict != metrics.VerdictPass || len(s.Runs[0].Thresholds) != 1 || len(s.Runs[1].Thresholds) != 0 {
		t.Errorf("variant-scoped check: verdict %q, results %+v / %+v; want pass, judged on go only", s.Verdict, s.Runs[0].Thresholds, s.Runs[1].Thresholds)
	}
	Check(s, []metrics.Threshold{{Expr: "p99 < 50ms", Metric: "p99", Op: "<", Value: 50}})
	if s.Verdict != metrics.VerdictFail || !s.Runs[0].Thresholds[0].Pass || s.Runs[1].Thresholds[0].Pass {
		t.Errorf("unscoped check: verdict %q; want fail on jvm only", s.Verdict)
	}
	Check(s, []metrics.Threshold{{Expr: "p99 < 50ms", Metric: "p99", Op: "<", Value: 50, Variant: "rust"}})
	if s.Verdict != metrics.VerdictFail || !strings.Contains(s.Runs[0].Thresholds[0].Error, `variant "rust" did not run`) {
		t.Errorf("check on a variant that never ran: verdict %q, %+v; want fail", s.Verdict, s.Runs[0].Thresholds)
	}
}
