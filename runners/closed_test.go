package runners

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

func TestConcurrencyAt(t *testing.T) {
	t.Parallel()
	stages := withStarts([]metrics.Stage{
		{ForS: 10, Concurrency: 10, Ramp: "linear"}, {ForS: 5, Concurrency: 10}, {ForS: 10, Concurrency: 30, Ramp: "linear"}, {ForS: 1, Concurrency: 2},
	})
	tests := []struct {
		at    time.Duration
		n, st int
	}{
		{0, 0, 0}, {5 * time.Second, 5, 0}, {10 * time.Second, 10, 1}, {14 * time.Second, 10, 1},
		{20 * time.Second, 20, 2}, {25 * time.Second, 2, 3}, {26 * time.Second, 0, 3},
	}
	for _, tt := range tests {
		if n, st := ConcurrencyAt(stages, tt.at); n != tt.n || st != tt.st {
			t.Errorf("ConcurrencyAt(%v) = %d, %d; want %d, %d", tt.at, n, st, tt.n, tt.st)
		}
	}
}

func newClosed(url string, stages ...metrics.Stage) *Closed {
	return &Closed{
		Requests: []Request{{Name: "get", Method: "GET", URL: mustTemplateNoT(url)}}, Stages: stages,
		Start: time.Now().Add(10 * time.Millisecond), Client: NewClient(ClientOptions{Timeout: 5 * time.Second, MaxIdlePerHost: 100}),
	}
}

func TestClosedIterationsAndNoSchedule(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := newClosed(srv.URL, metrics.Stage{ForS: 5, Concurrency: 4})
	c.Iterations = 57
	c.ThinkMin, c.ThinkMax = time.Millisecond, 3*time.Millisecond
	began := time.Now()
	got := collect(t, context.Background(), c)
	if len(got) != 57 {
		t.Errorf("results = %d; want the iteration cap, 57", len(got))
	}
	if el := time.Since(began); el > 4*time.Second {
		t.Errorf("Run took %v; want it to stop at the iteration cap", el)
	}
	for _, r := range got {
		if r.Intended != r.Sent || r.Class != metrics.OK {
			t.Fatalf("result %+v; want Intended == Sent (no schedule) and OK", r)
		}
	}
}

func TestClosedStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := hangingServer(t)
	stopsOnCancel(t, newClosed(srv.URL, metrics.Stage{ForS: 60, Concurrency: 8}))
}
