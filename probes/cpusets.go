package probes

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"

	"github.com/gauntletbench/gauntlet/metrics"
)

// CPUSets returns a Sampler of the busy share of groups of CPUs (owner
// "host"): for every name in sets, the value NAME_cpus_busy_ratio is the
// share of those CPUs' time, summed, that was not idle since the previous
// sample (the first one: since CPUSets was called), 0–1, whoever used it.
// It tells a run whose cores were saturated when the generator and the
// services run on CPUs of their own.
func CPUSets(sets map[string][]int) Sampler {
	c := &cpuSets{sets: sets}
	if per, err := cpu.TimesWithContext(context.Background(), true); err == nil {
		c.prev = c.sums(per)
	}
	return c
}

type cpuSets struct {
	sets map[string][]int
	prev map[string]cpu.TimesStat // nil before a first reading
}

var _ Sampler = (*cpuSets)(nil)

func (c *cpuSets) Sample(ctx context.Context, now time.Time) (metrics.Readings, error) {
	rd := metrics.Readings{Owner: OwnerHost, Time: now, Values: map[string]float64{}}
	if err := ctx.Err(); err != nil {
		return rd, err
	}
	per, err := cpu.TimesWithContext(ctx, true)
	if err != nil {
		return rd, fmt.Errorf("per-CPU times: %w", err)
	}
	cur := c.sums(per)
	for name, t := range cur {
		if p, ok := c.prev[name]; ok {
			if r, ok := busyRatio(p, t); ok {
				rd.Values[name+"_cpus_busy_ratio"] = r
			}
		}
	}
	c.prev = cur
	return rd, nil
}

// sums adds up the times of each set's CPUs; a set none of whose CPUs is
// listed is left out.
func (c *cpuSets) sums(per []cpu.TimesStat) map[string]cpu.TimesStat {
	byCPU := make(map[int]cpu.TimesStat, len(per))
	for _, t := range per {
		if n, err := strconv.Atoi(strings.TrimPrefix(t.CPU, "cpu")); err == nil {
			byCPU[n] = t
		}
	}
	out := make(map[string]cpu.TimesStat, len(c.sets))
	for name, cpus := range c.sets {
		var sum cpu.TimesStat
		found := false
		for _, n := range cpus {
			t, ok := byCPU[n]
			if !ok {
				continue
			}
			found = true
			sum.User += t.User
			sum.Nice += t.Nice
			sum.System += t.System
			sum.Idle += t.Idle
			sum.Iowait += t.Iowait
			sum.Irq += t.Irq
			sum.Softirq += t.Softirq
			sum.Steal += t.Steal
		}
		if found {
			out[name] = sum
		}
	}
	return out
}
