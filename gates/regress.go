package gates

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Verdicts of a compared metric.
const (
	Regressed = "regressed"
	Improved  = "improved"
	Unchanged = "no significant change"
	// Unconfirmed is a change beyond the minimum effect in the bad
	// direction on samples too few for any significance test (one run per
	// side for startup and memory). It fails the gate only with
	// Options.FailUnconfirmed: single runs of the same build differ by more
	// than the limits often enough to make such a gate flaky.
	Unconfirmed = "unconfirmed regression"
)

// Options tune Regress. The zero value is not the defaults: start from
// DefaultOptions and change what you need.
type Options struct {
	// Alpha is the significance level of the Mann–Whitney U test; 0 means 0.01.
	Alpha float64
	// MaxLatencyIncrease is the relative rise of median per-interval p50 or
	// p99 a significant difference must exceed to count as a regression
	// (0.10 = +10%).
	MaxLatencyIncrease float64
	// MaxThroughputDecrease is the relative fall of median per-interval
	// throughput that counts (0.05 = −5%).
	MaxThroughputDecrease float64
	// MaxErrorRateIncrease is the absolute rise of the error rate that
	// counts, as a ratio (0.01 = +1 percentage point).
	MaxErrorRateIncrease float64
	// MaxMemoryIncrease is the relative rise of idle or peak RSS that counts.
	MaxMemoryIncrease float64
	// MaxStartupIncrease is the relative rise of startup time that counts.
	MaxStartupIncrease float64
	// MaxCPUIncrease is the relative rise of CPU per 1k requests that counts.
	MaxCPUIncrease float64
	// FailUnconfirmed makes Unconfirmed rows fail the gate too.
	FailUnconfirmed bool
}

// DefaultOptions are alpha 0.01 and the minimum effects latency +10%,
// throughput −5%, error rate +1 point, memory +10%, startup +20% and CPU
// per 1k requests +10%.
func DefaultOptions() Options {
	return Options{Alpha: 0.01, MaxLatencyIncrease: 0.10, MaxThroughputDecrease: 0.05, MaxErrorRateIncrease: 0.01,
		MaxMemoryIncrease: 0.10, MaxStartupIncrease: 0.20, MaxCPUIncrease: 0.10}
}

// Comparison is the verdict of current runs against baseline runs, metric
// by metric and variant by variant. Its JSON form is part of `gauntlet gate
// --output json`; field names are stable.
type Comparison struct {
	Alpha float64 `json:"alpha"`
	// BaseRecords and CurrentRecords count the records pooled on each side.
	BaseRecords    int   `json:"base_records"`
	CurrentRecords int   `json:"current_records"`
	Rows           []Row `json:"rows"`
	// Regressed is set when any row regressed (or, with
	// Options.FailUnconfirmed, is an unconfirmed regression).
	Regressed bool     `json:"regressed"`
	Warnings  []string `json:"warnings"`
}

// Row compares one metric of one variant (and request or service).
//
// Per-interval metrics (p50, p99, rps, error_rate) pool the values of every
// interval of the measured window of every run on each side: Base and
// Current are their medians, except for error_rate where they are the
// pooled ratio errors/requests. Per-run metrics (startup_ms, rss_idle,
// rss_peak, cpu_per_1k) have one sample per run.
type Row struct {
	Variant string `json:"variant"`
	// Metric is p50, p99, rps, error_rate, startup_ms, rss_idle, rss_peak
	// or cpu_per_1k.
	Metric  string `json:"metric"`
	Request string `json:"request,omitempty"`
	Service string `json:"service,omitempty"`
	// Unit is ms, req/s, ratio, bytes or ms/1k (CPU ms per 1k requests).
	Unit     string  `json:"unit"`
	BaseN    int     `json:"base_n"`
	CurrentN int     `json:"current_n"`
	Base     float64 `json:"base"`
	Current  float64 `json:"current"`
	// Change is (Current−Base)/Base when Relative, else Current−Base (the
	// error rate's change in points, as a ratio).
	Change   float64 `json:"change"`
	Relative bool    `json:"relative"`
	// PValue is the two-sided Mann–Whitney p-value; nil when the samples
	// are too few for any difference to be significant at Alpha, in which
	// case the verdict rests on the effect size alone.
	PValue *float64 `json:"p_value"`
	// MarginPValue is the one-sided p-value of the current samples, moved
	// back by the limit, against the baseline: whether the change is
	// significantly beyond the limit. Set only when PValue is significant and the change
	// is beyond the limit.
	MarginPValue *float64 `json:"margin_p_value,omitempty"`
	// Limit is the change in the bad direction beyond which a significant
	// difference is a regression (positive for latency, negative for rps).
	Limit   float64 `json:"limit"`
	Verdict string  `json:"verdict"`
	Note    string  `json:"note,omitempty"`
}

// Regress compares cur against base; see RegressAll.
func Regress(base, cur *metrics.Record, opt Options) (*Comparison, error) {
	return RegressAll([]*metrics.Record{base}, []*metrics.Record{cur}, opt)
}

