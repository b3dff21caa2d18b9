// Package gates judges runs: thresholds a scenario states on a run's
// summary, regressions of a run against a baseline, and the verdict that
// decides gauntlet's exit code. Everything here is a pure function of its
// inputs.
package gates

import (
	"fmt"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Check evaluates every threshold against the runs of s it applies to (all
// runs, or the one of its variant), fills each run's Thresholds and sets
// s.Verdict: "interrupted" when a run did not complete, else "fail" when a
// threshold failed, else "pass". A threshold that cannot be evaluated
// (no requests, a figure the summary lacks, a variant that never ran)
// fails: an empty measurement proves nothing.
func Check(s *metrics.Summary, ths []metrics.Threshold) {
	failed, interrupted := false, false
	for i := range s.Runs {
		s.Runs[i].Thresholds = s.Runs[i].Thresholds[:0]
	}
	for _, th := range ths {
		present := false // a run of th's variant exists, even a skipped one
		for i := range s.Runs {
			rs := &s.Runs[i]
			if th.Variant != "" && rs.Variant != th.Variant {
				continue
			}
			present = true
			if rs.Status == metrics.StatusSkipped {
				continue
			}
			r := Evaluate(rs, th)
			failed = failed || !r.Pass
			rs.Thresholds = append(rs.Thresholds, r)
		}
		if th.Variant != "" && !present {
			failed = true
			for i := range s.Runs {
				s.Runs[i].Thresholds = append(s.Runs[i].Thresholds, metrics.ThresholdResult{
					Expr: th.Expr, Request: th.Request,
					Error: fmt.Sprintf("variant %q did not run, so its threshold could not be judged", th.Variant)})
			}
		}
	}
	for i := range s.Runs {
		switch s.Runs[i].Status {
		case metrics.StatusInterrupted, metrics.StatusTruncated:
			interrupted = true
		case metrics.StatusFailed:
			failed = true
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

// Evaluate judges one threshold on one run. Value and Unit are the measured
// figure in the threshold's canonical unit (ms, bytes, ratio, req/s or a
// count). When the threshold covers several windows or services, each must
// pass and Value is the worst of them. A figure the summary lacks fails the
// threshold with Error saying what is missing.
func Evaluate(rs *metrics.RunSummary, th metrics.Threshold) metrics.ThresholdResult {
	res := metrics.ThresholdResult{Expr: th.Expr, Request: th.Request}
	ms, unit, err := measure(rs, th)
	res.Unit = unit
	if err != nil {
		res.Error = err.Error()
		return res
	}
	worst := ms[0]
	for _, m := range ms[1:] {
		if worse(m.v, worst.v, th.Op) {
			worst = m
		}
	}
	res.Value = worst.v
	res.Pass = compare(worst.v, th.Op, th.Value)
	return res
}

// worse reports whether a is further than b from passing "op limit":
// larger for < and <=, smaller for > and >=.
func worse(a, b float64, op string) bool {
	if op == ">" || op == ">=" {
		return a < b
	}
	return a > b
}

// compare reports whether v op limit holds.
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
	case "==":
		return v == limit
	}
	return false
}
