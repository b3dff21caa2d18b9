package engine

import (
	"errors"
	"slices"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// ErrSegmentSearch is returned by Run for a segment of a capacity search:
// each generator's search would adapt its own rate, so the shares would not
// add up to one search.
var ErrSegmentSearch = errors.New("a capacity search (model search) cannot run as a segment: run it on one generator")

// segmented applies a distributed run's segment to the plan before anything
// runs, and returns the scenario to run. Segment 1 keeps the scenario's
// faults; every other segment runs load only — n generators must not inject
// the same fault n times — so its scenario has no faults and its plan drops
// the thresholds that judge faults (the merged record judges them).
func (p *plan) segmented(seg metrics.Segment) (*scenarios.Spec, error) {
	if seg.Whole() {
		return p.spec, nil
	}
	if p.model() == "search" {
		return nil, ErrSegmentSearch
	}
	p.segment = seg
	if seg.Index == 1 || len(p.spec.Faults) == 0 {
		return p.spec, nil
	}
	p.segment.FaultsSkipped = true
	p.faultWindows = nil
	p.thresholds = slices.DeleteFunc(p.thresholds, judgesFaults)
	spec := *p.spec
	spec.Faults = nil
	return &spec, nil
}

// judgesFaults reports whether a threshold needs the fault timeline.
func judgesFaults(th metrics.Threshold) bool {
	return th.Window != "" || th.Metric == "time_to_recover"
}

// segmentHeader is the record header's segment; nil for the whole load.
func (p *plan) segmentHeader() *metrics.Segment {
	if p.segment.Whole() {
		return nil
	}
	s := p.segment
	return &s
}

// share returns a copy of stages with this segment's share of every count:
// workers and idle connections. Rates are shared by the pacer instead
// (runners.StagePacer.Segment).
func (p *plan) share(stages []metrics.Stage) []metrics.Stage {
	out := slices.Clone(stages)
	for i := range out {
		out[i].Concurrency = int(p.segment.Share(int64(out[i].Concurrency)))
		out[i].IdleConnections = int(p.segment.Share(int64(out[i].IdleConnections)))
	}
	return out
}

// closedShare is this segment's share of a closed plan: its workers per
// stage and its cap on iterations (0: none). A segment whose share of a cap
// is zero gets no workers.
func (p *plan) closedShare(stages []metrics.Stage) ([]metrics.Stage, uint64) {
	out := p.share(stages)
	total := max(p.spec.Load.Iterations, 0)
	iters := p.segment.Share(total)
	if total > 0 && iters == 0 {
		for i := range out {
			out[i].Concurrency = 0
		}
	}
	return out, uint64(iters)
}

// runnerSeed seeds the runners' random streams: the scenario's seed, mixed
// with the segment index so that the generators of a distributed run draw
// different values (${uuid}, ${rand_int}) instead of the same ones n times.
func (p *plan) runnerSeed() int64 {
	if p.segment.Index <= 1 {
		return p.seed
	}
	return int64(uint64(p.seed) ^ uint64(p.segment.Index-1)*0x9e3779b97f4a7c15)
}
