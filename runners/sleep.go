package runners

import (
	"context"
	"runtime"
	"time"
)

// preciseBelow is the wait under which the scheduler sleeps with a precise
// OS sleep instead of a Go timer. The Go runtime's idle wait rounds sub-
// millisecond timers up to a whole millisecond on Linux, which at 1,000
// req/s and above would put up to 1 ms of the generator's own jitter into
// every latency measured from the intended send time.
const preciseBelow = 2 * time.Millisecond

// sleepUntil blocks until deadline or until ctx is done, whichever is
// first, and reports whether the deadline was reached. Long waits use a Go
// timer and leave the last stretch to a precise sleep.
func sleepUntil(ctx context.Context, t *time.Timer, deadline time.Time) bool {
	for {
		d := time.Until(deadline)
		switch {
		case d <= 0:
			return true
		case d < preciseBelow:
			preciseSleep(d)
			if ctx.Err() != nil {
				return false
			}
		default:
			t.Reset(d - preciseBelow/2)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return false
			}
		}
	}
}

// spinBelow is the wait under which a worker yields in a loop instead of
// sleeping: a sleep's system call and thread wake-up cost more than that.
const spinBelow = 20 * time.Microsecond

// waitDue blocks until due or until ctx is done, whichever is first, and
// reports whether due was reached: a short wait yields to other goroutines
// in a loop; a longer one sleeps on a Go timer, with the last stretch in a
// precise OS sleep when precise is set (see sleepUntil).
func waitDue(ctx context.Context, t *time.Timer, due time.Time, precise bool) bool {
	for {
		d := time.Until(due)
		switch {
		case d <= 0:
			return true
		case d < spinBelow:
			runtime.Gosched()
		case precise:
			return sleepUntil(ctx, t, due)
		default:
			t.Reset(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return false
			}
		}
	}
}
