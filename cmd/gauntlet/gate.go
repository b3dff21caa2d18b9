package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/gates"
	"github.com/gauntletbench/gauntlet/metrics"
)

type gateOptions struct {
	out       outputFlags
	baselines []string
	opt       gates.Options
}

// register adds the flags that judge a run against a baseline; run shares
// them with gate.
func (o *gateOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.baselines, "baseline", nil, "baseline record or folder (repeat to pool several runs)")
	_ = cmd.RegisterFlagCompletionFunc("baseline", completeRuns)
	f.Float64Var(&o.opt.Alpha, "alpha", o.opt.Alpha, "significance level of the Mann–Whitney U test")
	f.BoolVar(&o.opt.FailUnconfirmed, "fail-unconfirmed", false, "also fail on changes too few samples could test (one run per side for startup and memory)")
	for _, p := range []struct {
		name string
		v    *float64
		help string
	}{
		{"max-latency-increase", &o.opt.MaxLatencyIncrease, "median p50/p99 rise that counts as a regression"},
		{"max-throughput-decrease", &o.opt.MaxThroughputDecrease, "median throughput fall that counts as a regression"},
		{"max-error-rate-increase", &o.opt.MaxErrorRateIncrease, "error rate rise, in percentage points, that counts as a regression"},
		{"max-memory-increase", &o.opt.MaxMemoryIncrease, "idle or peak RSS rise that counts as a regression"},
		{"max-startup-increase", &o.opt.MaxStartupIncrease, "startup time rise that counts as a regression"},
		{"max-cpu-increase", &o.opt.MaxCPUIncrease, "CPU per 1k requests rise that counts as a regression"},
	} {
		f.Var((*percentFlag)(p.v), p.name, p.help+" (e.g. 10% or 0.1)")
		group(cmd, groupCI, p.name)
	}
	group(cmd, groupCI, "baseline", "alpha", "fail-unconfirmed")
}

// judge decides current records by their thresholds and against the
// baselines, prints the decision, writes it as Markdown when out.md is set,
// and returns the exit error of a failed gate.
func (o *gateOptions) judge(w io.Writer, out *outputFlags, current []string) error {
	base, err := readRecords(o.baselines)
	if err != nil {
		return err
	}
	cur, err := readRecords(current)
	if err != nil {
		return err
	}
	d, err := gates.Decide(base, cur, o.opt)
	if err != nil {
		return err
	}
	if out.md != "" {
		if err := writeArtifact(out.md, func(w io.Writer) error { return gates.WriteDecisionMarkdown(w, d) }); err != nil {
			return fmt.Errorf("write markdown: %w", err)
		}
	}
	if out.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(d)
	} else {
		err = gates.WriteDecisionText(w, d)
	}
	if err != nil {
		return err
	}
	if !d.Pass {
		return &exitError{code: exitThresholds, err: errors.New("gate failed"), silent: out.format == "json"}
	}
	return nil
}

func newGateCmd() *cobra.Command {
	o := &gateOptions{opt: gates.DefaultOptions()}
	cmd := &cobra.Command{
		Use:   "gate [--baseline BASE]... CURRENT...",
		Short: "Judge recorded runs by their thresholds and against a baseline",
		Long: `Gate reads the CURRENT records (record.ndjson, or folders holding one),
judges each run by the thresholds its scenario stated, and, given one or more
--baseline records, compares every variant present on both sides metric by
metric: per-second p50, p99, throughput and error rate of the measured
window (warm-up excluded), p50/p99 per request, and per-run startup time,
memory and CPU per 1k requests of each service.

A metric regressed when its samples differ significantly (two-sided
Mann–Whitney U, p < --alpha) AND its median moved beyond the minimum effect
in the bad direction (--max-latency-increase and friends). Several records on
a side (from --count N) are pooled. With fewer than 5 samples a side (one
run each for startup, memory and CPU) no difference can be significant: such
changes are shown as "unconfirmed regression" and fail the gate only with
--fail-unconfirmed.

Exit codes: 0 pass; 3 a threshold failed, a current run did not complete or
a metric regressed; 2 bad usage or a record that does not exist; 1 a record
that cannot be read.`,
		Example: `  gauntlet gate --baseline baseline/record.ndjson out/pr
  gauntlet gate --baseline main-1 --baseline main-2 pr-1 pr-2 --md comment.md
  gauntlet gate --baseline base out/pr --max-latency-increase 5% --output json`,
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: completeRuns,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.out.validate(); err != nil {
				return err
			}
			return o.judge(cmd.OutOrStdout(), &o.out, args)
		},
	}
	o.out.register(cmd)
	o.register(cmd)
	return cmd
}

// readRecords reads each record, given as a file or a folder holding
// record.ndjson. A path that does not exist is a usage error.
func readRecords(paths []string) ([]*metrics.Record, error) {
	var out []*metrics.Record
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, engine.RecordName)
		}
		rec, err := metrics.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErr(fmt.Errorf("no record at %s", p))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// percentFlag is a ratio written as "10%" or "0.1".
type percentFlag float64

func (p *percentFlag) String() string {
	return strconv.FormatFloat(float64(*p)*100, 'g', -1, 64) + "%"
}

func (p *percentFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	pct, isPct := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
	if err != nil || v < 0 {
		return fmt.Errorf("want a percentage like 10%% or a ratio like 0.1, got %q", s)
	}
	if isPct {
		v /= 100
	}
	*p = percentFlag(v)
	return nil
}

func (p *percentFlag) Type() string { return "percent" }
