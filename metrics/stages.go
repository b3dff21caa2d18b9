package metrics

import (
	"fmt"
	"math"
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
	// Target and RSSPerConnBytes are set on idle-connections stages: the
	// target service's memory growth per open idle connection.
	Target          string  `json:"target,omitempty"`
	RSSPerConnBytes float64 `json:"rss_per_connection_bytes,omitempty"`
}

// Saturation limits: above them a stage is flagged.
const (
	hostCPUSaturated      = 0.9
	generatorCPUSaturated = 0.9
)

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
	host := ReadingSeries(run, OwnerHost, "host_cpu_utilization_ratio")
	gen := ReadingSeries(run, OwnerGenerator, "cpu_utilization_ratio")
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
			ss.RPS = perSecond(m.requests, st.ForS)
			ss.Latency = percentiles(m.lat)
		}
		switch {
		case ss.GeneratorCPUPeak >= generatorCPUSaturated:
			ss.Saturated = fmt.Sprintf("generator at %.0f%% of a core", ss.GeneratorCPUPeak*100)
		case ss.HostCPUPeak >= hostCPUSaturated:
			ss.Saturated = fmt.Sprintf("host CPU at %.0f%%", ss.HostCPUPeak*100)
		}
		if st.IdleConnections > 0 {
			rss := ReadingSeries(run, st.Target, "rss_bytes")
			if before, peak := rss.Last(from), rss.Peak(from, to); !math.IsNaN(before) && !math.IsNaN(peak) {
				ss.RSSPerConnBytes = max(peak-before, 0) / float64(st.IdleConnections)
			}
		}
		out[i] = ss
	}
	return out, nil
}
