package local

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/chaos/chaostest"
	"github.com/gauntletbench/gauntlet/chaos/faultkind"
)

var modes = []Mode{TCP, HTTP}

func TestProxyPassThrough(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, upstream(t), mode)
			c := client(t, 10*time.Second)
			for i := range 50 {
				code, body, err := get(c, p.URL()+"/ping")
				if err != nil || code != 200 || body != "pong" {
					t.Fatalf("request %d: %d %q %v", i, code, body, err)
				}
			}
			if st := p.Stats(); st.Connections != 1 {
				t.Errorf("50 keep-alive requests used %d connections; want 1", st.Connections)
			}
			big := strings.Repeat("0123456789", 100_000)
			resp, err := c.Post(p.URL()+"/echo", "text/plain", strings.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != big || resp.Header.Get("X-Method") != "POST" {
				t.Errorf("echo of 1 MB: got %d bytes, method %q", len(b), resp.Header.Get("X-Method"))
			}
			code, body, err := get(c, p.URL()+"/chunked")
			if err != nil || code != 200 || !strings.HasSuffix(body, "part 4\n") {
				t.Errorf("chunked: %d %q %v", code, body, err)
			}
			resp, err = c.Head(p.URL() + "/bytes?n=1000")
			if err != nil || resp.StatusCode != 200 || resp.ContentLength != 1000 {
				t.Errorf("HEAD: %v %v", resp, err)
			}
			// Expect: 100-continue: the body follows the interim answer.
			conn100 := rawConn(t, p.Addr())
			conn100.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprint(conn100, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
			br100 := bufio.NewReader(conn100)
			if line, err := br100.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
				t.Fatalf("after Expect: %q %v; want 100 Continue", line, err)
			}
			br100.ReadString('\n') // the blank line ending the interim answer
			fmt.Fprint(conn100, "hello")
			if resp, err := http.ReadResponse(br100, nil); err != nil {
				t.Errorf("after 100 Continue: %v", err)
			} else if b, _ := io.ReadAll(resp.Body); string(b) != "hello" {
				t.Errorf("echo after 100 Continue = %q", b)
			}
			// Requests pipelined on one connection come back in order.
			conn := rawConn(t, p.Addr())
			fmt.Fprint(conn, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes?n=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			all, _ := io.ReadAll(conn)
			if !strings.Contains(string(all), "pong") || !strings.HasSuffix(string(all), "xxx") {
				t.Errorf("pipelined responses:\n%s", all)
			}
		})
	}
}

func TestProxyUpstreamDown(t *testing.T) {
	t.Parallel()
	srv := upstream(t)
	p := newProxy(t, srv, HTTP)
	srv.Close()
	code, body, err := get(client(t, 5*time.Second), p.URL()+"/ping")
	if err != nil || code != http.StatusBadGateway || !strings.Contains(body, "gauntlet proxy") {
		t.Errorf("GET with the upstream down = %d %q %v; want 502 from the proxy", code, body, err)
	}
}

