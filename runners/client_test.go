package runners

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
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
		case "/stalled-body": // the header, part of the body, then nothing
			w.Header().Set("Content-Length", "100")
			w.Write([]byte("part"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/host":
			w.Header().Set("X-Host", r.Host)
		case "/big-header": // beyond fasthttp's 4 KB read buffer
			w.Header().Set("X-Big", bigHeader)
			w.Write([]byte("pong"))
		case "/large": // beyond MaxBodyRead, its end unread by checks
			w.Header().Set("Content-Length", strconv.Itoa(len(largeBody)))
			w.Write(largeBody)
		case "/chunked": // flushed in parts, so chunked, with a trailer
			w.Header().Set("Trailer", "X-Sum")
			for i := range 3 {
				fmt.Fprintf(w, "part %d;", i)
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Sum", "3")
		case "/early-hints":
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Write([]byte("final"))
		case "/no-content":
			w.WriteHeader(http.StatusNoContent)
		case "/not-modified":
			w.WriteHeader(http.StatusNotModified)
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
	tillClose := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nread until the connection closes")

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
		{name: "timeout within the body", req: Request{Method: "GET", URL: tpl(srv.URL + "/stalled-body")},
			class: metrics.Timeout, code: 200, in: 4, checkTime: true},
		{name: "timeout within a checked body", req: Request{Method: "GET", URL: tpl(srv.URL + "/stalled-body"), Check: &Check{BodyContains: "part"}},
			class: metrics.Timeout, code: 200, in: 4, checkTime: true},
		{name: "Host header", req: Request{Method: "GET", URL: tpl(srv.URL + "/host"), Header: []Header{{Key: "Host", Value: tpl("api.example.test")}},
			Check: &Check{Headers: []HeaderValue{{Key: "X-Host", Value: "api.example.test"}}}},
			class: metrics.OK, code: 200},
		{name: "header beyond 4 KB", req: Request{Method: "GET", URL: tpl(srv.URL + "/big-header"),
			Check: &Check{Headers: []HeaderValue{{Key: "X-Big", Value: bigHeader}}, BodyContains: "pong"}},
			class: metrics.OK, code: 200, in: 4},
		{name: "large body", req: Request{Method: "GET", URL: tpl(srv.URL + "/large")}, class: metrics.OK, code: 200, in: largeSize},
		{name: "large body, checked within the first MB", req: Request{Method: "GET", URL: tpl(srv.URL + "/large"), Check: &Check{BodyContains: "head"}},
			class: metrics.OK, code: 200, in: largeSize},
		{name: "large body, checked past the first MB", req: Request{Method: "GET", URL: tpl(srv.URL + "/large"), Check: &Check{BodyContains: "tail"}},
			class: metrics.ExpectationFailed, code: 200, in: largeSize},
		{name: "HEAD of a large body", req: Request{Method: "HEAD", URL: tpl(srv.URL + "/large")}, class: metrics.OK, code: 200},
		{name: "chunked with a trailer", req: Request{Method: "GET", URL: tpl(srv.URL + "/chunked"), Check: &Check{BodyContains: "part 0;part 1;part 2;"}},
			class: metrics.OK, code: 200, in: 21},
		{name: "chunked, unchecked", req: Request{Method: "GET", URL: tpl(srv.URL + "/chunked")}, class: metrics.OK, code: 200, in: 21},
		{name: "body to the connection's end", req: Request{Method: "GET", URL: tpl(tillClose + "/"), Check: &Check{BodyContains: "closes"}},
			class: metrics.OK, code: 200, in: 32},
		{name: "103 before the response", req: Request{Method: "GET", URL: tpl(srv.URL + "/early-hints"), Check: &Check{BodyContains: "final"}},
			class: metrics.OK, code: 200, in: 5},
		{name: "204", req: Request{Method: "GET", URL: tpl(srv.URL + "/no-content")}, class: metrics.OK, code: 204},
		{name: "304", req: Request{Method: "GET", URL: tpl(srv.URL + "/not-modified")}, class: metrics.OK, code: 304},
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

// TestClientsLimitResponseHeadersAlike checks that a response header beyond
// net/http's 10 MB limit fails as a transport error through either client,
// and one just under it is read.
func TestClientsLimitResponseHeadersAlike(t *testing.T) {
	t.Parallel()
	header := func(n int) string {
		return "HTTP/1.1 200 OK\r\nX-Huge: " + strings.Repeat("h", n) + "\r\nContent-Length: 2\r\n\r\nok"
	}
	tests := []struct {
		name  string
		url   string
		class metrics.ErrorClass
		code  uint16
		in    int64
	}{
		{"under 10 MB", rawServer(t, header(maxResponseHeader-1024)), metrics.OK, 200, 2},
		{"over 10 MB", rawServer(t, header(maxResponseHeader)), metrics.Transport, 0, 0},
	}
	opt := ClientOptions{Timeout: time.Minute} // parsing 10 MB is slow under the race detector
	for _, tt := range tests {
		for name, c := range map[string]*Client{"fasthttp": NewClient(opt), "net/http": {HTTP: NewClient(opt).HTTP}} {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				w := newWorker(c, metrics.NewSink().Buffer(), time.Now(), 1, 1)
				req := Request{Method: "GET", URL: mustTemplate(t, tt.url+"/")}
				res := w.call(context.Background(), &req, 0, 0, 0, false, 0)
				if res.Class != tt.class || res.Code != tt.code || res.BytesIn != tt.in {
					t.Errorf("class %v code %d bytes in %d; want %v %d %d", res.Class, res.Code, res.BytesIn, tt.class, tt.code, tt.in)
				}
			})
		}
	}
}

// bigHeader is a response header value beyond fasthttp's 4 KB read buffer;
// largeBody a body beyond MaxBodyRead, "head" at its start and "tail" at its
// end.
var (
	bigHeader = strings.Repeat("b", 20_000)
	largeBody = append(append([]byte("head"), bytes.Repeat([]byte{'.'}, 3<<20)...), "tail"...)
	largeSize = int64(len(largeBody))
)

// serveConns listens on a loopback port until the test ends, handing each
// connection to handle on a goroutine of its own, and returns its address.
func serveConns(t testing.TB, handle func(net.Conn)) string {
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
			go handle(c)
		}
	}()
	return ln.Addr().String()
}

