package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// excluded reports whether a stage is left out of the measured figures.
func (p *plan) excluded(stage int) bool {
	return !metrics.Measured(p.stages, stage)
}

// aborter stops a run's load when a threshold marked abort_on_fail fails on
// the figures so far, once its delay_abort_eval has passed. Only run-wide
// thresholds are judged mid-run: a request, service or window scope needs
// figures that exist only at the end.
type aborter struct {
	mu     sync.Mutex
	failed string
}

func (a *aborter) reason() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failed
}

func (e *engine) abortOnFail(variant string, rec *metrics.Recorder, cancel context.CancelFunc) *aborter {
	a := &aborter{}
	var ths []metrics.Threshold
	for _, th := range e.plan.thresholds {
		if th.AbortOnFail && th.Request == "" && th.Service == "" && th.Window == "" && (th.Variant == "" || th.Variant == variant) {
			ths = append(ths, th)
		}
	}
	if len(ths) == 0 || e.opt.Fails == nil {
		return a
	}
	next := rec.OnInterval
	rec.OnInterval = func(l metrics.Live) {
		if next != nil {
			next(l)
		}
		if a.reason() != "" || l.MeasuredFrom < 0 {
			return
		}
		secs := (l.Elapsed - l.MeasuredFrom).Seconds()
		rs := &metrics.RunSummary{Variant: variant, Requests: l.Measured.Requests, Errors: l.Measured.Errors,
			Latency: l.Measured.Latency}
		if l.Measured.Requests > 0 {
			rs.ErrorRate = float64(l.Measured.Errors) / float64(l.Measured.Requests)
		}
		if secs > 0 {
			rs.RPS = float64(l.Measured.Requests) / secs
		}
		for _, th := range ths {
			if l.Elapsed < time.Duration(th.DelayAbortEvalMs*float64(time.Millisecond)) || !e.opt.Fails(th, rs) {
				continue
			}
			a.mu.Lock()
			a.failed = th.Expr
			a.mu.Unlock()
			fmt.Fprintf(e.opt.Log, "%s: threshold %q failed at %s: stopping the load (abort_on_fail)\n", variant, th.Expr, l.Elapsed)
			cancel()
			return
		}
	}
	return a
}
