package gates

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gauntletbench/gauntlet/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func fixedComparison() *Comparison {
	return &Comparison{Alpha: 0.01, BaseRecords: 1, CurrentRecords: 1, Regressed: true, Rows: []Row{
		{Variant: "go", Metric: "p50", Unit: "ms", BaseN: 20, CurrentN: 20, Base: 2.05, Current: 2.57, Change: 0.2537, Relative: true, PValue: ptr(0.00001), Limit: 0.1, Verdict: Regressed},
		{Variant: "go", Metric: "p99", Unit: "ms", BaseN: 20, CurrentN: 20, Base: 4.1, Current: 4.2, Change: 0.0244, Relative: true, PValue: ptr(0.42), Limit: 0.1, Verdict: Unchanged},
		{Variant: "go", Metric: "rps", Unit: "req/s", BaseN: 20, CurrentN: 20, Base: 100, Current: 100, Change: 0, Relative: true, PValue: ptr(1), Limit: -0.05, Verdict: Unchanged},
		{Variant: "go", Metric: "error_rate", Unit: "ratio", BaseN: 20, CurrentN: 20, Base: 0.001, Current: 0.004, Change: 0.003, PValue: ptr(0.004), Limit: 0.01, Verdict: Unchanged, Note: "significant, but within the +1 pt limit"},
		{Variant: "go", Metric: "p50", Request: "ping", Unit: "ms", BaseN: 20, CurrentN: 20, Base: 1.5, Current: 1.1, Change: -0.2667, Relative: true, PValue: ptr(0.0002), Limit: 0.1, Verdict: Improved},
		{Variant: "go", Metric: "rss_peak", Service: "api", Unit: "bytes", BaseN: 1, CurrentN: 1, Base: 30 << 20, Current: 36 << 20, Change: 0.2, Relative: true, Limit: 0.1, Verdict: Unconfirmed, Note: "1 vs 1 samples: too few to test"},
	}, Warnings: []string{"1 metric(s) had too few samples for a significance test"}}
}

func TestWriteTextAndMarkdown(t *testing.T) {
	t.Parallel()
	var txt, md bytes.Buffer
	if err := WriteText(&txt, fixedComparison()); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, fixedComparison()); err != nil {
		t.Fatal(err)
	}
	golden(t, "comparison.txt", txt.Bytes())
	golden(t, "comparison.md", md.Bytes())
}

func TestWriteDecision(t *testing.T) {
	t.Parallel()
	d := &Decision{Pass: false, Comparison: fixedComparison(),
		Reasons: []string{`threshold "p99 < 1ms" failed on variant go: measured 5.2 ms`, "p50 of variant go regressed: 2.05 ms → 2.57 ms (+25.4%)"},
		Runs: []RunDecision{{Record: "out/pr/record.ndjson", Variant: "go", Status: metrics.StatusCompleted, Thresholds: []metrics.ThresholdResult{
			{Expr: "p99 < 1ms", Value: 5.2, Unit: "ms"},
			{Expr: "error_rate < 1%", Pass: true, Value: 0.001, Unit: "ratio"},
		}}}}
	var txt, md bytes.Buffer
	if err := WriteDecisionText(&txt, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteDecisionMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	golden(t, "decision.txt", txt.Bytes())
	golden(t, "decision.md", md.Bytes())
}

func TestFormatValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{2.345, "ms", "2.35 ms"}, {0.0123, "ms", "0.0123 ms"}, {1234.6, "ms", "1235 ms"},
		{36 << 20, "bytes", "36.0 MiB"}, {512, "bytes", "512 B"}, {0.0123, "ratio", "1.23%"},
		{1000, "req/s", "1000 req/s"}, {0, "count", "0"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatValue(%g, %q) = %q; want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}
