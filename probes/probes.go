// Package probes samples the resources of the services under test, of the
// host and of the generator itself, and turns them into metrics.Readings
// lines of the run record.
//
// A Sampler takes one reading of one resource owner per call; Poll drives a
// set of samplers on a fixed interval from one goroutine. metrics.Series
// summarises the readings of one owner over a window of the run.
package probes

import (
	"context"
	"errors"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// A Sampler takes one reading of one resource owner. Sample fills Owner,
// Time (= now) and Values; Poll fills Type, Variant and T. Sample should set
// Owner even when it returns an error, so the error can be attributed.
//
// Poll calls Sample from a single goroutine: implementations need not be
// safe for concurrent use, but they must honour ctx. Each call returns a
// fresh Values map that the caller may keep.
type Sampler interface {
	Sample(ctx context.Context, now time.Time) (metrics.Readings, error)
}

// ErrGone is returned (wrapped) by a Sampler whose resource no longer exists,
// such as a process that has exited. Poll stops sampling it.
var ErrGone = errors.New("gone")

// Poll samples every interval, the first time at once, until ctx is done or
// no sampler is left, and calls emit with each reading (Type "readings",
// Variant, and T in seconds since t0, negative before t0). It is synchronous
// and calls emit and onErr from the calling goroutine.
//
// A sampler's error is reported through onErr (which may be nil) once per
// run of consecutive failures, not on every tick. A sampler that fails with
// ErrGone is dropped; any other error is retried on the next tick. Errors
// caused by ctx ending are not reported. every must be positive.
func Poll(ctx context.Context, every time.Duration, t0 time.Time, variant string,
	emit func(metrics.Readings), onErr func(owner string, err error), ss ...Sampler) {
	type state struct {
		s      Sampler
		failed bool // the current failure streak has been reported
	}
	active := make([]*state, 0, len(ss))
	for _, s := range ss {
		if s != nil {
			active = append(active, &state{s: s})
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for len(active) > 0 {
		kept := active[:0]
		for _, st := range active {
			if ctx.Err() != nil {
				return
			}
			// Each sampler gets its own clock reading: a slow scrape must not
			// skew the rates the samplers after it compute.
			now := time.Now()
			rd, err := st.s.Sample(ctx, now)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				gone := errors.Is(err, ErrGone)
				if (!st.failed || gone) && onErr != nil {
					onErr(rd.Owner, err)
				}
				st.failed = true
				if !gone {
					kept = append(kept, st)
				}
				continue
			}
			st.failed = false
			rd.Type = metrics.LineReadings
			rd.Variant = variant
			rd.T = now.Sub(t0).Seconds()
			if rd.Time.IsZero() {
				rd.Time = now
			}
			emit(rd)
			kept = append(kept, st)
		}
		active = kept
		if len(active) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
