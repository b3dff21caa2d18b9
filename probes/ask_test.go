package probes

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

func TestScrapeIfServed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		served bool
	}{
		{"prometheus text", 200, exposition, true},
		{"not found (nginx)", 404, "<html><body>404 Not Found</body></html>", false},
		{"html page", 200, "<!DOCTYPE html><html><body>hello</body></html>", false},
		{"plain ok", 200, "OK\n", false},
		{"empty 200", 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			s := ScrapeIfServed("web", srv.URL+"/metrics", map[string]string{"go_goroutines": "goroutines"})
			for i := range 3 {
				rd, err := s.Sample(context.Background(), time.Now())
				switch {
				case tt.served && (err != nil || rd.Values["goroutines"] != 42):
					t.Fatalf("Sample %d = %v, %v; want goroutines 42", i, rd.Values, err)
				case !tt.served && (!errors.Is(err, ErrNoMetrics) || !errors.Is(err, ErrGone)):
					t.Fatalf("Sample %d error = %v; want ErrNoMetrics and ErrGone", i, err)
				}
			}
			// Asked once; scraped every time only where metrics were found.
			want := int64(1)
			if tt.served {
				want = 3
			}
			if got := hits.Load(); got != want {
				t.Errorf("requests to /metrics = %d; want %d", got, want)
			}
		})
	}
}

// TestPollDropsServiceWithoutMetrics: Poll reports the refusal once and
// never scrapes again.
func TestPollDropsServiceWithoutMetrics(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.NotFound(w, nil)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var errs []error
	Poll(ctx, 10*time.Millisecond, time.Now(), "v", func(metrics.Readings) {}, func(_ string, err error) { errs = append(errs, err) },
		ScrapeIfServed("web", srv.URL+"/metrics", nil))
	if len(errs) != 1 || !errors.Is(errs[0], ErrNoMetrics) || hits.Load() != 1 {
		t.Errorf("Poll: errors %v, %d requests; want one ErrNoMetrics and one request", errs, hits.Load())
	}
}
