package gates

import (
	"fmt"
	"math"

	"github.com/gauntletbench/gauntlet/metrics"
)

// metricRule says how one compared metric is judged.
type metricRule struct {
	unit string
	// worse is +1 when higher is worse (latency, errors, memory) and −1
	// when lower is worse (throughput).
	worse    float64
	relative bool
	limit    float64 // minimum effect, a positive magnitude
	// perInterval marks serially correlated per-interval samples.
	perInterval bool
	// pooledRatio makes the central values errors/requests rather than
	// medians.
	pooledRatio bool
}

// compareVariant builds the rows of one variant.
func compareVariant(variant string, base, cur []*runSamples, opt Options) []Row {
	lat := metricRule{unit: unitMs, worse: 1, relative: true, limit: opt.MaxLatencyIncrease, perInterval: true}
	var rows []Row
	add := func(r Row, rule metricRule, b, c [][]float64, bRatio, cRatio [2]int64) {
		r.Variant = variant
		if judged, ok := judge(r, rule, b, c, bRatio, cRatio, opt.Alpha); ok {
			rows = append(rows, judged)
		}
	}
	pick := func(runs []*runSamples, f func(*runSamples) []float64) [][]float64 {
		out := make([][]float64, 0, len(runs))
		for _, r := range runs {
			out = append(out, f(r))
		}
		return out
	}
	totals := func(runs []*runSamples) [2]int64 {
		var t [2]int64
		for _, r := range runs {
			t[0] += r.errors
			t[1] += r.requests
		}
		return t
	}
	none := [2]int64{}
	add(Row{Metric: "p50"}, lat, pick(base, func(r *runSamples) []float64 { return r.p50 }), pick(cur, func(r *runSamples) []float64 { return r.p50 }), none, none)
	add(Row{Metric: "p99"}, lat, pick(base, func(r *runSamples) []float64 { return r.p99 }), pick(cur, func(r *runSamples) []float64 { return r.p99 }), none, none)
	add(Row{Metric: "rps"}, metricRule{unit: unitRPS, worse: -1, relative: true, limit: opt.MaxThroughputDecrease, perInterval: true},
		pick(base, func(r *runSamples) []float64 { return r.rps }), pick(cur, func(r *runSamples) []float64 { return r.rps }), none, none)
	add(Row{Metric: "error_rate"}, metricRule{unit: unitRatio, worse: 1, limit: opt.MaxErrorRateIncrease, perInterval: true, pooledRatio: true},
		pick(base, func(r *runSamples) []float64 { return r.errRate }), pick(cur, func(r *runSamples) []float64 { return r.errRate }), totals(base), totals(cur))

	// Per request name, when there is more than one (otherwise the rows
	// above already are the request's).
	names := requestNames(base, cur)
	if len(names) > 1 {
		for _, name := range names {
			for _, q := range []string{"p50", "p99"} {
				get := func(r *runSamples) []float64 {
					ls := r.byReq[name]
					if ls == nil {
						return nil
					}
					if q == "p50" {
						return ls.p50
					}
					return ls.p99
				}
				add(Row{Metric: q, Request: name}, lat, pick(base, get), pick(cur, get), none, none)
			}
		}
	}

	for _, svc := range serviceNames(append(append([]*runSamples{}, base...), cur...)) {
		for _, m := range []struct {
			metric string
			rule   metricRule
			get    func(s metrics.ServiceSummary) float64
		}{
			{"startup_ms", metricRule{unit: unitMs, worse: 1, relative: true, limit: opt.MaxStartupIncrease}, func(s metrics.ServiceSummary) float64 { return s.StartupMs }},
			{"rss_idle", metricRule{unit: unitBytes, worse: 1, relative: true, limit: opt.MaxMemoryIncrease}, func(s metrics.ServiceSummary) float64 { return s.RSSIdleBytes }},
			{"rss_peak", metricRule{unit: unitBytes, worse: 1, relative: true, limit: opt.MaxMemoryIncrease}, func(s metrics.ServiceSummary) float64 { return s.RSSPeakBytes }},
			{"cpu_per_1k", metricRule{unit: "ms/1k", worse: 1, relative: true, limit: opt.MaxCPUIncrease}, func(s metrics.ServiceSummary) float64 { return s.CPUMsPer1kRequests }},
		} {
			get := func(r *runSamples) []float64 {
				s, ok := r.services[svc]
				if v := m.get(s); ok && v > 0 {
					return []float64{v}
				}
				return nil
			}
			add(Row{Metric: m.metric, Service: svc}, m.rule, pick(base, get), pick(cur, get), none, none)
		}
	}
	return rows
}

