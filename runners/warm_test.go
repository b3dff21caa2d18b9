package runners

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// countingServer is an HTTP server on loopback that counts the
// connections it accepted and those closed. With hold set to n, it answers
// none of its first n requests until all n have arrived, so that they are
// in flight together, and counts the later ones by connection.
type countingServer struct {
	*httptest.Server
	accepted, closed atomic.Int64
	first            atomic.Pointer[time.Time]
	hold, arrived    atomic.Int64
	held             chan struct{}
	mu               sync.Mutex
	after            map[string]int // requests after the held ones, by client address
}

// connsAfter is how many connections the requests after the held ones
// came on.
func (cs *countingServer) connsAfter() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.after)
}

// firstAccept is when the server accepted its first connection.
func (cs *countingServer) firstAccept() time.Time {
	if t := cs.first.Load(); t != nil {
		return *t
	}
	return time.Time{}
}

func newCountingServer(t *testing.T) *countingServer {
	t.Helper()
	cs := &countingServer{held: make(chan struct{}), after: map[string]int{}}
	return cs.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := cs.hold.Load(); n > 0 {
			switch k := cs.arrived.Add(1); {
			case k <= n:
				if k == n {
					close(cs.held)
				}
				select {
				case <-cs.held:
				case <-r.Context().Done(): // a held request failed: its test reports it
				}
			default:
				cs.mu.Lock()
				cs.after[r.RemoteAddr]++
				cs.mu.Unlock()
			}
		}
		w.Write([]byte("ok"))
	}), nil)
}

// countingHandler is a countingServer answering with h, its http.Server
// set up by configure (when not nil) before it starts; hold does nothing.
func countingHandler(t *testing.T, h http.Handler, configure func(*http.Server)) *countingServer {
	t.Helper()
	return (&countingServer{}).start(t, h, configure)
}

// start serves h on loopback until the test ends, counting connections.
func (cs *countingServer) start(t *testing.T, h http.Handler, configure func(*http.Server)) *countingServer {
	cs.Server = httptest.NewUnstartedServer(h)
	cs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			now := time.Now()
			cs.first.CompareAndSwap(nil, &now)
			cs.accepted.Add(1)
		case http.StateClosed:
			cs.closed.Add(1)
		}
	}
	if configure != nil {
		configure(cs.Config)
	}
	cs.Start()
	t.Cleanup(cs.Close)
	return cs
}

// eventually waits up to 5 s for cond.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// plainAddr names the address a static plain-HTTP URL connects to as the
// fast client does, and refuses what the fast client does not send.
func TestPlainAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url  string
		want string // "" for none
	}{
		{"http://127.0.0.1:8080/ping", "127.0.0.1:8080"},
		{"http://LocalHost/ping", "localhost:80"},
		{"http://[::1]/", "[::1]:80"},
		{"http://[::1]:9000/x?y=1", "[::1]:9000"},
		{"https://127.0.0.1:8443/", ""},
		{"http://127.0.0.1:8080/${seq}", ""},
	} {
		got, ok := plainAddr(Request{URL: mustTemplate(t, tt.url)})
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("plainAddr(%s) = %q, %v; want %q", tt.url, got, ok, tt.want)
		}
	}
}

// warm dials the connections a load's first requests need before it
// starts, shared among its hosts by weight; the load's requests take them
// instead of dialling; those left are closed by the function warm returns.
func TestWarmDialsAheadOfTheLoad(t *testing.T) {
	t.Parallel()
	a, b := newCountingServer(t), newCountingServer(t)
	c := NewClient(ClientOptions{Timeout: 5 * time.Second})
	reqs := []Request{
		{Name: "a", Method: "GET", URL: mustTemplate(t, a.URL+"/"), Weight: 3},
		{Name: "b", Method: "GET", URL: mustTemplate(t, b.URL+"/"), Weight: 1},
		{Name: "templated", Method: "GET", URL: mustTemplate(t, a.URL+"/${seq}"), Weight: 4},
	}
	drop := c.warm(reqs, 16, time.Now().Add(time.Minute))
	// 16 shared by weight over 8: a 6 of its 3/8, b 2 of its 1/8, the
	// templated request none.
	if !eventually(func() bool { return a.accepted.Load() == 6 && b.accepted.Load() == 2 }) {
		t.Fatalf("warm dialled %d and %d connections; want 6 to a and 2 to b", a.accepted.Load(), b.accepted.Load())
	}
	a.hold.Store(6) // the six requests in flight together, so each needs a connection
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := metrics.NewSink().Buffer()
			defer buf.Close()
			w := newWorker(c, buf, time.Now(), 1, uint64(i))
			res := w.call(t.Context(), &reqs[0], 0, uint64(i), 0, false, 0)
			if res.Class != metrics.OK {
				t.Errorf("request %d: class %v; want OK", i, res.Class)
			}
		}()
	}
	wg.Wait()
	if got := a.accepted.Load(); got > 6 {
		t.Errorf("a accepted %d connections after 6 requests on 6 spare ones; want 6", got)
	}
	drop()
	if !eventually(func() bool { return b.closed.Load() == 2 }) {
		t.Errorf("after drop b saw %d of its 2 spare connections closed; want 2", b.closed.Load())
	}
	if got := a.closed.Load(); got != 0 {
		t.Errorf("drop closed %d connections a's requests took; want 0", got)
	}
}

