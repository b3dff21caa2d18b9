package runners

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

func mustTemplate(t *testing.T, src string) scenarios.Template {
	t.Helper()
	tpl, err := scenarios.CompileTemplate(src)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func mustTemplateNoT(src string) scenarios.Template { return scenarios.MustCompileTemplate(src) }

func newOpen(t *testing.T, url string, stages []metrics.Stage, reqs ...Request) *Open {
	t.Helper()
	if len(reqs) == 0 {
		reqs = []Request{{Name: "get", Method: "GET", URL: mustTemplate(t, url)}}
	}
	return &Open{
		Requests: reqs, Pacer: NewStagePacer(stages), Start: time.Now().Add(10 * time.Millisecond),
		Client: NewClient(ClientOptions{Timeout: 5 * time.Second, MaxIdlePerHost: 100}), MaxInFlight: 200,
	}
}

// collect runs r and returns every result; it fails the test if Run
// returned an error or left a buffer holding results back.
func collect(t *testing.T, ctx context.Context, r Runner) []metrics.Result {
	t.Helper()
	out := metrics.NewSink()
	if err := r.Run(ctx, out); err != nil {
		t.Fatalf("Run() = %v; want nil", err)
	}
	got, mark := out.Collect(nil)
	if mark != math.MaxInt64 {
		t.Errorf("after Run a buffer still holds back results from %v", mark)
	}
	return got
}

func TestOpenSendsThePlanExactly(t *testing.T) {
	t.Parallel()
	var hits, bodies atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.ContentLength > 0 {
			bodies.Add(1)
		}
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("pong"))
	}))
	defer srv.Close()
	body := mustTemplate(t, `{"n":${seq}}`)
	o := newOpen(t, "", []metrics.Stage{{ForS: 1, Rate: 100}, {ForS: 1, Rate: 200, Ramp: "linear"}},
		Request{Name: "ping", Weight: 3, Method: "GET", URL: mustTemplate(t, srv.URL+"/ping?i=${seq}")},
		Request{Name: "post", Weight: 1, Method: "POST", URL: mustTemplate(t, srv.URL+"/p"), Body: &body, Expect: []int{201}},
		Request{Name: "missing", Weight: 1, Method: "GET", URL: mustTemplate(t, srv.URL+"/missing")},
	)
	got := collect(t, context.Background(), o)
	if want := int(o.Pacer.Total()); len(got) != want || hits.Load() != int64(want) {
		t.Fatalf("results %d, server hits %d; want %d each", len(got), hits.Load(), want)
	}
	classes := map[uint16]metrics.ErrorClass{0: metrics.OK, 1: metrics.ExpectationFailed, 2: metrics.HTTP4xx}
	perReq := map[uint16]int{}
	for _, r := range got {
		perReq[r.Request]++
		if r.Class != classes[r.Request] {
			t.Errorf("request %d class = %v; want %v", r.Request, r.Class, classes[r.Request])
		}
		if r.Sent < r.Intended || r.End < r.Sent {
			t.Errorf("times intended %v sent %v end %v; want intended <= sent <= end", r.Intended, r.Sent, r.End)
		}
		if r.Request == 0 && r.BytesIn != 4 {
			t.Errorf("ping BytesIn = %d; want 4", r.BytesIn)
		}
	}
	if perReq[0] != 3*perReq[1] || perReq[1] != perReq[2] {
		t.Errorf("per-request counts %v; want 3:1:1", perReq)
	}
	if bodies.Load() != int64(perReq[1]) {
		t.Errorf("requests with a body = %d; want %d", bodies.Load(), perReq[1])
	}
}

