package metrics

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Summary is what a run came to, recomputed from its record. Its JSON form is
// gauntlet's public interface (`--output json`): field names are stable.
type Summary struct {
	Scenario        string       `json:"scenario"`
	Description     string       `json:"description,omitempty"`
	RunID           string       `json:"run_id"`
	Verdict         string       `json:"verdict"`
	StartedAt       time.Time    `json:"started_at"`
	Model           string       `json:"model"`
	Host            Host         `json:"host"`
	GauntletVersion string       `json:"gauntlet_version"`
	Runs            []RunSummary `json:"runs"`
	Record          string       `json:"record,omitempty"`
	// Runtimes names the reference implementations' runtimes and flags.
	Runtimes  map[string]string `json:"runtimes,omitempty"`
	Truncated bool              `json:"truncated,omitempty"`
	// Segment is set when the record is one generator's share of a
	// distributed run: every figure covers that share only.
	Segment *Segment `json:"segment,omitempty"`
	// Generators is the number of records a merged record was made from
	// (gauntlet merge); 0 for a record a run wrote.
	Generators int `json:"generators,omitempty"`
	// CPUSets says where the generator and the services it started ran.
	CPUSets *CPUSets `json:"cpu_sets,omitempty"`
}

// Verdicts of a summary.
const (
	VerdictPass        = "pass"
	VerdictFail        = "fail"
	VerdictInterrupted = "interrupted"
)

// RunSummary is one run (one variant). Latencies are in milliseconds;
// warm-up stages are excluded from every figure.
type RunSummary struct {
	Variant string `json:"variant"`
	Status  string `json:"status"`
	// Client names the HTTP client that sent the requests.
	Client    string  `json:"client,omitempty"`
	DurationS float64 `json:"duration_s"`
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	Dropped   int64   `json:"dropped"`
	// PlannedRPS is the mean planned arrival rate over the measured stages
	// that have one (open-model stages: closed and idle stages plan no
	// rate), and PlanAchievedRPS the rate the requests of those same stages
	// achieved, so the two compare like with like; 0 without such stages.
	// RPS is over the whole measured window, stages without a plan too.
	PlannedRPS      float64                   `json:"planned_rps"`
	PlanAchievedRPS float64                   `json:"plan_achieved_rps,omitempty"`
	RPS             float64                   `json:"rps"`
	Latency         Percentiles               `json:"latency_ms"`
	ServiceTime     Percentiles               `json:"service_time_ms"`
	ScheduleLag     Percentiles               `json:"schedule_lag_ms"`
	ErrorsByClass   map[string]int64          `json:"errors_by_class"`
	StatusCodes     map[string]int64          `json:"status_codes"`
	BytesIn         int64                     `json:"bytes_in"`
	BytesOut        int64                     `json:"bytes_out"`
	ByRequest       []RequestSummary          `json:"by_request"`
	Services        map[string]ServiceSummary `json:"services"`
	Faults          []FaultImpact             `json:"faults,omitempty"`
	// Hops are the services' calls to their dependencies over the whole load: retry
	// amplification, circuit breaker and timeouts (see Hop); none when no service reports
	// them.
	Hops []Hop `json:"hops,omitempty"`
	// TypicalP99Ms is the median of the measured seconds' p99; Spikes are
	// the seconds whose p99 stood far above it (see SpikeRule), each with
	// what coincided with it.
	TypicalP99Ms float64 `json:"typical_p99_ms"`
	Spikes       []Spike `json:"spikes"`
	// Stages breaks the run down by planned stage (only for plans of two
	// or more stages).
	Stages     []StageSummary    `json:"stages,omitempty"`
	Thresholds []ThresholdResult `json:"thresholds"`
	Warnings   []string          `json:"warnings"`
	// Notes are remarks that do not cast doubt on any figure, e.g. a
	// service that serves no Prometheus metrics.
	Notes []string `json:"notes,omitempty"`
	// Search is the capacity search's outcome (search model only). A
	// search's request figures above are those of the probe at the rate
	// found (none when no probe met the SLO); its services' CPU per 1k
	// requests counts every probe's.
	Search *SearchResult `json:"search,omitempty"`
}

