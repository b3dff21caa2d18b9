package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseThreshold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want Threshold
	}{
		{"p99 < 250ms", Threshold{Metric: "p99", Op: "<", Value: 250}},
		{"p99.99<=1.5s", Threshold{Metric: "p99.99", Op: "<=", Value: 1500}},
		{"mean > 500us", Threshold{Metric: "mean", Op: ">", Value: 0.5}},
		{"error_rate < 1%", Threshold{Metric: "error_rate", Op: "<", Value: 0.01}},
		{"error_rate < 0.5", Threshold{Metric: "error_rate", Op: "<", Value: 0.5}},
		{"rps >= 2000/s", Threshold{Metric: "rps", Op: ">=", Value: 2000}},
		{"requests > 10", Threshold{Metric: "requests", Op: ">", Value: 10}},
		{"p75 < 3ms", Threshold{Metric: "p75", Op: "<", Value: 3}},
		{"p99 < 1m30s", Threshold{Metric: "p99", Op: "<", Value: 90000}},
		{"errors < 5", Threshold{Metric: "errors", Op: "<", Value: 5}},
		{"errors.timeout < 3", Threshold{Metric: "errors.timeout", Op: "<", Value: 3}},
		{"error_rate.http_5xx <= 0.5%", Threshold{Metric: "error_rate.http_5xx", Op: "<=", Value: 0.005}},
		{"status.503 < 1", Threshold{Metric: "status.503", Op: "<", Value: 1}},
		{"status_rate.5xx < 2%", Threshold{Metric: "status_rate.5xx", Op: "<", Value: 0.02}},
		{"schedule_lag < 5ms", Threshold{Metric: "schedule_lag", Op: "<", Value: 5}},
		{"startup_ms < 500", Threshold{Metric: "startup_ms", Op: "<", Value: 500}},
		{"startup_ms < 1.5s", Threshold{Metric: "startup_ms", Op: "<", Value: 1500}},
		{"rss_idle < 64MB", Threshold{Metric: "rss_idle", Op: "<", Value: 64 << 20}},
		{"rss_peak <= 1.5 GB", Threshold{Metric: "rss_peak", Op: "<=", Value: 1.5 * (1 << 30)}},
		{"rss_peak < 512KiB", Threshold{Metric: "rss_peak", Op: "<", Value: 512 << 10}},
		{"rss_peak < 1000000 bytes", Threshold{Metric: "rss_peak", Op: "<", Value: 1e6}},
		{"cpu_per_1k < 50", Threshold{Metric: "cpu_per_1k", Op: "<", Value: 50}},
		{"threads_peak < 300", Threshold{Metric: "threads_peak", Op: "<", Value: 300}},
		{"time_to_recover < 5s", Threshold{Metric: "time_to_recover", Op: "<", Value: 5000}},
		{"tag_coverage >= 99.5%", Threshold{Metric: "tag_coverage", Op: ">=", Value: 0.995}},
		{"tag_coverage > 0.9", Threshold{Metric: "tag_coverage", Op: ">", Value: 0.9}},
		{"shutdown_failed == 0", Threshold{Metric: "shutdown_failed", Op: "==", Value: 0}},
		{"errors==3", Threshold{Metric: "errors", Op: "==", Value: 3}},
		{"shutdown_ms < 5s", Threshold{Metric: "shutdown_ms", Op: "<", Value: 5000}},
		{"retry_amplification < 3", Threshold{Metric: "retry_amplification", Op: "<", Value: 3}},
		{"retry_amplification <= 1.25", Threshold{Metric: "retry_amplification", Op: "<=", Value: 1.25}},
		{"breaker_open < 5s", Threshold{Metric: "breaker_open", Op: "<", Value: 5000}},
		{"timeouts_broken == 0", Threshold{Metric: "timeouts_broken", Op: "==", Value: 0}},
	}
	for _, tt := range tests {
		got, err := ParseThreshold(tt.expr)
		if err != nil {
			t.Errorf("ParseThreshold(%q) = %v", tt.expr, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Threshold{}, "Expr"), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("ParseThreshold(%q) mismatch (-want +got):\n%s", tt.expr, diff)
		}
	}
	bad := []struct{ expr, want string }{
		{"p999 < 5ms", `did you mean "p99.9"?`},
		{"eror_rate < 1%", `did you mean "error_rate"?`},
		{"p99 < 250", "add a unit"},
		{"p99 < fast", "invalid duration"},
		{"error_rate < 150%", "invalid percentage"},
		{"requests > 1.5", "whole number"},
		{"p99 = 5ms", "needs one of"},
		{"< 5ms", "names no metric"},
		{"p99 <", "has no value"},
		{"p99 < 5MB", `p99 takes a duration (us, ms, s), not "MB"`},
		{"p99 < 5mz", `unknown unit "mz" in "5mz" (did you mean "ms"?)`},
		{"rss_peak < 200", "add a unit to 200, e.g. 200MB"},
		{"rss_peak < 200ms", `rss_peak takes a memory size (B, KB, MB, GB), not "ms"`},
		{"rss_peak < 200MG", `unknown unit "MG"`},
		{"error_rate < 5ms", `error_rate takes a percentage or a ratio (1% or 0.01), not "ms"`},
		{"requests > 10%", `requests takes a whole number, not "%"`},
		{"threads_peak < 1.5", "whole number"},
		{"tag_coverage > 2", "tag_coverage is a ratio from 0 to 1"},
		{"rps > 10ms", `rps takes requests per second`},
		{"p99 < -5ms", "must be >= 0"},
		{"errors.timout < 1", `unknown error class "timout" in threshold "errors.timout < 1" (did you mean "timeout"?)`},
		{"status.5x < 1", `invalid status "5x" in status`},
		{"status.700 < 1", `invalid status "700"`},
		{"rss_peek < 1GB", `did you mean "rss_peak"?`},
		{"startup < 1s", `did you mean "startup_ms"?`},
		{"latency < 1s", "(metrics: p50 p75"},
		{"shutdown_failed == 0.5", "whole number"},
		{"shutdown_ms == 5", "add a unit"},
		{"retry_amplification < 3x", `unknown unit "x"`},
		{"retry_amplification < 300%", `retry_amplification takes a number without a unit (e.g. 1.5), not "%"`},
		{"breaker_open < 5", "add a unit"},
		{"timeouts_broken == 0.5", "whole number"},
		{"retry_amplifcation < 3", `did you mean "retry_amplification"?`},
	}
	for _, tt := range bad {
		if _, err := ParseThreshold(tt.expr); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseThreshold(%q) = %v; want error containing %q", tt.expr, err, tt.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Rate
	}{
		{"2000", 2000}, {"2000/s", 2000}, {"120/m", 2}, {"10/100ms", 100}, {"-5", -5}, {"1.5/s", 1.5},
	}
	for _, tt := range tests {
		if got, err := ParseRate(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "fast", "10/", "10/0s", "10/x", "NaN"} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = nil error; want an error", in)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		word       string
		candidates []string
		want       string
	}{
		{"rat", []string{"for", "rate", "ramp", "warmup"}, "rate"},
		{"p999", Metrics, "p99.9"},
		{"eror_rate", Metrics, "error_rate"},
		{"gatewy", []string{"gateway", "order"}, "gateway"},
		{"xyz", []string{"rate"}, ""},
		{"s", []string{"r"}, ""},
		{"lin", []string{"step", "linear"}, "linear"},
		{"depnds_on", []string{"depends_on"}, "depends_on"},
	}
	for _, tt := range tests {
		if got := suggest(tt.word, tt.candidates); got != tt.want {
			t.Errorf("suggest(%q) = %q; want %q", tt.word, got, tt.want)
		}
	}
}

