package metrics

import (
	"strconv"
	"sync/atomic"
	"time"
)

// IntervalLength is the width of one record interval.
const IntervalLength = time.Second

// flushGrace is how long after an interval's end the recorder waits for
// results still in flight on its channel before writing the interval.
const flushGrace = 50 * time.Millisecond

// A Recorder is the single goroutine that owns a run's aggregation state. It
// folds Results into per-interval, per-request, per-stage histograms and
// counters and appends each finished interval to the record, so memory stays
// flat however long the run.
type Recorder struct {
	w       *Writer
	variant string
	names   []string
	t0      time.Time
	acc     [][]*accum // [request][stage], allocated on first use
	cur     int
	err     error

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
	lat, svc, lag                       *Histogram
	slots                               slotAccum
}

func newAccum() *accum {
	return &accum{codes: map[uint16]int64{}, lat: NewHistogram(), svc: NewHistogram(), lag: NewHistogram()}
}

// NewRecorder returns a recorder writing the intervals of one run (variant)
// to w. names are the run's request names, indexed by Result.Request; stages
// is the number of load stages; t0 is the load start all Result offsets count
// from.
func NewRecorder(w *Writer, variant string, names []string, stages int, t0 time.Time) *Recorder {
	acc := make([][]*accum, len(names))
	for i := range acc {
		acc[i] = make([]*accum, max(stages, 1))
	}
	return &Recorder{w: w, variant: variant, names: names, t0: t0, acc: acc, liveLat: NewHistogram(), cumLat: NewHistogram(), total: Live{MeasuredFrom: -1}}
}

// Consume reads results until in is closed, writing each interval once it
// has passed, and the last one at the end. It returns the first error writing
// the record; aggregation goes on regardless.
func (r *Recorder) Consume(in <-chan Result) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case res, ok := <-in:
			if !ok {
				r.flush()
				return r.err
			}
			if idx := int(res.End / IntervalLength); idx > r.cur {
				r.advance(idx)
			}
			r.add(&res)
		case <-tick.C:
			if idx := int((time.Since(r.t0) - flushGrace) / IntervalLength); idx > r.cur {
				r.advance(idx)
			}
		}
	}
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
	if req >= len(r.acc) {
		return
	}
	if stage >= len(r.acc[req]) {
		// Runners that plan as they go (the capacity search) add stages
		// during the run.
		r.acc[req] = append(r.acc[req], make([]*accum, stage+1-len(r.acc[req]))...)
	}
	a := r.acc[req][stage]
	if a == nil {
		a = newAccum()
		r.acc[req][stage] = a
	}
	a.used = true
	a.classes[res.Class]++
	switch res.Class {
	case Dropped:
		a.dropped++
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
	a.slots.add(res.End-time.Duration(r.cur)*IntervalLength, res.Latency(), res.Class.IsError())
}

func (r *Recorder) advance(to int) {
	r.flush()
	r.cur = to
}

// flush writes the current interval's lines and resets its accumulators.
func (r *Recorder) flush() {
	var lines []any
	var ivReq, ivErr, ivDrop int64
	r.liveLat.Reset()
	for req, stages := range r.acc {
		for stage, a := range stages {
			if a == nil || !a.used {
				continue
			}
			iv := Interval{
				Type: LineInterval, Variant: r.variant, T: r.cur, Request: r.names[req], Stage: stage,
				Requests: a.requests, Errors: a.errors, Dropped: a.dropped, Canceled: a.canceled,
				BytesIn: a.bytesIn, BytesOut: a.bytesOut,
			}
			if len(a.codes) > 0 {
				iv.Codes = make(map[string]int64, len(a.codes))
				for c, n := range a.codes {
					iv.Codes[strconv.Itoa(int(c))] = n
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
			iv.Slots = a.slots.slots()
			lines = append(lines, iv)
			ivReq += a.requests
			ivErr += a.errors
			ivDrop += a.dropped
			r.liveLat.Merge(a.lat)
			if r.Excluded == nil || !r.Excluded(stage) {
				r.cumLat.Merge(a.lat)
				r.total.Measured.Requests += a.requests
				r.total.Measured.Errors += a.errors
				if r.total.MeasuredFrom < 0 {
					r.total.MeasuredFrom = time.Duration(r.cur) * IntervalLength
				}
			}
			a.reset()
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
	if r.OnInterval != nil {
		r.OnInterval(snap)
	}
}

func (r *Recorder) encode(h *Histogram) string {
	s, err := h.Encode()
	if err != nil && r.err == nil {
		r.err = err
	}
	return s
}

func (a *accum) reset() {
	a.used = false
	a.requests, a.errors, a.dropped, a.canceled = 0, 0, 0, 0
	a.bytesIn, a.bytesOut = 0, 0
	clear(a.codes)
	a.classes = [numClasses]int64{}
	a.lat.Reset()
	a.svc.Reset()
	a.lag.Reset()
	a.slots = slotAccum{}
}