// RequestSummary is the share of one request name in a run.
type RequestSummary struct {
	Name          string           `json:"name"`
	Requests      int64            `json:"requests"`
	Errors        int64            `json:"errors"`
	ErrorRate     float64          `json:"error_rate"`
	RPS           float64          `json:"rps"`
	Latency       Percentiles      `json:"latency_ms"`
	ServiceTime   Percentiles      `json:"service_time_ms"`
	ErrorsByClass map[string]int64 `json:"errors_by_class"`
	StatusCodes   map[string]int64 `json:"status_codes"`
}

// Percentiles of a duration distribution, in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P75  float64 `json:"p75"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	// P9999 is p99.99.
	P9999 float64 `json:"p9999"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// ServiceSummary is what gauntlet saw of one service under test. Resource
// figures come from the probes' readings of the service's process tree and
// are zero when no readings were taken.
type ServiceSummary struct {
	StartupMs          float64 `json:"startup_ms"`
	PID                int     `json:"pid,omitempty"`
	ExitedUnexpectedly bool    `json:"exited_unexpectedly,omitempty"`
	ExitMessage        string  `json:"exit_message,omitempty"`
	// Restarts counts the starts after the first (faults restart services).
	Restarts int `json:"restarts,omitempty"`
	// KilledBy names the faults that ended the service's process, in order:
	// planned exits, never counted as unexpected.
	KilledBy []string `json:"killed_by,omitempty"`
	// Command is how the service was started, placeholders unexpanded.
	Command []string `json:"command,omitempty"`
	// RSSIdleBytes is the resident memory before load began.
	RSSIdleBytes float64 `json:"rss_idle_bytes"`
	// RSSPeakBytes is the highest resident memory seen during the run.
	RSSPeakBytes float64 `json:"rss_peak_bytes"`
	// CPUSeconds is the CPU time the process tree used during the measured window.
	CPUSeconds float64 `json:"cpu_seconds"`
	// CPUMsPer1kRequests is CPUSeconds per thousand requests of the run.
	CPUMsPer1kRequests float64 `json:"cpu_ms_per_1k_requests"`
	ThreadsPeak        float64 `json:"threads_peak"`
	// Tagged and Received count the requests that reached the service with
	// and without regard to the traffic tag (full-link coverage), from its
	// /metrics at the end of the run; -1 when not scraped.
	Tagged   float64 `json:"tagged_requests"`
	Received float64 `json:"requests_received"`
	// LeakChecked is set when the run waited a settle period after the load and the
	// service had readings from before the load; Leaks lists what did not come back.
	LeakChecked bool   `json:"leak_checked,omitempty"`
	Leaks       []Leak `json:"leaks,omitempty"`
}

// FaultImpact is what one fault did to the run: the windows before, during
// and after it, and how long the system took to recover.
type FaultImpact struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Target string `json:"target,omitempty"`
	// InjectedAt and RevertedAt are seconds since load start.
	InjectedAt float64 `json:"injected_at"`
	RevertedAt float64 `json:"reverted_at"`
	Before     Window  `json:"before"`
	During     Window  `json:"during"`
	After      Window  `json:"after"`
	// TimeToRecoverMs is from the revert (or injection for instant faults)
	// until error rate and p99 are back within tolerance of Before and stay
	// there; nil when they never recovered within the run.
	TimeToRecoverMs *float64 `json:"time_to_recover_ms"`
	// Shutdown is set for a terminate fault: how the service drained and exited.
	Shutdown *ShutdownImpact `json:"shutdown,omitempty"`
	// Failed counts the requests that failed during the fault (after it,
	// for instant faults), and FailedByClass splits them: after a
	// terminate, connection_refused are requests the service never
	// accepted, every other class failed after it had accepted them.
	Failed        int64            `json:"failed"`
	FailedByClass map[string]int64 `json:"failed_by_class,omitempty"`
	Error         string           `json:"error,omitempty"`
	// Hops are the services' calls to their dependencies during the fault (an instant
	// fault: from it to the next fault, or the end of the run).
	Hops []Hop `json:"hops,omitempty"`
}

// Window summarises a span of a run.
type Window struct {
	FromS         float64          `json:"from_s"`
	ToS           float64          `json:"to_s"`
	Requests      int64            `json:"requests"`
	Errors        int64            `json:"errors"`
	ErrorsByClass map[string]int64 `json:"errors_by_class,omitempty"`
	ErrorRate     float64          `json:"error_rate"`
	RPS           float64          `json:"rps"`
	Latency       Percentiles      `json:"latency_ms"`
}

// ThresholdResult is one threshold's verdict on a run. Value is the measured
// figure in the threshold's canonical unit (see Threshold).
type ThresholdResult struct {
	Expr    string  `json:"expr"`
	Request string  `json:"request,omitempty"`
	Pass    bool    `json:"pass"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Error   string  `json:"error,omitempty"`
}

