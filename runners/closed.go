package runners

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Closed is the closed-model runner: a fixed (or ramping) number of
// workers, each looping request → think time, as a pool of users who wait
// for an answer before asking again. There is no schedule: a request's
// latency is measured from its actual send (Result.Intended = Sent), so a
// stalled server slows the workers down instead of showing in the tail
// (coordinated omission), and the throughput is whatever the workers
// achieved. Use it to measure throughput at a concurrency, not latency.
type Closed struct {
	// Requests is the request mix; each request's share is its weight.
	Requests []Request
	// Stages set the number of workers over time (Concurrency, Ramp,
	// ForS); StartS is taken from their order.
	Stages []metrics.Stage
	// Start is the load start (t0) every Result offset counts from.
	Start time.Time
	// Client sends the requests.
	Client *Client
	// ThinkMin and ThinkMax bound each worker's pause after an iteration,
	// drawn uniformly; equal values give a fixed pause.
	ThinkMin, ThinkMax time.Duration
	// Iterations caps the iterations over all workers; 0 means no cap.
	Iterations uint64
	// Seed seeds the random parts of templates and think times.
	Seed int64

	notes func(line any)
	// running is the run in progress, for InFlight. Everything a run
	// changes lives there, so a Closed can run again.
	running atomic.Pointer[closedRun]
}

// closedRun is the state of one run of a Closed that its workers share.
type closedRun struct {
	c      *Closed
	stages []metrics.Stage // c.Stages with their starts
	endAt  time.Time
	m      mix
	es     []entry
	out    *metrics.Sink
	// seq numbers the iterations in the mix; iters counts them against
	// c.Iterations.
	seq, iters atomic.Uint64
	exhausted  atomic.Bool  // a unique data feeder ran out
	busy       atomic.Int64 // workers inside an iteration, for InFlight
}

var (
	_ Runner = (*Closed)(nil)
	_ Noter  = (*Closed)(nil)
)

// SetNotes implements Noter.
func (c *Closed) SetNotes(fn func(line any)) { c.notes = fn }

// idlePoll is how often a worker beyond the current concurrency checks
// whether a ramp has reached it.
const idlePoll = 5 * time.Millisecond

// Run implements Runner. It returns once the stages have ended (requests in
// flight finish first), the iteration cap is reached, unique data ran out,
// or ctx is done (requests in flight are cancelled and reported Canceled).
// A panic in a worker stops the run the same way and is returned as a
// *PanicError.
func (c *Closed) Run(ctx context.Context, out *metrics.Sink) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	r := &closedRun{c: c, stages: withStarts(c.Stages), m: newMix(c.Requests), es: entries(c.Requests), out: out}
	workers := 0
	var end float64
	for _, st := range r.stages {
		workers = max(workers, st.Concurrency)
		end = st.StartS + st.ForS
	}
	r.endAt = c.Start.Add(time.Duration(end * float64(time.Second)))
	c.running.Store(r)
	reserveDescriptors(workers + otherDescriptors)
	defer c.Client.watch(ctx)()
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Guard("worker", stop, func() { r.work(ctx, i) })
		}()
	}
	wg.Wait()
	return Panicked(ctx)
}

// work is worker i's loop: an iteration, then think time, while the stages
// call for worker i, until they end, the iteration cap is reached, data ran
// out or ctx is done.
func (r *closedRun) work(ctx context.Context, i int) {
	c := r.c
	buf := r.out.Buffer()
	defer buf.Close()
	w := newWorker(c.Client, buf, c.Start, c.Seed, uint64(i)+1)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	if !sleepUntil(ctx, timer, c.Start) {
		return
	}
	for ctx.Err() == nil && !r.exhausted.Load() {
		now := time.Now()
		if !now.Before(r.endAt) {
			return
		}
		el := now.Sub(c.Start)
		n, stage := ConcurrencyAt(r.stages, el)
		if i >= n {
			if !sleepUntil(ctx, timer, now.Add(min(idlePoll, r.endAt.Sub(now)))) {
				return
			}
			continue
		}
		if c.Iterations > 0 && r.iters.Add(1) > c.Iterations {
			return
		}
		k := r.seq.Add(1) - 1
		e := &r.es[r.m.pick(k)]
		r.busy.Add(1)
		ok := w.iterate(ctx, e, k, 0, false, uint16(stage))
		r.busy.Add(-1)
		if !ok {
			if !r.exhausted.Swap(true) {
				noteExhausted(c.notes, e.req.Name, time.Since(c.Start))
			}
			return
		}
		buf.Release()
		if !c.pause(ctx, timer, c.think(w)) {
			return
		}
	}
}

// pause sleeps for d and reports whether ctx is still live.
func (c *Closed) pause(ctx context.Context, timer *time.Timer, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	return sleepUntil(ctx, timer, time.Now().Add(d))
}

func (c *Closed) think(w *worker) time.Duration {
	if c.ThinkMax <= c.ThinkMin {
		return c.ThinkMin
	}
	return c.ThinkMin + time.Duration(w.rng.Int64N(int64(c.ThinkMax-c.ThinkMin)+1))
}

// withStarts returns a copy of stages with StartS taken from their order.
func withStarts(stages []metrics.Stage) []metrics.Stage {
	out := make([]metrics.Stage, len(stages))
	var start float64
	for i, st := range stages {
		st.StartS = start
		out[i] = st
		start += st.ForS
	}
	return out
}

// ConcurrencyAt returns the number of workers the closed-model stages call
// for at elapsed and the index of the stage then; 0 workers past the end.
// A "linear" stage ramps from the previous stage's concurrency (0 for the
// first) to its own; any other ramp steps to it at once. Stages must have
// their StartS set.
func ConcurrencyAt(stages []metrics.Stage, elapsed time.Duration) (int, int) {
	t := elapsed.Seconds()
	for i, st := range stages {
		if t >= st.StartS+st.ForS {
			continue
		}
		if st.Ramp != "linear" || st.ForS <= 0 {
			return st.Concurrency, i
		}
		c0 := 0
		if i > 0 {
			c0 = stages[i-1].Concurrency
		}
		frac := max(t-st.StartS, 0) / st.ForS
		return int(math.Round(float64(c0) + float64(st.Concurrency-c0)*frac)), i
	}
	return 0, max(len(stages)-1, 0)
}
