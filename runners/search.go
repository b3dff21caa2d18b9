package runners

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Search is the capacity-search runner: a series of open-model probes,
// each a steady rate for Plan.ProbeS seconds whose first Plan.WarmupS are
// left out, at rates chosen by a Searcher — exponential growth from
// Plan.StartRPS until a probe violates the SLO, then bisection between the
// last good and the first bad rate. Probe k's warm-up is stage 2k and its
// measured part stage 2k+1; after each probe a metrics.Probe line goes to
// the record, so the summary recomputes every probe's figures. When a
// probe shows the generator rather than the target was the limit (schedule
// lag, dropped requests, the process's CPU) while missing the SLO, the
// search stops and says so. A probe whose tail (not median) missed the SLO
// is repeated up to Plan.Retries times; its rate counts as bad only if
// every attempt fails.
type Search struct {
	// Requests is the request mix of every probe.
	Requests []Request
	// Plan is the search: rates, probe length, SLO, generator limits.
	Plan metrics.SearchPlan
	// Start is the load start (t0) every Result offset counts from.
	Start time.Time
	// Client sends the requests.
	Client *Client
	// MaxInFlight caps concurrent requests in each probe (default
	// scenarios.DefaultMaxInFlight).
	MaxInFlight int
	// Grace is how long after a probe's end its late requests may still be
	// sent (default 1 s).
	Grace time.Duration
	// Seed seeds the random parts of templates.
	Seed int64
	// Pause separates probes, letting the target drain (default 250 ms).
	Pause time.Duration

	notes   func(line any)
	probing atomic.Pointer[Open] // the probe running, for InFlight
}

var (
	_ Runner = (*Search)(nil)
	_ Noter  = (*Search)(nil)
)

// SetNotes implements Noter.
func (s *Search) SetNotes(fn func(line any)) { s.notes = fn }

func (s *Search) note(line any) {
	if s.notes != nil {
		s.notes(line)
	}
}

func (s *Search) stopped(reason string) {
	s.note(metrics.Note{T: time.Since(s.Start).Seconds(), Kind: metrics.NoteSearchStopped, Text: reason})
}

