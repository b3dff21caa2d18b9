package metrics

import (
	"runtime"
	"sync/atomic"
	"time"
)

// IntervalLength is the width of one record interval.
const IntervalLength = time.Second

// flushGrace is how far behind the clock the recorder writes intervals
// even when no runner holds a request back, for results a runner is about to
// put.
const flushGrace = 10 * time.Millisecond

// collectEvery is how often the recorder collects the runners' buffers.
const collectEvery = 25 * time.Millisecond

// A Recorder is the single goroutine that owns a run's aggregation state. It
// folds Results into per-interval, per-request, per-stage histograms and
// counters and appends each finished interval to the record, so memory stays
// flat however long the run.
//
// A request counts in the interval of its intended send time (in the closed
// model: its actual send), so an effect shows in the interval where the
// requests it hit were meant to go out, however late they complete. An
// interval is written once every request meant for it has been put: the
// runners' buffers hold their results back until then (Sink.Collect's
// watermark), which takes at most the request timeout.
type Recorder struct {
	w       *Writer
	variant string
	names   []string
	stages  int
	t0      time.Time
	// open holds the accumulators of the intervals not yet written, from
	// interval cur on: open[i][request][stage], allocated on first use.
	open  [][][]*accum
	spare []*accum
	cur   int
	err   error
	batch []Result

	total   Live
	liveLat *Histogram
	cumLat  *Histogram
	live    atomic.Pointer[Live]
	// Excluded, when set, tells which stages (warm-up) the measured totals
	// of Live leave out.
	Excluded func(stage int) bool
	// OnInterval, when set, is called from the recorder goroutine after each
	// interval is written. It must return quickly.
	OnInterval func(Live)
}

// Live is a snapshot of a run in progress, for progress displays.
type Live struct {
	Elapsed  time.Duration
	Requests int64
	Errors   int64
	Dropped  int64
	// RPS and P99 describe the last finished interval.
	RPS float64
	P99 time.Duration
	// Measured holds the totals so far outside excluded (warm-up) stages,
	// from MeasuredFrom on: what thresholds are judged on mid-run.
	Measured     RunTotals
	MeasuredFrom time.Duration
}

// RunTotals are the cumulative figures of a run in progress.
type RunTotals struct {
	Requests, Errors int64
	Latency          Percentiles
}

type accum struct {
	used                                bool
	requests, errors, dropped, canceled int64
	bytesIn, bytesOut                   int64
	codes                               map[uint16]int64
	classes                             [numClasses]int64
	lat, svc, lag                       *counts
	slots                               slotAccum
	lastSent                            time.Duration
}

func newAccum() *accum {
	return &accum{codes: map[uint16]int64{}, lat: newCounts(), svc: newCounts(), lag: newCounts()}
}

// NewRecorder returns a recorder writing the intervals of one run (variant)
// to w. names are the run's request names, indexed by Result.Request; stages
// is the number of load stages; t0 is the load start all Result offsets count
// from.
func NewRecorder(w *Writer, variant string, names []string, stages int, t0 time.Time) *Recorder {
	return &Recorder{w: w, variant: variant, names: names, stages: max(stages, 1), t0: t0, liveLat: NewHistogram(),
		cumLat: NewHistogram(), total: Live{MeasuredFrom: -1}}
}

// Consume collects s until done is closed, writing each interval once every
// request meant for it has been put and its time has passed, and the rest
// at the end. Close done only after the runners have put their last
// result. It returns the first error writing the record; aggregation goes on
// regardless.
func (r *Recorder) Consume(s *Sink, done <-chan struct{}) error {
	tick := time.NewTicker(collectEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			r.collect(s)
			r.flush()
			for len(r.open) > 0 {
				r.flush()
			}
			return r.err
		case <-tick.C:
			now := time.Since(r.t0) - flushGrace
			mark := r.collect(s)
			if idx := int(min(now, mark) / IntervalLength); min(now, mark) >= 0 {
				for r.cur < idx {
					r.flush()
				}
			}
		}
	}
}

// collect adds every result put so far and returns the watermark.
func (r *Recorder) collect(s *Sink) time.Duration {
	var mark time.Duration
	r.batch, mark = s.Collect(r.batch[:0])
	for i := range r.batch {
		r.add(&r.batch[i])
	}
	return mark
}

// Live returns the latest snapshot; safe to call from any goroutine.
func (r *Recorder) Live() Live {
	if l := r.live.Load(); l != nil {
		return *l
	}
	return Live{}
}

