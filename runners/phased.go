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
func (p *Phased) Run(ctx context.Context, out chan<- metrics.Result) error {
	for _, seg := range p.Segments {
		if ctx.Err() != nil {
			return nil
		}
		if err := seg.run(ctx, out); err != nil {
			return err
		}
	}
	return nil
}

func (seg Segment) run(ctx context.Context, out chan<- metrics.Result) error {
	in := make(chan metrics.Result, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range in {
			r.Stage += uint16(seg.FirstStage)
			r.Intended += seg.Offset
			r.Sent += seg.Offset
			r.End += seg.Offset
			out <- r
		}
	}()
	err := seg.Runner.Run(ctx, in)
	close(in)
	<-done
	return err
}
