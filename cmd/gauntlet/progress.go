package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gauntletbench/gauntlet/metrics"
)

// progress is the live line shown on a terminal while load runs: elapsed of
// planned time, the last second's rate and p99, and the errors so far. Log
// lines written to it appear above the bar.
type progress struct {
	p     *mpb.Progress
	mu    sync.Mutex
	bar   *mpb.Bar
	total int64
}

func newProgress(w io.Writer) *progress {
	return &progress{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(30), mpb.WithRefreshRate(200*time.Millisecond))}
}

// Write prints a log line above the progress bar.
func (pr *progress) Write(b []byte) (int, error) { return pr.p.Write(b) }

// onLoad adds a bar for one variant's load and returns the recorder's
// per-interval callback that moves it.
func (pr *progress) onLoad(variant string, planned time.Duration) func(metrics.Live) {
	var live atomic.Pointer[metrics.Live]
	start := time.Now()
	stats := decor.Any(func(decor.Statistics) string {
		l := live.Load()
		if l == nil {
			return "starting"
		}
		return fmt.Sprintf("%.0f req/s · p99 %.1f ms · %d errors", l.RPS, float64(l.P99)/float64(time.Millisecond), l.Errors)
	})
	clock := decor.Any(func(decor.Statistics) string {
		return fmt.Sprintf("%4.0fs/%.0fs", time.Since(start).Seconds(), planned.Seconds())
	})
	total := max(int64(planned/time.Millisecond), 1)
	bar := pr.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(variant+" ", decor.WCSyncSpaceR), clock),
		mpb.AppendDecorators(stats),
		mpb.BarRemoveOnComplete(),
	)
	pr.mu.Lock()
	pr.complete()
	pr.bar, pr.total = bar, total
	pr.mu.Unlock()
	return func(l metrics.Live) {
		live.Store(&l)
		// The bar completes (and goes) when it reaches its total: only
		// complete() may take it there.
		bar.SetCurrent(min(int64(l.Elapsed/time.Millisecond), total-1))
	}
}

// complete ends the current bar; the caller holds mu. A bar built with a
// total completes only by reaching it (SetTotal does nothing to it).
func (pr *progress) complete() {
	if pr.bar != nil {
		pr.bar.SetCurrent(pr.total)
		pr.bar = nil
	}
}

// finish completes the current bar and waits for the display to settle.
func (pr *progress) finish() {
	pr.mu.Lock()
	pr.complete()
	pr.mu.Unlock()
	pr.p.Wait()
}