// RegressAll compares the current records against the baseline records,
// pooling the samples of every record on each side (e.g. from --count N),
// for each variant present on both sides.
//
// A metric regressed when its samples differ significantly (two-sided
// Mann–Whitney U, p < Alpha), its central value moved beyond the option's
// minimum effect in the bad direction, AND the current samples moved back
// by that minimum effect still differ significantly from the baseline (the
// change is significantly beyond the limit, not just beyond it by noise);
// "improved" is the mirror image. Requiring all three guards against the
// failure modes of per-second samples: small but significant shifts
// between two runs of the same build (run-to-run noise that the samples of
// one run cannot see), and large but noisy differences. Per-second samples
// are serially correlated, so the test's variance is inflated by their
// estimated lag-1 autocorrelation. When the samples are too few for
// significance (one run per side for memory and startup), a change beyond
// the minimum effect is reported as Unconfirmed and fails the gate only
// with Options.FailUnconfirmed.
func RegressAll(base, cur []*metrics.Record, opt Options) (*Comparison, error) {
	if len(base) == 0 || len(cur) == 0 {
		return nil, errors.New("regress: need at least one baseline and one current record")
	}
	if opt.Alpha <= 0 || opt.Alpha >= 1 {
		opt.Alpha = DefaultOptions().Alpha
	}
	c := &Comparison{Alpha: opt.Alpha, BaseRecords: len(base), CurrentRecords: len(cur), Rows: []Row{}, Warnings: []string{}}
	bs, bvars, err := sampleRecords(base)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	cs, cvars, err := sampleRecords(cur)
	if err != nil {
		return nil, fmt.Errorf("current: %w", err)
	}
	c.Warnings = append(c.Warnings, compatibility(base[0], cur[0])...)
	for _, v := range bvars {
		if !slices.Contains(cvars, v) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("variant %s is in the baseline but not in the current run: not compared", v))
		}
	}
	oneRun := false // a regression tested on one run of a side
	for _, v := range cvars {
		if !slices.Contains(bvars, v) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("variant %s is new (not in the baseline): not compared", v))
			continue
		}
		rows := compareVariant(v, bs[v], cs[v], opt)
		c.Rows = append(c.Rows, rows...)
		if len(bs[v]) == 1 || len(cs[v]) == 1 {
			oneRun = oneRun || slices.ContainsFunc(rows, func(r Row) bool { return r.PValue != nil && r.Verdict == Regressed })
		}
	}
	if oneRun {
		c.Warnings = append(c.Warnings, oneRunWarning)
	}
	untestable := 0
	for _, r := range c.Rows {
		c.Regressed = c.Regressed || r.Verdict == Regressed || (opt.FailUnconfirmed && r.Verdict == Unconfirmed)
		if r.PValue == nil {
			untestable++
		}
	}
	if untestable > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d metric(s) had too few samples for a significance test (p < %g needs at least 5 a side: runs for startup, memory and CPU, measured seconds for the rest): their changes are shown but unconfirmed; run with --count 5 to test them", untestable, opt.Alpha))
	}
	for _, side := range []struct {
		name string
		runs map[string][]*runSamples
	}{{"baseline", bs}, {"current", cs}} {
		for _, v := range cvars {
			for _, r := range side.runs[v] {
				if r.status != metrics.StatusCompleted {
					c.Warnings = append(c.Warnings, fmt.Sprintf("a %s run of variant %s did not complete (%s): its samples cover only the part that ran", side.name, v, r.status))
				}
				// A disturbed run (a saturated generator or host) skews the
				// comparison either way; say so next to it.
				for _, w := range r.warnings {
					if r.status == metrics.StatusCompleted { // else said above
						c.Warnings = append(c.Warnings, fmt.Sprintf("%s run of variant %s: %s", side.name, v, w))
					}
				}
			}
		}
	}
	return c, nil
}

// oneRunWarning goes with a regression found on one run of a side: the
// seconds of one run share the machine's state during it, so the test cannot
// tell a slow spell of a shared machine from a slower build.
const oneRunWarning = "one run on a side: its seconds share the machine's state during that run, so a slow spell of a shared machine (a noisy CI runner) reads as a regression; on such machines pool 3 or more runs a side (--count)"

// sampleRecords samples every run of every record, by variant, and returns
// the variants in first-seen order.
func sampleRecords(recs []*metrics.Record) (map[string][]*runSamples, []string, error) {
	out := map[string][]*runSamples{}
	var order []string
	for _, rec := range recs {
		sum, err := metrics.Summarize(rec)
		if err != nil {
			return nil, nil, err
		}
		for i, run := range rec.Runs {
			if run.Load == nil && len(run.Intervals) == 0 {
				continue
			}
			rs, err := sampleRun(&rec.Header, run, &sum.Runs[i])
			if err != nil {
				return nil, nil, fmt.Errorf("%s run %q: %w", rec.Path, run.Start.Variant, err)
			}
			v := run.Start.Variant
			if out[v] == nil {
				order = append(order, v)
			}
			out[v] = append(out[v], rs)
		}
	}
	return out, order, nil
}

// compatibility warns when the two sides were not measured alike.
func compatibility(base, cur *metrics.Record) []string {
	var w []string
	bh, ch := base.Header, cur.Header
	if bh.Scenario != ch.Scenario {
		w = append(w, fmt.Sprintf("the baseline ran scenario %q and the current run %q", bh.Scenario, ch.Scenario))
	}
	if !slices.Equal(bh.Stages, ch.Stages) || bh.Model != ch.Model {
		w = append(w, "the load plans differ: throughput and latency are compared as they are, not like for like")
	}
	// CI runners change hostnames every run; the CPU is what matters.
	if bh.Host.CPUs != ch.Host.CPUs || bh.Host.CPUModel != ch.Host.CPUModel {
		w = append(w, fmt.Sprintf("the baseline ran on another kind of machine (%d CPUs, %q) than the current run (%d CPUs, %q): differences may be the machines'",
			bh.Host.CPUs, bh.Host.CPUModel, ch.Host.CPUs, ch.Host.CPUModel))
	}
	return w
}
