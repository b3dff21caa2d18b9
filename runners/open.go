package runners

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
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
	Client *Client
	// MaxInFlight caps concurrent requests (default
	// scenarios.DefaultMaxInFlight).
	MaxInFlight int
	// Grace is how long after the plan's end late requests may still be
	// sent (default 1 s).
	Grace time.Duration
	// Seed seeds the random parts of templates; worker i draws from its own
	// stream derived from Seed and i.
	Seed int64

	notes func(line any)
	// running is the pool of the run in progress, for InFlight. Everything
	// else a run changes lives in its schedule, so an Open can run again.
	running atomic.Pointer[pool]
}

var (
	_ Runner = (*Open)(nil)
	_ Noter  = (*Open)(nil)
)

// SetNotes implements Noter.
func (o *Open) SetNotes(fn func(line any)) { o.notes = fn }

// superviseEvery is how often the open model checks for the plan's end
// (then it drops what is left), sizes the pool, and adds workers (at most
// spawnBatch) when requests are due that the free workers will not take.
// On time, workers are added by the workers themselves, as they take a
// request (see schedule.topUp), so no request waits for this check.
const (
	superviseEvery = 10 * time.Millisecond
	spawnBatch     = 64
)

// While the generator keeps more than busyShare of its CPUs busy, the
// supervisor adds at most spawnBusy workers per check. Workers it adds then
// would not be waiting for a slow target but queueing for the generator's
// own CPU, each dialling a connection of its own: at the start of a run,
// when the first requests pay for their connections, adding workers
// spawnBatch at a time grew the pool to hundreds and stalled the first
// tenth of a second. A stalled target leaves the generator idle, so the
// pool still grows at full speed for it.
const (
	busyShare = 0.5
	spawnBusy = 4
)

// spareWorkers is how many workers the open model keeps free (waiting for
// a request's due time) beside those busy with a request: when a worker
// takes a request on time and fewer are free, it starts another at once, so
// that the next request due has a worker waiting for it.
const spareWorkers = 8

// topUpLate is how late a worker may take its request and still start
// another (see topUp), and how late the supervisor's check may run and
// still add workers. Later, the generator is behind: its free workers have
// not run yet, and more of them would only add to the queue and the
// memory. A stalled target leaves the generator idle, so both stay on time
// and the pool grows for it.
const topUpLate = time.Millisecond

// defaultGrace is how long after the plan's end late requests may still be
// sent when Grace is not set.
const defaultGrace = time.Second

// Run implements Runner. There is no scheduler goroutine handing requests
// over: each worker claims the next request number from a shared counter,
// waits for its due time itself and sends it, so a request costs no
// goroutine hand-off; an alarm wakes the process at due times, so that the
// workers' timers fire on time (see ring). Cancelling ctx stops the
// schedule at once and cancels requests in flight; they are reported as
// Canceled. A panic in a worker stops the run the same way and is returned
// as a *PanicError.
func (o *Open) Run(ctx context.Context, out *metrics.Sink) error {
	_, err := o.run(ctx, out)
	return err
}

// run is Run, returning the run's schedule, which no worker changes once
// run has returned: what the run came to (capped, exhausted) is read there.
func (o *Open) run(ctx context.Context, out *metrics.Sink) (s *schedule, err error) {
	ctx, stop := context.WithCancelCause(ctx)
	defer func() { err = cmp.Or(err, Panicked(ctx)) }()
	defer stop(nil)
	s = o.newSchedule(ctx, stop, out)
	o.running.Store(s.pool)
	reserveDescriptors(int(s.maxInFlight) + otherDescriptors)
	defer o.Client.watch(ctx)()
	lead := time.NewTimer(time.Hour)
	if sleepUntil(ctx, lead, o.Start.Add(-warmLead)) {
		defer o.Client.warm(o.Requests, warmConns(o.Pacer.Rate(0), s.maxInFlight), o.Start)()
	}
	lead.Stop()
	for range s.pool.floor {
		s.spawn()
	}
	defer s.startRing(ctx, stop)()
	workersDone := make(chan struct{})
	defer func() { <-workersDone }()
	go func() {
		s.wg.Wait()
		close(workersDone)
	}()
	s.supervise(ctx, workersDone)
	return s, nil
}

