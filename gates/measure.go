package gates

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Canonical units of threshold values.
const (
	unitMs      = "ms"
	unitBytes   = "bytes"
	unitRatio   = "ratio"
	unitRPS     = "req/s"
	unitCount   = "count"
	unitThreads = "threads"
	unitFactor  = "factor" // a plain multiplier
)

// measured is one figure a threshold looks at.
type measured struct{ v float64 }

// view is the part of a run a request-level metric looks at: the whole run,
// one request name, or one window.
type view struct {
	where            string
	requests, errors int64
	rps              float64
	lat              metrics.Percentiles
	classes, codes   map[string]int64 // nil for windows, which lack them
}

// measure returns the figures th is judged on: one, or one per window or
// service when it covers several.
func measure(rs *metrics.RunSummary, th metrics.Threshold) ([]measured, string, error) {
	family, _, _ := strings.Cut(th.Metric, ".")
	switch th.Metric {
	case "startup_ms", "rss_idle", "rss_peak", "cpu_per_1k", "threads_peak", "tag_coverage", "leaks":
		return serviceFigures(rs, th)
	case "time_to_recover":
		return recovery(rs, th)
	case "shutdown_failed", "shutdown_ms":
		return shutdowns(rs, th)
	case "retry_amplification", "breaker_open", "timeouts_broken":
		return hopFigures(rs, th)
	case "schedule_lag":
		if err := searchJudged(rs); err != nil {
			return nil, unitMs, err
		}
		if rs.Requests == 0 {
			return nil, unitMs, errors.New("no requests were measured")
		}
		return []measured{{v: rs.ScheduleLag.P99}}, unitMs, nil
	}
	views, err := views(rs, th)
	if err != nil {
		return nil, unitOf(th.Metric), err
	}
	var out []measured
	for _, v := range views {
		x, unit, err := requestFigure(v, th.Metric, family)
		if err != nil {
			if v.where != "" {
				err = fmt.Errorf("%s: %w", v.where, err)
			}
			return nil, unit, err
		}
		out = append(out, measured{v: x})
	}
	return out, unitOf(th.Metric), nil
}

func unitOf(metric string) string {
	family, _, _ := strings.Cut(metric, ".")
	switch {
	case metric == "rps":
		return unitRPS
	case family == "error_rate", family == "status_rate", metric == "tag_coverage":
		return unitRatio
	case metric == "requests", family == "errors", family == "status":
		return unitCount
	}
	return unitMs
}

// searchJudged says why a capacity search's request figures cannot be
// judged: they are those of the probe at the rate found (see
// metrics.SearchResult.Found), and no probe met the SLO.
func searchJudged(rs *metrics.RunSummary) error {
	if rs.Search != nil && rs.Search.Found == 0 {
		return errors.New("no probe of the capacity search met its SLO, so there is no rate found to judge it at")
	}
	return nil
}

// views selects the run, a request, or the fault windows th names.
func views(rs *metrics.RunSummary, th metrics.Threshold) ([]view, error) {
	if err := searchJudged(rs); err != nil {
		return nil, err
	}
	if th.Window != "" {
		if th.Request != "" {
			return nil, fmt.Errorf("the summary has no per-request figures for fault windows, so request %q cannot be judged on window %q", th.Request, th.Window)
		}
		return windows(rs, th.Window)
	}
	if th.Request == "" {
		return []view{{requests: rs.Requests, errors: rs.Errors, rps: rs.RPS, lat: rs.Latency,
			classes: orEmpty(rs.ErrorsByClass), codes: orEmpty(rs.StatusCodes)}}, nil
	}
	for _, r := range rs.ByRequest {
		if r.Name == th.Request {
			return []view{{requests: r.Requests, errors: r.Errors, rps: r.RPS, lat: r.Latency,
				classes: orEmpty(r.ErrorsByClass), codes: orEmpty(r.StatusCodes)}}, nil
		}
	}
	return nil, fmt.Errorf("no request named %q was measured in this run", th.Request)
}

