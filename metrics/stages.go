package metrics

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gauntletbench/gauntlet/affinity"
)

// StageSummary is one planned stage of a run: what it asked for, what it
// got, and whether the machine kept up while it ran.
type StageSummary struct {
	Index  int     `json:"index"`
	Name   string  `json:"name,omitempty"`
	Kind   string  `json:"kind"`
	Warmup bool    `json:"warmup,omitempty"`
	FromS  float64 `json:"from_s"`
	ToS    float64 `json:"to_s"`
	// Rate or Concurrency is what the stage planned at its end.
	Rate        float64     `json:"rate,omitempty"`
	Concurrency int         `json:"concurrency,omitempty"`
	Requests    int64       `json:"requests"`
	Errors      int64       `json:"errors"`
	ErrorRate   float64     `json:"error_rate"`
	RPS         float64     `json:"rps"`
	Latency     Percentiles `json:"latency_ms"`
	// HostCPUPeak is the highest host CPU utilisation (0–1, all cores) and
	// GeneratorCPUPeak the highest generator CPU (in cores) read during the
	// stage; Saturated says either was near its limit, so the stage's
	// figures describe the machine as much as the target.
	HostCPUPeak      float64 `json:"host_cpu_peak"`
	GeneratorCPUPeak float64 `json:"generator_cpu_peak"`
	Saturated        string  `json:"saturated,omitempty"`
	// GeneratorCPUsBusy and ServicesCPUsBusy are set when the generator and
	// the services ran on CPUs of their own (Header.CPUSets): the mean busy
	// share (0–1) of each set's CPUs during the stage, whoever used them.
	GeneratorCPUsBusy float64 `json:"generator_cpus_busy,omitempty"`
	ServicesCPUsBusy  float64 `json:"services_cpus_busy,omitempty"`
	// SaturatedBy says whose CPUs were saturated (see saturation):
	// "services" — the services had all their CPUs could give, so the
	// figures stand; "generator" — the generator limited the load, so they
	// describe gauntlet, not the services; "host" — every CPU was busy, the
	// generator and the services sharing them; empty when none was.
	SaturatedBy string `json:"saturated_by,omitempty"`
	// CPUMsPer1kRequests is the CPU the services used during the stage,
	// summed over them, per 1,000 of its requests; 0 without readings.
	CPUMsPer1kRequests float64 `json:"cpu_ms_per_1k_requests,omitempty"`
	// WireBytesPerRequest is what the services' accepted connections carried
	// during the stage, both ways, per request: the TCP payload the services
	// count themselves (the reference services'
	// gauntlet_connection_{received,sent}_bytes_total), summed over them, so
	// on a chain each link counts once, at its server. It includes
	// gauntlet's scrapes of /metrics (a few KB per service per second). 0
	// when no service counts it.
	WireBytesPerRequest float64 `json:"wire_bytes_per_request,omitempty"`
	// ConnectionsPeak is the most connections open to those services at one
	// reading during the stage, summed over them (gauntlet's one scrape
	// connection per service included); 0 when no service counts them.
	ConnectionsPeak float64 `json:"connections_peak,omitempty"`
	// Target and RSSPerConnBytes are set on idle-connections stages: the
	// target service's memory growth per open idle connection.
	Target          string  `json:"target,omitempty"`
	RSSPerConnBytes float64 `json:"rss_per_connection_bytes,omitempty"`
	// RSSPerConnHidden says why RSS growth cannot show the target's memory
	// per connection, so RSSPerConnBytes is not comparable with other
	// runtimes' (a JVM keeps connections in a heap already resident).
	RSSPerConnHidden string `json:"rss_per_connection_hidden,omitempty"`
}

// Saturation limits: above them a stage is flagged.
const (
	hostCPUSaturated      = 0.9
	generatorCPUSaturated = 0.9
)

// Whose CPUs a stage saturated, the values of StageSummary.SaturatedBy.
const (
	SaturatedByServices  = "services"
	SaturatedByGenerator = "generator"
	SaturatedByHost      = "host"
)