func TestOpenMeasuresFromIntendedTimeThroughAStall(t *testing.T) {
	t.Parallel()
	// The server answers at once, except that every request arriving in
	// [500ms, 1500ms) after start waits until 1500ms: a 1 s stall.
	start := time.Now().Add(10 * time.Millisecond)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if el := time.Since(start); el >= 500*time.Millisecond && el < 1500*time.Millisecond {
			time.Sleep(1500*time.Millisecond - el)
		}
	}))
	defer srv.Close()
	o := newOpen(t, srv.URL, []metrics.Stage{{ForS: 3, Rate: 300}})
	o.Start = start
	o.MaxInFlight = 50 // fewer workers than the stall needs: the schedule must fall behind
	got := collect(t, context.Background(), o)
	h := metrics.NewHistogram()
	var lagged int
	for _, r := range got {
		h.Record(r.Latency())
		if r.Lag() > 100*time.Millisecond {
			lagged++
		}
	}
	// About a third of the requests were due during the stall; from their
	// intended times they waited up to 1 s.
	if p99 := h.Quantile(0.99); p99 < 500*time.Millisecond {
		t.Errorf("p99 = %v; want >= 500ms: the stall must show in the tail", p99)
	}
	if lagged == 0 {
		t.Errorf("no request left more than 100ms late; want the in-flight cap to delay sends")
	}
	if len(got) != int(o.Pacer.Total()) {
		t.Errorf("results %d; want %d", len(got), o.Pacer.Total())
	}
}

// hangingServer answers only when the client gives up (or after 10 s).
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// stopsOnCancel is the Runner contract every runner passes: cancelled, Run
// returns promptly, never closes out, and reports the requests it cut short
// as canceled, not as errors.
func stopsOnCancel(t *testing.T, r Runner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	began := time.Now()
	got := collect(t, ctx, r)
	if el := time.Since(began); el > 5*time.Second {
		t.Errorf("Run took %v after cancel at 300ms; want it to stop promptly", el)
	}
	for _, res := range got {
		if res.Class != metrics.Canceled {
			t.Fatalf("in-flight request class = %v; want canceled", res.Class)
		}
	}
}

func TestOpenStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := hangingServer(t)
	stopsOnCancel(t, newOpen(t, srv.URL, []metrics.Stage{{ForS: 60, Rate: 100}}))
}

func TestOpenDropsWhatItCannotSend(t *testing.T) {
	t.Parallel()
	// One worker, a server that takes 200 ms, 50 req/s for 1 s: the plan
	// cannot be kept and what is left after the grace period is dropped.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
	}))
	defer srv.Close()
	o := newOpen(t, srv.URL, []metrics.Stage{{ForS: 1, Rate: 50}})
	o.MaxInFlight, o.Grace = 1, 200*time.Millisecond
	got := collect(t, context.Background(), o)
	var dropped, ok int
	for _, r := range got {
		switch r.Class {
		case metrics.Dropped:
			dropped += 1 + int(r.Repeat)
		case metrics.OK:
			ok++
		}
	}
	if dropped == 0 || ok == 0 || dropped+ok != 50 {
		t.Errorf("ok %d, dropped %d; want both > 0 adding up to 50", ok, dropped)
	}
}

