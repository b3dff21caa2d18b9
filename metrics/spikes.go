package metrics

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// SpikeRule says which seconds of a run are latency spikes: those whose p99
// is at least Factor times the run's typical p99 (the median of its measured
// seconds' p99) and at least MinRiseMs above it. GCPauseMs is the garbage
// collection pause within a spike second from which a service's GC counts
// as a cause.
type SpikeRule struct {
	Factor    float64 `json:"factor"`
	MinRiseMs float64 `json:"min_rise_ms"`
	GCPauseMs float64 `json:"gc_pause_ms"`
}

// DefaultSpikeRule is used when a scenario sets no spikes block.
var DefaultSpikeRule = SpikeRule{Factor: 3, MinRiseMs: 5, GCPauseMs: 1}

// noCauseSeen is the cause listed for a spike nothing coincided with.
const noCauseSeen = "no cause seen"

// Spike is one second whose p99 stood far above the run's typical p99, with
// what coincided with it. T is the second's start, in seconds since load
// start; Causes is never empty ("no cause seen" when nothing coincided).
type Spike struct {
	T      float64  `json:"t"`
	P99Ms  float64  `json:"p99_ms"`
	Causes []string `json:"causes"`
}

// Thresholds of the causes read from the probes.
const (
	// hostCPUBusy is the host CPU utilisation (0–1) from which the host
	// counts as saturated during a spike.
	hostCPUBusy = 0.95
	// serviceCPUBusy is the share of the host's cores from which a service
	// counts as at its CPU limit.
	serviceCPUBusy = 0.9
	// threadBurst is how far above its median a service's thread (or
	// goroutine) count must rise, relatively and by at least
	// threadBurstMin, to count as a burst.
	threadBurst    = 1.5
	threadBurstMin = 20
	// gcBurst is how many times its typical pause time per second a
	// service's GC must pause it around a spike second to count.
	gcBurst = 3
)

// findSpikes lists the spikes of a run's measured seconds and what
// coincided with each. impacts are the run's fault impacts (their recovery
// extends a fault's reach).
func findSpikes(h *Header, run *Run, secs map[int]*second, impacts []FaultImpact, rule SpikeRule) (typical float64, out []Spike) {
	ts := make([]int, 0, len(secs))
	p99 := map[int]float64{}
	for t, s := range secs {
		if s.latN > 0 {
			ts = append(ts, t)
			p99[t] = ms(s.latP99)
		}
	}
	if len(ts) == 0 {
		return 0, nil
	}
	sort.Ints(ts)
	typical = median(ts, func(t int) float64 { return p99[t] })
	c := newCauses(h, run, impacts, rule)
	for _, t := range ts {
		if v := p99[t]; v >= rule.Factor*typical && v >= typical+rule.MinRiseMs {
			out = append(out, Spike{T: float64(t), P99Ms: v, Causes: c.at(float64(t), secs[t])})
		}
	}
	return typical, out
}

func median[T any](xs []T, v func(T) float64) float64 {
	vs := make([]float64, len(xs))
	for i, x := range xs {
		vs[i] = v(x)
	}
	sort.Float64s(vs)
	if len(vs) == 0 {
		return math.NaN()
	}
	return vs[len(vs)/2]
}

// causes holds what a run's record says about its machine and services, to
// be matched against spike seconds.
type causes struct {
	rule     SpikeRule
	cpus     int
	load0    time.Time
	services []string
	run      *Run
	impacts  []FaultImpact
	host     Series
	gen      Series
	// per service
	cpu, gcPause, gcCycles, threads map[string]Series
	typicalThreads, typicalPause    map[string]float64
}

func newCauses(h *Header, run *Run, impacts []FaultImpact, rule SpikeRule) *causes {
	c := &causes{rule: rule, cpus: h.Host.CPUs, run: run, impacts: impacts,
		host: readingSeries(run, OwnerHost, "host_cpu_utilization_ratio"),
		gen:  readingSeries(run, OwnerGenerator, "cpu_utilization_ratio"),
		cpu:  map[string]Series{}, gcPause: map[string]Series{}, gcCycles: map[string]Series{}, threads: map[string]Series{},
		typicalThreads: map[string]float64{}, typicalPause: map[string]float64{}}
	if run.Load != nil {
		c.load0 = run.Load.Start
	}
	seen := map[string]bool{}
	for _, rd := range run.Readings {
		if rd.Owner != OwnerHost && rd.Owner != OwnerGenerator && !seen[rd.Owner] {
			seen[rd.Owner] = true
			c.services = append(c.services, rd.Owner)
		}
	}
	sort.Strings(c.services)
	for _, s := range c.services {
		c.cpu[s] = readingSeries(run, s, "cpu_seconds_total")
		c.gcPause[s] = readingSeries(run, s, "gc_pause_seconds_total")
		c.gcCycles[s] = readingSeries(run, s, "gc_collections_total")
		th := readingSeries(run, s, "goroutines")
		if len(th.T) == 0 {
			th = readingSeries(run, s, "jvm_threads")
		}
		c.threads[s] = th
		c.typicalThreads[s] = median(th.V, func(v float64) float64 { return v })
		c.typicalPause[s] = typicalRate(c.gcPause[s])
	}
	return c
}