// TestNetworkFaultsConform runs the conformance suite on every network kind, in every
// mode it supports, through chaos.New as the engine builds them.
func TestNetworkFaultsConform(t *testing.T) {
	t.Parallel()
	type probeFn func(t *testing.T, p *Proxy) chaostest.Probe
	slowURL := func(p *Proxy) string { return p.URL() + "/bytes?n=65536" }
	tests := []struct {
		kind   string
		params string
		modes  []Mode
		probe  probeFn
	}{
		{"latency", "{service: api, delay: 150ms, jitter: 10ms, direction: downstream}", modes, func(t *testing.T, p *Proxy) chaostest.Probe {
			c := client(t, 10*time.Second)
			return chaostest.Probe{
				InEffect: func() error { return slowerThan(c, p.URL()+"/ping", 130*time.Millisecond) },
				Reverted: func() error { return fasterThan(c, p.URL()+"/ping", 100*time.Millisecond) },
			}
		}},
		{"latency", "{service: api, delay: 80ms, distribution: normal, jitter: 5ms, direction: both}", modes, func(t *testing.T, p *Proxy) chaostest.Probe {
			c := client(t, 10*time.Second)
			return chaostest.Probe{
				InEffect: func() error { return slowerThan(c, p.URL()+"/ping", 140*time.Millisecond) },
				Reverted: func() error { return fasterThan(c, p.URL()+"/ping", 60*time.Millisecond) },
			}
		}},
		{"bandwidth", "{service: api, bytes_per_second: 128KiB}", modes, func(t *testing.T, p *Proxy) chaostest.Probe {
			c := client(t, 20*time.Second)
			// 64 KiB at 128 KiB/s takes about 0.45 s after the burst.
			return chaostest.Probe{
				InEffect: func() error { return slowerThan(c, slowURL(p), 250*time.Millisecond) },
				Reverted: func() error { return fasterThan(c, slowURL(p), 150*time.Millisecond) },
			}
		}},
		{"reset", "{service: api}", modes, func(t *testing.T, p *Proxy) chaostest.Probe {
			return chaostest.Probe{
				InEffect: func() error { return silent(p.URL()+"/ping", 5*time.Second) },
				Reverted: func() error { return answers(p.URL()+"/ping", 5*time.Second) },
			}
		}},
		{"blackhole", "{service: api}", modes, func(t *testing.T, p *Proxy) chaostest.Probe {
			return chaostest.Probe{
				InEffect: func() error { return silent(p.URL()+"/ping", 300*time.Millisecond) },
				Reverted: func() error { return answers(p.URL()+"/ping", 5*time.Second) },
			}
		}},
		{"http_error", "{service: api, status: 503}", []Mode{HTTP}, func(t *testing.T, p *Proxy) chaostest.Probe {
			c := client(t, 5*time.Second)
			return chaostest.Probe{
				InEffect: func() error {
					code, body, err := get(c, p.URL()+"/ping")
					if err != nil || code != 503 || !strings.Contains(body, "injected") {
						return fmt.Errorf("got %d %q %v; want an injected 503", code, body, err)
					}
					return nil
				},
				Reverted: func() error { return answers(p.URL()+"/ping", 5*time.Second) },
			}
		}},
		{"http_delay", "{service: api, delay: 150ms, rate: 1}", []Mode{HTTP}, func(t *testing.T, p *Proxy) chaostest.Probe {
			c := client(t, 10*time.Second)
			return chaostest.Probe{
				InEffect: func() error { return slowerThan(c, p.URL()+"/ping", 140*time.Millisecond) },
				Reverted: func() error { return fasterThan(c, p.URL()+"/ping", 100*time.Millisecond) },
			}
		}},
		{"slow_close", "{service: api, delay: 300ms}", modes, func(t *testing.T, p *Proxy) chaostest.Probe {
			return chaostest.Probe{
				InEffect: func() error {
					if d, err := closeTime(p.Addr()); err != nil || d < 250*time.Millisecond {
						return fmt.Errorf("connection closed %s after the response (%v); want >= 250ms", d, err)
					}
					return nil
				},
				Reverted: func() error {
					if d, err := closeTime(p.Addr()); err != nil || d > 150*time.Millisecond {
						return fmt.Errorf("connection closed %s after the response (%v)", d, err)
					}
					return nil
				},
			}
		}},
	}
	for _, tt := range tests {
		for _, mode := range tt.modes {
			t.Run(tt.kind+"/"+mode.String()+"/"+tt.params, func(t *testing.T) {
				t.Parallel()
				p := newProxy(t, upstream(t), mode)
				e := env(nil, []*Proxy{p})
				chaostest.Run(t, func(t *testing.T) (chaos.Fault, chaostest.Probe) {
					return chaostest.MustNew(t, tt.kind, e, tt.params), tt.probe(t, p)
				})
			})
		}
	}
}

