package runners

import (
	"cmp"
	"context"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Open is the open-model runner: requests arrive on a schedule (the stages'
// arrival rates) whether or not earlier ones have been answered, as users of
// a public service do. Every request carries its intended send time and its
// latency is measured from it, so a stalled server or a lagging generator
// shows in the tail instead of being hidden (coordinated omission).
//
// Workers are bounded by MaxInFlight. When all are busy the schedule falls
// behind; requests then leave late, and the lateness is both part of their
// latency and recorded as schedule lag. Requests still unsent Grace after the
// plan's end are counted as dropped.
type Open struct {
	// Requests is the request mix; each request's share is its weight.
	Requests []Request
	// Pacer is the arrival schedule: the whole plan, or one generator's
	// share of it (StagePacer.Segment).
	Pacer *StagePacer
	// Start is the load start (t0) every Result offset counts from. Run
	// waits until then.
	Start time.Time
	// Client sends the requests.
	Client *http.Client
	// MaxInFlight caps concurrent requests (default 1000).
	MaxInFlight int
	// Grace is how long after the plan's end late requests may still be
	// sent (default 1 s).
	Grace time.Duration
	// Seed seeds the random parts of templates; worker i draws from its own
	// stream derived from Seed and i.
	Seed int64

	notes     func(line any)
	capped    atomic.Bool // every worker was busy at some point
	exhausted atomic.Bool // a unique data feeder ran out
}

var (
	_ Runner = (*Open)(nil)
	_ Noter  = (*Open)(nil)
)

// SetNotes implements Noter.
func (o *Open) SetNotes(fn func(line any)) { o.notes = fn }

// handoffLead is how long before its due time a request is handed to a
// worker, which waits out the rest: about what waking a parked goroutine
// takes.
const handoffLead = 150 * time.Microsecond

// tick is one scheduled request handed to a worker.
type tick struct {
	seq   uint64
	at    time.Duration
	stage uint16
}

// Run implements Runner. Cancelling ctx stops the schedule at once and
// cancels requests in flight; they are reported as Canceled. A panic in a
// worker stops the run the same way and is returned as a *PanicError.
func (o *Open) Run(ctx context.Context, out chan<- metrics.Result) (err error) {
	ctx, stop := context.WithCancelCause(ctx)
	defer func() { err = cmp.Or(err, Panicked(ctx)) }()
	defer stop(nil)
	maxInFlight := o.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = 1000
	}
	grace := o.Grace
	if grace <= 0 {
		grace = time.Second
	}
	m := newMix(o.Requests)
	es := entries(o.Requests)
	ticks := make(chan tick)
	var wg sync.WaitGroup
	pool := newPool(int64(min(maxInFlight, minWorkers)))
	stopTrim := make(chan struct{})
	defer close(stopTrim)
	go func() {
		t := time.NewTicker(trimEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				pool.trim()
			case <-stopTrim:
				return
			}
		}
	}()
	spawned := uint64(0)
	spawn := func() {
		spawned++
		pool.grow()
		wg.Add(1)
		id := spawned
		go func() {
			defer wg.Done()
			Guard("worker", stop, func() { o.work(ctx, id, m, es, ticks, out, pool) })
		}()
	}
	for range pool.floor {
		spawn()
	}
	defer func() {
		close(ticks)
		wg.Wait()
	}()

	deadlineAt := o.Start.Add(o.Pacer.End() + grace)
	deadline := time.NewTimer(time.Until(deadlineAt))
	defer deadline.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	total := o.Pacer.Total()
	for k := uint64(0); k < total; k++ {
		at, stage := o.Pacer.At(k)
		// Hand the request over a little early; the worker waits out the
		// rest itself, so waking it up is not part of the request's lag.
		if !sleepUntil(ctx, timer, o.Start.Add(at-handoffLead)) {
			return nil
		}
		if k&255 == 0 && time.Now().After(deadlineAt) {
			o.drop(ctx, m, es, k, total, out)
			return nil
		}
		if o.exhausted.Load() {
			return nil
		}
		t := tick{seq: o.Pacer.Seq(k), at: at, stage: uint16(stage)}
		select {
		case ticks <- t:
			continue
		default:
		}
		// Another worker only when every worker is busy with a request: one
		// just finishing will take this tick in a moment.
		switch live := pool.live.Load(); {
		case pool.busy.Load() < live:
		case live < int64(maxInFlight):
			spawn()
		default:
			o.capped.Store(true)
		}
		select {
		case ticks <- t:
		case <-ctx.Done():
			return nil
		case <-deadline.C:
			o.drop(ctx, m, es, k, total, out)
			return nil
		}
	}
	return nil
}

// drop reports the requests k..total-1 that were never sent.
func (o *Open) drop(ctx context.Context, m mix, es []entry, k, total uint64, out chan<- metrics.Result) {
	now := time.Since(o.Start)
	for ; k < total; k++ {
		at, stage := o.Pacer.At(k)
		select {
		case out <- metrics.Result{Request: es[m.pick(o.Pacer.Seq(k))].id, Stage: uint16(stage), Intended: at,
			Sent: now, End: now, Class: metrics.Dropped}:
		case <-ctx.Done():
			return
		}
	}
}

