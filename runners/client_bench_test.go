package runners

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// BenchmarkCall measures one request of a worker, result included, through each client
// against a canned HTTP/1.1 responder on loopback that allocates nothing per request:
// ns/op is the generator's and the responder's CPU together (both run here), B/op and
// allocs/op are the generator's alone.
//
//	go test -run '^$' -bench BenchmarkCall -benchmem ./runners
func BenchmarkCall(b *testing.B) {
	url := "http://" + cannedServer(b)
	opt := ClientOptions{Timeout: 5 * time.Second, MaxIdlePerHost: 64}
	for _, bc := range []struct {
		name   string
		client *Client
		url    string
	}{
		{"fasthttp/static", NewClient(opt), url + "/ping"},
		{"fasthttp/template", NewClient(opt), url + "/ping?n=${seq}"},
		{"net-http/static", &Client{HTTP: NewClient(opt).HTTP}, url + "/ping"},
		{"net-http/template", &Client{HTTP: NewClient(opt).HTTP}, url + "/ping?n=${seq}"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := Request{Method: "GET", URL: mustTemplateNoT(bc.url)}
			s := metrics.NewSink()
			buf := s.Buffer()
			w := newWorker(bc.client, buf, time.Now(), 1, 1)
			ctx := context.Background()
			b.ReportAllocs()
			seq := uint64(0)
			for b.Loop() {
				res := w.call(ctx, &req, 0, seq, 0, false, 0)
				if res.Class != metrics.OK {
					b.Fatalf("class %v", res.Class)
				}
				buf.Put(res)
				seq++
				if seq%4096 == 0 {
					s.Collect(nil)
				}
			}
		})
	}
}

// cannedServer answers every request on a connection with the same 200 "pong",
// reading each request in one read (the benchmark's requests are small and not
// pipelined).
func cannedServer(b testing.TB) string {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\npong")
	return serveConns(b, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil || !bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
				return
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
}

// TestFastCallAllocatesNothing checks that a request through the fast client
// allocates nothing once its worker has made one: a static request and a
// templated one, each read whole from the pooled reader.
func TestFastCallAllocatesNothing(t *testing.T) { // not parallel: AllocsPerRun counts the whole process
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	url := "http://" + cannedServer(t)
	for _, path := range []string{"/ping", "/ping?n=${seq}"} {
		t.Run(path, func(t *testing.T) {
			w := newWorker(NewClient(ClientOptions{Timeout: 5 * time.Second}), metrics.NewSink().Buffer(), time.Now(), 1, 1)
			req := Request{Method: "GET", URL: mustTemplate(t, url+path)}
			seq := uint64(0)
			call := func() {
				if res := w.call(context.Background(), &req, 0, seq, 0, false, 0); res.Class != metrics.OK || res.BytesIn != 4 {
					t.Fatalf("class %v, %d bytes in; want ok, 4", res.Class, res.BytesIn)
				}
				seq++
			}
			call()
			if n := testing.AllocsPerRun(200, call); n != 0 {
				t.Errorf("%v allocations per request; want 0", n)
			}
		})
	}
}
