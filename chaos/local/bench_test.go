package local

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// benchTargets returns the URL to hit directly and through a proxy in each mode.
func benchTargets(b *testing.B) map[string]string {
	srv := upstream(b)
	return map[string]string{
		"direct": srv.URL,
		"tcp":    newProxy(b, srv, TCP).URL(),
		"http":   newProxy(b, srv, HTTP).URL(),
	}
}

func benchGet(b *testing.B, c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// BenchmarkProxyLatencyAtRate sends GET /ping at a fixed 500 requests per second on one
// keep-alive connection, directly and through each proxy mode, and reports the p50 and
// p99 service time in µs. Compare p50-µs across the sub-benchmarks for the proxy's
// overhead:
//
//	go test -run '^$' -bench ProxyLatencyAtRate -benchtime 3000x ./chaos/local/
func BenchmarkProxyLatencyAtRate(b *testing.B) {
	targets := benchTargets(b)
	for _, name := range []string{"direct", "tcp", "http"} {
		b.Run(name, func(b *testing.B) {
			c := client(b, 10*time.Second)
			url := targets[name] + "/ping"
			benchGet(b, c, url) // open the connection
			h := hdrhistogram.New(1, int64(10*time.Second/time.Microsecond), 3)
			const interval = 2 * time.Millisecond
			next := time.Now()
			b.ResetTimer()
			for range b.N {
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				next = next.Add(interval)
				start := time.Now()
				benchGet(b, c, url)
				h.RecordValue(time.Since(start).Microseconds())
			}
			b.ReportMetric(float64(h.ValueAtQuantile(50)), "p50-µs")
			b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-µs")
		})
	}
}

// BenchmarkProxyThroughput hammers GET /ping from 16 goroutines with keep-alive, directly
// and through each proxy mode, and reports requests per second (the proxy and the
// upstream share the machine's cores with the client):
//
//	go test -run '^$' -bench ProxyThroughput -benchtime 5s ./chaos/local/
func BenchmarkProxyThroughput(b *testing.B) {
	targets := benchTargets(b)
	for _, name := range []string{"direct", "tcp", "http"} {
		b.Run(name, func(b *testing.B) {
			tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, DisableCompression: true}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			url := targets[name] + "/ping"
			b.SetParallelism(8)
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchGet(b, c, url)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// BenchmarkProxyBulk copies a 1 MiB body per request, for the TCP pipe's byte throughput.
func BenchmarkProxyBulk(b *testing.B) {
	targets := benchTargets(b)
	for _, name := range []string{"direct", "tcp", "http"} {
		b.Run(name, func(b *testing.B) {
			c := client(b, 10*time.Second)
			url := targets[name] + "/bytes?n=1048576"
			b.SetBytes(1 << 20)
			b.ResetTimer()
			for range b.N {
				benchGet(b, c, url)
			}
		})
	}
}