// lagWarning is the schedule lag p99 above which a run is flagged: requests
// left later than planned, so the generator, not only the target, shaped the
// latency.
const lagWarning = 5 * time.Millisecond

// stealWarning is the mean share of the host's CPU time, over the measured
// window, that the hypervisor gave other virtual machines (steal) above which
// a run is flagged: its figures include a neighbour's noise.
const stealWarning = 0.05

// Summarize recomputes a summary from a record: every histogram of the
// measured window is merged exactly. Thresholds and the verdict are left to
// the caller (package gates).
func Summarize(rec *Record) (*Summary, error) {
	h := rec.Header
	s := &Summary{
		Scenario: h.Scenario, Description: h.Description, RunID: h.RunID, StartedAt: h.StartedAt,
		Model: h.Model, Host: h.Host, GauntletVersion: h.GauntletVersion, Record: rec.Path,
		Truncated: rec.Truncated, Runs: []RunSummary{}, Runtimes: h.Runtimes, Segment: h.Segment, Generators: len(h.Merged),
		CPUSets: h.CPUSets,
	}
	for _, run := range rec.Runs {
		rs, err := summarizeRun(&h, run, rec.Truncated)
		if err != nil {
			return nil, fmt.Errorf("run %q: %w", run.Start.Variant, err)
		}
		if rec.CorruptLines > 0 {
			rs.Warnings = append(rs.Warnings, fmt.Sprintf("%d malformed line(s) of the record skipped (%s): the figures leave out what they held",
				rec.CorruptLines, rec.Corrupt[0]))
		}
		s.Runs = append(s.Runs, rs)
	}
	return s, nil
}

// MeasuredWindow returns the measured window of a run, in seconds from load start:
// from the end of the leading warm-up stages to the end of the load. The load
// ends with its last stage, or earlier when the run stopped early: the
// seconds a run then spends waiting for the requests still in flight (a
// blackhole's timeouts) or idle (a leak check) send nothing, and requests
// count at their intended send time, so they hold none.
func MeasuredWindow(h *Header, run *Run) (from, to float64) {
	for _, st := range h.Stages {
		if !st.Warmup {
			break
		}
		from = st.StartS + st.ForS
	}
	var last float64 // the end of the last second holding requests
	if len(run.Intervals) > 0 {
		last = float64(run.Intervals[len(run.Intervals)-1].T+1) * IntervalLength.Seconds()
	}
	switch {
	case run.End != nil:
		to = run.End.DurationS
		if n := len(h.Stages); n > 0 {
			to = min(to, max(h.Stages[n-1].StartS+h.Stages[n-1].ForS, last))
		}
	default:
		to = last
	}
	return from, max(to, from)
}

type merged struct {
	requests, errors, dropped int64
	bytesIn, bytesOut         int64
	codes, classes            map[string]int64
	lat, svc, lag             *Histogram
	// sentUntil is when (s since t0) the last request left, where that
	// was after its interval's end.
	sentUntil float64
}

func newMerged() *merged {
	return &merged{codes: map[string]int64{}, classes: map[string]int64{},
		lat: NewHistogram(), svc: NewHistogram(), lag: NewHistogram()}
}

