package metrics

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Record line types written by runners besides results.
const (
	// LineProbe is one probe of a capacity search.
	LineProbe = "probe"
	// LineNote is something a runner has to say about the run.
	LineNote = "note"
)

// Note kinds.
const (
	// NoteDataExhausted: a request's unique data rows ran out and the run
	// stopped early.
	NoteDataExhausted = "data_exhausted"
	// NoteSearchStopped: why the capacity search ended (Text is one of the
	// SearchStopped* reasons).
	NoteSearchStopped = "search_stopped"
	// NoteNoMetrics: a service answered the one request for its /metrics
	// with no Prometheus metrics, so it was not scraped (Text says what it
	// answered).
	NoteNoMetrics = "no_metrics"
)

// Reasons a capacity search ends, in SearchResult.Stopped.
const (
	SearchConverged        = "converged"
	SearchMaxReached       = "max_reached"
	SearchGeneratorLimited = "generator_limited"
	SearchProbeLimit       = "probe_limit"
	SearchInterrupted      = "interrupted"
)

// ClosedModelWarning is the warning every closed-model run carries.
const ClosedModelWarning = "closed model: latency hides stalls (coordinated omission); throughput is what N workers achieved"

// SearchPlan is the search model's plan as the header records it.
type SearchPlan struct {
	StartRPS  float64 `json:"start_rps"`
	MaxRPS    float64 `json:"max_rps"`
	ProbeS    float64 `json:"probe_s"`
	WarmupS   float64 `json:"warmup_s"`
	Growth    float64 `json:"growth"`
	Precision float64 `json:"precision"`
	MaxProbes int     `json:"max_probes"`
	// Retries is how often a failing probe is repeated before its rate
	// counts as bad.
	Retries      int     `json:"retries"`
	SLOP99Ms     float64 `json:"slo_p99_ms"`
	SLOErrorRate float64 `json:"slo_error_rate"`
	// MaxLagMs and MaxGeneratorCPU (cores) are the limits beyond which a
	// probe measured the generator rather than the target.
	MaxLagMs        float64 `json:"max_lag_ms"`
	MaxGeneratorCPU float64 `json:"max_generator_cpu"`
}