// warm dials nothing for a load already started, nor for one that opens
// a connection per request.
func TestWarmDialsNothingItCannotUse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		opt   ClientOptions
		start time.Time
	}{
		{"started", ClientOptions{Timeout: time.Second}, time.Now().Add(-time.Second)},
		{"no keep-alive", ClientOptions{Timeout: time.Second, DisableKeepAlive: true}, time.Now().Add(time.Minute)},
	} {
		srv := newCountingServer(t)
		c := NewClient(tt.opt)
		c.warm([]Request{{Name: "a", Method: "GET", URL: mustTemplate(t, srv.URL+"/")}}, 8, tt.start)()
		time.Sleep(50 * time.Millisecond)
		if got := srv.accepted.Load(); got != 0 {
			t.Errorf("%s: warm dialled %d connections; want none", tt.name, got)
		}
	}
}

// Spare connections are handed out until spareFor after the load's start;
// then the rest are closed and requests dial their own.
func TestSpareConnectionsExpire(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t)
	c := NewClient(ClientOptions{Timeout: time.Second})
	addr, _ := plainAddr(Request{URL: mustTemplate(t, srv.URL+"/")})
	start := time.Now().Add(time.Second) // time enough for the dials on a busy machine
	defer c.warm([]Request{{Name: "a", Method: "GET", URL: mustTemplate(t, srv.URL+"/")}}, 4, start)()
	if !eventually(func() bool { return srv.accepted.Load() == 4 }) {
		t.Fatalf("warm dialled %d connections before the start; want 4", srv.accepted.Load())
	}
	if nc := c.fast.takeSpare(addr); nc == nil {
		t.Fatal("no spare connection before the load's start; want one")
	}
	time.Sleep(time.Until(start.Add(spareFor + 10*time.Millisecond)))
	if nc := c.fast.takeSpare(addr); nc != nil {
		t.Error("a spare connection handed out after its time; want none")
	}
	if !eventually(func() bool { return srv.closed.Load() == 3 }) {
		t.Errorf("%d of the 3 spare connections left were closed; want 3", srv.closed.Load())
	}
}

// TestSparesTheServiceClosedAreNotUsed checks that a connection dialled
// ahead of a load and closed by the service before the load took it (here
// at the service's 50-ms header timeout) is not sent on: the first requests
// succeed over new connections. Sent on, each would fail, and a request that
// failed on a new connection is not sent again.
func TestSparesTheServiceClosedAreNotUsed(t *testing.T) {
	t.Parallel()
	srv := countingHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}), func(s *http.Server) { s.ReadHeaderTimeout = 50 * time.Millisecond })
	c := NewClient(ClientOptions{Timeout: 5 * time.Second})
	req := Request{Name: "a", Method: "GET", URL: mustTemplate(t, srv.URL+"/")}
	defer c.warm([]Request{req}, 4, time.Now().Add(time.Second))()
	if !eventually(func() bool { return srv.closed.Load() == 4 }) {
		t.Fatalf("the service closed %d of the 4 spare connections; want 4", srv.closed.Load())
	}
	w := newWorker(c, metrics.NewSink().Buffer(), time.Now(), 1, 1)
	for i := range 4 {
		if res := w.call(context.Background(), &req, 0, 0, 0, false, 0); res.Class != metrics.OK {
			t.Fatalf("request %d: %v; want ok", i, res.Class)
		}
	}
}

// A load warms the connections of its first warmAhead of requests, at
// least one per worker waiting at its start, at most its cap.
func TestWarmConns(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rate        float64
		maxInFlight int64
		want        int
	}{
		{0, 1000, minWorkers},
		{1000, 1000, minWorkers},
		{30_000, 1000, 300},
		{30_001, 1000, 301},
		{1_000_000, 1000, 1000},
		{30_000, 8, 8},
	} {
		if got := warmConns(tt.rate, tt.maxInFlight); got != tt.want {
			t.Errorf("warmConns(%v, %d) = %d; want %d", tt.rate, tt.maxInFlight, got, tt.want)
		}
	}
}

// An open load dials its spare connections warmLead before its start, not
// when its run begins: a load held for later (--start-at) would otherwise
// keep them idle, and a service may close idle connections.
func TestOpenWarmsJustBeforeItsStart(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t)
	o := newOpen(t, srv.URL+"/", []metrics.Stage{{ForS: 0.2, Rate: 100}})
	o.Start = time.Now().Add(600 * time.Millisecond)
	res := collect(t, t.Context(), o)
	if first := srv.firstAccept(); first.Before(o.Start.Add(-warmLead)) {
		t.Errorf("first connection accepted %v before the load's start; want at most warmLead (%v)", o.Start.Sub(first), warmLead)
	}
	if got := srv.accepted.Load(); got < minWorkers {
		t.Errorf("the load's target accepted %d connections; want the %d dialled ahead at least", got, minWorkers)
	}
	for _, r := range res {
		if r.Class != metrics.OK {
			t.Fatalf("request %v: class %v; want every request OK", r.Intended, r.Class)
		}
	}
	if len(res) != 20 {
		t.Errorf("%d results; want 20", len(res))
	}
}
