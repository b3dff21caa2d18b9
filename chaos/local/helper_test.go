package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/services"
)

// The tests re-execute this test binary in two roles. With helperEnv=serve it is a
// service under test: HTTP on $HELPER_ADDR with /healthz and /ping, exiting on SIGTERM.
// With helperEnv set (the test process sets it for all its children) and the arguments
// "stress …" it is a stress child, exactly as `gauntlet stress …` would be.
const helperEnv = "GAUNTLET_CHAOS_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" && len(os.Args) > 1 && os.Args[1] == "stress" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		err := StressMain(ctx, os.Args[2:], os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(helperEnv) == "serve" {
		os.Exit(serveHelper())
	}
	os.Setenv(helperEnv, "child") // inherited by stress children
	os.Exit(m.Run())
}

func serveHelper() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: os.Getenv("HELPER_ADDR"), Handler: testHandler()}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testHandler serves /healthz, /ping, /echo (the request body back), /bytes?n= (n bytes),
// /chunked (a chunked body) and /sleep?ms=.
func testHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/ping", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "pong") })
	mux.HandleFunc("/pid", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, strconv.Itoa(os.Getpid())) })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Method", r.Method)
		io.Copy(w, r.Body)
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write([]byte(strings.Repeat("x", n)))
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, _ *http.Request) {
		for i := range 5 {
			fmt.Fprintf(w, "part %d\n", i)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
		}
		io.WriteString(w, "slept")
	})
	return mux
}

// upstream starts an httptest server with testHandler.
func upstream(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(testHandler())
	t.Cleanup(srv.Close)
	return srv
}

// newProxy starts a proxy in front of srv.
func newProxy(t testing.TB, srv *httptest.Server, mode Mode) *Proxy {
	t.Helper()
	p, err := NewProxy("api", srv.Listener.Addr().String(), mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// startHelper starts this binary as a service under test.
func startHelper(t *testing.T, name string) *Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := startService(ctx, services.Spec{
		Name:        name,
		Command:     []string{os.Args[0]},
		Env:         map[string]string{helperEnv: "serve", "HELPER_ADDR": "${addr}"},
		StopTimeout: 3 * time.Second,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-s.PID(), syscall.SIGCONT)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

// client returns an HTTP client with its own keep-alive pool and the given timeout.
func client(t testing.TB, timeout time.Duration) *http.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// get fetches url and returns the status and body.
func get(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// answers checks that url answers 200 within timeout.
func answers(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	code, body, err := get(c, url)
	if err != nil {
		return err
	}
	if code != 200 {
		return fmt.Errorf("status %d: %s", code, body)
	}
	return nil
}

// silent is the opposite of answers: nil when url does not answer within timeout.
func silent(url string, timeout time.Duration) error {
	if err := answers(url, timeout); err == nil {
		return fmt.Errorf("%s answered", url)
	}
	return nil
}

// timed returns how long a GET of url took on c.
func timed(c *http.Client, url string) (time.Duration, error) {
	start := time.Now()
	code, _, err := get(c, url)
	if err == nil && code != 200 {
		err = fmt.Errorf("status %d", code)
	}
	return time.Since(start), err
}

// env builds a chaos.Env over proxies and services.
func env(j *chaos.Journal, proxies []*Proxy, svcs ...*Service) *chaos.StaticEnv {
	e := &chaos.StaticEnv{Proxies: map[string]chaos.Proxy{}, Processes: map[string]chaos.ProcessTarget{}, State: j, RunSeed: 42}
	for _, p := range proxies {
		e.Proxies[p.Name()] = p
	}
	for _, s := range svcs {
		e.Processes[s.Name()] = s
	}
	return e
}

func dial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) }

// rawConn dials addr.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