func (r *Recorder) add(res *Result) {
	req, stage := int(res.Request), int(res.Stage)
	if req >= len(r.names) {
		return
	}
	// A result is never older than the intervals written (the runners hold
	// them back); should one be, it counts in the oldest one still open.
	idx := max(int(res.Intended/IntervalLength), r.cur) - r.cur
	for len(r.open) <= idx {
		r.open = append(r.open, make([][]*accum, len(r.names)))
	}
	iv := r.open[idx]
	if stage >= len(iv[req]) {
		// Runners that plan as they go (the capacity search) add stages
		// during the run.
		iv[req] = append(iv[req], make([]*accum, max(stage+1, r.stages)-len(iv[req]))...)
	}
	a := iv[req][stage]
	if a == nil {
		if n := len(r.spare); n > 0 {
			a, r.spare = r.spare[n-1], r.spare[:n-1]
		} else {
			a = newAccum()
		}
		iv[req][stage] = a
	}
	a.used = true
	a.classes[res.Class] += 1 + res.Repeat
	switch res.Class {
	case Dropped:
		a.dropped += 1 + res.Repeat
		return
	case Canceled:
		a.canceled++
		return
	}
	a.requests++
	if res.Class.IsError() {
		a.errors++
	}
	if res.Code != 0 {
		a.codes[res.Code]++
	}
	a.bytesIn += res.BytesIn
	a.bytesOut += res.BytesOut
	a.lat.Record(res.Latency())
	a.svc.Record(res.ServiceTime())
	a.lag.Record(res.Lag())
	a.lastSent = max(a.lastSent, res.Sent)
	// Slots split the interval by intended send time as well.
	a.slots.add(res.Intended-time.Duration(r.cur+idx)*IntervalLength, res.Latency(), res.Class.IsError())
}

// flush writes interval cur's lines, hands its accumulators back for
// reuse and moves on to the next interval.
func (r *Recorder) flush() {
	var lines []Line
	var ivReq, ivErr, ivDrop int64
	r.liveLat.Reset()
	var acc [][]*accum
	if len(r.open) > 0 {
		acc = r.open[0]
		r.open = r.open[1:]
	}
	for req, stages := range acc {
		for stage, a := range stages {
			if a == nil {
				continue
			}
			if !a.used {
				r.spare = append(r.spare, a)
				continue
			}
			iv := Interval{
				Variant: r.variant, T: r.cur, Request: r.names[req], Stage: stage,
				Requests: a.requests, Errors: a.errors, Dropped: a.dropped, Canceled: a.canceled,
				BytesIn: a.bytesIn, BytesOut: a.bytesOut,
			}
			if len(a.codes) > 0 {
				iv.Codes = make(map[string]int64, len(a.codes))
				for c, n := range a.codes {
					iv.Codes[codeName(c)] = n
				}
			}
			for c, n := range a.classes {
				if n > 0 && ErrorClass(c).IsError() {
					if iv.Classes == nil {
						iv.Classes = map[string]int64{}
					}
					iv.Classes[ErrorClass(c).String()] = n
				}
			}
			iv.Latency = r.encode(a.lat)
			iv.Clamped = a.lat.Clamped
			iv.Service = r.encode(a.svc)
			iv.Lag = r.encode(a.lag)
			if end := time.Duration(r.cur+1) * IntervalLength; a.lastSent > end {
				iv.SentUntilS = a.lastSent.Round(time.Millisecond).Seconds()
			}
			iv.Slots = a.slots.slots()
			lines = append(lines, iv)
			ivReq += a.requests
			ivErr += a.errors
			ivDrop += a.dropped
			a.lat.mergeInto(r.liveLat)
			if r.Excluded == nil || !r.Excluded(stage) {
				a.lat.mergeInto(r.cumLat)
				r.total.Measured.Requests += a.requests
				r.total.Measured.Errors += a.errors
				if r.total.MeasuredFrom < 0 {
					r.total.MeasuredFrom = time.Duration(r.cur) * IntervalLength
				}
			}
			a.reset()
			r.spare = append(r.spare, a)
		}
	}
	if len(lines) > 0 {
		if err := r.w.Write(lines...); err != nil && r.err == nil {
			r.err = err
		}
	}
	r.total.Elapsed = time.Duration(r.cur+1) * IntervalLength
	r.total.Requests += ivReq
	r.total.Errors += ivErr
	r.total.Dropped += ivDrop
	r.total.RPS = float64(ivReq) / IntervalLength.Seconds()
	r.total.P99 = r.liveLat.Quantile(0.99)
	r.total.Measured.Latency = percentiles(r.cumLat)
	snap := r.total
	r.live.Store(&snap)
	r.cur++
	if r.OnInterval != nil {
		r.OnInterval(snap)
	}
}

// encode returns h encoded, then yields: an encoding takes a fraction of a
// millisecond, and with a single P (the generator pinned to one CPU) the
// runners' workers must not wait for a whole interval's worth of them.
func (r *Recorder) encode(h *counts) string {
	s, err := h.Encode()
	if err != nil && r.err == nil {
		r.err = err
	}
	runtime.Gosched()
	return s
}

func (a *accum) reset() {
	a.used = false
	a.requests, a.errors, a.dropped, a.canceled = 0, 0, 0, 0
	a.lastSent = 0
	a.bytesIn, a.bytesOut = 0, 0
	clear(a.codes)
	a.classes = [numClasses]int64{}
	a.lat.Reset()
	a.svc.Reset()
	a.lag.Reset()
	a.slots = slotAccum{}
}
