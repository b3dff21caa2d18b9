package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/scenarios"
)

type searchOptions struct {
	run       runOptions
	p99       time.Duration
	errorRate string
	start     float64
	max       float64
	probe     time.Duration
	warmup    time.Duration
	growth    float64
	precision string
}

func newSearchCmd() *cobra.Command {
	o := &searchOptions{}
	cmd := &cobra.Command{
		Use:   "search FILE|NAME",
		Short: "Find the highest arrival rate a target sustains within an SLO",
		Long: `Search runs the scenario as a capacity search: open-model probes of a fixed
length at growing rates (start, start·growth, …) until one misses the SLO,
then bisection between the last good and the first bad rate until they are
within the precision. Each probe's warm-up is left out of its figures. The
scenario's load.search block sets the search; without one the defaults apply
(start 100/s, max 100000/s, probe 5s, warm-up 1s, growth 2, precision 5%,
error rate 1%) and --p99 is required. Flags override the file.

If a probe shows the generator rather than the target was the limit (schedule
lag p99 above load.search.max_lag, dropped requests, or gauntlet's own CPU at
load.search.max_generator_cpu cores) the search stops and says so: the rate
found is then a lower bound.`,
		Example: `  gauntlet search api.yaml --p99 50ms --error-rate 1%
  gauntlet search api.yaml --p99 20ms --start 500 --probe 3s --warmup 500ms --output json | jq .runs[0].search`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			adjust, err := o.adjust(cmd)
			if err != nil {
				return err
			}
			spec, err := openScenario(args[0], adjust)
			if err != nil {
				return err
			}
			return runSpec(cmd, spec, &o.run)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.p99, "p99", 0, "SLO: highest acceptable p99 latency (e.g. 50ms)")
	f.StringVar(&o.errorRate, "error-rate", "", `SLO: highest acceptable error rate (e.g. "1%")`)
	f.Float64Var(&o.start, "start", 0, "rate of the first probe (req/s)")
	f.Float64Var(&o.max, "max", 0, "highest rate probed (req/s)")
	f.DurationVar(&o.probe, "probe", 0, "length of each probe")
	f.DurationVar(&o.warmup, "warmup", 0, "part of each probe left out of its figures")
	f.Float64Var(&o.growth, "growth", 0, "rate multiplier while every probe passes")
	f.StringVar(&o.precision, "precision", "", `stop bisecting when good and bad are this close (e.g. "5%")`)
	group(cmd, groupSearch, "p99", "error-rate", "start", "max", "probe", "warmup", "growth", "precision")
	o.run.register(cmd)
	return cmd
}

// adjust returns the change that turns a decoded scenario into a
// search-model one with the flags' overrides, applied before validation.
func (o *searchOptions) adjust(cmd *cobra.Command) (func(*scenarios.Spec), error) {
	changed := cmd.Flags().Changed
	ratios := map[string]scenarios.Ratio{}
	for flag, val := range map[string]string{"error-rate": o.errorRate, "precision": o.precision} {
		if !changed(flag) {
			continue
		}
		v, err := scenarios.ParseRatio(val)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--%s: %w", flag, err))
		}
		ratios[flag] = v
	}
	return func(spec *scenarios.Spec) {
		l := &spec.Load
		if l.Search == nil {
			l.Search = scenarios.DefaultSearch()
		}
		l.Model, l.Stages, l.ThinkTime, l.Iterations = "search", nil, nil, 0
		s := l.Search
		if changed("p99") {
			s.SLO.P99 = scenarios.Duration(o.p99)
		}
		if v, ok := ratios["error-rate"]; ok {
			s.SLO.ErrorRate = v
		}
		if v, ok := ratios["precision"]; ok {
			s.Precision = v
		}
		if changed("start") {
			s.Start = scenarios.Rate(o.start)
		}
		if changed("max") {
			s.Max = scenarios.Rate(o.max)
		}
		if changed("probe") {
			s.Probe = scenarios.Duration(o.probe)
		}
		if changed("warmup") {
			s.Warmup = scenarios.Duration(o.warmup)
		}
		if changed("growth") {
			s.Growth = o.growth
		}
	}, nil
}