// TestDropCountsEveryUnsentRequest checks the runs drop reports against the
// requests one by one: for each record interval, stage and request, the
// results' counts add up to the requests due there.
func TestDropCountsEveryUnsentRequest(t *testing.T) {
	t.Parallel()
	ramp := []metrics.Stage{{ForS: 1.5, Rate: 700}, {ForS: 2.25, Rate: 300}, {ForS: 0.5, Rate: 0}, {ForS: 1, Rate: 900}}
	tests := []struct {
		name    string
		stages  []metrics.Stage
		weights []int
		segment metrics.Segment
		from    uint64
		shift   time.Duration // a derived sink's shift: the record's intervals are the root's
	}{
		{"one request, one stage", []metrics.Stage{{ForS: 3, Rate: 1000}}, []int{1}, metrics.Segment{}, 0, 0},
		{"a mix over ramps", ramp, []int{1, 3, 2}, metrics.Segment{}, 17, 0},
		{"a mix in a shifted sink", ramp, []int{5, 2}, metrics.Segment{}, 400, 300 * time.Millisecond},
		{"a segment of a mix", ramp, []int{2, 1, 4}, metrics.Segment{Index: 2, Count: 3}, 5, 0},
		{"from the last request", []metrics.Stage{{ForS: 2, Rate: 10}}, []int{1, 1}, metrics.Segment{}, 19, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reqs []Request
			for i, w := range tt.weights {
				reqs = append(reqs, Request{Name: fmt.Sprint("r", i), Weight: w, Method: "GET", URL: mustTemplate(t, "http://127.0.0.1:1/")})
			}
			o := newOpen(t, "", nil, reqs...)
			o.Pacer = NewStagePacer(tt.stages).Segment(tt.segment)
			root := metrics.NewSink()
			s := &schedule{o: o, m: newMix(reqs), es: entries(reqs), total: o.Pacer.Total(), out: root.Derive(tt.shift, nil)}
			s.drop(context.Background(), tt.from)
			got, _ := root.Collect(nil)

			type key struct {
				iv    time.Duration
				stage uint16
				req   uint16
			}
			want, have := map[key]int64{}, map[key]int64{}
			for k := tt.from; k < s.total; k++ {
				at, stage := o.Pacer.At(k)
				want[key{(at + tt.shift) / metrics.IntervalLength, uint16(stage), s.es[s.m.pick(o.Pacer.Seq(k))].id}]++
			}
			for _, r := range got {
				if r.Class != metrics.Dropped {
					t.Fatalf("result of class %v; want only dropped", r.Class)
				}
				have[key{r.Intended / metrics.IntervalLength, r.Stage, r.Request}] += 1 + r.Repeat
			}
			if !maps.Equal(have, want) {
				t.Errorf("dropped by (interval, stage, request) = %v; want %v", have, want)
			}
			if len(got) > len(want) {
				t.Errorf("%d results for %d (interval, stage, request) runs; want one per run", len(got), len(want))
			}
		})
	}
}

// TestOpenDropsAnImpossiblePlanAtOnce: 10 million requests a second for 2 s
// against a server that answers none, 4 in flight: nearly all 20 million are
// dropped, reported in a few results (one per interval, stage and request)
// rather than one by one, and every request of the plan is accounted for.
func TestOpenDropsAnImpossiblePlanAtOnce(t *testing.T) {
	t.Parallel()
	srv := hangingServer(t)
	o := newOpen(t, srv.URL, []metrics.Stage{{ForS: 2, Rate: 10_000_000}})
	o.MaxInFlight, o.Grace = 4, 100*time.Millisecond
	o.Client = NewClient(ClientOptions{Timeout: 500 * time.Millisecond})
	got := collect(t, context.Background(), o)
	var dropped, other, droppedResults int64
	for _, r := range got {
		if r.Class == metrics.Dropped {
			dropped += 1 + r.Repeat
			droppedResults++
		} else {
			other++
		}
	}
	if dropped+other != 20_000_000 {
		t.Errorf("dropped %d + sent %d = %d; want the plan's 20000000", dropped, other, dropped+other)
	}
	// The workers that claimed a request after the deadline drop it alone
	// (at most the pool's floor of workers), the rest come in runs.
	if droppedResults > minWorkers+8 {
		t.Errorf("%d dropped results; want a few runs, not one per request", droppedResults)
	}
}

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:80", true}, {"127.1.2.3:80", true}, {"[::1]:80", true},
		{"10.0.0.1:80", false}, {"192.168.1.1:80", false}, {"8.8.8.8:53", false},
	}
	for _, tt := range tests {
		err := LoopbackOnly("tcp", tt.addr, nil)
		if (err == nil) != tt.ok {
			t.Errorf("LoopbackOnly(%q) = %v; want ok=%v", tt.addr, err, tt.ok)
		}
	}
}