// Probe is one probe of a capacity search: a steady open-model phase at
// OfferedRPS whose first WarmupS seconds ran as stage WarmupStage and the
// rest, which is judged, as stage Stage. Written when the probe has ended.
type Probe struct {
	Type        string  `json:"type"`
	Variant     string  `json:"variant"`
	Index       int     `json:"probe"`
	OfferedRPS  float64 `json:"offered_rps"`
	StartS      float64 `json:"start_s"`
	WarmupS     float64 `json:"warmup_s"`
	ForS        float64 `json:"for_s"`
	WarmupStage int     `json:"warmup_stage"`
	Stage       int     `json:"stage"`
	// GeneratorCPU is the CPU the gauntlet process used during the probe,
	// in cores (CPU seconds per wall second).
	GeneratorCPU float64 `json:"generator_cpu"`
	// InFlightCapped is set when every one of max_in_flight workers was
	// busy: a schedule lag then comes from the target, not the generator.
	InFlightCapped bool `json:"in_flight_capped,omitempty"`
	// Interrupted is set when the run was cancelled during the probe.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Note is something a runner has to say about a run; T is seconds since
// load start.
type Note struct {
	Type    string  `json:"type"`
	Variant string  `json:"variant"`
	T       float64 `json:"t"`
	Kind    string  `json:"kind"`
	Request string  `json:"request,omitempty"`
	Text    string  `json:"text"`
}

func (r *Run) decodeRunner(typ string, line []byte) error {
	switch typ {
	case LineProbe:
		var p Probe
		if err := json.Unmarshal(line, &p); err != nil {
			return err
		}
		r.Probes = append(r.Probes, p)
	case LineNote:
		var n Note
		if err := json.Unmarshal(line, &n); err != nil {
			return err
		}
		r.Notes = append(r.Notes, n)
	}
	return nil
}

// SearchResult is what a capacity search found. Every figure is recomputed
// from the record's intervals.
type SearchResult struct {
	// MaxRate is the highest offered rate whose probe met the SLO; 0 when
	// none did.
	MaxRate      float64       `json:"max_rate"`
	SLOP99Ms     float64       `json:"slo_p99_ms"`
	SLOErrorRate float64       `json:"slo_error_rate"`
	Stopped      string        `json:"stopped"`
	Probes       []SearchProbe `json:"probes"`
	// Found is the probe at MaxRate (1-based, as in Probes; the last one
	// when a rate was probed again); 0 when none met the SLO. The run's
	// request figures and thresholds are that probe's.
	Found int `json:"found_probe,omitempty"`
}

// SearchProbe is one probe's figures, from its measured part (warm-up left out).
type SearchProbe struct {
	OfferedRPS  float64 `json:"offered_rps"`
	AchievedRPS float64 `json:"achieved_rps"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	ErrorRate   float64 `json:"error_rate"`
	LagP99Ms    float64 `json:"schedule_lag_p99_ms"`
	Pass        bool    `json:"pass"`
	Note        string  `json:"note,omitempty"`
}

// ProbeFigures is what a probe measured, the input of SearchPlan.Judge.
type ProbeFigures struct {
	Requests, Errors, Dropped int64
	P50, P99, LagP99          time.Duration
	// ServiceP99 is the p99 of service time (actual send to end).
	ServiceP99 time.Duration
	// GeneratorCPU is in cores; InFlightCapped as in Probe.
	GeneratorCPU   float64
	InFlightCapped bool
}

// Judge says whether a probe met the SLO, whether the generator rather
// than the target is to blame for a miss, and why, in words. Latency counts
// from the intended send time, so a probe that meets the SLO although the
// generator lagged passes (conservatively). A miss is the generator's when
// it dropped requests or ran out of CPU, or when requests left late (with
// workers to spare, so the lag was not the target's queue) and the target's
// own part — service time from the actual send, errors — met the SLO.
// Pure: the runner and Summarize judge alike.
func (p *SearchPlan) Judge(f ProbeFigures) (pass, generatorLimited bool, note string) {
	var hard, lagged []string
	if f.GeneratorCPU >= p.MaxGeneratorCPU {
		hard = append(hard, fmt.Sprintf("generator CPU %.2f cores >= %.2f", f.GeneratorCPU, p.MaxGeneratorCPU))
	}
	if f.Dropped > 0 && !f.InFlightCapped {
		hard = append(hard, fmt.Sprintf("%d requests dropped", f.Dropped))
	}
	if lag := ms(f.LagP99); lag > p.MaxLagMs && !f.InFlightCapped {
		lagged = append(lagged, fmt.Sprintf("schedule lag p99 %.1f ms > %.4g ms", lag, p.MaxLagMs))
	}
	var bad []string
	if f.Requests == 0 {
		bad = append(bad, "no request completed")
	}
	if p99 := ms(f.P99); p99 > p.SLOP99Ms {
		bad = append(bad, fmt.Sprintf("p99 %.1f ms > %.4g ms", p99, p.SLOP99Ms))
	}
	errorsBad := ratio(f.Errors, f.Requests) > p.SLOErrorRate
	if errorsBad {
		bad = append(bad, fmt.Sprintf("error rate %.2f%% > %.4g%%", 100*ratio(f.Errors, f.Requests), 100*p.SLOErrorRate))
	}
	targetBad := f.Requests == 0 || errorsBad || ms(f.ServiceP99) > p.SLOP99Ms
	gen := append(hard, lagged...)
	switch {
	case len(bad) == 0 && len(gen) > 0:
		return true, false, "passed although " + strings.Join(gen, ", ")
	case len(bad) == 0:
		return true, false, ""
	case len(hard) > 0 || len(lagged) > 0 && !targetBad:
		return false, true, "generator limited: " + strings.Join(gen, ", ") + " (" + strings.Join(bad, ", ") + ")"
	}
	note = strings.Join(bad, ", ")
	if len(lagged) > 0 {
		note += fmt.Sprintf(" (service time p99 %.1f ms; %s)", ms(f.ServiceP99), lagged[0])
	}
	return false, false, note
}

// skipSet is what summaries leave out of run totals.
type skipSet struct {
	names  map[string]bool // flow aggregates
	stages map[int]bool    // search probes' warm-ups
}

func excluded(h *Header, run *Run) skipSet {
	s := skipSet{names: map[string]bool{}, stages: map[int]bool{}}
	for _, f := range h.Flows {
		s.names[f] = true
	}
	for _, p := range run.Probes {
		s.stages[p.WarmupStage] = true
	}
	return s
}

// summarizeModel adds what depends on the load model and the runner's
// notes: the closed-model warning, data exhaustion, the search result sr
// (nil unless the run is a capacity search).
func summarizeModel(h *Header, run *Run, rs *RunSummary, sr *SearchResult) {
	if h.Model == "closed" {
		rs.Warnings = append(rs.Warnings, ClosedModelWarning)
	}
	for _, n := range run.Notes {
		switch n.Kind {
		case NoteDataExhausted:
			rs.Warnings = append(rs.Warnings, fmt.Sprintf("request %s ran out of unique data rows at %.1f s: the run stopped there (%s)", n.Request, n.T, n.Text))
		case NoteNoMetrics:
			rs.Notes = append(rs.Notes, n.Text)
		}
	}
	if sr == nil {
		return
	}
	rs.Search = sr
	if sr.Stopped == SearchGeneratorLimited {
		rs.Warnings = append(rs.Warnings, fmt.Sprintf("capacity search stopped because the generator, not the target, was the limit: max_rate %.0f req/s is a lower bound", sr.MaxRate))
	}
	var late []string
	for i, p := range sr.Probes {
		if i+1 != sr.Found && p.LagP99Ms > ms(lagWarning) {
			late = append(late, fmt.Sprintf("probe %d (%.0f req/s: %.1f ms)", i+1, p.OfferedRPS, p.LagP99Ms))
		}
	}
	if len(late) > 0 {
		rs.Warnings = append(rs.Warnings, fmt.Sprintf("requests left late (schedule lag p99 over %s) in %s: the generator was saturated or max_in_flight (%d) was reached; those probes' latency includes the wait",
			fmtMs(lagWarning), strings.Join(late, ", "), h.MaxInFlight))
	}
}

// searchStage returns the stage a capacity search's request figures come
// from — the measured part of the probe at the rate found; -1 when none
// met the SLO — and that part's seconds. Figures pooled over probes of
// different rates would describe no load that ran.
func searchStage(run *Run, sr *SearchResult) (stage int, seconds float64) {
	if sr.Found == 0 {
		return -1, 0
	}
	p := run.Probes[sr.Found-1]
	return p.Stage, p.ForS - p.WarmupS
}

func summarizeSearch(h *Header, run *Run) (*SearchResult, error) {
	plan := h.Search
	sr := &SearchResult{SLOP99Ms: plan.SLOP99Ms, SLOErrorRate: plan.SLOErrorRate, Probes: []SearchProbe{}}
	flows := map[string]bool{}
	for _, f := range h.Flows {
		flows[f] = true
	}
	byStage := map[int]*merged{}
	for _, p := range run.Probes {
		byStage[p.Stage] = newMerged()
	}
	for i := range run.Intervals {
		iv := &run.Intervals[i]
		if m := byStage[iv.Stage]; m != nil && !flows[iv.Request] {
			if err := m.add(iv); err != nil {
				return nil, err
			}
		}
	}
	generatorLimited := false
	for _, p := range run.Probes {
		m := byStage[p.Stage]
		f := ProbeFigures{Requests: m.requests, Errors: m.errors, Dropped: m.dropped, P50: m.lat.Quantile(0.5),
			P99: m.lat.Quantile(0.99), LagP99: m.lag.Quantile(0.99), ServiceP99: m.svc.Quantile(0.99), GeneratorCPU: p.GeneratorCPU, InFlightCapped: p.InFlightCapped}
		pass, gen, note := plan.Judge(f)
		if p.Interrupted {
			pass, note = false, "interrupted"
		}
		generatorLimited = generatorLimited || gen
		sp := SearchProbe{OfferedRPS: p.OfferedRPS, AchievedRPS: perSecond(m.requests, p.ForS-p.WarmupS),
			P50Ms: ms(f.P50), P99Ms: ms(f.P99), ErrorRate: ratio(m.errors, m.requests), LagP99Ms: ms(f.LagP99), Pass: pass, Note: note}
		if pass && p.OfferedRPS >= sr.MaxRate {
			sr.MaxRate, sr.Found = p.OfferedRPS, len(sr.Probes)+1
		}
		sr.Probes = append(sr.Probes, sp)
	}
	for _, n := range run.Notes {
		if n.Kind == NoteSearchStopped {
			sr.Stopped = n.Text
		}
	}
	if sr.Stopped == "" {
		sr.Stopped = SearchInterrupted
		if generatorLimited {
			sr.Stopped = SearchGeneratorLimited
		}
	}
	return sr, nil
}

// Headline says in one line what a capacity search found, e.g.
// "highest rate within p99 ≤ 50 ms and errors ≤ 1%: 388 req/s, converged
// after 9 probes". Every report leads a search run with it.
func (s *SearchResult) Headline() string {
	slo := fmt.Sprintf("p99 ≤ %.4g ms and errors ≤ %.4g%%", s.SLOP99Ms, 100*s.SLOErrorRate)
	n := len(s.Probes)
	probes := fmt.Sprintf("%d probes", n)
	if n == 1 {
		probes = "1 probe"
	}
	var how string
	switch s.Stopped {
	case SearchConverged:
		how = "converged after " + probes
	case SearchMaxReached:
		how = "the search's max rate held; " + probes
	case SearchGeneratorLimited:
		how = "stopped after " + probes + " because the generator, not the target, was the limit: a lower bound"
	case SearchProbeLimit:
		how = "stopped at the probe limit after " + probes
	default:
		how = strings.ReplaceAll(s.Stopped, "_", " ") + " after " + probes
	}
	if s.MaxRate == 0 {
		return fmt.Sprintf("no probed rate held %s (%s)", slo, how)
	}
	return fmt.Sprintf("highest rate within %s: %.0f req/s, %s", slo, s.MaxRate, how)
}

// FormatSearch renders a search result as text: the headline, then one line
// per probe (offered, achieved, p50, p99, errors, pass) in the order run.
func FormatSearch(s *SearchResult) string {
	var b strings.Builder
	b.WriteString(s.Headline() + "\n")
	fmt.Fprintf(&b, "  %5s  %10s  %10s  %9s  %9s  %7s  %s\n", "probe", "offered/s", "achieved/s", "p50 ms", "p99 ms", "errors", "pass")
	for i, p := range s.Probes {
		verdict := "pass"
		if !p.Pass {
			verdict = "FAIL"
		}
		if p.Note != "" {
			verdict += ": " + p.Note
		}
		fmt.Fprintf(&b, "  %5d  %10.0f  %10.1f  %9.2f  %9.2f  %6.2f%%  %s\n", i+1, p.OfferedRPS, p.AchievedRPS, p.P50Ms, p.P99Ms, 100*p.ErrorRate, verdict)
	}
	return b.String()
}