// cpuLoad is what the probes saw of the CPUs during a stage.
type cpuLoad struct {
	// sets is where the generator and the services ran (nil: unknown).
	sets *CPUSets
	// genCPUs is the number of CPUs in the generator's set.
	genCPUs int
	// genMean and genPeak are the generator's own CPU, in cores.
	genMean, genPeak float64
	// genBusy and svcBusy are the mean busy shares of the two sets (0–1).
	genBusy, svcBusy float64
	// hostPeak is the highest busy share of all CPUs (0–1).
	hostPeak float64
}

// saturation says whose CPUs limited a stage, and how, in words.
//
// With the generator and the services on CPUs of their own it judges the
// stage's means: the generator's when gauntlet itself used ≥ 90 % of its
// CPUs; else the services' when their CPUs were ≥ 90 % busy (they got all
// their CPUs could give: the figure stands, even if other processes took
// some of it); else the generator's when its CPUs were ≥ 90 % busy with other
// processes. Sharing the CPUs it judges the peaks: the generator's when it
// used ≥ 90 % of a core, else the host's when all CPUs were ≥ 90 % busy.
func saturation(l cpuLoad) (by, text string) {
	if l.sets.pinned() {
		own := l.genMean / float64(max(l.genCPUs, 1))
		switch {
		case own >= generatorCPUSaturated:
			return SaturatedByGenerator, fmt.Sprintf("the generator's CPU %s, %.0f%% used by gauntlet itself: the figure measures the generator, not the services",
				l.sets.Generator, own*100)
		case l.svcBusy >= hostCPUSaturated:
			return SaturatedByServices, fmt.Sprintf("the services' CPU %s, %.0f%% busy: the services' limit, the figure stands",
				l.sets.Services, l.svcBusy*100)
		case l.genBusy >= hostCPUSaturated:
			return SaturatedByGenerator, fmt.Sprintf("the generator's CPU %s, %.0f%% busy (gauntlet %.0f%%, the rest other processes): the generator may have held the load back",
				l.sets.Generator, l.genBusy*100, own*100)
		}
		return "", ""
	}
	switch {
	case l.genPeak >= generatorCPUSaturated:
		return SaturatedByGenerator, fmt.Sprintf("generator at %.0f%% of a core", l.genPeak*100)
	case l.hostPeak >= hostCPUSaturated:
		return SaturatedByHost, fmt.Sprintf("host CPU at %.0f%%", l.hostPeak*100)
	}
	return "", ""
}

func summarizeStages(h *Header, run *Run) ([]StageSummary, error) {
	if len(h.Stages) < 2 {
		return nil, nil
	}
	merged := make([]*merged, len(h.Stages))
	for i := range run.Intervals {
		iv := &run.Intervals[i]
		if iv.Stage >= len(merged) {
			continue
		}
		if merged[iv.Stage] == nil {
			merged[iv.Stage] = newMerged()
		}
		if err := merged[iv.Stage].add(iv); err != nil {
			return nil, err
		}
	}
	host := readingSeries(run, OwnerHost, "host_cpu_utilization_ratio")
	gen := readingSeries(run, OwnerGenerator, "cpu_utilization_ratio")
	genBusy := readingSeries(run, OwnerHost, "generator_cpus_busy_ratio")
	svcBusy := readingSeries(run, OwnerHost, "services_cpus_busy_ratio")
	genCPUs := 0
	if h.CPUSets.pinned() {
		if set, err := affinity.Parse(h.CPUSets.Generator); err == nil {
			genCPUs = len(set)
		}
	}
	svcNames := slices.Sorted(maps.Keys(services(run)))
	_, loadEnd := MeasuredWindow(h, run)
	out := make([]StageSummary, len(h.Stages))
	for i, st := range h.Stages {
		from, to := st.StartS, st.StartS+st.ForS
		ss := StageSummary{Index: i, Name: st.Name, Kind: st.Kind, Warmup: st.Warmup, FromS: from, ToS: to,
			Rate: st.Rate, Concurrency: st.Concurrency, Target: st.Target,
			HostCPUPeak: orZero(host.Peak(from, to)), GeneratorCPUPeak: orZero(gen.Peak(from, to))}
		if ss.Kind == "" {
			ss.Kind = "open"
		}
		if m := merged[i]; m != nil {
			ss.Requests, ss.Errors = m.requests, m.errors
			ss.ErrorRate = ratio(m.errors, m.requests)
			ss.RPS = perSecond(m.requests, stageSpan(st, loadEnd, m.sentUntil))
			ss.Latency = percentiles(m.lat)
		}
		l := cpuLoad{sets: h.CPUSets, genCPUs: genCPUs, genMean: orZero(gen.Mean(from, to)), genPeak: ss.GeneratorCPUPeak,
			genBusy: orZero(genBusy.Mean(from, to)), svcBusy: orZero(svcBusy.Mean(from, to)), hostPeak: ss.HostCPUPeak}
		if h.CPUSets.pinned() {
			ss.GeneratorCPUsBusy, ss.ServicesCPUsBusy = l.genBusy, l.svcBusy
		}
		ss.SaturatedBy, ss.Saturated = saturation(l)
		stageServices(run, svcNames, from, to, &ss)
		if st.IdleConnections > 0 {
			rss := readingSeries(run, st.Target, "rss_bytes")
			if before, peak := rss.Last(from), rss.Peak(from, to); !math.IsNaN(before) && !math.IsNaN(peak) {
				ss.RSSPerConnBytes = max(peak-before, 0) / float64(st.IdleConnections)
			}
			ss.RSSPerConnHidden = rssHidden(run, st.Target)
		}
		out[i] = ss
	}
	return out, nil
}