// typicalRate is the median increase per second of a counter between
// consecutive readings.
func typicalRate(s Series) float64 {
	var rates []float64
	for i := 1; i < len(s.T); i++ {
		if dt := s.T[i] - s.T[i-1]; dt > 0 && s.V[i] >= s.V[i-1] {
			rates = append(rates, (s.V[i]-s.V[i-1])/dt)
		}
	}
	return median(rates, func(v float64) float64 { return v })
}

// spanDelta is a counter's increase over the readings that enclose [from,
// to]: from the last at or before from to the first at or after to.
func spanDelta(s Series, from, to float64) float64 {
	end := to
	for _, t := range s.T {
		if t >= to {
			end = t
			break
		}
	}
	return s.Delta(from, end)
}

// at lists what coincided with second [t, t+1).
func (c *causes) at(t float64, s *second) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, fi := range c.impacts {
		on := fi.Name + " (" + fi.Kind
		if fi.Target != "" {
			on += " on " + fi.Target
		}
		on += ")"
		recovered := fi.After.ToS
		if fi.TimeToRecoverMs != nil {
			recovered = fi.RevertedAt + *fi.TimeToRecoverMs/1000
		}
		switch {
		case fi.RevertedAt > fi.InjectedAt && fi.InjectedAt < t+1 && fi.RevertedAt > t:
			add("fault %s in effect", on)
		case fi.RevertedAt == fi.InjectedAt && fi.InjectedAt >= t-1 && fi.InjectedAt < t+1:
			add("fault %s at %.1f s", on, fi.InjectedAt)
		case fi.RevertedAt <= t && recovered > t:
			add("recovering from fault %s", on)
		}
	}
	for _, ev := range c.run.Services {
		at := ev.Time.Sub(c.load0).Seconds()
		if c.load0.IsZero() || at < t-1 || at >= t+1 {
			continue
		}
		switch {
		case ev.Kind == "exited" && ev.Fault != "":
			add("service %s killed by fault %s at %.1f s", ev.Service, ev.Fault, at)
		case ev.Kind == "exited":
			add("service %s exited unexpectedly at %.1f s (%s)", ev.Service, at, exitText(ev))
		case ev.Kind == "ready" && ev.Fault != "":
			add("service %s restarted after fault %s, ready at %.1f s", ev.Service, ev.Fault, at)
		}
	}
	if v := c.host.Peak(t, t+1.25); v >= hostCPUBusy {
		add("host CPU saturated (%.0f %%)", v*100)
	}
	if v := c.gen.Peak(t, t+1.25); v >= generatorCPUSaturated {
		add("generator CPU saturated (%.2f cores)", v)
	}
	if s != nil && s.lagP99 > lagWarning {
		add("generator schedule lag p99 %s", fmtMs(s.lagP99))
	}
	for _, svc := range c.services {
		span := c.spanLen(c.gcPause[svc], t)
		pause := spanDelta(c.gcPause[svc], t, t+1) * 1000
		if !math.IsNaN(pause) && pause >= c.rule.GCPauseMs && pause >= gcBurst*c.typicalPause[svc]*1000*span {
			add("GC pause in %s: %s ms paused in %.0f collections", svc, trimMs(pause), spanDelta(c.gcCycles[svc], t, t+1))
		}
		if th, typ := c.threads[svc].Peak(t, t+1.25), c.typicalThreads[svc]; th >= typ*threadBurst && th >= typ+threadBurstMin {
			add("thread burst in %s: %.0f threads (typically %.0f)", svc, th, typ)
		}
		if c.cpus > 0 {
			if cores := spanDelta(c.cpu[svc], t, t+1) / c.spanLen(c.cpu[svc], t); cores >= serviceCPUBusy*float64(c.cpus) {
				add("service %s CPU at its limit (%.2f of %d cores)", svc, cores, c.cpus)
			}
		}
	}
	if len(out) == 0 {
		return []string{noCauseSeen}
	}
	return out
}

// spanLen is the time between the readings of s that enclose [t, t+1];
// +Inf when none do.
func (c *causes) spanLen(s Series, t float64) float64 {
	from, to := math.NaN(), math.NaN()
	for _, rt := range s.T {
		if rt <= t {
			from = rt
		}
		if rt >= t+1 && math.IsNaN(to) {
			to = rt
		}
	}
	if math.IsNaN(from) || math.IsNaN(to) || to <= from {
		return math.Inf(1)
	}
	return to - from
}

func trimMs(v float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", v), "0"), ".")
}
