package probes

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"
)

// Owners of the readings of Host and Self.
const (
	OwnerHost      = metrics.OwnerHost
	OwnerGenerator = metrics.OwnerGenerator
)

// Host returns a Sampler of the machine (owner "host") with the values
//
//	host_cpu_utilization_ratio  busy share of all cores since the previous
//	                            sample (the first one: since Host was
//	                            called), 0–1
//	host_memory_used_bytes      total minus available memory
//	host_memory_total_bytes
//	host_load1                  one-minute load average
//	host_cpu_steal_ratio        share of all cores' time since the previous
//	                            sample that the hypervisor gave to other
//	                            virtual machines (steal), 0–1
//
// host_cpu_utilization_ratio and host_cpu_steal_ratio are omitted when no
// time has passed on the CPU counters since the previous sample.
func Host() Sampler {
	h := &host{}
	if t, err := cpu.TimesWithContext(context.Background(), false); err == nil && len(t) > 0 {
		h.prev, h.havePrev = t[0], true
	}
	return h
}

type host struct {
	prev     cpu.TimesStat
	havePrev bool
}

var _ Sampler = (*host)(nil)

func (h *host) Sample(ctx context.Context, now time.Time) (metrics.Readings, error) {
	rd := metrics.Readings{Owner: OwnerHost, Time: now}
	if err := ctx.Err(); err != nil {
		return rd, err
	}
	ts, err := cpu.TimesWithContext(ctx, false)
	if err != nil {
		return rd, fmt.Errorf("host cpu: %w", err)
	}
	if len(ts) == 0 {
		return rd, fmt.Errorf("host cpu: no times")
	}
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return rd, fmt.Errorf("host memory: %w", err)
	}
	avg, err := load.AvgWithContext(ctx)
	if err != nil {
		return rd, fmt.Errorf("host load: %w", err)
	}
	rd.Values = map[string]float64{
		"host_memory_used_bytes":  float64(vm.Used),
		"host_memory_total_bytes": float64(vm.Total),
		"host_load1":              avg.Load1,
	}
	cur := ts[0]
	if h.havePrev {
		if r, ok := busyRatio(h.prev, cur); ok {
			rd.Values["host_cpu_utilization_ratio"] = r
			rd.Values["host_cpu_steal_ratio"] = stealRatio(h.prev, cur)
		}
	}
	h.prev, h.havePrev = cur, true
	return rd, nil
}

// busyRatio is the share of CPU time between two readings of the summed
// counters that was not idle, clamped to 0–1. Guest time is already part of
// user and nice time, so it is not added again.
func busyRatio(prev, cur cpu.TimesStat) (float64, bool) {
	idle := func(t cpu.TimesStat) float64 { return t.Idle + t.Iowait }
	dt := cpuTotal(cur) - cpuTotal(prev)
	if dt <= 0 {
		return 0, false
	}
	return clamp01(1 - (idle(cur)-idle(prev))/dt), true
}

// stealRatio is the share of CPU time between two readings that the
// hypervisor ran other virtual machines on these CPUs (part of busyRatio's
// busy time); 0 when no time passed.
func stealRatio(prev, cur cpu.TimesStat) float64 {
	dt := cpuTotal(cur) - cpuTotal(prev)
	if dt <= 0 {
		return 0
	}
	return clamp01((cur.Steal - prev.Steal) / dt)
}

// cpuTotal is every CPU time counter summed; guest time is already part of
// user and nice time.
func cpuTotal(t cpu.TimesStat) float64 {
	return t.User + t.Nice + t.System + t.Idle + t.Iowait + t.Irq + t.Softirq + t.Steal
}

func clamp01(v float64) float64 {
	switch {
	case v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}

// Self returns a Sampler of the generator process itself (owner
// "generator") with the values rss_bytes, cpu_seconds_total, threads,
// open_fds, goroutines, and cpu_utilization_ratio: CPU seconds per second of
// wall time since the previous sample (the first one: since Self was
// called), where 1 is one core, so ≥ 0.9 means the generator saturated a
// core. It may exceed 1 on several cores.
func Self() Sampler {
	s := &self{p: &process.Process{Pid: int32(os.Getpid())}}
	if c, err := s.cpuSeconds(context.Background()); err == nil {
		s.prevCPU, s.prevAt = c, time.Now()
	}
	return s
}

type self struct {
	p       *process.Process
	prevCPU float64
	prevAt  time.Time // zero if there is no previous reading
}

var _ Sampler = (*self)(nil)

func (s *self) cpuSeconds(ctx context.Context) (float64, error) {
	t, err := s.p.TimesWithContext(ctx)
	if err != nil {
		return 0, err
	}
	return t.User + t.System, nil
}

func (s *self) Sample(ctx context.Context, now time.Time) (metrics.Readings, error) {
	rd := metrics.Readings{Owner: OwnerGenerator, Time: now}
	if err := ctx.Err(); err != nil {
		return rd, err
	}
	c, err := s.cpuSeconds(ctx)
	if err != nil {
		return rd, fmt.Errorf("generator cpu: %w", err)
	}
	mi, err := s.p.MemoryInfoWithContext(ctx)
	if err != nil {
		return rd, fmt.Errorf("generator memory: %w", err)
	}
	threads, err := s.p.NumThreadsWithContext(ctx)
	if err != nil {
		return rd, fmt.Errorf("generator threads: %w", err)
	}
	rd.Values = map[string]float64{
		"rss_bytes":         float64(mi.RSS),
		"cpu_seconds_total": c,
		"threads":           float64(threads),
		"goroutines":        float64(runtime.NumGoroutine()),
	}
	if fds, err := s.p.NumFDsWithContext(ctx); err == nil {
		rd.Values["open_fds"] = float64(fds)
	}
	if !s.prevAt.IsZero() {
		if wall := now.Sub(s.prevAt).Seconds(); wall > 0 {
			rd.Values["cpu_utilization_ratio"] = max(0, c-s.prevCPU) / wall
		}
	}
	s.prevCPU, s.prevAt = c, now
	return rd, nil
}
