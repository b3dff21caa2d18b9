package reports

import (
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
)

// headlineRun is a run of the go-vs-jvm shape: a closed saturation stage, a
// steady open stage and an idle-connections stage.
func headlineRun(variant string, rps float64, satBy, sat string, perConn float64, hidden string) metrics.RunSummary {
	return metrics.RunSummary{Variant: variant, Status: metrics.StatusCompleted, Stages: []metrics.StageSummary{
		{Index: 0, Kind: "closed", Name: "saturation", RPS: rps, Requests: int64(rps * 10), SaturatedBy: satBy, Saturated: sat},
		{Index: 1, Kind: "open", Name: "steady", Rate: 250, Requests: 3750, Latency: metrics.Percentiles{P99: 3}},
		{Index: 2, Kind: "idle", Target: "gateway", RSSPerConnBytes: perConn, RSSPerConnHidden: hidden},
	}}
}

// headlineLine returns the line of the text headline whose label is label.
func headlineLine(t *testing.T, out, label string) string {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), label) {
			return line
		}
	}
	t.Fatalf("no %q row in:\n%s", label, out)
	return ""
}

func TestHeadlineNotComparable(t *testing.T) {
	t.Parallel()
	const javaHidden = "a JVM keeps connections in its heap, already resident, so RSS growth cannot see them"
	for _, tc := range []struct {
		name      string
		runs      []metrics.RunSummary
		label     string
		want      []string // in the row, in order
		marked    bool     // a ◆ in the row
		footnotes []string
	}{
		{
			name:  "both measured fairly: the better is marked",
			runs:  []metrics.RunSummary{headlineRun("go", 3385, "", "", 11500, ""), headlineRun("jvm", 1512, "", "", 8800, "")},
			label: "max throughput", want: []string{"3385.0 req/s ◆", "1512.0 req/s"}, marked: true,
		},
		{
			name: "services' CPUs saturated: the figure stands",
			runs: []metrics.RunSummary{
				headlineRun("go", 3385, metrics.SaturatedByServices, "the services' CPU 1, 99% busy: the services' limit, the figure stands", 11500, ""),
				headlineRun("jvm", 1512, metrics.SaturatedByServices, "the services' CPU 1, 98% busy: the services' limit, the figure stands", 0, javaHidden),
			},
			label: "max throughput", want: []string{"3385.0 req/s ◆ [1]", "1512.0 req/s [2]"}, marked: true,
			footnotes: []string{"[1] go, max throughput (saturation): saturated: the services' CPU 1, 99% busy"},
		},
		{
			name: "the generator was the limit for one variant: not comparable, nothing marked",
			runs: []metrics.RunSummary{
				headlineRun("go", 3385, metrics.SaturatedByGenerator, "the generator's CPU 0, 95% used by gauntlet itself: the figure measures the generator, not the services", 11500, ""),
				headlineRun("jvm", 1512, metrics.SaturatedByServices, "the services' CPU 1, 98% busy: the services' limit, the figure stands", 0, ""),
			},
			label: "max throughput", want: []string{"not comparable [1]", "1512.0 req/s [2]"},
			footnotes: []string{"[1] go, max throughput (saturation): not comparable: 3385.0 req/s taken while saturated: the generator's CPU 0, 95% used by gauntlet itself"},
		},
		{
			name:  "memory per connection RSS cannot see on the JVM",
			runs:  []metrics.RunSummary{headlineRun("go", 3385, "", "", 13500, ""), headlineRun("jvm", 1512, "", "", 100, javaHidden)},
			label: "memory per idle connection", want: []string{"13.5 KB", "not comparable [1]"},
			footnotes: []string{"[1] jvm, memory per idle connection: not comparable: " + javaHidden},
		},
	} {
		s := &metrics.Summary{Scenario: "go-vs-jvm", Verdict: metrics.VerdictPass, Runs: tc.runs}
		var b strings.Builder
		if err := textHeadline(&b, s); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		line := headlineLine(t, out, tc.label)
		rest := line
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: row %q lacks %q (in order)", tc.name, line, w)
				break
			}
			rest = rest[i+len(w):]
		}
		if got := strings.Contains(line, "◆"); got != tc.marked {
			t.Errorf("%s: row %q marked better = %v; want %v", tc.name, line, got, tc.marked)
		}
		for _, f := range tc.footnotes {
			if !strings.Contains(out, f) {
				t.Errorf("%s: no footnote %q in:\n%s", tc.name, f, out)
			}
		}
	}
}

// TestPlannedText sets the achieved rate against the plan of the same
// stages only.
func TestPlannedText(t *testing.T) {
	t.Parallel()
	open := []metrics.StageSummary{{Kind: "open", Warmup: true}, {Kind: "open"}}
	mixed := []metrics.StageSummary{{Kind: "open", Warmup: true}, {Kind: "closed"}, {Kind: "open"}, {Kind: "idle"}}
	closedWarmup := []metrics.StageSummary{{Kind: "closed", Warmup: true}, {Kind: "open"}}
	for _, tc := range []struct {
		r    metrics.RunSummary
		want string
	}{
		{metrics.RunSummary{RPS: 99.5, PlannedRPS: 100, PlanAchievedRPS: 99.8, Stages: open}, " of 100.0 planned"},
		{metrics.RunSummary{RPS: 1019.8, PlannedRPS: 250, PlanAchievedRPS: 248.7, Stages: mixed}, " (open stages 248.7 of 250.0 planned)"},
		{metrics.RunSummary{RPS: 250, PlannedRPS: 250, PlanAchievedRPS: 250, Stages: closedWarmup}, " of 250.0 planned"},
		{metrics.RunSummary{RPS: 1000}, ""},
	} {
		if got := plannedText(&tc.r); got != tc.want {
			t.Errorf("plannedText(rps %v, planned %v, stages %v) = %q; want %q", tc.r.RPS, tc.r.PlannedRPS, tc.r.Stages, got, tc.want)
		}
	}
}
