package services

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests start this test binary as the service under test. With GO_WANT_HELPER set,
// TestMain runs a helper instead of the tests:
//
//	serve        HTTP on $HELPER_ADDR: /healthz 200, /echo (args and HELPER_* env as JSON),
//	             /crash (exit 7); exits 0 on SIGTERM, or ignores it if HELPER_IGNORE_TERM=1
//	exit         writes "boom: bad config" to stderr and exits 3
//	never-ready  writes "starting forever" and answers /healthz with 503 until killed
const helperEnv = "GO_WANT_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

func runHelper(mode string) int {
	switch mode {
	case "exit":
		fmt.Fprintln(os.Stderr, "boom: bad config")
		return 3
	case "never-ready":
		fmt.Println("starting forever")
		return serveHelper(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
	case "serve":
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
		mux.HandleFunc("/echo", func(w http.ResponseWriter, _ *http.Request) {
			env := map[string]string{}
			for _, kv := range os.Environ() {
				if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "HELPER_") {
					env[k] = v
				}
			}
			_ = json.NewEncoder(w).Encode(echo{Args: os.Args[1:], Env: env})
		})
		mux.HandleFunc("/crash", func(http.ResponseWriter, *http.Request) {
			fmt.Fprintln(os.Stderr, "crashing now")
			os.Exit(7)
		})
		return serveHelper(mux)
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		return 2
	}
}

// echo is the body of the helper's /echo.
type echo struct {
	Args []string          `json:"args"`
	Env  map[string]string `json:"env"`
}

func serveHelper(h http.Handler) int {
	ctx := context.Background() // never done: SIGTERM is ignored
	if os.Getenv("HELPER_IGNORE_TERM") == "1" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, syscall.SIGTERM)
		defer stop()
	}
	ln, err := net.Listen("tcp", os.Getenv("HELPER_ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("helper serving on", ln.Addr())
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	<-ctx.Done()
	fmt.Println("got SIGTERM")
	_ = srv.Close()
	return 0
}

// helperSpec returns a Spec that runs this binary as helper mode under name.
func helperSpec(name, mode string) Spec {
	return Spec{
		Name:    name,
		Command: []string{os.Args[0]},
		Env: map[string]string{
			helperEnv:     mode,
			"HELPER_ADDR": "${addr}",
			// Under -race a child would otherwise linger 1 s at exit.
			"GORACE": "atexit_sleep_ms=0",
		},
		StartTimeout: 60 * time.Second, // generous: 2 shared cores under -race
	}
}

// recorder collects events; its emit is safe for concurrent use.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) emit(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// all returns the events of service ("" for every service), in order.
func (r *recorder) all(service string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if service == "" || e.Service == service {
			out = append(out, e)
		}
	}
	return out
}

// kinds returns the kinds of service's events, in order.
func (r *recorder) kinds(service string) []string {
	var out []string
	for _, e := range r.all(service) {
		out = append(out, e.Kind)
	}
	return out
}

// waitFor returns service's first event of kind, failing after 30 s.
func (r *recorder) waitFor(t *testing.T, service, kind string) Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range r.all(service) {
			if e.Kind == kind {
				return e
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %q event for %s; got %v", kind, service, r.kinds(service))
	return Event{}
}

// stopOnCleanup stops p when the test ends, in case the test did not.
func stopOnCleanup(t *testing.T, p *Process) {
	t.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			t.Errorf("cleanup Stop(%s) = %v", p.Name(), err)
		}
	})
}

// assertGone fails unless no process with id pid exists.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if pid <= 0 {
		t.Fatalf("pid = %d; want a real pid", pid)
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("kill(%d, 0) = %v; want ESRCH (process left behind)", pid, err)
	}
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, string(b)
}
