package reports

import (
	"math"
	"sort"
	"strconv"

	"github.com/gauntletbench/gauntlet/metrics"
)

// better says which way a figure improves.
type better int

const (
	noBetter better = iota
	lowerBetter
	higherBetter
)

// unit formats a figure of a comparison row.
type unit int

const (
	unitMs unit = iota
	unitRPS
	unitRatio
	unitCount
	unitMB
	unitKB
	unitCores
	unitFactor
)

// cmpRow is one figure compared across runs. Values[i] is NaN when run i
// has no such figure (a service it did not start, a request it did not send).
type cmpRow struct {
	Group  string
	Label  string
	Unit   unit
	Better better
	Values []float64
}

// comparisonRows lists the figures the variant comparison shows, in order:
// services (startup, memory, CPU), then load (rps, latency, errors), then
// per-request figures when perRequest is set, then retries, breakers and timeouts per hop,
// then recovery per fault.
// A service resource row appears only when some run measured it.
func comparisonRows(runs []*metrics.RunSummary, perRequest bool) []cmpRow {
	var rows []cmpRow
	add := func(group, label string, u unit, b better, f func(*metrics.RunSummary) (float64, bool)) {
		r := cmpRow{Group: group, Label: label, Unit: u, Better: b, Values: make([]float64, len(runs))}
		found := false
		for i, rs := range runs {
			v, ok := f(rs)
			if !ok {
				v = math.NaN()
			}
			found = found || ok
			r.Values[i] = v
		}
		if found {
			rows = append(rows, r)
		}
	}
	svcNames := map[string]bool{}
	for _, rs := range runs {
		for name := range rs.Services {
			svcNames[name] = true
		}
	}
	names := sortedKeys(svcNames)
	svc := func(name string, get func(metrics.ServiceSummary) float64) func(*metrics.RunSummary) (float64, bool) {
		return func(rs *metrics.RunSummary) (float64, bool) {
			s, ok := rs.Services[name]
			if !ok {
				return 0, false
			}
			v := get(s)
			return v, v > 0
		}
	}
	for _, n := range names {
		add("startup", n+" startup", unitMs, lowerBetter, svc(n, func(s metrics.ServiceSummary) float64 { return s.StartupMs }))
	}
	for _, n := range names {
		add("memory", n+" idle RSS", unitMB, lowerBetter, svc(n, func(s metrics.ServiceSummary) float64 { return s.RSSIdleBytes / 1e6 }))
		add("memory", n+" peak RSS", unitMB, lowerBetter, svc(n, func(s metrics.ServiceSummary) float64 { return s.RSSPeakBytes / 1e6 }))
	}
	for _, n := range names {
		add("cpu", n+" CPU per 1k requests", unitMs, lowerBetter, svc(n, func(s metrics.ServiceSummary) float64 { return s.CPUMsPer1kRequests }))
		add("cpu", n+" peak threads", unitCount, lowerBetter, svc(n, func(s metrics.ServiceSummary) float64 { return s.ThreadsPeak }))
	}
	always := func(f func(*metrics.RunSummary) float64) func(*metrics.RunSummary) (float64, bool) {
		return func(rs *metrics.RunSummary) (float64, bool) { return f(rs), true }
	}
	add("load", "throughput", unitRPS, higherBetter, always(func(r *metrics.RunSummary) float64 { return r.RPS }))
	add("load", "requests", unitCount, noBetter, always(func(r *metrics.RunSummary) float64 { return float64(r.Requests) }))
	lat := func(f func(metrics.Percentiles) float64) func(*metrics.RunSummary) (float64, bool) {
		return func(r *metrics.RunSummary) (float64, bool) { return f(r.Latency), r.Requests > 0 }
	}
	add("latency", "p50", unitMs, lowerBetter, lat(func(p metrics.Percentiles) float64 { return p.P50 }))
	add("latency", "p90", unitMs, lowerBetter, lat(func(p metrics.Percentiles) float64 { return p.P90 }))
	add("latency", "p99", unitMs, lowerBetter, lat(func(p metrics.Percentiles) float64 { return p.P99 }))
	add("latency", "p99.9", unitMs, lowerBetter, lat(func(p metrics.Percentiles) float64 { return p.P999 }))
	add("latency", "max", unitMs, lowerBetter, lat(func(p metrics.Percentiles) float64 { return p.Max }))
	add("errors", "error rate", unitRatio, lowerBetter, always(func(r *metrics.RunSummary) float64 { return r.ErrorRate }))
	if perRequest {
		for _, name := range requestNames(runs) {
			req := func(f func(*metrics.RequestSummary) float64) func(*metrics.RunSummary) (float64, bool) {
				return func(r *metrics.RunSummary) (float64, bool) {
					for i := range r.ByRequest {
						if q := &r.ByRequest[i]; q.Name == name && q.Requests > 0 {
							return f(q), true
						}
					}
					return 0, false
				}
			}
			g := "request " + name
			// Per-request rates follow the scenario's weights: no better side.
			add(g, name+" throughput", unitRPS, noBetter, req(func(q *metrics.RequestSummary) float64 { return q.RPS }))
			add(g, name+" p50", unitMs, lowerBetter, req(func(q *metrics.RequestSummary) float64 { return q.Latency.P50 }))
			add(g, name+" p99", unitMs, lowerBetter, req(func(q *metrics.RequestSummary) float64 { return q.Latency.P99 }))
			add(g, name+" error rate", unitRatio, lowerBetter, req(func(q *metrics.RequestSummary) float64 { return q.ErrorRate }))
		}
	}
	// Retries and breakers follow each service's policy, so no side is better.
	for _, name := range hopNames(runs) {
		add("resilience", name+" retry amplification", unitFactor, noBetter, hopFigure(name, func(h metrics.Hop) (float64, bool) {
			return h.RetryAmplification, h.Calls > 0
		}))
		add("resilience", name+" breaker open", unitMs, noBetter, hopFigure(name, func(h metrics.Hop) (float64, bool) {
			return h.BreakerOpenS * 1000, true
		}))
		add("resilience", name+" slowest attempt", unitMs, lowerBetter, hopFigure(name, func(h metrics.Hop) (float64, bool) {
			return h.AttemptMaxMs, h.TimeoutsHeld != nil
		}))
	}
	for _, name := range faultNames(runs) {
		add("recovery", name+" time to recover", unitMs, lowerBetter, func(r *metrics.RunSummary) (float64, bool) {
			for _, f := range r.Faults {
				if f.Name == name && f.TimeToRecoverMs != nil {
					return *f.TimeToRecoverMs, true
				}
			}
			return 0, false
		})
	}
	return rows
}

