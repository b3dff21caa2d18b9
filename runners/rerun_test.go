package runners

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// TestRunnersRunAgain runs the same runner twice, each time with a fresh
// unique feeder of 5 rows in a plan that wants more: each run must send the
// 5 rows and stop. The first run ends with its data exhausted; a runner that
// kept that in its configuration would send nothing the second time.
func TestRunnersRunAgain(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	req := Request{Name: "u", Method: "GET", URL: mustTemplate(t, srv.URL+"/?u=${row.user}")}
	tests := []struct {
		name   string
		runner func() (Runner, *[]Request)
	}{
		{"open", func() (Runner, *[]Request) {
			o := newOpen(t, "", []metrics.Stage{{ForS: 3, Rate: 50}}, req)
			return o, &o.Requests
		}},
		{"closed", func() (Runner, *[]Request) {
			c := newClosed("", metrics.Stage{ForS: 3, Concurrency: 2})
			c.Requests = []Request{req}
			return c, &c.Requests
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, reqs := tt.runner()
			for run := 1; run <= 2; run++ {
				before := hits.Load()
				(*reqs)[0].Data = NewFeeder(&scenarios.Data{Mode: scenarios.DataUnique, Columns: []string{"user"},
					Rows: [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}})
				if o, ok := r.(*Open); ok {
					o.Start = time.Now().Add(10 * time.Millisecond)
				} else {
					r.(*Closed).Start = time.Now()
				}
				got := collect(t, context.Background(), r)
				if sent := hits.Load() - before; len(got) != 5 || sent != 5 {
					t.Errorf("run %d: %d results, %d requests at the server; want the 5 rows", run, len(got), sent)
				}
			}
		})
	}
}

// TestSearchReadsEachProbesOwnRun checks the probe lines a search writes
// against what its probes met: a probe whose requests the target holds
// 300 ms, at 40/s with at most 2 in flight, needs about 12 and is capped; the
// same probe against a target that answers at once, with 200 allowed, is
// not (even a loaded machine does not hold 200 requests of 20/s); a probe
// whose unique data runs out stops the search for that reason.
func TestSearchReadsEachProbesOwnRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		hold        time.Duration
		maxInFlight int
		rows        int // 0: no data
		wantCapped  bool
		wantStop    string
	}{
		{"capped", 300 * time.Millisecond, 2, 0, true, metrics.SearchMaxReached},
		{"not capped", 0, 200, 0, false, metrics.SearchMaxReached},
		{"data runs out", 0, 200, 3, false, metrics.NoteDataExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(tt.hold) }))
			defer srv.Close()
			req := Request{Name: "get", Method: "GET", URL: mustTemplate(t, srv.URL+"/?u=${row.user}")}
			if tt.rows > 0 {
				d := &scenarios.Data{Mode: scenarios.DataUnique, Columns: []string{"user"}}
				for range tt.rows {
					d.Rows = append(d.Rows, []string{"x"})
				}
				req.Data = NewFeeder(d)
			} else {
				req.URL = mustTemplate(t, srv.URL+"/")
			}
			// One probe at 40/s, the most the plan allows, that passes any
			// SLO: the search ends there unless the data runs out first.
			s := &Search{Requests: []Request{req}, Start: time.Now(), MaxInFlight: tt.maxInFlight,
				Client: NewClient(ClientOptions{Timeout: 5 * time.Second, MaxIdlePerHost: 100}),
				Plan: metrics.SearchPlan{StartRPS: 40, MaxRPS: 40, ProbeS: 0.5, Growth: 2, Precision: 0.1, MaxProbes: 1,
					SLOP99Ms: 60_000, SLOErrorRate: 1, MaxLagMs: 60_000, MaxGeneratorCPU: 64}}
			var probes []metrics.Probe
			var stops []string
			s.SetNotes(func(l any) {
				switch l := l.(type) {
				case metrics.Probe:
					probes = append(probes, l)
				case metrics.Note:
					if l.Kind == metrics.NoteSearchStopped {
						stops = append(stops, l.Text)
					}
				}
			})
			collect(t, context.Background(), s)
			if len(probes) != 1 || probes[0].InFlightCapped != tt.wantCapped {
				t.Errorf("probes %+v; want one, in-flight capped %v", probes, tt.wantCapped)
			}
			if len(stops) != 1 || stops[0] != tt.wantStop {
				t.Errorf("search stopped %q; want %q", stops, tt.wantStop)
			}
		})
	}
}
