package reports

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Side is one run of a comparison: two records, or two variants of one
// record. Label names it in tables and legends (a variant, a file name, a
// git ref). Summary is the run's summary from metrics.Summarize; Record and
// Run are needed by CompareHTML for the time series and may be nil for
// CompareText.
type Side struct {
	Label   string
	Record  *metrics.Record
	Run     *metrics.Run
	Summary *metrics.RunSummary
}

// CompareText writes a table of two runs' figures with A, B, the difference
// and the difference in percent: services' startup, memory and CPU when
// measured, throughput, requests, latency p50/p90/p99/p99.9/max, error rate,
// each request name, and time to recover per fault.
func CompareText(w io.Writer, a, b Side) error {
	if a.Summary == nil || b.Summary == nil {
		return fmt.Errorf("compare: both sides need a summary")
	}
	ew := &errWriter{w: w}
	ew.printf("gauntlet compare · A = %s · B = %s\n", a.Label, b.Label)
	for _, s := range []Side{a, b} {
		if s.Summary.Status != metrics.StatusCompleted {
			ew.printf("! %s: run %s, figures cover only the part that ran\n", s.Label, s.Summary.Status)
		}
	}
	ew.printf("\n")
	rows := [][]string{{"", "A " + a.Label, "B " + b.Label, "Δ", "Δ%"}}
	group := ""
	for _, r := range comparisonRows([]*metrics.RunSummary{a.Summary, b.Summary}, true) {
		if r.Group != group {
			group = r.Group
			rows = append(rows, []string{group})
		}
		mark := [2]string{"  ", "  "}
		if i := r.best(); i >= 0 {
			mark[i] = " *"
		}
		rows = append(rows, []string{"  " + r.Label, r.Unit.format(r.Values[0]) + mark[0], r.Unit.format(r.Values[1]) + mark[1],
			r.Unit.delta(r.Values[0], r.Values[1]), deltaPct(r.Values[0], r.Values[1])})
	}
	writeTable(ew, rows)
	ew.printf("\n* better value (lower startup, memory, CPU, latency, errors, recovery; higher throughput)\n")
	ew.printf("latency from the intended send time; warm-up excluded\n")
	return ew.err
}

type compareView struct {
	A, B     string
	Warnings []string
	Table    *compareTable
	Overlay  *chartView
	Dist     *chartView
	Sources  []footerItem
}

type footerItem struct{ Label, Text string }

// CompareHTML writes a self-contained HTML page comparing two runs: the
// CompareText table with the better value marked, p50 and p99 of both runs
// over time on one chart (each from its own load start), and both latency
// distributions. Both sides need Record, Run and Summary.
func CompareHTML(w io.Writer, a, b Side) error {
	if a.Summary == nil || b.Summary == nil || a.Record == nil || b.Record == nil || a.Run == nil || b.Run == nil {
		return fmt.Errorf("compare: both sides need a record, a run and a summary")
	}
	v := compareView{A: a.Label, B: b.Label,
		Table: compareOf([]*metrics.RunSummary{a.Summary, b.Summary}, []string{a.Label, b.Label}, true)}
	var series []Series
	var dists []Distribution
	for _, s := range []Side{a, b} {
		ser, dist, err := RunSeries(&s.Record.Header, s.Run)
		if err != nil {
			return err
		}
		ser.Variant, dist.Variant = s.Label, s.Label
		series, dists = append(series, ser), append(dists, dist)
		for _, wmsg := range s.Summary.Warnings {
			v.Warnings = append(v.Warnings, s.Label+": "+wmsg)
		}
		h := s.Record.Header
		v.Sources = append(v.Sources, footerItem{s.Label, fmt.Sprintf("%s · run %s · variant %s · gauntlet %s · %s · %s",
			h.Scenario, h.RunID, s.Run.Start.Variant, h.GauntletVersion, h.Host.Hostname, orDash(s.Record.Path))})
	}
	if len(series[0].Points)+len(series[1].Points) > 0 {
		c := overlayChart(series)
		cv, err := c.render("", "p50 thin and dotted, p99 thick, in each run's colour; each run's time axis starts at its own load start.")
		if err != nil {
			return err
		}
		v.Overlay = &cv
	}
	if hasDist(dists) {
		c := distributionChart(dists)
		cv, err := c.render("", "Whole measured window of each run, from the intended send time.")
		if err != nil {
			return err
		}
		v.Dist = &cv
	}
	ew := &errWriter{w: w}
	if err := compareTmpl.Execute(ew, v); err != nil {
		return fmt.Errorf("render compare html: %w", err)
	}
	return ew.err
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// writeTable writes rows as columns: the first left-aligned, the others
// right-aligned (figures), two spaces apart. A one-cell row is a heading.
func writeTable(ew *errWriter, rows [][]string) {
	var width []int
	for _, r := range rows {
		if len(r) == 1 {
			continue
		}
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", max(width[i]-utf8.RuneCountInString(c), 0))
			switch {
			case len(r) == 1:
				b.WriteString(c)
			case i == 0:
				b.WriteString(c + pad)
			default:
				b.WriteString("  " + pad + c)
			}
		}
		ew.printf("%s\n", strings.TrimRight(b.String(), " "))
	}
}
