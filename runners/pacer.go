package runners

import (
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gauntletbench/gauntlet/metrics"
)

// A StagePacer schedules the requests of an open-model plan: a sequence of
// stages, each holding or linearly ramping the arrival rate. It is pure: the
// due time of the k-th request is a function of k alone, so a request's
// intended send time is known exactly however late it leaves.
type StagePacer struct {
	stages []metrics.Stage
	r0     []float64 // rate at each stage's start
	cum    []float64 // hits planned before each stage
	total  uint64
	end    time.Duration
	// first and stride pick a segment's requests out of the plan's: the
	// global requests first, first+stride, first+2·stride, …
	first, stride uint64
	// all is the number of requests of the whole plan.
	all uint64
}

// StagePacer satisfies vegeta's Pacer, so it can drive a vegeta Attacker too.
var _ vegeta.Pacer = (*StagePacer)(nil)

// NewStagePacer returns the pacer of stages. Stage start offsets are taken
// from the order of the stages, not from their StartS fields.
func NewStagePacer(stages []metrics.Stage) *StagePacer {
	p := &StagePacer{stages: make([]metrics.Stage, len(stages)), stride: 1}
	var start float64
	for i, st := range stages {
		st.StartS = start
		p.stages[i] = st
		start += st.ForS
	}
	for i := range p.stages {
		p.r0 = append(p.r0, metrics.StartRate(p.stages, i))
		p.cum = append(p.cum, metrics.PlannedHits(p.stages, p.stages[i].StartS))
	}
	n := metrics.PlannedHits(p.stages, start)
	p.cum = append(p.cum, n)
	p.end = time.Duration(start * float64(time.Second))
	if n > 0 {
		p.total = uint64(math.Ceil(n - 1e-9))
	}
	p.all = p.total
	return p
}

// Segment returns the pacer of one generator's share of the plan, as k6's
// execution segments split it: of the plan's requests k (counting from 0),
// those with k % Count == Index-1, in order, each due when the whole plan
// has it due. Count generators running segments 1..Count together send every
// request of the plan exactly once, interleaved. The whole load's segment
// is p itself.
func (p *StagePacer) Segment(s metrics.Segment) *StagePacer {
	if s.Whole() {
		return p
	}
	q := *p
	q.first, q.stride = uint64(s.Index-1), uint64(s.Count)
	q.total = (p.all + q.stride - 1 - q.first) / q.stride
	return &q
}

// Seq returns the plan-wide number of the pacer's request k: k itself for
// the whole plan, its global number in a segment. The request mix and the
// ${seq} template follow it, so the segments together send the same mix as
// one generator would.
func (p *StagePacer) Seq(k uint64) uint64 { return p.first + k*p.stride }

// Stages returns the plan with each stage's StartS filled in.
func (p *StagePacer) Stages() []metrics.Stage { return p.stages }

// Total is the number of requests the plan (or the segment) schedules.
func (p *StagePacer) Total() uint64 { return p.total }

// End is the planned length of the load.
func (p *StagePacer) End() time.Duration { return p.end }

// At returns when request k (counting from 0) is due, as an offset from load
// start, and the index of its stage. k must be below Total; in a segment it
// counts the segment's requests (see Seq).
func (p *StagePacer) At(k uint64) (time.Duration, int) {
	fk := float64(p.Seq(k))
	i := 0
	for i < len(p.stages)-1 && fk >= p.cum[i+1] {
		i++
	}
	st := p.stages[i]
	delta := fk - p.cum[i]
	a := (st.Rate - p.r0[i]) / (2 * st.ForS)
	b := p.r0[i]
	// tau solves a·tau² + b·tau = delta; this form is stable when a or b is 0.
	var tau float64
	if den := b + math.Sqrt(b*b+4*a*delta); den > 0 {
		tau = 2 * delta / den
	}
	tau = min(tau, st.ForS)
	return time.Duration((st.StartS + tau) * float64(time.Second)), i
}

// Pace implements vegeta.Pacer: the wait until the next request is due, or
// stop once the plan is exhausted.
func (p *StagePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.total {
		return 0, true
	}
	at, _ := p.At(hits)
	return max(at-elapsed, 0), false
}

// Rate implements vegeta.Pacer: the planned arrival rate (per second) at
// elapsed; a segment's share of it in a segment.
func (p *StagePacer) Rate(elapsed time.Duration) float64 {
	t := elapsed.Seconds()
	for i, st := range p.stages {
		if t < st.StartS+st.ForS {
			return (p.r0[i] + (st.Rate-p.r0[i])*(t-st.StartS)/st.ForS) / float64(p.stride)
		}
	}
	return 0
}
