package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/gauntletbench/gauntlet/metrics"
)

const timeAxis = "time since load start (s)"

// sentAxis labels the charts of record intervals: a request counts at its
// intended send time (its actual send in the closed model), not when its
// answer came, so a stall shows where the requests it held were sent.
const sentAxis = "requests by intended send time, since load start (s)"

// bands returns the warm-up span, each fault's window as a shaded band, and
// each instant fault (kill, restart, terminate) as a moment with the
// recovery after it. Labels of faults close in time go on separate rows.
func bands(s Series, faults []FaultWindow) []band {
	var out []band
	if s.WarmupEndS > 0 {
		out = append(out, band{from: 0, to: s.WarmupEndS, label: "warm-up", warmup: true})
	}
	// A label takes about 4 pt a character on a data area about 600 pt wide.
	span := max(float64(len(s.Points))*s.IntervalS, 1)
	var rowEnds []float64
	for _, f := range faults {
		if !f.Injected {
			continue
		}
		b := band{from: f.InjectedS, to: math.Inf(1), label: f.Name}
		switch {
		case metrics.InstantFault(f.Kind):
			b.instant, b.to, b.recoverTo = true, f.InjectedS, f.RecoveredS
			if b.recoverTo <= b.from {
				b.label += " (no recovery seen)"
			}
		case f.Reverted:
			b.to = f.RevertedS
		}
		end := b.from + (float64(len(b.label))*4+6)/600*span
		b.row = len(rowEnds)
		for r, e := range rowEnds {
			if e <= b.from {
				b.row = r
				break
			}
		}
		if b.row == len(rowEnds) {
			rowEnds = append(rowEnds, 0)
		}
		rowEnds[b.row] = end
		out = append(out, b)
	}
	return out
}

// mid places an interval's point at its middle.
func mid(s Series, p Point) float64 { return p.T + s.IntervalS/2 }

func latencyLines(s Series, which []string, styles []lineStyle, prefix string) []line {
	var out []line
	for i, w := range which {
		pts := make([]XY, len(s.Points))
		for j, p := range s.Points {
			v := math.NaN()
			if p.HasLatency {
				switch w {
				case "p50":
					v = p.P50
				case "p90":
					v = p.P90
				case "p99":
					v = p.P99
				case "max":
					v = p.Max
				}
			}
			pts[j] = XY{mid(s, p), v}
		}
		out = append(out, line{label: prefix + w, pts: pts, style: styles[i]})
	}
	return out
}

func latencyChart(s Series, faults []FaultWindow, spikes []spikeGroup) chart {
	c := chart{
		alt:    "latency percentiles over time, " + s.Variant,
		xLabel: sentAxis, timeX: true, yLabel: "latency (ms, log scale)", logY: true,
		lines: latencyLines(s, []string{"p50", "p90", "p99", "max"}, []lineStyle{styleP50, styleP90, styleP99, styleMax}, ""),
		bands: bands(s, faults),
	}
	for i, g := range spikes {
		c.marks = append(c.marks, mark{t: g.peakT + s.IntervalS/2, v: g.PeakMs, label: strconv.Itoa(i + 1)})
	}
	return c
}

// spikeMarks lists the spike groups under the latency chart, numbered as
// their marks on it.
func spikeMarks(spikes []spikeGroup) []markView {
	out := make([]markView, len(spikes))
	for i, g := range spikes {
		out[i] = markView{N: i + 1, When: g.when(), P99: "p99 " + num(g.PeakMs) + " ms", Causes: strings.Join(g.Causes, "; ")}
	}
	return out
}

func throughputChart(s Series, stages []metrics.Stage, open bool, faults []FaultWindow) chart {
	rps := make([]XY, len(s.Points))
	for i, p := range s.Points {
		rps[i] = XY{mid(s, p), p.RPS}
	}
	c := chart{
		alt:    "throughput over time, " + s.Variant,
		xLabel: sentAxis, timeX: true, yLabel: "responses per second", yFromZero: true, heightIn: 2.2,
		bands: bands(s, faults),
	}
	if open && len(stages) > 0 {
		c.lines = append(c.lines, line{label: "planned rate", pts: plannedSeries(stages, s), style: stylePlanned})
	}
	c.lines = append(c.lines, line{label: "responses/s", pts: rps, style: styleP50})
	return c
}