// rawServer answers every request on a connection with response, as
// written, and then closes the connection.
func rawServer(t *testing.T, response string) string {
	return "http://" + serveConns(t, func(c net.Conn) {
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			io.WriteString(c, response)
		}
	})
}

// resetServer accepts connections and resets each once the request arrived.
func resetServer(t *testing.T) string {
	return "http://" + serveConns(t, func(c net.Conn) {
		c.Read(make([]byte, 4096))
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	})
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

// TestFastClientHoldsLittleOfALargeBody checks that the fast client reads a
// body it does not keep without holding it in memory: a worker in the
// middle of a 32 MB response, 16 MB of it read, holds well under a MB.
// (fasthttp's own reading kept the whole body, so a generator receiving
// large responses held one per request in flight.)
func TestFastClientHoldsLittleOfALargeBody(t *testing.T) {
	const sent, declared = 16 << 20, 32 << 20
	halfway, done := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(declared))
		w.Write(make([]byte, sent))
		once.Do(func() { close(halfway) })
		<-done
	}))
	t.Cleanup(srv.Close)
	w := newWorker(NewClient(ClientOptions{Timeout: 10 * time.Second}), metrics.NewSink().Buffer(), time.Now(), 1, 1)
	req := Request{Method: "GET", URL: mustTemplate(t, srv.URL+"/")}
	called := make(chan metrics.Result)
	go func() { called <- w.call(context.Background(), &req, 0, 0, 0, false, 0) }()
	<-halfway
	// The last bytes written may still be on their way; those read are
	// all but the socket buffers' worth.
	time.Sleep(100 * time.Millisecond)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	close(done)
	srv.CloseClientConnections()
	<-called
	if held := ms.HeapAlloc; held > 8<<20 {
		t.Errorf("heap %d MB with %d MB of a body read; want the body read without keeping it", held>>20, sent>>20)
	}
}

// TestClientsSendOnLiveConnections checks that a request after a pause
// longer than the service's keep-alive timeout succeeds through either
// client, whatever its method: the connection the service closed meanwhile
// is not used. (fasthttp sent on it, and a POST failed as reset.)
func TestClientsSendOnLiveConnections(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	}))
	srv.Config.IdleTimeout = 20 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	body := mustTemplate(t, `{}`)
	reqs := map[string]Request{
		"GET":  {Method: "GET", URL: mustTemplate(t, srv.URL+"/")},
		"POST": {Method: "POST", URL: mustTemplate(t, srv.URL+"/"), Body: &body},
	}
	opt := ClientOptions{Timeout: 5 * time.Second}
	for method, req := range reqs {
		for name, c := range map[string]*Client{"fasthttp": NewClient(opt), "net/http": {HTTP: NewClient(opt).HTTP}} {
			t.Run(method+"/"+name, func(t *testing.T) {
				t.Parallel()
				w := newWorker(c, metrics.NewSink().Buffer(), time.Now(), 1, 1)
				for i := range 3 {
					if i > 0 {
						time.Sleep(200 * time.Millisecond) // ten times the service's idle timeout
					}
					if res := w.call(context.Background(), &req, 0, 0, 0, false, 0); res.Class != metrics.OK {
						t.Fatalf("request %d after a pause: %v; want ok", i, res.Class)
					}
				}
			})
		}
	}
}

// TestFastClientReusesItsConnection checks that the fast client reads each
// kind of response to its exact end: three requests in turn go over one
// connection. A response read short or past its end would leave bytes that
// make the connection unusable, and the next request would dial.
func TestFastClientReusesItsConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method string
		handler      http.HandlerFunc
	}{
		{"content-length", "GET", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("pong")) }},
		{"chunked with a trailer", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Sum")
			w.Write([]byte("part;"))
			w.(http.Flusher).Flush()
			w.Write([]byte("part;"))
			w.Header().Set("X-Sum", "2")
		}},
		{"chunked", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("part;"))
			w.(http.Flusher).Flush()
			w.Write([]byte("part;"))
		}},
		{"103 then 200", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.Write([]byte("final"))
		}},
		{"204", "GET", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }},
		{"304", "GET", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) }},
		{"HEAD", "HEAD", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
		}},
		{"header beyond 4 KB", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Big", bigHeader)
			w.Write([]byte("pong"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := countingHandler(t, tt.handler, nil)
			w := newWorker(NewClient(ClientOptions{Timeout: 5 * time.Second}), metrics.NewSink().Buffer(), time.Now(), 1, 1)
			req := Request{Method: tt.method, URL: mustTemplate(t, srv.URL+"/")}
			for i := range 3 {
				if res := w.call(context.Background(), &req, 0, 0, 0, false, 0); res.Class != metrics.OK {
					t.Fatalf("request %d: %v", i, res.Class)
				}
			}
			if n := srv.accepted.Load(); n != 1 {
				t.Errorf("3 requests in turn opened %d connections; want 1", n)
			}
		})
	}
}