// warmLead is how long before the load's start Client.warm begins to dial:
// time enough for the connections a start needs, and no more, since a
// service may close a connection that stays idle (a load held with
// --start-at may start minutes after its run).
const warmLead = 100 * time.Millisecond

// warmConns is how many connections Client.warm dials ahead of a load
// whose first rate is rate (requests per second): those of its first
// warmAhead, at least minWorkers (the workers waiting at the start), at
// most maxInFlight.
func warmConns(rate float64, maxInFlight int64) int {
	return int(min(maxInFlight, max(minWorkers, int64(math.Ceil(rate*warmAhead.Seconds())))))
}

// newSchedule is the state of one run of o, its requests numbered from 0,
// its workers still to start.
func (o *Open) newSchedule(ctx context.Context, stop context.CancelCauseFunc, out *metrics.Sink) *schedule {
	maxInFlight := o.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = scenarios.DefaultMaxInFlight
	}
	grace := o.Grace
	if grace <= 0 {
		grace = defaultGrace
	}
	return &schedule{o: o, m: newMix(o.Requests), es: entries(o.Requests), total: o.Pacer.Total(),
		deadline: o.Start.Add(o.Pacer.End() + grace), out: out, ctx: ctx, stop: stop, maxInFlight: int64(maxInFlight),
		pool: newPool(int64(min(maxInFlight, minWorkers)))}
}

// supervise checks the run every superviseEvery — sizing the pool, ending
// the schedule once data ran out or the plan's deadline passed, adding
// workers that the requests due need — until ctx is done or every worker
// has returned.
func (s *schedule) supervise(ctx context.Context, workersDone <-chan struct{}) {
	tick := time.NewTicker(superviseEvery)
	defer tick.Stop()
	trimAt := time.Now().Add(trimEvery)
	load := newCPUMeter(processCPU)
	for {
		select {
		case <-ctx.Done():
			return
		case <-workersDone:
			return
		case now := <-tick.C:
			if now.After(trimAt) {
				s.pool.trim()
				trimAt = now.Add(trimEvery)
			}
			switch {
			case s.exhausted.Load():
				s.next.Store(s.total)
			case now.After(s.deadline):
				s.drop(ctx, s.next.Swap(s.total))
			case time.Since(now) < topUpLate:
				// A check that ran late found the generator behind, its
				// run queue full: workers added now would only queue and
				// take memory (see topUpLate).
				s.backfill(now, spawnLimit(load.cores(now)/float64(runtime.GOMAXPROCS(0))))
			}
		}
	}
}

// schedule is the state an open-model run's workers share.
type schedule struct {
	o        *Open
	m        mix
	es       []entry
	total    uint64
	deadline time.Time
	out      *metrics.Sink
	pool     *pool
	wg       sync.WaitGroup
	// ctx and stop are the run's; workers started by workers use them.
	ctx         context.Context
	stop        context.CancelCauseFunc
	maxInFlight int64
	// next is the number of the next request no worker has claimed.
	next atomic.Uint64
	// spawned numbers the workers (each draws from its own random stream).
	spawned atomic.Uint64
	// capped is set once every worker was busy with maxInFlight alive;
	// exhausted once a unique data feeder ran out.
	capped, exhausted atomic.Bool
}

