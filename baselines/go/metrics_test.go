package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsCountsRoutesAndTags(t *testing.T) {
	t.Parallel()
	handler, err := newMux("micro", defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, target, tag string) {
		req := httptest.NewRequest(method, target, nil)
		if tag != "" {
			req.Header.Set(TagHeader, tag)
		}
		handler.ServeHTTP(httptest.NewRecorder(), req)
	}
	send("GET", "/ping", "")
	send("GET", "/ping", "run-1")
	send("GET", "/ping", "run-1")
	send("GET", "/cpu?n=bad", "")
	send("GET", "/does-not-exist", "run-1")
	send("POST", "/json", "")

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE gauntlet_http_requests_total counter\n",
		`gauntlet_http_requests_total{route="/ping",code="200"} 3` + "\n",
		`gauntlet_http_requests_total{route="/cpu",code="400"} 1` + "\n",
		`gauntlet_http_requests_total{route="other",code="404"} 1` + "\n",
		`gauntlet_http_requests_total{route="/json",code="405"} 1` + "\n",
		"# TYPE gauntlet_http_tagged_requests_total counter\n",
		"gauntlet_http_tagged_requests_total 3\n",
		"# TYPE gauntlet_http_in_flight_requests gauge\n",
		"gauntlet_http_in_flight_requests 1\n", // the /metrics request itself
		"# TYPE go_goroutines gauge\n",
		"\ngo_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q; got:\n%s", want, body)
		}
	}
	if strings.Contains(body, `route="/sleep"`) {
		t.Errorf("/metrics has a series for /sleep, which was never requested:\n%s", body)
	}
}

func TestAppendLabelValue(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/ping", "/ping"},
		{`a"b`, `a\"b`},
		{`a\b`, `a\\b`},
		{"a\nb", `a\nb`},
	}
	for _, tt := range tests {
		if got := string(appendLabelValue(nil, tt.in)); got != tt.want {
			t.Errorf("appendLabelValue(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkPing(b *testing.B) {
	handler, err := newMux("micro", defaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/ping", nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			handler.ServeHTTP(httptest.NewRecorder(), req)
		}
	})
}

// waitForMetric polls base+"/metrics" until its body contains line, failing after 10 s.
func waitForMetric(t *testing.T, base, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if strings.Contains(body, line) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("/metrics never contained %q; last body:\n%s", line, body)
}