// work sends the requests of the ticks it receives until ticks is closed.
// Once a unique data feeder runs out, it stops the schedule and skips the
// ticks still queued.
// Worker pool bounds: the workers kept however idle, and how long an extra
// worker (spawned while all were busy, e.g. during a stall) waits for work
// before it retires, so that a burst does not keep its goroutines and
// connections for the rest of the run.
const (
	minWorkers = 16
	idleRetire = 2 * time.Second
)

// idleConnTimeout closes a keep-alive connection that has been idle this
// long, so the connections a burst opened go with its workers.
const idleConnTimeout = 10 * time.Second

// burstWorkers is the pool size from which a shrink back to a quarter of it
// hands the burst's memory back to the system (see pool.retire).
const burstWorkers = 128

// trimEvery is how often the pool sizes itself to the load: it keeps twice
// the most workers busy at once over the last period.
const trimEvery = 2 * time.Second

// pool counts the open model's workers: alive, and busy with a request
// (from taking a tick until its result is handed on), and decides how many
// to keep. Ticks go to whichever worker waits, so at a high rate every
// worker gets one often and none is ever idle long: the pool shrinks after
// a burst (a stalled target, a paused generator) because trim lowers keep
// to what the load needs, and workers beyond it retire after a request.
type pool struct {
	live, busy atomic.Int64
	floor      int64
	// busyPeak is the most workers busy at once since the last trim; keep
	// is how many workers the last trim found the load needs.
	busyPeak, keep atomic.Int64
	// peak is the most workers alive since the last release (0 right after
	// one, until the pool grows again).
	peak atomic.Int64
	// release returns freed memory to the system, releaseAfter after the
	// shrink; nil and 0 mean debug.FreeOSMemory once the burst's idle
	// connections have closed. Tests replace them.
	release      func()
	releaseAfter time.Duration
}

func newPool(floor int64) *pool {
	p := &pool{floor: floor}
	p.keep.Store(floor)
	return p
}

// grow counts a new worker.
func (p *pool) grow() { raise(&p.peak, p.live.Add(1)) }

// begin and end bracket a worker's request.
func (p *pool) begin() { raise(&p.busyPeak, p.busy.Add(1)) }
func (p *pool) end()   { p.busy.Add(-1) }

// trim sets keep to twice the busy peak since the last trim, at least the
// floor, and starts a new period.
func (p *pool) trim() {
	b := p.busyPeak.Swap(p.busy.Load())
	p.keep.Store(max(p.floor, 2*b))
}

// surplus reports whether more workers are alive than the load needs.
func (p *pool) surplus() bool { return p.live.Load() > p.keep.Load() }

// retire lets a worker go when more than limit are alive. When the pool has
// shrunk to a quarter of a burst's size, the burst's goroutine stacks and —
// once they have idled out — connections are freed memory the Go runtime
// would hand back to the system only slowly; it is released in one go, so
// the generator's RSS returns to its level before the burst instead of
// staying near the peak for minutes.
func (p *pool) retire(limit int64) bool {
	limit = max(limit, p.floor)
	for {
		n := p.live.Load()
		if n <= limit {
			return false
		}
		if !p.live.CompareAndSwap(n, n-1) {
			continue
		}
		if pk := p.peak.Load(); pk >= burstWorkers && n-1 <= max(p.floor, pk/4) && p.peak.CompareAndSwap(pk, 0) {
			release, after := p.release, p.releaseAfter
			if release == nil {
				release, after = debug.FreeOSMemory, idleConnTimeout+time.Second
			}
			time.AfterFunc(after, release)
		}
		return true
	}
}

// raise sets v to n if n is larger.
func raise(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}

func (o *Open) work(ctx context.Context, id uint64, m mix, es []entry, ticks <-chan tick, out chan<- metrics.Result, p *pool) {
	w := newWorker(o.Client, o.Start, o.Seed, id)
	idle := time.NewTimer(idleRetire)
	defer idle.Stop()
	for {
		var t tick
		select {
		case tk, ok := <-ticks:
			if !ok {
				return
			}
			t = tk
		case <-idle.C:
			if p.retire(p.floor) {
				return
			}
			idle.Reset(idleRetire)
			continue
		}
		p.begin()
		if !o.exhausted.Load() {
			if d := time.Until(o.Start.Add(t.at)); d > 0 {
				preciseSleep(d)
			}
			e := &es[m.pick(t.seq)]
			if !w.iterate(ctx, e, t.seq, t.at, true, t.stage, out) && !o.exhausted.Swap(true) {
				noteExhausted(o.notes, e.req.Name, time.Since(o.Start))
			}
		}
		p.end()
		if p.surplus() && p.retire(p.keep.Load()) {
			return
		}
		idle.Reset(idleRetire)
	}
}

// noteExhausted tells the record that a unique feeder ran out.
func noteExhausted(notes func(any), request string, at time.Duration) {
	if notes != nil {
		notes(metrics.Note{Type: metrics.LineNote, T: at.Seconds(), Kind: metrics.NoteDataExhausted, Request: request,
			Text: "data mode unique: every row was used once"})
	}
}
