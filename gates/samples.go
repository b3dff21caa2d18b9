package gates

import (
	"math"
	"slices"

	"github.com/gauntletbench/gauntlet/metrics"
)

// runSamples are the per-interval figures of one run's measured window, in
// time order, and its per-run service figures.
type runSamples struct {
	p50, p99         []float64 // ms; intervals without requests are left out
	rps              []float64 // every interval, 0 when nothing completed
	errRate          []float64 // intervals with requests
	requests, errors int64
	byReq            map[string]*latencySeries
	reqOrder         []string
	services         map[string]metrics.ServiceSummary
	status           string
	warnings         []string // the run summary's, e.g. a saturated generator
}

type latencySeries struct{ p50, p99 []float64 }

type second struct {
	requests, errors int64
	lat              *metrics.Histogram
	byReq            map[string]*metrics.Histogram
}

// sampleRun decodes the intervals of run's measured window: warm-up stages
// are excluded, so are intervals only partly inside the window (the first
// and last, cut by the stage boundary or the run's end) and, when the plan
// has no warm-up stage, the first interval, which pays for connection set-up
// and first-request costs. Each interval's histograms are merged across
// request names and stages.
func sampleRun(h *metrics.Header, run *metrics.Run, sum *metrics.RunSummary) (*runSamples, error) {
	from, to := metrics.MeasuredWindow(h, run)
	warm := false
	planEnd := 0.0
	for _, st := range h.Stages {
		warm = warm || st.Warmup
		planEnd = max(planEnd, st.StartS+st.ForS)
	}
	if planEnd > from {
		to = min(to, planEnd)
	}
	step := metrics.IntervalLength.Seconds()
	if h.IntervalMs > 0 {
		step = float64(h.IntervalMs) / 1000
	}
	first := int(math.Ceil(from/step - 1e-9))
	if !warm {
		first++
	}
	last := int(math.Floor(to/step+1e-9)) - 1 // the last interval that ends by to

	secs := map[int]*second{}
	names := map[string]bool{}
	for i := range run.Intervals {
		iv := &run.Intervals[i]
		if iv.T < first || iv.T > last || (iv.Stage < len(h.Stages) && h.Stages[iv.Stage].Warmup) {
			continue
		}
		s := secs[iv.T]
		if s == nil {
			s = &second{lat: metrics.NewHistogram(), byReq: map[string]*metrics.Histogram{}}
			secs[iv.T] = s
		}
		s.requests += iv.Requests
		s.errors += iv.Errors
		if err := s.lat.MergeEncoded(iv.Latency); err != nil {
			return nil, err
		}
		rh := s.byReq[iv.Request]
		if rh == nil {
			rh = metrics.NewHistogram()
			s.byReq[iv.Request] = rh
		}
		if err := rh.MergeEncoded(iv.Latency); err != nil {
			return nil, err
		}
		names[iv.Request] = true
	}
	rs := &runSamples{byReq: map[string]*latencySeries{}, services: map[string]metrics.ServiceSummary{}, status: sum.Status, warnings: sum.Warnings}
	for _, n := range h.Requests {
		if names[n] {
			rs.reqOrder = append(rs.reqOrder, n)
			rs.byReq[n] = &latencySeries{}
		}
	}
	for t := first; t <= last; t++ {
		s := secs[t]
		if s == nil {
			rs.rps = append(rs.rps, 0)
			continue
		}
		rs.rps = append(rs.rps, float64(s.requests)/step)
		rs.requests += s.requests
		rs.errors += s.errors
		if s.requests > 0 {
			rs.errRate = append(rs.errRate, float64(s.errors)/float64(s.requests))
		}
		if s.lat.Count() > 0 {
			rs.p50 = append(rs.p50, msOf(s.lat, 0.50))
			rs.p99 = append(rs.p99, msOf(s.lat, 0.99))
		}
		for name, rh := range s.byReq {
			if ls := rs.byReq[name]; ls != nil && rh.Count() > 0 {
				ls.p50 = append(ls.p50, msOf(rh, 0.50))
				ls.p99 = append(ls.p99, msOf(rh, 0.99))
			}
		}
	}
	for name, s := range sum.Services {
		rs.services[name] = s
	}
	return rs, nil
}

func msOf(h *metrics.Histogram, q float64) float64 {
	return float64(h.Quantile(q)) / 1e6
}

// serviceNames returns the services of runs in sorted order.
func serviceNames(runs []*runSamples) []string {
	var out []string
	for _, r := range runs {
		for name := range r.services {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}
