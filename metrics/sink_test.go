package metrics

import (
	"math"
	"sync/atomic"
	"testing"
	"time"
)

func TestSinkShiftsAndHolds(t *testing.T) {
	t.Parallel()
	s := NewSink()
	a := s.Buffer()
	// A derived sink as a later phase sees it: 10 s on, stages renumbered.
	d := s.Derive(10*time.Second, func(r *Result) { r.Stage += 2 })
	b := d.Buffer()
	a.Hold(3 * time.Second)
	b.Hold(1 * time.Second) // 11 s in the root's times
	b.Put(Result{Intended: time.Second, Sent: 2 * time.Second, End: 3 * time.Second, Stage: 1})
	got, mark := s.Collect(nil)
	if mark != 3*time.Second {
		t.Errorf("watermark = %v; want the earliest hold, 3s", mark)
	}
	want := Result{Intended: 11 * time.Second, Sent: 12 * time.Second, End: 13 * time.Second, Stage: 3}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("collected %+v; want [%+v]", got, want)
	}
	a.Release()
	if _, mark = s.Collect(nil); mark != 11*time.Second {
		t.Errorf("watermark after a release = %v; want 11s", mark)
	}
	t0 := time.Now().Add(-5 * time.Second)
	now := a.HoldNow(t0)
	if _, mark = s.Collect(nil); mark < 5*time.Second || mark != now {
		t.Errorf("watermark after HoldNow = %v; want the time it returned, %v (>= 5s)", mark, now)
	}
	a.Close()
	b.Close()
	if _, mark = s.Collect(nil); mark != math.MaxInt64 {
		t.Errorf("watermark with every buffer closed = %v; want none", mark)
	}
	if n := len(s.root.bufs); n != 0 {
		t.Errorf("%d closed buffers kept after collection; want 0", n)
	}
}

// TestRecorderCountsByIntendedTime checks that a request counts in the interval it was
// meant to be sent in, however late it completes, and that no interval is written while a
// request meant for it is still in flight.
func TestRecorderCountsByIntendedTime(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/record.ndjson"
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := Header{Type: LineHeader, Format: RecordFormat, Scenario: "test", Requests: []string{"a"}, Stages: []Stage{{ForS: 3, Rate: 1}}}
	t0 := time.Now().Add(-3 * time.Second) // intervals 0-2 are over by the clock
	if err := w.Write(h, RunStart{Type: LineRun, Variant: "v", Start: t0}, LoadStart{Type: LineLoad, Variant: "v", Start: t0}); err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(w, "v", h.Requests, 1, t0)
	var written atomic.Int64
	rec.OnInterval = func(Live) { written.Add(1) }
	s := NewSink()
	stalled, other := s.Buffer(), s.Buffer()
	ms := time.Millisecond
	stalled.Hold(500 * ms) // a request meant for 0.5 s is in flight
	other.Put(Result{Intended: 200 * ms, Sent: 200 * ms, End: 210 * ms, Code: 200})
	other.Put(Result{Intended: 1500 * ms, Sent: 1500 * ms, End: 1510 * ms, Code: 200})
	other.Close()
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- rec.Consume(s, done) }()
	time.Sleep(10 * collectEvery)
	if n := written.Load(); n != 0 {
		t.Fatalf("%d intervals written while a request meant for interval 0 was in flight; want 0", n)
	}
	stalled.Put(Result{Intended: 500 * ms, Sent: 500 * ms, End: 2900 * ms, Code: 200})
	stalled.Close()
	deadline := time.Now().Add(5 * time.Second)
	for written.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(collectEvery)
	}
	if n := written.Load(); n < 3 {
		t.Fatalf("%d intervals written once nothing was held back; want the 3 that are over", n)
	}
	close(done)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	byT := map[int]Interval{}
	for _, iv := range r.Runs[0].Intervals {
		byT[iv.T] = iv
	}
	if got := byT[0].Requests; got != 2 {
		t.Errorf("interval 0 has %d requests; want 2 (both meant for it)", got)
	}
	lat := NewHistogram()
	if err := lat.MergeEncoded(byT[0].Latency); err != nil {
		t.Fatal(err)
	}
	if got := lat.Max(); got < 2390*ms || got > 2410*ms {
		t.Errorf("interval 0 max latency = %v; want the stalled request's 2.4s", got)
	}
	if got := byT[1].Requests; got != 1 {
		t.Errorf("interval 1 has %d requests; want 1", got)
	}
	if got := byT[2].Requests; got != 0 {
		t.Errorf("interval 2 has %d requests; want 0 (the stalled request ended there but was meant for 0)", got)
	}
}

// TestBufferLetsABurstGo checks that a buffer grown by a burst hands every result
// on, in order, and then shrinks back instead of keeping the burst's memory.
func TestBufferLetsABurstGo(t *testing.T) {
	t.Parallel()
	for _, n := range []int{10, maxBufferKept, 5 * maxBufferKept} {
		s := NewSink()
		b := s.Buffer()
		for i := range n {
			b.Put(Result{Intended: time.Duration(i)})
		}
		got, _ := s.Collect(nil)
		if len(got) != n {
			t.Fatalf("burst of %d: collected %d", n, len(got))
		}
		for i, r := range got {
			if r.Intended != time.Duration(i) {
				t.Fatalf("burst of %d: result %d intended %v; want %v", n, i, r.Intended, time.Duration(i))
			}
		}
		if c := cap(b.res); c > maxBufferKept {
			t.Errorf("burst of %d: buffer keeps room for %d results after collection; want at most %d", n, c, maxBufferKept)
		}
		b.Put(Result{Intended: 42})
		if got, _ = s.Collect(got[:0]); len(got) != 1 || got[0].Intended != 42 {
			t.Errorf("burst of %d: after shrinking collected %+v; want the one result put", n, got)
		}
		b.Close()
	}
}
