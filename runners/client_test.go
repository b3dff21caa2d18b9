package runners

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// TestClientsClassifyAlike sends the same requests through the fast client and through
// net/http and checks each comes out with the same class, status and byte counts.
func TestClientsClassifyAlike(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
		case "/fail":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/echo":
			w.Header().Set("X-Seen", r.Header.Get("X-Tag")+"/"+r.Header.Get("Content-Type"))
			w.Write(body)
		default:
			w.Write([]byte("pong"))
		}
	}))
	t.Cleanup(srv.Close)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String()
	closed.Close()
	reset := resetServer(t)

	tpl := func(s string) scenarios.Template { return mustTemplate(t, s) }
	body := tpl(`{"n":${seq}}`)
	tests := []struct {
		name      string
		req       Request
		class     metrics.ErrorClass
		code      uint16
		in, out   int64
		checkTime bool
	}{
		{name: "ok", req: Request{Method: "GET", URL: tpl(srv.URL + "/ping")}, class: metrics.OK, code: 200, in: 4},
		{name: "4xx", req: Request{Method: "GET", URL: tpl(srv.URL + "/missing")}, class: metrics.HTTP4xx, code: 404, in: 19},
		{name: "5xx", req: Request{Method: "GET", URL: tpl(srv.URL + "/fail")}, class: metrics.HTTP5xx, code: 503},
		{name: "unexpected status", req: Request{Method: "GET", URL: tpl(srv.URL + "/ping"), Expect: []int{201}},
			class: metrics.ExpectationFailed, code: 200, in: 4},
		{name: "body check fails", req: Request{Method: "GET", URL: tpl(srv.URL + "/ping"), Check: &Check{BodyContains: "nope"}},
			class: metrics.ExpectationFailed, code: 200, in: 4},
		{name: "templated POST with header checks", req: Request{Method: "POST", URL: tpl(srv.URL + "/echo?n=${seq}"), Body: &body,
			ContentType: "application/json", Header: []Header{{Key: "X-Tag", Value: tpl("t${seq}")}},
			Check: &Check{Headers: []HeaderValue{{Key: "X-Seen", Value: "t7/application/json"}}, BodyContains: `"n":7`}},
			class: metrics.OK, code: 200, in: 7, out: 7},
		{name: "timeout", req: Request{Method: "GET", URL: tpl(srv.URL + "/hang")}, class: metrics.Timeout, checkTime: true},
		{name: "refused", req: Request{Method: "GET", URL: tpl(refused + "/")}, class: metrics.ConnRefused},
		{name: "reset", req: Request{Method: "GET", URL: tpl(reset + "/")}, class: metrics.ConnReset},
		{name: "remote target refused by the guard", req: Request{Method: "GET", URL: tpl("http://192.0.2.1:80/")}, class: metrics.Transport},
	}
	opt := ClientOptions{Timeout: 300 * time.Millisecond, MaxIdlePerHost: 4}
	fast := NewClient(opt)
	if fast.fast == nil {
		t.Fatal("NewClient for HTTP/1.1 has no fast client")
	}
	clients := map[string]*Client{"fasthttp": fast, "net/http": {HTTP: NewClient(opt).HTTP}}
	for _, tt := range tests {
		for name, c := range clients {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				buf := metrics.NewSink().Buffer()
				start := time.Now()
				w := newWorker(c, buf, start, 1, 1)
				req := tt.req
				for range 2 { // the second call reuses what the first built
					res := w.call(context.Background(), &req, 0, 7, 0, false, 0)
					if res.Class != tt.class || res.Code != tt.code || res.BytesIn != tt.in || res.BytesOut != tt.out {
						t.Fatalf("class %v code %d bytes in %d out %d; want %v %d %d %d",
							res.Class, res.Code, res.BytesIn, res.BytesOut, tt.class, tt.code, tt.in, tt.out)
					}
					if res.Sent < res.Intended || res.End < res.Sent {
						t.Errorf("times intended %v sent %v end %v out of order", res.Intended, res.Sent, res.End)
					}
					if lat := res.End - res.Sent; tt.checkTime && (lat < 250*time.Millisecond || lat > 3*time.Second) {
						t.Errorf("timed out after %v; want about the 300ms timeout", lat)
					}
				}
			})
		}
	}
}

// resetServer accepts connections and resets each once the request arrived.
func resetServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.Read(make([]byte, 4096))
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestBurstConnectionsStayIdle checks that the fast client reuses the
// connection it used last: after a burst opened several, a steady load runs
// on one and leaves the others idle, so that they close once idle for
// idleConnTimeout instead of each carrying a share of the load (every
// connection kept busy makes a service slower: it wakes a goroutine of its
// own per request, and a burst's connections would never close).
func TestBurstConnectionsStayIdle(t *testing.T) {
	t.Parallel()
	const burst = 8
	srv := newCountingServer(t)
	srv.hold.Store(burst)
	c := NewClient(ClientOptions{Timeout: 5 * time.Second})
	defer c.Close()
	req := Request{Method: "GET", URL: mustTemplate(t, srv.URL+"/")}
	call := func(w *worker) {
		r := req
		if res := w.call(context.Background(), &r, 0, 1, 0, false, 0); res.Class != metrics.OK {
			t.Errorf("GET: class %v; want OK", res.Class)
		}
	}
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() { call(newWorker(c, metrics.NewSink().Buffer(), time.Now(), 1, uint64(i))) })
	}
	wg.Wait()
	w := newWorker(c, metrics.NewSink().Buffer(), time.Now(), 1, burst)
	for range 40 {
		call(w)
	}
	if got := srv.accepted.Load(); got != burst {
		t.Errorf("the burst of %d opened %d connections; want %d", burst, got, burst)
	}
	if got := srv.connsAfter(); got != 1 {
		t.Errorf("40 requests in turn after a burst of %d went over %d connections; want 1, the one used last", burst, got)
	}
}
