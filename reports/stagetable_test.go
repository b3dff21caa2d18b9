package reports

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
)

// TestTextStagesSideBySide checks the sweep table against the stage figures it is given:
// one line per stage and variant with that variant's own figures, the warm-up left out,
// and nothing at all when a run has fewer than two measured closed stages.
func TestTextStagesSideBySide(t *testing.T) {
	t.Parallel()
	stage := func(i, workers int, rps, p50, p99, cpu, wire, conns float64) metrics.StageSummary {
		return metrics.StageSummary{Index: i, Name: "c" + strconv.Itoa(workers), Kind: "closed", Concurrency: workers,
			Requests: int64(rps * 5), RPS: rps, Latency: metrics.Percentiles{P50: p50, P99: p99},
			CPUMsPer1kRequests: cpu, WireBytesPerRequest: wire, ConnectionsPeak: conns}
	}
	warm := metrics.StageSummary{Index: 0, Name: "warm-up", Kind: "closed", Concurrency: 10, Warmup: true, Requests: 10, RPS: 5}
	s := &metrics.Summary{Runs: []metrics.RunSummary{
		{Variant: "go", Stages: []metrics.StageSummary{warm, stage(1, 1, 512, 1.32, 13, 613, 1488, 44), stage(2, 100, 822.8, 112, 276, 486, 1585, 375)}},
		{Variant: "go-grpc", Stages: []metrics.StageSummary{warm, stage(1, 1, 379, 2.05, 12.6, 1074, 863, 8), stage(2, 100, 781.6, 134, 276, 301, 462, 8)}},
	}}
	var buf bytes.Buffer
	if err := textStages(&buf, s); err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, line := range strings.Split(buf.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 8 && (f[len(f)-8] == "go" || f[len(f)-8] == "go-grpc") {
			got = append(got, f[len(f)-8:])
		}
	}
	want := [][]string{
		{"go", "512.0", "1.32", "13.0", "613", "1488", "44", "0.00%"},
		{"go-grpc", "379.0", "2.05", "12.6", "1074", "863", "8", "0.00%"},
		{"go", "822.8", "112", "276", "486", "1585", "375", "0.00%"},
		{"go-grpc", "781.6", "134", "276", "301", "462", "8", "0.00%"},
	}
	if len(got) != len(want) {
		t.Fatalf("table rows %q; want %q\n%s", got, want, buf.String())
	}
	for i := range want {
		if strings.Join(got[i], " ") != strings.Join(want[i], " ") {
			t.Errorf("row %d = %q; want %q", i, got[i], want[i])
		}
	}
	if !strings.Contains(buf.String(), "c1 · 1 workers") || !strings.Contains(buf.String(), "c100 · 100 workers") ||
		strings.Contains(buf.String(), "warm-up") {
		t.Errorf("stage labels wrong (want c1 · 1 and c100 · 100 workers, no warm-up):\n%s", buf.String())
	}

	s.Runs[0].Stages, s.Runs[1].Stages = s.Runs[0].Stages[:2], s.Runs[1].Stages[:2]
	buf.Reset()
	if err := textStages(&buf, s); err != nil || buf.Len() > 0 {
		t.Errorf("one measured closed stage: textStages wrote %q, %v; want nothing", buf.String(), err)
	}
}