// alarmGap is the shortest time between two of ring's wake-ups. Below
// one request per alarmGap (2,000 req/s) every due time has an alarm of its
// own; above, ring wakes every alarmGap, so an idle generator wakes at most
// alarmGap after a request's due time. Go's timers alone let requests leave
// up to a millisecond late whenever the process is idle, a millisecond's
// worth at a time. Sending them on time costs wake-ups: 18 % more
// generator CPU at 5,000 req/s and 8 % more at 10,000, for half the
// schedule lag's p99 (bench/ab.sh; bench/RESULTS.md).
const alarmGap = 500 * time.Microsecond

// startRing starts ring on an alarm, where there is one, and returns the
// function that stops it and waits for it to end.
func (s *schedule) startRing(ctx context.Context, stop context.CancelCauseFunc) func() {
	a, err := newAlarm()
	if err != nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	context.AfterFunc(ctx, func() { a.Close() })
	rung := make(chan struct{})
	go func() {
		defer close(rung)
		defer a.Close()
		Guard("alarm", stop, func() { s.ring(ctx, a) })
	}()
	return func() {
		cancel()
		<-rung
	}
}

// ring wakes the process with a at the due times of the plan's requests
// (at most one wake-up per alarmGap, see nextAlarm), so that a worker's
// timer fires when its request is due rather than up to a millisecond later
// (see alarm). It returns when ctx is done or the plan has passed.
func (s *schedule) ring(ctx context.Context, a *alarm) {
	var k uint64
	last := time.Duration(math.MinInt64 / 2)
	for ctx.Err() == nil {
		var wake time.Duration
		if k, wake = s.nextAlarm(k, time.Since(s.o.Start), last); k >= s.total {
			return
		}
		// The alarm repeats every alarmGap until it is set again: at high
		// rates, where every wake-up is alarmGap after the last, it is set
		// once rather than at each.
		var err error
		if wake == last+alarmGap {
			err = a.next()
		} else {
			err = a.wait(wake-time.Since(s.o.Start), alarmGap)
		}
		if err != nil {
			return
		}
		last = wake
	}
}

// nextAlarm returns the first request from k on that is due after now, and
// when ring should wake for it: at its due time, but not before alarmGap
// has passed since ring's last wake-up (last).
func (s *schedule) nextAlarm(k uint64, now, last time.Duration) (uint64, time.Duration) {
	p := s.o.Pacer
	k += uint64(sort.Search(int(s.total-k), func(i int) bool {
		at, _ := p.At(k + uint64(i))
		return at > now
	}))
	if k >= s.total {
		return k, 0
	}
	at, _ := p.At(k)
	return k, max(at, last+alarmGap)
}

// spawn starts a worker if fewer than maxInFlight are alive, and reports
// whether it did.
func (s *schedule) spawn() bool {
	if !s.pool.grow(s.maxInFlight) {
		return false
	}
	id := s.spawned.Add(1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		Guard("worker", s.stop, func() { s.work(s.ctx, id) })
	}()
	return true
}

// backfill adds a worker for each request due by now and not claimed,
// beyond what the free workers (those not in a request) will take, at most
// batch: a generator that is itself behind, its workers free but not yet
// run, gains nothing from more of them.
func (s *schedule) backfill(now time.Time, batch int) {
	k := s.next.Load()
	n := 0
	for ; n < batch && k+uint64(n) < s.total; n++ {
		if at, _ := s.o.Pacer.At(k + uint64(n)); s.o.Start.Add(at).After(now) {
			break
		}
	}
	n -= int(s.pool.live.Load() - s.pool.busy.Load())
	for ; n > 0; n-- {
		if !s.spawn() {
			s.capped.Store(true)
			return
		}
	}
}

// topUp starts workers while fewer than spareWorkers are free. A worker
// calls it as it takes a request: the pool grows the moment the load needs
// it, not at the next check. When the pool is at maxInFlight with every
// worker busy, the run is marked capped.
func (s *schedule) topUp() {
	p := s.pool
	for p.live.Load()-p.busy.Load() < spareWorkers {
		if !s.spawn() {
			if p.busy.Load() >= p.live.Load() {
				s.capped.Store(true)
			}
			return
		}
	}
}

