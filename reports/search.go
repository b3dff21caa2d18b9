package reports

import (
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot/vg"

	"github.com/gauntletbench/gauntlet/metrics"
)

// searchView is a capacity search as the HTML report shows it: the rate
// found, one row per probe, and the curve of p99 and errors against the
// offered rate with the SLO and the rate found drawn in.
type searchView struct {
	Headline string
	Probes   []searchRow
	Curve    chartView
	Errors   chartView
}

type searchRow struct {
	Index, Offered, Achieved, P50, P99, ErrorRate, Note string
	Pass                                                bool
}

var (
	styleSLO   = lineStyle{oiBlack, []vg.Length{4, 2}, 1.0}
	styleFound = lineStyle{oiGreen, []vg.Length{6, 2}, 1.4}
)

func searchViewOf(sr *metrics.SearchResult) (*searchView, error) {
	v := &searchView{Headline: sr.Headline()}
	for i, p := range sr.Probes {
		v.Probes = append(v.Probes, searchRow{
			Index: strconv.Itoa(i + 1), Offered: strconv.FormatFloat(p.OfferedRPS, 'f', 0, 64),
			Achieved: strconv.FormatFloat(p.AchievedRPS, 'f', 1, 64), P50: num(p.P50Ms), P99: num(p.P99Ms),
			ErrorRate: pct(p.ErrorRate), Note: p.Note, Pass: p.Pass,
		})
	}
	latency, errs := searchCharts(sr)
	var err error
	if v.Curve, err = latency.render("p99 against offered rate", "One point per probe, from its measured part (warm-up left out), latency from the intended send time."); err != nil {
		return nil, err
	}
	if v.Errors, err = errs.render("Errors against offered rate", ""); err != nil {
		return nil, err
	}
	return v, nil
}

// searchCharts draws the probes in order of offered rate: p99 (log scale)
// and error rate against it, each with its SLO as a horizontal line and the
// rate found as a vertical one.
func searchCharts(sr *metrics.SearchResult) (latency, errs chart) {
	probes := slices.Clone(sr.Probes)
	slices.SortStableFunc(probes, func(a, b metrics.SearchProbe) int {
		switch {
		case a.OfferedRPS < b.OfferedRPS:
			return -1
		case a.OfferedRPS > b.OfferedRPS:
			return 1
		}
		return 0
	})
	var p99, er []XY
	lo, hi := math.Inf(1), math.Inf(-1)
	xlo, xhi := 0.0, 0.0
	for _, p := range probes {
		p99 = append(p99, XY{p.OfferedRPS, p.P99Ms})
		er = append(er, XY{p.OfferedRPS, 100 * p.ErrorRate})
		lo, hi = math.Min(lo, math.Max(p.P99Ms, logFloor)), math.Max(hi, p.P99Ms)
		xhi = math.Max(xhi, p.OfferedRPS)
	}
	lo, hi = math.Min(lo, sr.SLOP99Ms), math.Max(hi, sr.SLOP99Ms)
	latency = chart{
		alt: "capacity search: p99 against offered rate", xLabel: "offered rate (req/s)", yLabel: "p99 (ms, log scale)", logY: true,
		lines: []line{
			{label: "SLO p99 " + num(sr.SLOP99Ms) + " ms", pts: []XY{{xlo, sr.SLOP99Ms}, {xhi, sr.SLOP99Ms}}, style: styleSLO},
			{label: "p99 per probe", pts: p99, style: styleP99, marks: true},
		},
	}
	ehi := 100 * sr.SLOErrorRate
	for _, p := range er {
		ehi = math.Max(ehi, p.V)
	}
	errs = chart{
		alt: "capacity search: error rate against offered rate", xLabel: "offered rate (req/s)", yLabel: "errors (% of requests)",
		yFromZero: true, heightIn: 2.0,
		lines: []line{
			{label: "SLO errors " + pct(sr.SLOErrorRate), pts: []XY{{xlo, 100 * sr.SLOErrorRate}, {xhi, 100 * sr.SLOErrorRate}}, style: styleSLO},
			{label: "error rate per probe", pts: er, style: styleP50, marks: true},
		},
	}
	if sr.MaxRate > 0 {
		found := "rate found " + strconv.FormatFloat(sr.MaxRate, 'f', 0, 64) + " req/s"
		latency.lines = append(latency.lines, line{label: found, pts: []XY{{sr.MaxRate, lo}, {sr.MaxRate, hi}}, style: styleFound})
		errs.lines = append(errs.lines, line{label: found, pts: []XY{{sr.MaxRate, 0}, {sr.MaxRate, ehi}}, style: styleFound})
	}
	return latency, errs
}