func slowerThan(c *http.Client, url string, min time.Duration) error {
	d, err := timed(c, url)
	if err != nil {
		return err
	}
	if d < min {
		return fmt.Errorf("took %s; want >= %s", d, min)
	}
	return nil
}

func fasterThan(c *http.Client, url string, max time.Duration) error {
	d, err := timed(c, url)
	if err != nil {
		return err
	}
	if d > max {
		return fmt.Errorf("took %s; want < %s", d, max)
	}
	return nil
}

// closeTime sends a request asking to close and measures from the end of the response to
// the connection's EOF.
func closeTime(addr string) (time.Duration, error) {
	c, err := dial(addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(c, "GET /bytes?n=4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	start := time.Now()
	_, err = br.ReadByte()
	if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		return 0, fmt.Errorf("after the response: %v; want EOF", err)
	}
	return time.Since(start), nil
}

// TestResetExistingConnection: a keep-alive connection opened before the reset is reset,
// in both modes.
func TestResetExistingConnection(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, upstream(t), mode)
			c := rawConn(t, p.Addr())
			br := bufio.NewReader(c)
			roundTrip := func() error {
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := fmt.Fprint(c, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
					return err
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					return err
				}
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				return err
			}
			if err := roundTrip(); err != nil {
				t.Fatal(err)
			}
			f := chaostest.MustNew(t, "reset", env(nil, []*Proxy{p}), "{service: api}")
			if err := f.Inject(t.Context()); err != nil {
				t.Fatal(err)
			}
			defer f.Revert(t.Context())
			err := roundTrip()
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
				t.Errorf("request on the existing connection after reset = %v; want ECONNRESET", err)
			}
		})
	}
}

// TestBlackholeHoldsInFlight: a request already forwarded when the blackhole starts never
// gets its response.
func TestBlackholeHoldsInFlight(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, upstream(t), mode)
			f := chaostest.MustNew(t, "blackhole", env(nil, []*Proxy{p}), "{service: api}")
			c := client(t, 1500*time.Millisecond)
			get(c, p.URL()+"/ping") // open the connection
			errc := make(chan error, 1)
			go func() {
				_, _, err := get(c, p.URL()+"/sleep?ms=400")
				errc <- err
			}()
			time.Sleep(100 * time.Millisecond) // the request is at the upstream now (or soon)
			if err := f.Inject(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err == nil {
				t.Error("an in-flight request got its response through the blackhole")
			}
			if err := f.Revert(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := chaostest.Eventually(5*time.Second, func() error { return answers(p.URL()+"/ping", time.Second) }); err != nil {
				t.Errorf("after revert: %v", err)
			}
		})
	}
}

// TestHTTPErrorRate: rate 0.2 over 2000 requests on one keep-alive connection fails 20% ±
// 3% of them, and every failure says it was injected.
func TestHTTPErrorRate(t *testing.T) {
	t.Parallel()
	p := newProxy(t, upstream(t), HTTP)
	f := chaostest.MustNew(t, "http_error", env(nil, []*Proxy{p}), "{service: api, status: 500, rate: 0.2}")
	if err := f.Inject(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer f.Revert(t.Context())
	c := client(t, 10*time.Second)
	const n = 2000
	failed := 0
	for range n {
		code, body, err := get(c, p.URL()+"/ping")
		switch {
		case err != nil:
			t.Fatal(err)
		case code == 500:
			failed++
			if !strings.Contains(body, "injected fault http_error") {
				t.Fatalf("error body %q does not say it was injected", body)
			}
		case code != 200 || body != "pong":
			t.Fatalf("got %d %q", code, body)
		}
	}
	if rate := float64(failed) / n; rate < 0.17 || rate > 0.23 {
		t.Errorf("error rate %.3f over %d requests; want 0.20 ± 0.03", rate, n)
	}
	if st := p.Stats(); st.Connections != 1 {
		t.Errorf("used %d connections; want 1 keep-alive connection", st.Connections)
	}
}

// TestLatencyP50: with 100 ms of latency the median request through the proxy takes at
// least 100 ms.
func TestLatencyP50(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, upstream(t), mode)
			f := chaostest.MustNew(t, "latency", env(nil, []*Proxy{p}), "{service: api, delay: 100ms, jitter: 20ms}")
			if err := f.Inject(t.Context()); err != nil {
				t.Fatal(err)
			}
			defer f.Revert(t.Context())
			c := client(t, 10*time.Second)
			var mu sync.Mutex
			var ds []time.Duration
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range 10 {
						d, err := timed(c, p.URL()+"/ping")
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						ds = append(ds, d)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			slices.Sort(ds) // 40 samples: sorting is fine in a test
			if p50 := ds[len(ds)/2]; p50 < 100*time.Millisecond {
				t.Errorf("p50 through the proxy = %s; want >= 100ms", p50)
			}
		})
	}
}

