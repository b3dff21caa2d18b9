package runners

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// panicky is a transport whose tenth request panics, as a bug in request
// handling on a worker would.
type panicky struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (p *panicky) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.n.Add(1) == 10 {
		panic("planted")
	}
	return p.next.RoundTrip(r)
}

// TestWorkerPanicStopsTheRun checks that a panic on a worker stops the run
// at once and comes back from Run as a *PanicError instead of killing the
// process.
func TestWorkerPanicStopsTheRun(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	open := newOpen(t, srv.URL, []metrics.Stage{{ForS: 30, Rate: 100}})
	closed := newClosed(srv.URL, metrics.Stage{ForS: 30, Concurrency: 4})
	for _, tt := range []struct {
		name   string
		runner Runner
		client **Client
	}{{"open", open, &open.Client}, {"closed", closed, &closed.Client}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := *tt.client
			// net/http only: the panicking transport stands in for the bug.
			*tt.client = &Client{HTTP: &http.Client{Transport: &panicky{next: c.HTTP.Transport}, Timeout: c.HTTP.Timeout}}
			out := metrics.NewSink()
			began := time.Now()
			err := tt.runner.Run(context.Background(), out)
			var pe *PanicError
			if !errors.As(err, &pe) || pe.Where != "worker" || pe.Value != "planted" {
				t.Fatalf("Run() = %v; want the worker's panic", err)
			}
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("Run took %v after the panic; want it to stop promptly", took)
			}
		})
	}
}