// Run implements Runner.
func (s *Search) Run(ctx context.Context, out *metrics.Sink) error {
	pause := s.Pause
	if pause <= 0 {
		pause = 250 * time.Millisecond
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	next := s.Start
	sr := NewSearcher(s.Plan)
	retries := 0
	for k := 0; ; k++ {
		rate, ok := sr.Next()
		if !ok {
			s.stopped(sr.Reason())
			return nil
		}
		if k >= s.Plan.MaxProbes {
			s.stopped(metrics.SearchProbeLimit)
			return nil
		}
		if !sleepUntil(ctx, timer, next) {
			s.stopped(metrics.SearchInterrupted)
			return nil
		}
		p, f, exhausted := s.probe(ctx, k, rate, out)
		s.note(p)
		switch {
		case p.Interrupted:
			s.stopped(metrics.SearchInterrupted)
			return nil
		case exhausted:
			s.stopped("data_exhausted")
			return nil
		}
		next = time.Now().Add(pause)
		pass, gen, _ := s.Plan.Judge(f)
		if !pass && retries < s.Plan.Retries && f.P50.Seconds()*1000 <= s.Plan.SLOP99Ms {
			// One stall on a shared machine (of the target or of the
			// generator) should not decide the search: when only the tail
			// missed, probe the same rate again; it counts as bad only if
			// every attempt fails. A median beyond the SLO is a queue, not
			// a stall: no retry.
			retries++
			continue
		}
		retries = 0
		if gen {
			s.stopped(metrics.SearchGeneratorLimited)
			return nil
		}
		sr.Observe(rate, pass)
	}
}

// probe runs probe k at rate and returns its record line, what it
// measured, and whether a unique data feeder ran out.
func (s *Search) probe(ctx context.Context, k int, rate float64,
	out *metrics.Sink) (_ metrics.Probe, _ metrics.ProbeFigures, exhausted bool) {
	warm := s.Plan.WarmupS
	stages := []metrics.Stage{{ForS: s.Plan.ProbeS - warm, Rate: rate}}
	if warm > 0 {
		stages = []metrics.Stage{{ForS: warm, Rate: rate, Warmup: true}, {ForS: s.Plan.ProbeS - warm, Rate: rate}}
	}
	start := time.Now().Add(10 * time.Millisecond)
	o := &Open{Requests: s.Requests, Pacer: NewStagePacer(stages), Start: start, Client: s.Client,
		MaxInFlight: s.MaxInFlight, Grace: s.Grace, Seed: s.Seed + int64(k)*7919, notes: s.notes}
	s.probing.Store(o)
	shift := start.Sub(s.Start)
	measured := uint16(2*k + 1)
	flows := flowIDs(s.Requests)
	lat, lag, svc := metrics.NewHistogram(), metrics.NewHistogram(), metrics.NewHistogram()
	var f metrics.ProbeFigures
	var mu sync.Mutex
	mid := out.Derive(shift, func(r *metrics.Result) {
		if warm > 0 && r.Stage == 0 {
			r.Stage = uint16(2 * k)
		} else {
			r.Stage = measured
		}
		if r.Stage != measured || flows[r.Request] {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Class == metrics.Dropped:
			f.Dropped += 1 + r.Repeat
		case r.Class != metrics.Canceled:
			f.Requests++
			if r.Class.IsError() {
				f.Errors++
			}
			lat.Record(r.Latency())
			lag.Record(r.Lag())
			svc.Record(r.ServiceTime())
		}
	})
	cpu := newCPUMeter(processCPU)
	run, _ := o.run(ctx, mid)
	f.GeneratorCPU = cpu.cores(time.Now())
	f.P50, f.P99, f.LagP99, f.ServiceP99 = lat.Quantile(0.5), lat.Quantile(0.99), lag.Quantile(0.99), svc.Quantile(0.99)
	f.InFlightCapped = run.capped.Load()
	return metrics.Probe{Index: k, OfferedRPS: rate, StartS: shift.Seconds(), WarmupS: warm,
		ForS: s.Plan.ProbeS, WarmupStage: 2 * k, Stage: 2*k + 1, GeneratorCPU: round3(f.GeneratorCPU),
		InFlightCapped: f.InFlightCapped, Interrupted: ctx.Err() != nil}, f, run.exhausted.Load()
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// flowIDs returns the result indexes of the flow aggregates of reqs.
func flowIDs(reqs []Request) map[uint16]bool {
	ids := map[uint16]bool{}
	for _, e := range entries(reqs) {
		if len(e.req.Steps) > 0 {
			ids[e.id] = true
		}
	}
	return ids
}

// A Searcher chooses the rates of a capacity search. It is pure — a
// function of the outcomes it is told — so tables test it without load.
type Searcher struct {
	plan      metrics.SearchPlan
	good, bad float64 // best passing and lowest failing rate; 0 = none yet
	next      float64
	reason    string
}

// NewSearcher starts a search at plan.StartRPS.
func NewSearcher(plan metrics.SearchPlan) *Searcher {
	return &Searcher{plan: plan, next: plan.StartRPS}
}

// Next returns the rate to probe next, or false when the search is over.
func (s *Searcher) Next() (float64, bool) { return s.next, s.reason == "" }

// Reason says why the search ended (a metrics.Search* reason); "" while it
// goes on.
func (s *Searcher) Reason() string { return s.reason }

// Best is the highest rate that passed; 0 when none did.
func (s *Searcher) Best() float64 { return s.good }

// Observe records the outcome of probing rate.
func (s *Searcher) Observe(rate float64, pass bool) {
	if pass {
		s.good = max(s.good, rate)
	} else if s.bad == 0 || rate < s.bad {
		s.bad = rate
	}
	if s.bad == 0 {
		if rate >= s.plan.MaxRPS {
			s.reason = metrics.SearchMaxReached
			return
		}
		s.next = min(roundRate(rate*s.plan.Growth), s.plan.MaxRPS)
		return
	}
	if s.bad-s.good <= s.plan.Precision*s.bad || s.bad < 1 {
		s.reason = metrics.SearchConverged
		return
	}
	s.next = roundRate((s.good + s.bad) / 2)
	if s.next <= s.good || s.next >= s.bad {
		s.reason = metrics.SearchConverged
	}
}

// roundRate keeps rates readable: whole requests per second above 10.
func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return math.Round(r*100) / 100
}
