package reports

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/gauntletbench/gauntlet/metrics"
)

// sweepStages returns the measured closed stages of a concurrency sweep: the
// stages of the first run when it has at least two measured closed ones,
// else nil.
func sweepStages(rs *metrics.RunSummary) []metrics.StageSummary {
	var out []metrics.StageSummary
	for _, st := range rs.Stages {
		if !st.Warmup && st.Kind == "closed" {
			out = append(out, st)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// busiestClosed returns the measured closed stage of a run with the most workers (the
// first of equals), or nil.
func busiestClosed(rs *metrics.RunSummary) *metrics.StageSummary {
	var out *metrics.StageSummary
	for i := range rs.Stages {
		st := &rs.Stages[i]
		if !st.Warmup && st.Kind == "closed" && (out == nil || st.Concurrency > out.Concurrency) {
			out = st
		}
	}
	return out
}

// textStages prints a concurrency sweep's stages side by side, each with
// one line per variant: throughput, latency (p50, p99), CPU per 1k
// requests, bytes on the wire per request and connections open, the last
// three summed over the services. It prints nothing unless at least two
// variants ran a sweep (two or more measured closed stages).
func textStages(w io.Writer, s *metrics.Summary) error {
	var runs []*metrics.RunSummary
	for i := range s.Runs {
		if s.Runs[i].Status != metrics.StatusSkipped {
			runs = append(runs, &s.Runs[i])
		}
	}
	if len(runs) < 2 || sweepStages(runs[0]) == nil {
		return nil
	}
	ew := &errWriter{w: w}
	ew.printf("\n%s by stage (CPU, bytes and connections: all services summed; bytes: TCP payload both ways, every link once)\n",
		variantNames(runs))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   stage\tvariant\treq/s\tp50 ms\tp99 ms\tCPU ms per 1k\tbytes per request\tconnections\terrors\t")
	var footnotes []string
	for _, st := range sweepStages(runs[0]) {
		label := st.Name
		if label == "" {
			label = "stage " + strconv.Itoa(st.Index+1)
		}
		label += fmt.Sprintf(" · %d workers", st.Concurrency)
		for j, rs := range runs {
			var o *metrics.StageSummary
			for k := range rs.Stages {
				if rs.Stages[k].Index == st.Index {
					o = &rs.Stages[k]
				}
			}
			if j > 0 {
				label = ""
			}
			if o == nil || o.Requests == 0 {
				fmt.Fprintf(tw, "   %s\t%s\t—\t—\t—\t—\t—\t—\t—\t\n", label, rs.Variant)
				continue
			}
			mark := ""
			if o.Saturated != "" {
				footnotes = append(footnotes, fmt.Sprintf("%s, %s: saturated: %s", rs.Variant, st.Name, o.Saturated))
				mark = fmt.Sprintf(" [%d]", len(footnotes))
			}
			fmt.Fprintf(tw, "   %s\t%s\t%s%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label, rs.Variant, strconv.FormatFloat(o.RPS, 'f', 1, 64), mark,
				num(o.Latency.P50), num(o.Latency.P99), measured(o.CPUMsPer1kRequests),
				measured(o.WireBytesPerRequest), measured(o.ConnectionsPeak), pct(o.ErrorRate))
		}
	}
	tw.Flush()
	for i, f := range footnotes {
		ew.printf("   [%d] %s\n", i+1, f)
	}
	return ew.err
}

// measured formats v without decimals, or "—" for a figure not measured (0).
func measured(v float64) string {
	if v <= 0 {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
