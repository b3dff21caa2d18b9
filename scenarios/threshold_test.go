package scenarios

import (
	"strings"
	"testing"

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
