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

// TestOpenInFlight: while a server holds every request, InFlight is the
// number of requests inside the server's handler; after the run, 0.
func TestOpenInFlight(t *testing.T) {
	t.Parallel()
	var inside atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside.Add(1)
		<-release
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	o := newOpen(t, srv.URL+"/", []metrics.Stage{{ForS: 0.5, Rate: 20}}) // 10 requests
	if n := o.InFlight(); n != 0 {
		t.Errorf("InFlight before Run = %d; want 0", n)
	}
	done := make(chan []metrics.Result)
	go func() { done <- collect(t, context.Background(), o) }()
	deadline := time.Now().Add(10 * time.Second)
	for inside.Load() < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got, want := o.InFlight(), inside.Load(); got != want || want != 10 {
		t.Errorf("InFlight = %d with %d requests held by the server; want 10 and 10", got, want)
	}
	close(release)
	<-done
	if n := o.InFlight(); n != 0 {
		t.Errorf("InFlight after Run = %d; want 0", n)
	}
	ph := &Phased{Segments: []Segment{{Runner: o}}}
	if n := ph.InFlight(); n != 0 {
		t.Errorf("Phased.InFlight after Run = %d; want 0", n)
	}
}
