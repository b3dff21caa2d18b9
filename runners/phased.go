package runners

import (
	"context"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Phased runs a plan whose stages change kind — an arrival rate, a number of
// workers, idle connections — as a sequence of segments, each driven by the
// runner of its kind. Each segment runner counts its times and stages from
// its own start; Phased shifts them to the plan's, so the record reads as one
// load.
type Phased struct {
	Segments []Segment
}

// Segment is a run of consecutive stages of one kind.
type Segment struct {
	// Offset is when the segment starts, from load start; its Runner must
	// have been built to start at t0 + Offset.
	Offset time.Duration
	// FirstStage is the plan index of the segment's first stage.
	FirstStage int
	Runner     Runner
}

var _ Runner = (*Phased)(nil)

// Run implements Runner: the segments in order, until the last ends or ctx
// is done.
func (p *Phased) Run(ctx context.Context, out *metrics.Sink) error {
	for _, seg := range p.Segments {
		if ctx.Err() != nil {
			return nil
		}
		first := uint16(seg.FirstStage)
		in := out.Derive(seg.Offset, func(r *metrics.Result) { r.Stage += first })
		if err := seg.Runner.Run(ctx, in); err != nil {
			return err
		}
	}
	return nil
}
