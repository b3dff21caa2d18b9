package runners

import (
	"context"
	"runtime"
	"time"
)

// sleepUntil blocks until deadline or until ctx is done, whichever is
// first, and reports whether the deadline was reached. It waits on a Go
// timer, which may fire up to a millisecond late when the process is idle:
// fine for think times and pauses, not for an open model's due times (see
// waitDue and alarm).
func sleepUntil(ctx context.Context, t *time.Timer, deadline time.Time) bool {
	for {
		d := time.Until(deadline)
		if d <= 0 {
			return true
		}
		t.Reset(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
}

// spinBelow is the wait under which a worker yields in a loop instead of
// sleeping: a timer's wake-up costs more than that.
const spinBelow = 20 * time.Microsecond

// waitDue blocks until due or until ctx is done, whichever is first, and
// reports whether due was reached: a short wait yields to other goroutines
// in a loop, a longer one sleeps on a Go timer. The open model's alarm
// wakes the process at due times, so the timer fires on time.
func waitDue(ctx context.Context, t *time.Timer, due time.Time) bool {
	for {
		if d := time.Until(due); d <= 0 {
			return true
		} else if d < spinBelow {
			runtime.Gosched()
			continue
		}
		if !sleepUntil(ctx, t, due) {
			return false
		}
	}
}
