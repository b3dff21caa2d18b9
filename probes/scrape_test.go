package probes

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
)

const exposition = `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
# HELP gauntlet_http_requests_total Requests received.
# TYPE gauntlet_http_requests_total counter
gauntlet_http_requests_total{path="/orders",code="201"} 1000
gauntlet_http_requests_total{path="/orders",code="500"} 7
gauntlet_http_requests_total{path="/healthz",code="200"} 3
# a free-form comment
# TYPE gauntlet_http_tagged_requests_total counter
gauntlet_http_tagged_requests_total{tag="run-1"} 990 1700000000000
# TYPE gauntlet_http_request_duration_seconds histogram
gauntlet_http_request_duration_seconds_bucket{le="0.01"} 900
gauntlet_http_request_duration_seconds_bucket{le="0.1"} 1000
gauntlet_http_request_duration_seconds_bucket{le="+Inf"} 1010
gauntlet_http_request_duration_seconds_sum 12.5
gauntlet_http_request_duration_seconds_count 1010
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.01
rpc_seconds_sum{} 3
rpc_seconds_count 300
jvm_threads_live 25
# TYPE broken_ratio gauge
broken_ratio{a="1"} NaN
broken_ratio{a="2"} +Inf
# TYPE half_broken gauge
half_broken{a="1"} NaN
half_broken{a="2"} 2.5
`

func metricsServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestScrape(t *testing.T) {
	t.Parallel()
	srv := metricsServer(t, exposition)
	tests := []struct {
		name string
		pick map[string]string
		want map[string]float64
	}{
		{
			name: "baseline families summed across labels",
			pick: map[string]string{
				"go_goroutines":                       "goroutines",
				"jvm_threads_live":                    "jvm_threads",
				"gauntlet_http_tagged_requests_total": "tagged_requests_total",
				"gauntlet_http_requests_total":        "requests_received_total",
			},
			want: map[string]float64{
				"goroutines":              42,
				"jvm_threads":             25,
				"tagged_requests_total":   990,
				"requests_received_total": 1010,
			},
		},
		{
			name: "split by a label: a reading per value, the other labels summed, NaN and Inf left out",
			pick: map[string]string{
				"gauntlet_http_requests_total{path=*}":           "received/*",
				"half_broken{a=*}":                               "half/*",
				"gauntlet_http_requests_total{code!=500,path=*}": "ok/*",
				"absent_total{a=*}":                              "absent/*",
			},
			want: map[string]float64{
				"received//orders":  1007,
				"received//healthz": 3,
				"half/2":            2.5,
				"ok//orders":        1000,
				"ok//healthz":       3,
			},
		},
		{
			name: "absent families are not emitted",
			pick: map[string]string{"go_goroutines": "goroutines", "nope_total": "nope"},
			want: map[string]float64{"goroutines": 42},
		},
		{
			name: "histogram and summary families only through _count and _sum",
			pick: map[string]string{
				"gauntlet_http_request_duration_seconds":       "latency",
				"gauntlet_http_request_duration_seconds_count": "latency_count",
				"gauntlet_http_request_duration_seconds_sum":   "latency_sum",
				"rpc_seconds":       "rpc",
				"rpc_seconds_count": "rpc_count",
				"rpc_seconds_sum":   "rpc_sum",
			},
			want: map[string]float64{"latency_count": 1010, "latency_sum": 12.5, "rpc_count": 300, "rpc_sum": 3},
		},
		{
			name: "NaN and infinite samples are skipped",
			pick: map[string]string{"broken_ratio": "broken", "half_broken": "half"},
			want: map[string]float64{"half": 2.5},
		},
		{
			name: "nothing picked",
			pick: nil,
			want: map[string]float64{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Unix(200, 0)
			rd, err := Scrape("gateway", srv.URL+"/metrics", tt.pick).Sample(context.Background(), now)
			if err != nil {
				t.Fatalf("Sample() error: %v", err)
			}
			if rd.Owner != "gateway" || !rd.Time.Equal(now) {
				t.Errorf("Sample() owner, time = %q, %v; want gateway, %v", rd.Owner, rd.Time, now)
			}
			if diff := cmp.Diff(tt.want, rd.Values); diff != "" {
				t.Errorf("Sample() values mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScrapeFailures(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	garbage := metricsServer(t, "# TYPE x counter\nx{a=\"1\" 1\n")
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)

	tests := []struct {
		name    string
		url     string
		wantErr error // nil: any error
	}{
		{name: "server down", url: downURL + "/metrics"},
		{name: "slower than the timeout", url: slow.URL + "/metrics"},
		{name: "not Prometheus text", url: garbage.URL + "/metrics"},
		{name: "status 404", url: notFound.URL + "/metrics"},
		{name: "remote host", url: "http://192.0.2.1:9090/metrics", wantErr: ErrNotLoopback},
		{name: "not http", url: "file:///etc/passwd", wantErr: ErrNotLoopback},
		{name: "unparseable url", url: "http://[::1", wantErr: ErrNotLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rd, err := Scrape("svc", tt.url, map[string]string{"x": "x"}).Sample(context.Background(), time.Now())
			if err == nil {
				t.Fatalf("Sample(%s) = %v; want an error", tt.url, rd.Values)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Sample(%s) error = %v; want %v", tt.url, err, tt.wantErr)
			}
			if errors.Is(err, ErrGone) {
				t.Errorf("Sample(%s) error = %v; want not ErrGone (scrapes are retried)", tt.url, err)
			}
			if rd.Owner != "svc" {
				t.Errorf("Sample(%s) owner = %q on error; want svc", tt.url, rd.Owner)
			}
		})
	}
}

func TestScrapeRefusesRedirectOffLoopback(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.RedirectHandler("http://192.0.2.1/metrics", http.StatusFound))
	t.Cleanup(srv.Close)
	_, err := Scrape("svc", srv.URL, nil).Sample(context.Background(), time.Now())
	if !errors.Is(err, ErrNotLoopback) {
		t.Errorf("Sample() error = %v; want ErrNotLoopback", err)
	}
}

func BenchmarkScrapeSample(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, exposition)
	}))
	defer srv.Close()
	s := Scrape("svc", srv.URL, map[string]string{"go_goroutines": "goroutines", "gauntlet_http_requests_total": "requests"})
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Sample(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParsePick(t *testing.T) {
	t.Parallel()
	label := func(k, v string) *dto.LabelPair { return &dto.LabelPair{Name: &k, Value: &v} }
	health := &dto.Metric{Label: []*dto.LabelPair{label("route", "/healthz")}}
	orders := &dto.Metric{Label: []*dto.LabelPair{label("route", "/orders")}}
	tests := []struct {
		key      string
		family   string
		skipsHz  bool
		skipsOrd bool
		by       string
	}{
		{"requests_total", "requests_total", false, false, ""},
		{"requests_total{route!=/healthz,route!=/metrics}", "requests_total", true, false, ""},
		{`requests_total{route!="/orders"}`, "requests_total", false, true, ""},
		{"requests_total{route=*}", "requests_total", false, false, "route"},
		{"requests_total{route!=/healthz,route=*}", "requests_total", true, false, "route"},
	}
	for _, tt := range tests {
		family, skip, by := parsePick(tt.key)
		if family != tt.family || skip(health) != tt.skipsHz || skip(orders) != tt.skipsOrd || by != tt.by {
			t.Errorf("parsePick(%q) = %q, skips healthz %v, orders %v, by %q; want %q, %v, %v, %q",
				tt.key, family, skip(health), skip(orders), by, tt.family, tt.skipsHz, tt.skipsOrd, tt.by)
		}
	}
}