func requestNames(base, cur []*runSamples) []string {
	var out []string
	seen := map[string]bool{}
	for _, side := range [][]*runSamples{base, cur} {
		for _, r := range side {
			for _, n := range r.reqOrder {
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// judge fills r from the samples of both sides (one slice per run). ok is
// false when either side has no samples: there is nothing to compare.
func judge(r Row, rule metricRule, base, cur [][]float64, bRatio, cRatio [2]int64, alpha float64) (Row, bool) {
	x, y := flatten(base), flatten(cur)
	if len(x) == 0 || len(y) == 0 {
		return r, false
	}
	r.Unit, r.BaseN, r.CurrentN, r.Relative = rule.unit, len(x), len(y), rule.relative
	r.Limit = rule.worse * rule.limit
	if rule.pooledRatio {
		r.Base, r.Current = ratioOf(bRatio), ratioOf(cRatio)
	} else {
		r.Base, r.Current = median(append([]float64(nil), x...)), median(append([]float64(nil), y...))
	}
	r.Change = r.Current - r.Base
	if rule.relative {
		if r.Base == 0 {
			r.Change = 0
			r.Note = "the baseline is zero, so there is no relative change"
		} else {
			r.Change /= r.Base
		}
	}
	bad := rule.worse*r.Change > rule.limit
	good := -rule.worse*r.Change > rule.limit
	if r.Base == 0 && rule.relative {
		bad, good = rule.worse*(r.Current-r.Base) > 0, rule.worse*(r.Current-r.Base) < 0
	}
	inflate := 1.0
	if rule.perInterval {
		inflate = rankAutocorrelation(append(append([][]float64{}, base...), cur...))
	}
	if minP(len(x), len(y)) >= alpha {
		r.Note = fmt.Sprintf("%d vs %d samples: too few to test", len(x), len(y))
		r.Verdict = Unchanged
		if bad {
			r.Verdict = Unconfirmed
		}
		return r, true
	}
	_, p := mannWhitney(x, y, inflate)
	r.PValue = &p
	r.Verdict = Unchanged
	if p >= alpha {
		return r, true
	}
	// Significantly different; now is it significantly beyond the limit?
	// Testing the current samples moved back by the limit against the
	// baseline asks exactly that, so a change that is just over the limit
	// by run-to-run noise does not count.
	if bad || good {
		dir := rule.worse
		if good {
			dir = -dir
		}
		shifted := make([]float64, len(y))
		for i, v := range y {
			switch {
			case rule.relative:
				shifted[i] = v / (1 + dir*rule.limit)
			default:
				shifted[i] = v - dir*rule.limit
			}
		}
		// The question is one-sided (is it beyond the limit in this
		// direction?), so the p-value is half the two-sided one when the
		// moved samples still lie on that side.
		_, mp := mannWhitney(x, shifted, inflate)
		onSide := dir*(median(shifted)-median(append([]float64(nil), x...))) > 0
		if onSide {
			mp /= 2
		} else {
			mp = 1 - mp/2
		}
		r.MarginPValue = &mp
		if mp < alpha {
			r.Verdict = verdict(bad, good)
			return r, true
		}
		r.Note = fmt.Sprintf("beyond the %s limit, but not significantly", limitText(rule))
		return r, true
	}
	if r.Change != 0 {
		r.Note = fmt.Sprintf("significant, but within the %s limit", limitText(rule))
	}
	return r, true
}

func verdict(bad, good bool) string {
	switch {
	case bad:
		return Regressed
	case good:
		return Improved
	}
	return Unchanged
}

func limitText(rule metricRule) string {
	sign := "+"
	if rule.worse < 0 {
		sign = "-"
	}
	if rule.relative {
		return fmt.Sprintf("%s%g%%", sign, math.Round(rule.limit*1000)/10)
	}
	return fmt.Sprintf("%s%g pt", sign, math.Round(rule.limit*1000)/10)
}

func flatten(series [][]float64) []float64 {
	var out []float64
	for _, s := range series {
		out = append(out, s...)
	}
	return out
}

func ratioOf(t [2]int64) float64 {
	if t[1] == 0 {
		return 0
	}
	return float64(t[0]) / float64(t[1])
}
