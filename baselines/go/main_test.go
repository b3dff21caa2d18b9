package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/services"
)

func TestRunUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--role", "warehouse"}, `unknown role "warehouse" (known: gateway, inventory, micro, order, payment)`},
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if got := run(tt.args, &stderr); got != 2 {
			t.Errorf("run(%q) = %d; want 2", tt.args, got)
		}
		if !strings.Contains(stderr.String(), tt.wantErr) {
			t.Errorf("run(%q) stderr = %q; want it to contain %q", tt.args, stderr.String(), tt.wantErr)
		}
	}
}

// TestBinaryDrainsOnSIGTERM builds the real binary, starts it on a free loopback port and
// checks that a request in flight at SIGTERM still succeeds and the process exits 0.
func TestBinaryDrainsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	bin := filepath.Join(t.TempDir(), "baseline-go")
	// As make builds it: without cgo (the -race step runs with it on).
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	var stderr safeBuffer
	cmd := exec.Command(bin, "--role", "micro", "--addr", addr)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	base := "http://" + addr
	waitForStatus(t, client, base+"/healthz", exited)

	type result struct {
		status int
		body   string
		err    error
	}
	slept := make(chan result, 1)
	go func() {
		resp, err := client.Get(base + "/sleep?ms=300")
		if err != nil {
			slept <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slept <- result{resp.StatusCode, string(b), err}
	}()
	// In flight: the sleep and the /metrics request that observes it.
	waitForMetric(t, base, "gauntlet_http_in_flight_requests 2\n")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	res := <-slept
	if res.err != nil || res.status != http.StatusOK || res.body != `{"slept_ms":300}` {
		t.Errorf("GET /sleep?ms=300 across SIGTERM = %d %q, %v; want 200 {\"slept_ms\":300}", res.status, res.body, res.err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Errorf("baseline-go exit = %v; want exit status 0\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("baseline-go still running 20s after SIGTERM\nstderr:\n%s", stderr.String())
	}
	for _, want := range []string{"baseline-go micro listening on " + addr + "\n", "baseline-go micro shut down"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr = %q; want it to contain %q", stderr.String(), want)
		}
	}
}

// freeAddr returns a loopback address that was free a moment ago, below the
// kernel's ephemeral range (see services.FreePort): a process that binds it
// a second later, as a JVM does, finds no other test's client socket on it.
func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := services.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// waitForStatus polls url until it answers 200, failing if the process exits or 30 s pass.
func waitForStatus(t *testing.T, client *http.Client, url string, exited <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("process exited before %s answered: %v", url, err)
		case <-ctx.Done():
			t.Fatalf("%s did not answer 200 within 30s: %v", url, errors.Join(err, ctx.Err()))
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// safeBuffer is a bytes.Buffer that the exec copier and the test may use concurrently.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
