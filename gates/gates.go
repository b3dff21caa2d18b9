// Package gates judges runs: thresholds a scenario states on a run's
// summary, and the verdict that decides gauntlet's exit code.
package gates

import (
	"fmt"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Check evaluates every threshold against every run of s, fills each run's
// Thresholds and sets s.Verdict: "interrupted" when a run did not complete,
// else "fail" when a threshold failed, else "pass". A threshold on a run or
// request that measured no request fails: an empty measurement proves
// nothing.
func Check(s *metrics.Summary, ths []metrics.Threshold) {
	failed, interrupted := false, false
	for i := range s.Runs {
		rs := &s.Runs[i]
		rs.Thresholds = rs.Thresholds[:0]
		for _, th := range ths {
			r := Evaluate(rs, th)
			failed = failed || !r.Pass
			rs.Thresholds = append(rs.Thresholds, r)
		}
		switch rs.Status {
		case metrics.StatusInterrupted, metrics.StatusTruncated, metrics.StatusFailed:
			interrupted = true
		}
	}
	switch {
	case interrupted:
		s.Verdict = metrics.VerdictInterrupted
	case failed:
		s.Verdict = metrics.VerdictFail
	default:
		s.Verdict = metrics.VerdictPass
	}
}

// Evaluate judges one threshold on one run.
func Evaluate(rs *metrics.RunSummary, th metrics.Threshold) metrics.ThresholdResult {
	res := metrics.ThresholdResult{Expr: th.Expr, Request: th.Request}
	v, unit, err := value(rs, th)
	res.Value, res.Unit = v, unit
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Pass = compare(v, th.Op, th.Value)
	return res
}

// view is the part of a run (all requests, or one request name) a threshold
// looks at.
type view struct {
	requests, errors int64
	rps              float64
	lat              metrics.Percentiles
}

func value(rs *metrics.RunSummary, th metrics.Threshold) (float64, string, error) {
	v := view{requests: rs.Requests, errors: rs.Errors, rps: rs.RPS, lat: rs.Latency}
	if th.Request != "" {
		found := false
		for _, r := range rs.ByRequest {
			if r.Name == th.Request {
				v = view{requests: r.Requests, errors: r.Errors, rps: r.RPS, lat: r.Latency}
				found = true
			}
		}
		if !found {
			return 0, "", fmt.Errorf("no request named %q was measured in this run", th.Request)
		}
	}
	if v.requests == 0 && th.Metric != "requests" && th.Metric != "rps" {
		return 0, "", fmt.Errorf("no requests were measured")
	}
	switch th.Metric {
	case "p50":
		return v.lat.P50, "ms", nil
	case "p90":
		return v.lat.P90, "ms", nil
	case "p95":
		return v.lat.P95, "ms", nil
	case "p99":
		return v.lat.P99, "ms", nil
	case "p99.9":
		return v.lat.P999, "ms", nil
	case "p99.99":
		return v.lat.P9999, "ms", nil
	case "max":
		return v.lat.Max, "ms", nil
	case "mean":
		return v.lat.Mean, "ms", nil
	case "error_rate":
		return float64(v.errors) / float64(v.requests), "ratio", nil
	case "rps":
		return v.rps, "req/s", nil
	case "requests":
		return float64(v.requests), "requests", nil
	}
	return 0, "", fmt.Errorf("unknown metric %q", th.Metric)
}

func compare(v float64, op string, limit float64) bool {
	switch op {
	case "<":
		return v < limit
	case "<=":
		return v <= limit
	case ">":
		return v > limit
	case ">=":
		return v >= limit
	}
	return false
}