func TestThresholdScopes(t *testing.T) {
	t.Parallel()
	const head = "services:\n  api: {baseline: micro}\n  ext: {url: \"http://127.0.0.1:9\"}\n" +
		"variants: [go, jvm]\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{name: ping, url: \"${api}/\"}]\n" +
		"faults: [{name: slow, at: 1s, for: 1s, latency: {service: api, delay: 5ms}}]\nthresholds:\n"
	good := head +
		"  - {expr: \"p99 < 5ms\", request: ping, variant: go, window: \"fault:slow\"}\n" +
		"  - {expr: \"rss_peak < 100MB\", service: api, abort_on_fail: true, delay_abort_eval: 5s}\n" +
		"  - startup_ms < 500\n" +
		"  - {expr: \"tag_coverage >= 99%\", service: ext}\n" +
		"  - {expr: \"time_to_recover < 2s\", window: faults}\n" +
		"  - {expr: \"error_rate < 5%\", window: steady}\n"
	s, err := Parse("t.yaml", []byte(good))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := Threshold{Expr: "rss_peak < 100MB", Metric: "rss_peak", Op: "<", Value: 100 << 20, Service: "api",
		AbortOnFail: true, DelayAbortEval: Duration(5 * time.Second), Line: 10, Col: 5}
	if diff := cmp.Diff(want, s.Thresholds[1]); diff != "" {
		t.Errorf("thresholds[1] mismatch (-want +got):\n%s", diff)
	}
	if th := s.Thresholds[0]; th.Request != "ping" || th.Variant != "go" || th.Window != "fault:slow" {
		t.Errorf("thresholds[0] = %+v; want request, variant and window set", th)
	}

	bad := head +
		"  - {expr: \"p99 < 5ms\", request: pong, variant: rust, window: \"fault:slo\"}\n" +
		"  - {expr: \"rss_peak < 100MB\", service: apu, request: ping}\n" +
		"  - {expr: \"p99 < 5ms\", service: api}\n" +
		"  - {expr: \"startup_ms < 1s\", service: ext}\n" +
		"  - {expr: \"errors.timeout < 1\", window: faults}\n" +
		"  - {expr: \"time_to_recover < 1s\", window: steady}\n" +
		"  - {expr: \"schedule_lag < 1ms\", request: ping}\n" +
		"  - {expr: \"p99 < 5ms\", delay_abort_eval: 5s}\n" +
		"  - {expr: \"tag_coverage > 50%\", abort_on_fail: true}\n" +
		"  - {expr: \"p99 < 5ms\", servce: api}\n"
	got := problemLines(t, bad)
	wantProbs := []string{
		`9:34: thresholds[0].request: unknown request "pong" (did you mean "ping"?)`,
		`9:49: thresholds[0].variant: unknown variant "rust" (variants: go, jvm)`,
		`9:63: thresholds[0].window: unknown fault "slo" (did you mean "slow"?)`,
		`10:41: thresholds[1].service: unknown service "apu" (did you mean "api"?)`,
		`10:55: thresholds[1].request: rss_peak is measured per service, not per request (use service: NAME)`,
		`11:34: thresholds[2].service: p99 is not a service metric (service: applies to startup_ms, rss_idle, rss_peak, cpu_per_1k, threads_peak, tag_coverage, leaks, retry_amplification, breaker_open, timeouts_broken)`,
		`12:40: thresholds[3].service: service "ext" is a url target that gauntlet does not start, so it has no startup_ms`,
		`13:42: thresholds[4].window: errors.timeout cannot be judged on a window (windows apply to latency, rps, requests, errors, error_rate, time_to_recover, shutdown_failed, shutdown_ms, retry_amplification and breaker_open)`,
		`14:44: thresholds[5].window: time_to_recover is measured after a fault, not in the steady state (use faults or fault:NAME)`,
		`15:43: thresholds[6].request: schedule_lag is measured for the whole run, not per request`,
		`16:43: thresholds[7].delay_abort_eval: has no effect without abort_on_fail: true`,
		`17:49: thresholds[8].abort_on_fail: tag_coverage is only known when the run has ended, so it cannot abort it`,
		`18:25: unknown field "servce" in thresholds[9] (did you mean "service"?)`,
	}
	if diff := cmp.Diff(wantProbs, got); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}

	noFaults := "services: {api: {baseline: micro}}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${api}/\"}]\nthresholds:\n" +
		"  - time_to_recover < 1s\n  - {expr: \"p99 < 1s\", window: faults}\n  - {expr: \"p99 < 1s\", variant: go}\n"
	wantProbs = []string{
		`5:5: thresholds[0]: time_to_recover needs a fault to recover from; the scenario has none`,
		`6:32: thresholds[1].window: the scenario has no faults, so it has no faults window`,
		`7:33: thresholds[2].variant: the scenario has no variants (add e.g. variants: [go, jvm])`,
	}
	if diff := cmp.Diff(wantProbs, problemLines(t, noFaults)); diff != "" {
		t.Errorf("problems without faults or variants mismatch (-want +got):\n%s", diff)
	}
}