// TestBandwidthHonoured: 512 KiB at 256 KiB/s takes about 1.9 s (after a 25.6 KiB burst);
// accept anything from 1.2 s to 10 s.
func TestBandwidthHonoured(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, upstream(t), mode)
			f := chaostest.MustNew(t, "bandwidth", env(nil, []*Proxy{p}), "{service: api, bytes_per_second: 256KiB, direction: both}")
			if err := f.Inject(t.Context()); err != nil {
				t.Fatal(err)
			}
			defer f.Revert(t.Context())
			d, err := timed(client(t, 30*time.Second), p.URL()+"/bytes?n=524288")
			if err != nil {
				t.Fatal(err)
			}
			if d < 1200*time.Millisecond || d > 10*time.Second {
				t.Errorf("512 KiB at 256 KiB/s took %s; want about 1.9s", d)
			}
		})
	}
}

func TestNetworkFactoryErrors(t *testing.T) {
	t.Parallel()
	srv := upstream(t)
	tcp := newProxy(t, srv, TCP)
	e := env(nil, []*Proxy{tcp})
	tests := []struct {
		kind, params, want string
		is                 error
	}{
		{"latency", "{service: db, delay: 1s}", "no fault proxy", chaos.ErrNoTarget},
		{"http_error", "{service: api}", "needs a proxy in http mode", nil},
		{"latency", "{service: api, delay: 1s, dealy: 2s}", "unknown field", nil},
		{"latency", "{service: api}", "delay must be > 0", nil},
		{"latency", "{service: api, delay: 1s, distribution: pareto}", "use uniform or normal", nil},
		{"latency", "{service: api, delay: 1s, direction: sideways}", "upstream, downstream or both", nil},
		{"http_error", "{service: api, rate: 1.5}", "rate must be 0–1", nil},
		{"bandwidth", "{service: api, bytes_per_second: 0}", "must be > 0", nil},
		{"reset", "{}", "missing service", nil},
	}
	for _, tt := range tests {
		_, err := chaos.New(tt.kind, e, chaostest.Params(tt.params))
		if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("New(%s, %s) = %v; want an error containing %q", tt.kind, tt.params, err, tt.want)
		}
	}
}

// TestAllScenarioKindsRegistered: every kind a scenario may name has a factory here,
// or acts only through Chaos Mesh and says what to use locally instead.
func TestAllScenarioKindsRegistered(t *testing.T) {
	t.Parallel()
	kinds := chaos.Kinds()
	for _, k := range faultkind.All() {
		switch registered := slices.Contains(kinds, k.Name); {
		case k.Local() && !registered:
			t.Errorf("kind %q is not registered (have %v)", k.Name, kinds)
		case !k.Local() && registered:
			t.Errorf("kind %q acts only through Chaos Mesh, yet has a local factory", k.Name)
		case !k.Local() && k.Locally == "":
			t.Errorf("kind %q has no local factory and names no kind to use locally instead", k.Name)
		}
	}
}