func orEmpty(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// windows returns the fault windows a threshold's window names: every
// fault's during-window ("faults"), every before-window ("steady"), or one
// fault's during-window ("fault:NAME"). Each must pass on its own, which is
// the conservative merge: the worst window decides.
func windows(rs *metrics.RunSummary, window string) ([]view, error) {
	if len(rs.Faults) == 0 {
		return nil, fmt.Errorf("window %q: the summary has no fault windows (no fault ran, or the record predates fault analysis)", window)
	}
	name, one := strings.CutPrefix(window, "fault:")
	var out []view
	for _, f := range rs.Faults {
		if one && f.Name != name {
			continue
		}
		w, label := f.During, "during fault "+f.Name
		if window == "steady" {
			w, label = f.Before, "before fault "+f.Name
		}
		if w.Requests == 0 {
			return nil, fmt.Errorf("no requests were measured %s", label)
		}
		out = append(out, view{where: label, requests: w.Requests, errors: w.Errors, rps: w.RPS, lat: w.Latency})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fault %q is not in this run's summary", name)
	}
	return out, nil
}

func requestFigure(v view, metric, family string) (float64, string, error) {
	// Counting requests proves something even when there were none; every
	// other figure of an empty measurement does not.
	if v.requests == 0 && metric != "requests" && metric != "rps" {
		return 0, unitOf(metric), errors.New("no requests were measured")
	}
	switch metric {
	case "p50":
		return v.lat.P50, unitMs, nil
	case "p75":
		return v.lat.P75, unitMs, nil
	case "p90":
		return v.lat.P90, unitMs, nil
	case "p95":
		return v.lat.P95, unitMs, nil
	case "p99":
		return v.lat.P99, unitMs, nil
	case "p99.9":
		return v.lat.P999, unitMs, nil
	case "p99.99":
		return v.lat.P9999, unitMs, nil
	case "max":
		return v.lat.Max, unitMs, nil
	case "mean":
		return v.lat.Mean, unitMs, nil
	case "error_rate":
		return float64(v.errors) / float64(v.requests), unitRatio, nil
	case "errors":
		return float64(v.errors), unitCount, nil
	case "rps":
		return v.rps, unitRPS, nil
	case "requests":
		return float64(v.requests), unitCount, nil
	}
	_, q, _ := strings.Cut(metric, ".")
	var n int64
	switch family {
	case "errors", "error_rate":
		if v.classes == nil {
			return 0, unitOf(metric), errors.New("the summary has no error classes for this window")
		}
		n = v.classes[q]
	case "status", "status_rate":
		if v.codes == nil {
			return 0, unitOf(metric), errors.New("the summary has no status codes for this window")
		}
		n = statusCount(v.codes, q)
	default:
		return 0, "", fmt.Errorf("unknown metric %q", metric)
	}
	if strings.HasSuffix(family, "_rate") {
		return float64(n) / float64(v.requests), unitRatio, nil
	}
	return float64(n), unitCount, nil
}

// statusCount counts responses with status code (503) or class (5xx).
func statusCount(codes map[string]int64, code string) int64 {
	if prefix, ok := strings.CutSuffix(code, "xx"); ok {
		var n int64
		for c, k := range codes {
			if len(c) == 3 && strings.HasPrefix(c, prefix) {
				n += k
			}
		}
		return n
	}
	return codes[code]
}

// serviceFigures returns a service metric for the service th names, or for
// every service gauntlet started (those with a pid or a startup time).
func serviceFigures(rs *metrics.RunSummary, th metrics.Threshold) ([]measured, string, error) {
	unit := map[string]string{"startup_ms": unitMs, "rss_idle": unitBytes, "rss_peak": unitBytes,
		"cpu_per_1k": unitMs, "threads_peak": unitThreads, "tag_coverage": unitRatio, "leaks": unitCount}[th.Metric]
	var names []string
	if th.Service != "" {
		if _, ok := rs.Services[th.Service]; !ok {
			return nil, unit, fmt.Errorf("service %q is not in this run's summary", th.Service)
		}
		names = []string{th.Service}
	} else {
		for name, s := range rs.Services {
			if s.PID != 0 || s.StartupMs > 0 || th.Metric == "tag_coverage" {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		if len(names) == 0 {
			return nil, unit, fmt.Errorf("no service in this run's summary has %s", th.Metric)
		}
	}
	var out []measured
	for _, name := range names {
		v, err := serviceFigure(rs.Services[name], th.Metric)
		if err != nil {
			return nil, unit, fmt.Errorf("service %s: %w", name, err)
		}
		out = append(out, measured{v: v})
	}
	return out, unit, nil
}

func serviceFigure(s metrics.ServiceSummary, metric string) (float64, error) {
	missing := func(what string) error { return fmt.Errorf("no %s in the summary (%s)", metric, what) }
	switch metric {
	case "startup_ms":
		if s.StartupMs <= 0 {
			return 0, missing("the service never became ready, or gauntlet did not start it")
		}
		return s.StartupMs, nil
	case "rss_idle":
		if s.RSSIdleBytes <= 0 {
			return 0, missing("no memory reading before load began")
		}
		return s.RSSIdleBytes, nil
	case "rss_peak":
		if s.RSSPeakBytes <= 0 {
			return 0, missing("no memory readings")
		}
		return s.RSSPeakBytes, nil
	case "cpu_per_1k":
		if s.CPUSeconds <= 0 && s.CPUMsPer1kRequests <= 0 {
			return 0, missing("no CPU readings, or no requests")
		}
		return s.CPUMsPer1kRequests, nil
	case "leaks":
		if !s.LeakChecked {
			return 0, missing("no readings from before the load and after its settle period")
		}
		return float64(len(s.Leaks)), nil
	case "threads_peak":
		if s.ThreadsPeak <= 0 {
			return 0, missing("no thread readings")
		}
		return s.ThreadsPeak, nil
	default: // tag_coverage
		if s.Tagged < 0 || s.Received < 0 {
			return 0, missing("the service's /metrics was not scraped")
		}
		if s.Received == 0 {
			return 0, missing("no requests reached the service")
		}
		return s.Tagged / s.Received, nil
	}
}

// recovery returns the time to recover of every fault, or of the one the
// window names. A fault that never recovered, or failed to inject, fails.
func recovery(rs *metrics.RunSummary, th metrics.Threshold) ([]measured, string, error) {
	if len(rs.Faults) == 0 {
		return nil, unitMs, errors.New("the summary has no fault impact (no fault ran, or the record predates fault analysis)")
	}
	name, one := strings.CutPrefix(th.Window, "fault:")
	var out []measured
	for _, f := range rs.Faults {
		if one && f.Name != name {
			continue
		}
		switch {
		case f.Error != "":
			return nil, unitMs, fmt.Errorf("fault %s: %s", f.Name, f.Error)
		case f.TimeToRecoverMs == nil:
			return nil, unitMs, fmt.Errorf("fault %s: the run never recovered before it ended", f.Name)
		}
		out = append(out, measured{v: *f.TimeToRecoverMs})
	}
	if len(out) == 0 {
		return nil, unitMs, fmt.Errorf("fault %q is not in this run's summary", name)
	}
	return out, unitMs, nil
}

// shutdowns returns the figure th names for every terminate fault of the run (or the one its
// window names): the requests in flight at the signal that failed, or the milliseconds until
// the process exited. A service that never exited fails shutdown_ms.
func shutdowns(rs *metrics.RunSummary, th metrics.Threshold) ([]measured, string, error) {
	unit := unitMs
	if th.Metric == "shutdown_failed" {
		unit = unitCount
	}
	name, one := strings.CutPrefix(th.Window, "fault:")
	var out []measured
	for _, f := range rs.Faults {
		if (one && f.Name != name) || f.Kind != "terminate" {
			continue
		}
		switch {
		case f.Error != "":
			return nil, unit, fmt.Errorf("fault %s: %s", f.Name, f.Error)
		case f.Shutdown == nil:
			return nil, unit, fmt.Errorf("fault %s: the record has no shutdown figures for it", f.Name)
		case th.Metric == "shutdown_failed":
			out = append(out, measured{v: float64(f.Shutdown.Failed)})
		case f.Shutdown.ExitMs == nil:
			return nil, unit, fmt.Errorf("fault %s: %s did not exit before the run ended", f.Name, f.Target)
		default:
			out = append(out, measured{v: *f.Shutdown.ExitMs})
		}
	}
	if len(out) == 0 {
		return nil, unit, errors.New("no terminate fault ran")
	}
	return out, unit, nil
}

// hopFigures returns the figure th names for every hop of the run whose dependency is
// th.Service (every hop without one): over the whole load, or over each fault its window
// names and what followed it. A hop without calls has no retry amplification and is left
// out; timeouts_broken is 1 for a hop whose slowest attempt outlived its timeout.
func hopFigures(rs *metrics.RunSummary, th metrics.Threshold) ([]measured, string, error) {
	unit := map[string]string{"retry_amplification": unitFactor, "breaker_open": unitMs, "timeouts_broken": unitCount}[th.Metric]
	sets := [][]metrics.Hop{rs.Hops}
	if th.Window != "" {
		name, one := strings.CutPrefix(th.Window, "fault:")
		sets = nil
		for _, f := range rs.Faults {
			if !one || f.Name == name {
				sets = append(sets, f.Hops)
			}
		}
		if len(sets) == 0 {
			return nil, unit, fmt.Errorf("window %q: no such fault ran", th.Window)
		}
	}
	var out []measured
	for _, hops := range sets {
		for _, h := range hops {
			if th.Service != "" && h.Dependency != th.Service {
				continue
			}
			switch th.Metric {
			case "retry_amplification":
				if h.Calls > 0 {
					out = append(out, measured{v: h.RetryAmplification})
				}
			case "breaker_open":
				out = append(out, measured{v: h.BreakerOpenS * 1000})
			case "timeouts_broken":
				if h.TimeoutsHeld != nil {
					out = append(out, measured{v: map[bool]float64{true: 0, false: 1}[*h.TimeoutsHeld]})
				}
			}
		}
	}
	if len(out) == 0 {
		what := "no service reported calls to its dependencies (the reference services do, in gauntlet_downstream_* series)"
		if th.Service != "" {
			what = "no service reported calls to " + th.Service
		}
		return nil, unit, errors.New(what)
	}
	return out, unit, nil
}