// plannedSeries is the open-model schedule's rate at each point of the
// series, up to the plan's end: a plan of a million hours stopped after five
// seconds draws five seconds, and its cost follows the series, not the plan.
func plannedSeries(stages []metrics.Stage, s Series) []XY {
	end := 0.0
	for _, st := range stages {
		end = max(end, st.StartS+st.ForS)
	}
	var out []XY
	for _, p := range s.Points {
		t := p.T
		if t >= end-1e-9 {
			break
		}
		to := min(t+s.IntervalS, end)
		rate := (metrics.PlannedHits(stages, to) - metrics.PlannedHits(stages, t)) / (to - t)
		out = append(out, XY{t + (to-t)/2, rate})
	}
	return out
}

// errorClasses lists the classes seen in s, most frequent first.
func errorClasses(s Series) []string {
	tot := map[string]int64{}
	for _, p := range s.Points {
		for k, v := range p.Classes {
			tot[k] += v
		}
	}
	names := sortedKeys(tot)
	sortStableBy(names, func(a, b string) bool { return tot[a] > tot[b] })
	return names
}

func errorsChart(s Series, faults []FaultWindow) (chart, bool) {
	classes := errorClasses(s)
	c := chart{
		alt:    "errors per second by class, " + s.Variant,
		xLabel: sentAxis, timeX: true, yLabel: "errors per second", yFromZero: true, heightIn: 2.0,
		bands: bands(s, faults),
	}
	for i, cl := range classes {
		pts := make([]XY, len(s.Points))
		for j, p := range s.Points {
			pts[j] = XY{mid(s, p), float64(p.Classes[cl]) / s.IntervalS}
		}
		c.lines = append(c.lines, line{label: cl, pts: pts, style: styleAt(i + 1)})
	}
	return c, len(classes) > 0
}

func distributionChart(ds []Distribution) chart {
	c := chart{
		alt:    "latency distribution by percentile",
		xLabel: "percentile (log scale of 1/(1−q))", yLabel: "latency (ms, log scale)", percentileX: true, logY: true,
		heightIn: 2.8,
	}
	for i, d := range ds {
		if len(d.Points) == 0 {
			continue
		}
		pts := make([]XY, 0, len(d.Points))
		last := 0.0
		for _, p := range d.Points {
			x := last // the max sits above the last quantile
			if p.Percentile < 100 {
				x = -math.Log10(1 - p.Percentile/100)
				last = x
			}
			pts = append(pts, XY{x, p.LatencyMs})
		}
		c.lines = append(c.lines, line{label: d.Variant, pts: pts, style: styleAt(i)})
	}
	return c
}

// resourceCharts draws memory and CPU per owner, each when some owner
// reported it. Threads stay in the data and the comparison table (peak).
func resourceCharts(s Series, rs []ResourceSeries, faults []FaultWindow) []chartView {
	specs := []struct {
		title, y string
		get      func(ResourceSeries) []XY
	}{
		{"Memory (RSS) per service", "resident memory (MB)", func(r ResourceSeries) []XY { return r.RSSMB }},
		{"CPU per service", "CPU (cores)", func(r ResourceSeries) []XY { return r.CPUCores }},
	}
	var out []chartView
	for _, sp := range specs {
		c := chart{alt: sp.title + ", " + s.Variant, xLabel: timeAxis, timeX: true, yLabel: sp.y, yFromZero: true, widthIn: 5.2, heightIn: 2.6, bands: bands(s, faults)}
		for i, r := range rs {
			if pts := sp.get(r); len(pts) > 0 {
				c.lines = append(c.lines, line{label: r.Owner, pts: pts, style: styleAt(i)})
			}
		}
		if len(c.lines) == 0 {
			continue
		}
		v, err := c.render(sp.title, "")
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	return out
}

// overlayChart draws p50 and p99 of several runs on one time axis, each run
// from its own load start.
func overlayChart(ss []Series) chart {
	c := chart{
		alt:    "p50 and p99 latency over time, all runs",
		xLabel: sentAxis, timeX: true, yLabel: "latency (ms, log scale)", logY: true,
	}
	for i, s := range ss {
		st := styleAt(i)
		// p99 takes the run's colour and dash; p50 the colour, dotted and thin.
		p50 := lineStyle{colour: st.colour, dashes: []vg.Length{1, 2}, width: 1.0}
		p99 := st
		p99.width = 1.8
		c.lines = append(c.lines, latencyLines(s, []string{"p50", "p99"}, []lineStyle{p50, p99}, s.Variant+" ")...)
	}
	return c
}

func sortStableBy(s []string, less func(a, b string) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func seconds(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " s" }

func gib(bytes uint64) string {
	return fmt.Sprintf("%.1f GiB", float64(bytes)/(1<<30))
}
