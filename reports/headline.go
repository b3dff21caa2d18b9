package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/gauntletbench/gauntlet/metrics"
)

// headlineRows are the figures a comparison of implementations leads with —
// startup, memory, throughput — plus p99 at an equal fixed rate, CPU per 1k
// requests and memory per idle connection, each taken where the scenario
// measured it: throughput from its closed (saturation) stage with the most workers, p99 from its
// stage named "steady" or else its first measured open stage. notes[i][j]
// says, for row i and run j, when the machine was saturated during the stage
// the figure comes from. A figure the method cannot measure fairly for a
// run — taken while the generator, not the services, was the limit, or
// memory per connection that RSS cannot see — is NaN, so it is never marked
// better, and its note starts with notComparable and says why.
func headlineRows(runs []*metrics.RunSummary) (rows []cmpRow, notes [][]string) {
	add := func(label string, u unit, b better, f func(*metrics.RunSummary) (float64, string)) {
		r := cmpRow{Group: "headline", Label: label, Unit: u, Better: b, Values: make([]float64, len(runs))}
		n := make([]string, len(runs))
		found := false
		for i, rs := range runs {
			r.Values[i], n[i] = f(rs)
			found = found || !math.IsNaN(r.Values[i]) || n[i] != ""
		}
		if found {
			rows, notes = append(rows, r), append(notes, n)
		}
	}
	services := func(get func(metrics.ServiceSummary) float64, combine func(a, b float64) float64) func(*metrics.RunSummary) (float64, string) {
		return func(rs *metrics.RunSummary) (float64, string) {
			v := math.NaN()
			for _, s := range rs.Services {
				if x := get(s); x > 0 {
					if math.IsNaN(v) {
						v = x
					} else {
						v = combine(v, x)
					}
				}
			}
			return v, ""
		}
	}
	sum := func(a, b float64) float64 { return a + b }
	add("startup (slowest service)", unitMs, lowerBetter, services(func(s metrics.ServiceSummary) float64 { return s.StartupMs }, math.Max))
	add("memory idle (all services)", unitMB, lowerBetter, services(func(s metrics.ServiceSummary) float64 { return s.RSSIdleBytes / 1e6 }, sum))
	add("memory peak (all services)", unitMB, lowerBetter, services(func(s metrics.ServiceSummary) float64 { return s.RSSPeakBytes / 1e6 }, sum))
	add("max throughput (saturation)", unitRPS, higherBetter, func(rs *metrics.RunSummary) (float64, string) {
		if st := busiestClosed(rs); st != nil {
			return stageFigure(st, st.RPS, unitRPS)
		}
		return math.NaN(), ""
	})
	var rate float64
	for _, rs := range runs {
		if st := stageOf(rs, "open", "steady"); st != nil {
			rate = st.Rate
		}
	}
	add(fmt.Sprintf("p99 at %.0f req/s", rate), unitMs, lowerBetter, func(rs *metrics.RunSummary) (float64, string) {
		if st := stageOf(rs, "open", "steady"); st != nil && st.Requests > 0 {
			return stageFigure(st, st.Latency.P99, unitMs)
		}
		return math.NaN(), ""
	})
	add("CPU per 1k requests (all services)", unitMs, lowerBetter, services(func(s metrics.ServiceSummary) float64 { return s.CPUMsPer1kRequests }, sum))
	add("memory per idle connection", unitKB, lowerBetter, func(rs *metrics.RunSummary) (float64, string) {
		if st := stageOf(rs, "idle", ""); st != nil && st.RSSPerConnHidden != "" {
			return math.NaN(), notComparable + st.RSSPerConnHidden
		}
		if st := stageOf(rs, "idle", ""); st != nil && st.RSSPerConnBytes > 0 {
			return st.RSSPerConnBytes / 1e3, ""
		}
		return math.NaN(), ""
	})
	add("error rate", unitRatio, lowerBetter, func(rs *metrics.RunSummary) (float64, string) { return rs.ErrorRate, "" })
	return rows, notes
}

// notComparable starts the note of a headline figure the method cannot
// measure fairly.
const notComparable = "not comparable: "

// stageFigure is a headline figure v taken during stage st, with its note:
// a stage the generator saturated yields no figure, since it measured the
// generator rather than the services.
func stageFigure(st *metrics.StageSummary, v float64, u unit) (float64, string) {
	if st.SaturatedBy == metrics.SaturatedByGenerator {
		return math.NaN(), notComparable + u.format(v) + " taken while saturated: " + st.Saturated
	}
	if st.Saturated != "" {
		return v, "saturated: " + st.Saturated
	}
	return v, ""
}

// stageOf returns the measured stage of a run a headline figure comes from:
// of kind, named name when one is, else the first of that kind.
func stageOf(rs *metrics.RunSummary, kind, name string) *metrics.StageSummary {
	var first *metrics.StageSummary
	for i := range rs.Stages {
		st := &rs.Stages[i]
		if st.Warmup || st.Kind != kind {
			continue
		}
		if name != "" && st.Name == name {
			return st
		}
		if first == nil {
			first = st
		}
	}
	return first
}

// textHeadline prints the comparison of a summary's runs (variants) as a
// table, the better value of each row marked ◆, with the host the figures
// were measured on.
func textHeadline(w io.Writer, s *metrics.Summary) error {
	var runs []*metrics.RunSummary
	for i := range s.Runs {
		if s.Runs[i].Status != metrics.StatusSkipped {
			runs = append(runs, &s.Runs[i])
		}
	}
	if len(runs) < 2 {
		return nil
	}
	rows, notes := headlineRows(runs)
	ew := &errWriter{w: w}
	h := s.Host
	ew.printf("\n%s, measured on %s (%d cores, %s, %.0f GiB)\n", variantNames(runs), h.Hostname, h.CPUs, h.CPUModel,
		float64(h.MemoryByte)/(1<<30))
	for _, impl := range sortedKeys(s.Runtimes) {
		ew.printf("   %s: %s\n", impl, s.Runtimes[impl])
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "   \t")
	for _, rs := range runs {
		fmt.Fprintf(tw, "%s\t", rs.Variant)
	}
	fmt.Fprintln(tw)
	var footnotes []string
	for i, r := range rows {
		fmt.Fprintf(tw, "   %s\t", r.Label)
		best := r.best()
		for j, v := range r.Values {
			cell := r.Unit.format(v)
			if strings.HasPrefix(notes[i][j], notComparable) {
				cell = "not comparable"
			}
			if j == best {
				cell += " ◆"
			}
			if notes[i][j] != "" {
				footnotes = append(footnotes, fmt.Sprintf("%s, %s: %s", runs[j].Variant, r.Label, notes[i][j]))
				cell += fmt.Sprintf(" [%d]", len(footnotes))
			}
			fmt.Fprintf(tw, "%s\t", cell)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	ew.printf("   ◆ better value\n")
	for i, f := range footnotes {
		ew.printf("   [%d] %s\n", i+1, f)
	}
	return ew.err
}

func variantNames(runs []*metrics.RunSummary) string {
	names := make([]string, len(runs))
	for i, rs := range runs {
		names[i] = rs.Variant
	}
	return strings.Join(names, " vs ")
}
