package runners

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
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
	// Pacer is the arrival schedule.
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
}

var _ Runner = (*Open)(nil)

// tick is one scheduled request handed to a worker.
type tick struct {
	seq   uint64
	at    time.Duration
	stage uint16
}

// Run implements Runner. Cancelling ctx stops the schedule at once and
// cancels requests in flight; they are reported as Canceled.
func (o *Open) Run(ctx context.Context, out chan<- metrics.Result) error {
	maxInFlight := o.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = 1000
	}
	grace := o.Grace
	if grace <= 0 {
		grace = time.Second
	}
	m := newMix(o.Requests)
	ticks := make(chan tick)
	var wg sync.WaitGroup
	workers := 0
	spawn := func() {
		workers++
		wg.Add(1)
		id := uint64(workers)
		go func() {
			defer wg.Done()
			o.work(ctx, id, m, ticks, out)
		}()
	}
	for range min(maxInFlight, 16) {
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
		if !sleepUntil(ctx, timer, o.Start.Add(at)) {
			return nil
		}
		if k&255 == 0 && time.Now().After(deadlineAt) {
			o.drop(ctx, m, k, total, out)
			return nil
		}
		t := tick{seq: k, at: at, stage: uint16(stage)}
		select {
		case ticks <- t:
			continue
		default:
		}
		if workers < maxInFlight {
			spawn()
		}
		select {
		case ticks <- t:
		case <-ctx.Done():
			return nil
		case <-deadline.C:
			o.drop(ctx, m, k, total, out)
			return nil
		}
	}
	return nil
}

// drop reports the requests k..total-1 that were never sent.
func (o *Open) drop(ctx context.Context, m mix, k, total uint64, out chan<- metrics.Result) {
	now := time.Since(o.Start)
	for ; k < total; k++ {
		at, stage := o.Pacer.At(k)
		select {
		case out <- metrics.Result{Request: uint16(m.pick(k)), Stage: uint16(stage), Intended: at,
			Sent: now, End: now, Class: metrics.Dropped}:
		case <-ctx.Done():
			return
		}
	}
}

// work sends the requests of the ticks it receives until ticks is closed.
func (o *Open) work(ctx context.Context, id uint64, m mix, ticks <-chan tick, out chan<- metrics.Result) {
	var b builder
	b.r.Rand = rand.New(rand.NewPCG(uint64(o.Seed), id))
	for t := range ticks {
		ri := m.pick(t.seq)
		res := o.do(ctx, &b, ri, t)
		out <- res
	}
}

func (o *Open) do(ctx context.Context, b *builder, ri int, t tick) metrics.Result {
	req := &o.Requests[ri]
	res := metrics.Result{Request: uint16(ri), Stage: t.stage, Intended: t.at}
	hr, n, err := b.build(ctx, req, t.seq)
	res.Sent = time.Since(o.Start)
	if err != nil {
		res.End = res.Sent
		res.Class = metrics.Transport
		return res
	}
	res.BytesOut = n
	resp, err := o.Client.Do(hr)
	if err != nil {
		res.End = time.Since(o.Start)
		res.Class = metrics.ClassifyError(err, ctx.Err() != nil)
		return res
	}
	in, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	res.End = time.Since(o.Start)
	res.BytesIn = in
	res.Code = uint16(resp.StatusCode)
	if err != nil {
		res.Class = metrics.ClassifyError(err, ctx.Err() != nil)
		return res
	}
	res.Class = metrics.ClassifyStatus(resp.StatusCode, req.Expect)
	return res
}