func (m *merged) add(iv *Interval) error {
	m.requests += iv.Requests
	m.errors += iv.Errors
	m.dropped += iv.Dropped
	m.bytesIn += iv.BytesIn
	m.bytesOut += iv.BytesOut
	m.lat.Clamped += iv.Clamped
	for k, v := range iv.Codes {
		m.codes[k] += v
	}
	for k, v := range iv.Classes {
		m.classes[k] += v
	}
	for _, p := range []struct {
		h *Histogram
		s string
	}{{m.lat, iv.Latency}, {m.svc, iv.Service}, {m.lag, iv.Lag}} {
		if err := p.h.MergeEncoded(p.s); err != nil {
			return fmt.Errorf("interval %d %s: %w", iv.T, iv.Request, err)
		}
	}
	m.sentUntil = max(m.sentUntil, iv.SentUntilS)
	return nil
}

func summarizeRun(h *Header, run *Run, truncated bool) (RunSummary, error) {
	from, to := MeasuredWindow(h, run)
	dur := to - from
	perS := dur // the seconds request rates are over
	var sr *SearchResult
	only := -1 // a capacity search's request figures are one probe's
	if h.Search != nil {
		var err error
		if sr, err = summarizeSearch(h, run); err != nil {
			return RunSummary{}, err
		}
		only, perS = searchStage(run, sr)
	}
	total := newMerged()
	var allRequests int64 // every probe's, for the services' CPU per request
	byName := map[string]*merged{}
	skip := excluded(h, run)
	planS, planHits, planned := planSpan(h, from, to)
	var planReqs int64
	steps := map[string]bool{}
	for _, n := range h.Requests {
		if flow, _, ok := strings.Cut(n, "/"); ok && slices.Contains(h.Flows, flow) {
			steps[n] = true
		}
	}
	for i := range run.Intervals {
		iv := &run.Intervals[i]
		if !Measured(h.Stages, iv.Stage) || skip.stages[iv.Stage] {
			continue
		}
		if !skip.names[iv.Request] {
			allRequests += iv.Requests
		}
		if sr != nil && iv.Stage != only {
			continue
		}
		m := byName[iv.Request]
		if m == nil {
			m = newMerged()
			byName[iv.Request] = m
		}
		if err := m.add(iv); err != nil {
			return RunSummary{}, err
		}
		// The plan schedules arrivals: a flow counts once, its steps not.
		if planned[iv.Stage] && !steps[iv.Request] {
			planReqs += iv.Requests
		}
		if skip.names[iv.Request] {
			continue
		}
		if err := total.add(iv); err != nil {
			return RunSummary{}, err
		}
	}
	sendS := planS
	if sr == nil {
		// A generator far behind its plan sends the window's requests after
		// the window: their rate is over the time they took to send.
		if spill := total.sentUntil - to; spill > 0 {
			perS += spill
			if planS > 0 {
				sendS += spill
			}
		}
	}
	rs := RunSummary{
		Variant: run.Start.Variant, Status: runStatus(run, truncated), DurationS: dur,
		Requests: total.requests, Errors: total.errors, ErrorRate: ratio(total.errors, total.requests),
		Dropped: total.dropped, RPS: perSecond(total.requests, perS), PlanAchievedRPS: perSecond(planReqs, sendS),
		Latency: percentiles(total.lat), ServiceTime: percentiles(total.svc), ScheduleLag: percentiles(total.lag),
		ErrorsByClass: total.classes, StatusCodes: total.codes, BytesIn: total.bytesIn, BytesOut: total.bytesOut,
		Services: services(run), Thresholds: []ThresholdResult{}, Warnings: []string{},
	}
	if run.Load != nil {
		rs.Client = run.Load.Client
	}
	for _, name := range requestOrder(h, byName) {
		m := byName[name]
		rs.ByRequest = append(rs.ByRequest, RequestSummary{
			Name: name, Requests: m.requests, Errors: m.errors, ErrorRate: ratio(m.errors, m.requests),
			RPS: perSecond(m.requests, perS), Latency: percentiles(m.lat), ServiceTime: percentiles(m.svc),
			ErrorsByClass: m.classes, StatusCodes: m.codes,
		})
	}
	if planS > 0 {
		rs.PlannedRPS = planHits / planS * h.Segment.fraction()
	}
	serviceResources(run, from, to, allRequests, rs.Services)
	rc := DefaultRecovery
	if h.Recovery != nil {
		rc = *h.Recovery
	}
	faults, secs, _, err := measureRun(h, run, rc)
	if err != nil {
		return RunSummary{}, err
	}
	rs.Faults = faults
	rs.Hops = hops(run)
	faultHops(run, rs.Faults)
	rule := DefaultSpikeRule
	if h.Spikes != nil {
		rule = *h.Spikes
	}
	rs.TypicalP99Ms, rs.Spikes = findSpikes(h, run, secs, rs.Faults, rule)
	if rs.Spikes == nil {
		rs.Spikes = []Spike{}
	}
	if rs.Stages, err = summarizeStages(h, run); err != nil {
		return RunSummary{}, err
	}
	rs.Warnings = warnings(h, run, &rs, total, from, to)
	summarizeModel(h, run, &rs, sr)
	return rs, nil
}

