package runners

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

type inFlightRunner interface {
	Runner
	InFlighter
}

// TestInFlight: while a server holds every request, each runner's InFlight
// is the number of requests inside the server's handler (10: the open
// model's and a search probe's 0.5 s at 20/s, or 10 closed-loop workers);
// after the run, 0. The count is compared with the server's own, an
// independent truth, once both have had time to reach 10.
func TestInFlight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		runner func(url string) inFlightRunner
	}{
		{"open", func(url string) inFlightRunner {
			return newOpen(t, url, []metrics.Stage{{ForS: 0.5, Rate: 20}})
		}},
		{"closed", func(url string) inFlightRunner {
			return newClosed(url, metrics.Stage{ForS: 0.5, Concurrency: 10})
		}},
		{"search", func(url string) inFlightRunner {
			o := newOpen(t, url, nil)
			// One probe: 10 requests, judged (and failed) after the release.
			return &Search{Requests: o.Requests, Start: o.Start, Client: o.Client, MaxInFlight: 200,
				Plan: metrics.SearchPlan{StartRPS: 20, MaxRPS: 20, ProbeS: 0.5, Growth: 2, Precision: 0.1, MaxProbes: 1,
					SLOP99Ms: 50, SLOErrorRate: 0.01, MaxLagMs: 1000, MaxGeneratorCPU: 2}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var inside atomic.Int64
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inside.Add(1)
				<-release
				w.Write([]byte("ok"))
			}))
			defer srv.Close()
			r := tt.runner(srv.URL + "/")
			if n := r.InFlight(); n != 0 {
				t.Errorf("InFlight before Run = %d; want 0", n)
			}
			done := make(chan []metrics.Result)
			go func() { done <- collect(t, context.Background(), r) }()
			deadline := time.Now().Add(10 * time.Second)
			for (inside.Load() < 10 || r.InFlight() < 10) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got, want := r.InFlight(), inside.Load(); got != want || want != 10 {
				t.Errorf("InFlight = %d with %d requests held by the server; want 10 and 10", got, want)
			}
			close(release)
			<-done
			if n := r.InFlight(); n != 0 {
				t.Errorf("InFlight after Run = %d; want 0", n)
			}
			ph := &Phased{Segments: []Segment{{Runner: r}}}
			if n := ph.InFlight(); n != 0 {
				t.Errorf("Phased.InFlight after Run = %d; want 0", n)
			}
		})
	}
}