// best returns the index of the best value of r, or -1 when the row has no
// direction, fewer than two values, or a tie for first.
func (r cmpRow) best() int {
	if r.Better == noBetter {
		return -1
	}
	idx, n := -1, 0
	for i, v := range r.Values {
		if math.IsNaN(v) {
			continue
		}
		n++
		if idx < 0 || (r.Better == lowerBetter && v < r.Values[idx]) || (r.Better == higherBetter && v > r.Values[idx]) {
			idx = i
		}
	}
	if n < 2 {
		return -1
	}
	for i, v := range r.Values {
		if i != idx && v == r.Values[idx] {
			return -1
		}
	}
	return idx
}

func requestNames(runs []*metrics.RunSummary) []string {
	var out []string
	seen := map[string]bool{}
	for _, rs := range runs {
		for _, q := range rs.ByRequest {
			if !seen[q.Name] {
				seen[q.Name] = true
				out = append(out, q.Name)
			}
		}
	}
	return out
}

func faultNames(runs []*metrics.RunSummary) []string {
	var out []string
	seen := map[string]bool{}
	for _, rs := range runs {
		for _, f := range rs.Faults {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// format renders v in u for tables; "—" for a missing figure.
func (u unit) format(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch u {
	case unitMs:
		return num(v) + " ms"
	case unitRPS:
		return strconv.FormatFloat(v, 'f', 1, 64) + " req/s"
	case unitRatio:
		return pct(v)
	case unitCount:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case unitMB:
		return strconv.FormatFloat(v, 'f', 1, 64) + " MB"
	case unitKB:
		return strconv.FormatFloat(v, 'f', 1, 64) + " KB"
	case unitCores:
		return strconv.FormatFloat(v, 'f', 2, 64) + " cores"
	case unitFactor:
		return factor(v)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// delta renders b − a in u, signed; the ratio unit gives percentage points.
func (u unit) delta(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) {
		return "—"
	}
	d := b - a
	sign := "+"
	if d < 0 {
		sign, d = "−", -d
	}
	if u == unitRatio {
		return sign + strconv.FormatFloat(d*100, 'f', 2, 64) + " pp"
	}
	return sign + u.format(d)
}

// deltaPct renders (b − a) / a as a signed percentage.
func deltaPct(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || a == 0 {
		return "—"
	}
	d := (b - a) / a * 100
	sign := "+"
	if d < 0 {
		sign, d = "−", -d
	}
	return sign + strconv.FormatFloat(d, 'f', 1, 64) + "%"
}