// drop reports the requests k..total-1 as never sent, if k is below total.
// It reports them in runs of one stage and one record interval, a result per
// request of the mix in each, so that a plan far beyond what the generator
// could send (millions of requests left) is reported in a few steps.
func (s *schedule) drop(ctx context.Context, k uint64) {
	if k >= s.total {
		return
	}
	buf := s.out.Buffer()
	defer buf.Close()
	now := time.Since(s.o.Start)
	counts := make([]int64, len(s.es))
	for k < s.total && ctx.Err() == nil {
		at, stage := s.o.Pacer.At(k)
		end := buf.IntervalEnd(at)
		n := uint64(sort.Search(int(s.total-k), func(i int) bool {
			a, st := s.o.Pacer.At(k + uint64(i))
			return st != stage || a >= end
		}))
		buf.Hold(at)
		s.m.count(counts, s.o.Pacer.Seq, k, n)
		for i, c := range counts {
			if c > 0 {
				buf.Put(metrics.Result{Request: s.es[i].id, Stage: uint16(stage), Intended: at,
					Sent: now, End: now, Class: metrics.Dropped, Repeat: c - 1})
			}
		}
		k += n
	}
}

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

// grow counts a new worker unless limit are alive already, and reports
// whether it did. The pool then keeps at least as many workers as are alive
// until the next trim, so a growing load does not retire the workers it has
// just started.
func (p *pool) grow(limit int64) bool {
	for {
		n := p.live.Load()
		if n >= limit {
			return false
		}
		if p.live.CompareAndSwap(n, n+1) {
			raise(&p.peak, n+1)
			raise(&p.keep, n+1)
			return true
		}
	}
}

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

// work claims requests and sends each at its due time until every request
// is claimed, ctx is done, a unique data feeder runs out, or the pool has
// more workers than the load needs. A request claimed after the plan's
// deadline is reported dropped.
func (s *schedule) work(ctx context.Context, id uint64) {
	o, p := s.o, s.pool
	buf := s.out.Buffer()
	defer buf.Close()
	w := newWorker(o.Client, buf, o.Start, o.Seed, id)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil && !s.exhausted.Load() {
		k := s.next.Add(1) - 1
		if k >= s.total {
			return
		}
		at, stage := o.Pacer.At(k)
		// Held before the wait: the recorder must not write the interval of
		// a claimed request before its result is in.
		buf.Hold(at)
		if !waitDue(ctx, timer, o.Start.Add(at)) {
			return
		}
		seq := o.Pacer.Seq(k)
		e := &s.es[s.m.pick(seq)]
		now := time.Now()
		if now.After(s.deadline) {
			el := now.Sub(o.Start)
			buf.Put(metrics.Result{Request: e.id, Stage: uint16(stage), Intended: at, Sent: el, End: el, Class: metrics.Dropped})
			s.drop(ctx, s.next.Swap(s.total))
			return
		}
		p.begin()
		if now.Sub(o.Start)-at < topUpLate {
			s.topUp()
		}
		if !w.iterate(ctx, e, seq, at, true, uint16(stage)) && !s.exhausted.Swap(true) {
			noteExhausted(o.notes, e.req.Name, time.Since(o.Start))
		}
		p.end()
		if p.surplus() && p.retire(p.keep.Load()) {
			return
		}
	}
}

// noteExhausted tells the record that a unique feeder ran out.
func noteExhausted(notes func(any), request string, at time.Duration) {
	if notes != nil {
		notes(metrics.Note{T: at.Seconds(), Kind: metrics.NoteDataExhausted, Request: request,
			Text: "data mode unique: every row was used once"})
	}
}

// spawnLimit is how many workers one check may add while the generator
// uses share of its CPUs.
func spawnLimit(share float64) int {
	if share > busyShare {
		return spawnBusy
	}
	return spawnBatch
}