func runStatus(run *Run, truncated bool) string {
	switch {
	case run.End != nil:
		return run.End.Status
	case truncated:
		return StatusTruncated
	}
	return StatusCompleted
}

func services(run *Run) map[string]ServiceSummary {
	out := map[string]ServiceSummary{}
	for _, ev := range run.Services {
		s := out[ev.Service]
		switch ev.Kind {
		case "ready":
			// The first start is the service's startup time; later ones
			// are restarts (by a fault).
			if s.PID == 0 {
				s.StartupMs = ev.StartupMs
			} else {
				s.Restarts++
			}
			s.PID = ev.PID
		case "command":
			s.Command = ev.Command
		case "exited":
			switch fault := faultBehind(run, ev); {
			case fault != "":
				s.KilledBy = append(s.KilledBy, fault)
			case ev.Unexpected:
				s.ExitedUnexpectedly = true
				s.ExitMessage = exitText(ev)
			}
		}
		out[ev.Service] = s
	}
	return out
}

// faultBehind names the fault that ended a service's process: the one the
// record names, or, in records that name none, a fault that ends processes
// (kill, terminate, restart) injected on the service shortly before.
func faultBehind(run *Run, ev ServiceEvent) string {
	if ev.Fault != "" || !ev.Unexpected {
		return ev.Fault
	}
	for _, f := range run.Faults {
		if !InstantFault(f.Kind) {
			continue
		}
		if d := ev.Time.Sub(f.Time); f.Target == ev.Service && f.Event == "injected" && d > -5*time.Second && d < 60*time.Second {
			return f.Name
		}
	}
	return ""
}

func exitText(ev ServiceEvent) string {
	if ev.Signal != "" {
		return "killed by signal " + ev.Signal
	}
	return "exit code " + strconv.Itoa(ev.ExitCode)
}

func skipReason(run *Run) string {
	if run.End != nil && run.End.Error != "" {
		return run.End.Error
	}
	return "the variant could not run here"
}

