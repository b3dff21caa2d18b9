package runners

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// TestStagePacerSegmentsCoverThePlan checks that the segments of a plan
// together schedule every request exactly once, each at its plan time.
func TestStagePacerSegmentsCoverThePlan(t *testing.T) {
	t.Parallel()
	plans := []struct {
		name   string
		stages []metrics.Stage
	}{
		{"constant", []metrics.Stage{{ForS: 5, Rate: 400}}},
		{"linear ramp", []metrics.Stage{{ForS: 10, Rate: 100, Ramp: "linear"}}},
		{"steps and ramps", []metrics.Stage{{ForS: 2, Rate: 10, Warmup: true}, {ForS: 2, Rate: 30, Ramp: "linear"}, {ForS: 1, Rate: 100}}},
		{"fewer requests than segments", []metrics.Stage{{ForS: 1.5, Rate: 3}}},
	}
	for _, pl := range plans {
		for _, n := range []int{1, 2, 3, 7} {
			t.Run(fmt.Sprintf("%s/%d", pl.name, n), func(t *testing.T) {
				t.Parallel()
				full := NewStagePacer(pl.stages)
				seen := make([]int, full.Total())
				var sum uint64
				for i := 1; i <= n; i++ {
					seg := full.Segment(metrics.Segment{Index: i, Count: n})
					sum += seg.Total()
					for j := range seg.Total() {
						k := seg.Seq(j)
						if k >= full.Total() {
							t.Fatalf("segment %d/%d: Seq(%d) = %d; want < %d", i, n, j, k, full.Total())
						}
						if int(k%uint64(n)) != i-1 {
							t.Errorf("segment %d/%d: Seq(%d) = %d; want k %% %d == %d", i, n, j, k, n, i-1)
						}
						seen[k]++
						at, st := seg.At(j)
						if wantAt, wantSt := full.At(k); at != wantAt || st != wantSt {
							t.Errorf("segment %d/%d: At(%d) = %v, %d; want %v, %d (the plan's request %d)", i, n, j, at, st, wantAt, wantSt, k)
						}
					}
				}
				if sum != full.Total() {
					t.Errorf("segments schedule %d requests; want the plan's %d", sum, full.Total())
				}
				for k, c := range seen {
					if c != 1 {
						t.Errorf("request %d scheduled %d times; want once", k, c)
					}
				}
			})
		}
	}
}

func TestStagePacerWholeSegmentIsThePlan(t *testing.T) {
	t.Parallel()
	p := NewStagePacer([]metrics.Stage{{ForS: 2, Rate: 100}})
	for _, s := range []metrics.Segment{{}, {Index: 1, Count: 1}} {
		if got := p.Segment(s); got != p {
			t.Errorf("Segment(%+v) is a new pacer; want the plan's own", s)
		}
	}
	half := p.Segment(metrics.Segment{Index: 2, Count: 2})
	if got, want := half.Rate(time.Second), p.Rate(time.Second)/2; got != want {
		t.Errorf("segment 2/2: Rate(1s) = %v; want %v", got, want)
	}
	if p.Seq(5) != 5 || half.Seq(5) != 11 {
		t.Errorf("Seq(5) = %d (plan), %d (segment 2/2); want 5, 11", p.Seq(5), half.Seq(5))
	}
}

// TestOpenSegmentsSendThePlanAndItsMix runs every segment of a plan at once
// against one server: together they send each planned request once, at its
// plan time, with the request the whole plan gives it.
func TestOpenSegmentsSendThePlanAndItsMix(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	stages := []metrics.Stage{{ForS: 0.5, Rate: 200}, {ForS: 0.5, Rate: 400, Ramp: "linear"}}
	reqs := []Request{
		{Name: "a", Weight: 3, Method: "GET", URL: mustTemplate(t, srv.URL+"/a?n=${seq}")},
		{Name: "b", Weight: 1, Method: "GET", URL: mustTemplate(t, srv.URL+"/b?n=${seq}")},
	}
	full := NewStagePacer(stages)
	const n = 3
	start := time.Now().Add(50 * time.Millisecond)
	var mu sync.Mutex
	var got []metrics.Result
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			o := newOpen(t, "", stages, reqs...)
			o.Pacer, o.Start = full.Segment(metrics.Segment{Index: i, Count: n}), start
			res := collect(t, context.Background(), o)
			mu.Lock()
			got = append(got, res...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(got) != int(full.Total()) {
		t.Fatalf("segments sent %d requests; want the plan's %d", len(got), full.Total())
	}
	var gotAt, wantAt []time.Duration
	var gotReq, wantReq [2]int
	m := newMix(reqs)
	for k := range full.Total() {
		at, _ := full.At(k)
		wantAt = append(wantAt, at)
		wantReq[m.pick(k)]++
	}
	for _, r := range got {
		if r.Class != metrics.OK {
			t.Errorf("result %+v; want OK", r)
		}
		gotAt = append(gotAt, r.Intended)
		gotReq[r.Request]++
	}
	slices.Sort(gotAt)
	if !slices.Equal(gotAt, wantAt) {
		t.Errorf("intended send times of the segments differ from the plan's")
	}
	if gotReq != wantReq {
		t.Errorf("requests a, b = %v; want %v, as one generator sends them", gotReq, wantReq)
	}
}