// stageSpan is the seconds a stage's requests were sent over: its planned
// span, cut at loadEnd when the run stopped before the stage's end, and
// stretched to sentUntil when a generator behind its plan sent the stage's
// last requests after it (as the run's own rate is).
func stageSpan(st Stage, loadEnd, sentUntil float64) float64 {
	end := min(st.StartS+st.ForS, loadEnd)
	return max(end, sentUntil) - st.StartS
}

// stageServices fills the stage's figures summed over the services named:
// CPU per 1k requests, bytes on the wire per request, connections at the
// peak. Counters are read as rates between the first and the last reading
// inside the stage (scraped every second), over the stage's request rate, so
// the stages on either side do not leak in.
func stageServices(run *Run, names []string, from, to float64, ss *StageSummary) {
	if ss.RPS <= 0 {
		return
	}
	var cpu, wire float64
	peaks := map[float64]float64{} // reading second → connections open, summed over services
	for _, name := range names {
		cpu += rateWithin(readingSeries(run, name, "cpu_seconds_total"), from, to)
		wire += rateWithin(readingSeries(run, name, "net_received_bytes_total"), from, to)
		wire += rateWithin(readingSeries(run, name, "net_sent_bytes_total"), from, to)
		open := readingSeries(run, name, "connections_open")
		for i, t := range open.T {
			if t > from && t <= to {
				// Services are scraped one after another: a reading's second
				// is close enough to pair them.
				peaks[math.Floor(t)] += open.V[i]
			}
		}
	}
	ss.CPUMsPer1kRequests = cpu * 1e3 / ss.RPS * 1e3
	ss.WireBytesPerRequest = wire / ss.RPS
	for _, v := range peaks {
		ss.ConnectionsPeak = max(ss.ConnectionsPeak, v)
	}
}

// rateWithin is the mean growth per second of counter s between its first
// and last readings in [from, to]; 0 with fewer than two, or across a reset.
func rateWithin(s Series, from, to float64) float64 {
	first, last := -1, -1
	for i, t := range s.T {
		if t >= from && t <= to {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 || last <= first || s.V[last] < s.V[first] {
		return 0
	}
	return (s.V[last] - s.V[first]) / (s.T[last] - s.T[first])
}

// rssHidden says why the RSS growth of service name cannot show what its
// connections cost, "" when it can. A managed runtime whose allocator keeps
// the memory earlier load made resident serves new connections from it: a JVM
// (its command runs java) from a heap sized up front, CPython (python3…) from
// the pymalloc arenas and malloc free lists the load left behind.
func rssHidden(run *Run, name string) string {
	for _, ev := range run.Services {
		if ev.Service != name || ev.Kind != "command" || len(ev.Command) == 0 {
			continue
		}
		switch exe := filepath.Base(ev.Command[0]); {
		case exe == "java":
			return "a JVM keeps connections in its heap, already resident, so RSS growth cannot see them"
		case strings.HasPrefix(exe, "python"):
			return "CPython keeps connections in arenas earlier load made resident, so RSS growth cannot see them"
		}
	}
	return ""
}
