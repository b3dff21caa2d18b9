package reports

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot/vg"

	"github.com/gauntletbench/gauntlet/metrics"
)

const timeAxis = "time since load start (s)"

// bands returns the warm-up span and each fault's window as shaded bands.
func bands(s Series, faults []FaultWindow) []band {
	var out []band
	if s.WarmupEndS > 0 {
		out = append(out, band{from: 0, to: s.WarmupEndS, label: "warm-up", warmup: true})
	}
	for _, f := range faults {
		if !f.Injected {
			continue
		}
		to := math.Inf(1)
		if f.Reverted {
			to = f.RevertedS
		}
		out = append(out, band{from: f.InjectedS, to: to, label: f.Name})
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

func latencyChart(s Series, faults []FaultWindow) chart {
	return chart{
		alt:    "latency percentiles over time, " + s.Variant,
		xLabel: timeAxis, timeX: true, yLabel: "latency (ms, log scale)", logY: true,
		lines: latencyLines(s, []string{"p50", "p90", "p99", "max"}, []lineStyle{styleP50, styleP90, styleP99, styleMax}, ""),
		bands: bands(s, faults),
	}
}

func throughputChart(s Series, stages []metrics.Stage, open bool, faults []FaultWindow) chart {
	rps := make([]XY, len(s.Points))
	for i, p := range s.Points {
		rps[i] = XY{mid(s, p), p.RPS}
	}
	c := chart{
		alt:    "throughput over time, " + s.Variant,
		xLabel: timeAxis, timeX: true, yLabel: "responses per second", yFromZero: true, heightIn: 2.2,
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
		xLabel: timeAxis, timeX: true, yLabel: "errors per second", yFromZero: true, heightIn: 2.0,
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
		xLabel: timeAxis, timeX: true, yLabel: "latency (ms, log scale)", logY: true,
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