// warnings are the run summary's; from and to are its measured window.
func warnings(h *Header, run *Run, rs *RunSummary, total *merged, from, to float64) []string {
	w := []string{}
	switch rs.Status {
	case StatusInterrupted:
		w = append(w, "the run was interrupted: figures cover only the part that ran")
	case StatusTruncated:
		w = append(w, "the record ends early (the run crashed or was killed): figures cover only the part recorded")
	case StatusFailed:
		w = append(w, "the run failed before it finished")
	case StatusSkipped:
		w = append(w, "skipped: "+skipReason(run))
	case StatusAborted:
		w = append(w, "the run was stopped early: "+skipReason(run))
	}
	if sg := h.Segment; sg != nil && !sg.Whole() {
		w = append(w, fmt.Sprintf("segment %s of a distributed run: figures and thresholds cover this generator's share only; merge the segments (gauntlet merge) and judge the merged record", sg))
		if sg.FaultsSkipped {
			w = append(w, "faults are left to segment 1: this generator injected none")
		}
	}
	if rs.Dropped > 0 {
		w = append(w, fmt.Sprintf("the generator could not keep the schedule: %d planned requests were never sent", rs.Dropped))
	}
	if lag := total.lag.Quantile(0.99); lag > lagWarning {
		w = append(w, fmt.Sprintf("requests left late (schedule lag p99 %s): the generator was saturated or max_in_flight (%d) was reached; latency includes the wait",
			fmtMs(lag), h.MaxInFlight))
	}
	if rs.PlannedRPS > 0 && rs.Status == StatusCompleted && rs.PlanAchievedRPS < 0.95*rs.PlannedRPS {
		w = append(w, fmt.Sprintf("achieved %.0f req/s of %.0f planned", rs.PlanAchievedRPS, rs.PlannedRPS))
	}
	if floor := total.svc.Min(); rs.Requests >= 100 && floor >= 35*time.Millisecond && floor <= 48*time.Millisecond {
		w = append(w, fmt.Sprintf("no request was faster than %s: a latency floor near 40 ms is the signature of Nagle's algorithm meeting delayed ACKs (a JDK HttpServer without -Dsun.net.httpserver.nodelay=true, say), not of the service's speed",
			fmtMs(floor)))
	}
	if steal := readingSeries(run, OwnerHost, "host_cpu_steal_ratio").Mean(from, to); steal >= stealWarning {
		w = append(w, fmt.Sprintf("the hypervisor gave %.0f%% of this machine's CPU time to other virtual machines during the run (steal): their noise is in the figures; compare runs from quieter machines",
			steal*100))
	}
	if total.lat.Clamped > 0 {
		w = append(w, fmt.Sprintf("%d latencies exceeded one hour and were recorded as one hour", total.lat.Clamped))
	}
	names := make([]string, 0, len(rs.Services))
	for name := range rs.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if s := rs.Services[name]; s.ExitedUnexpectedly {
			w = append(w, fmt.Sprintf("service %s exited unexpectedly during the run (%s)", name, s.ExitMessage))
		}
	}
	return w
}

// planSpan returns the stages of a plan that have a planned arrival rate
// (open-model stages other than warm-up), the seconds of [from, to) they
// cover, and the requests the plan schedules in those seconds.
func planSpan(h *Header, from, to float64) (seconds, hits float64, stages map[int]bool) {
	stages = map[int]bool{}
	for i, st := range h.Stages {
		if st.Warmup || (st.Kind != "" && st.Kind != "open") {
			continue
		}
		a, b := max(st.StartS, from), min(st.StartS+st.ForS, to)
		if b <= a {
			continue
		}
		stages[i] = true
		seconds += b - a
		hits += PlannedHits(h.Stages, b) - PlannedHits(h.Stages, a)
	}
	return seconds, hits, stages
}

// PlannedHits is the number of requests the open-model plan schedules in its
// first t seconds.
func PlannedHits(stages []Stage, t float64) float64 {
	var n float64
	for i, st := range stages {
		r0 := StartRate(stages, i)
		tau := min(max(t-st.StartS, 0), st.ForS)
		if st.ForS > 0 {
			n += r0*tau + (st.Rate-r0)*tau*tau/(2*st.ForS)
		}
	}
	return n
}

// StartRate is the arrival rate at the start of stage i: a linear ramp starts
// from the previous stage's rate (0 for the first stage), a step at its own.
func StartRate(stages []Stage, i int) float64 {
	switch {
	case stages[i].Ramp != "linear":
		return stages[i].Rate
	case i == 0:
		return 0
	}
	return stages[i-1].Rate
}

func requestOrder(h *Header, seen map[string]*merged) []string {
	var out []string
	for _, n := range h.Requests {
		if seen[n] != nil {
			out = append(out, n)
		}
	}
	return out
}

func percentiles(h *Histogram) Percentiles {
	return Percentiles{
		P50: ms(h.Quantile(0.50)), P75: ms(h.Quantile(0.75)), P90: ms(h.Quantile(0.90)), P95: ms(h.Quantile(0.95)),
		P99: ms(h.Quantile(0.99)), P999: ms(h.Quantile(0.999)), P9999: ms(h.Quantile(0.9999)), Max: ms(h.Max()), Mean: ms(h.Mean()),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtMs(d time.Duration) string { return strconv.FormatFloat(ms(d), 'f', 1, 64) + " ms" }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func perSecond(n int64, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(n) / seconds
}
