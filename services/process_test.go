package services

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStartReadyAndStop(t *testing.T) {
	t.Parallel()
	var rec recorder
	p, err := Start(context.Background(), helperSpec("api", "serve"), rec.emit)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	stopOnCleanup(t, p)

	if p.StartupMs() <= 0 {
		t.Errorf("StartupMs() = %v; want > 0", p.StartupMs())
	}
	if !strings.HasPrefix(p.Addr(), "127.0.0.1:") || p.URL() != "http://"+p.Addr() {
		t.Errorf("Addr(), URL() = %q, %q; want 127.0.0.1:PORT and http://127.0.0.1:PORT", p.Addr(), p.URL())
	}
	if code, body := get(t, p.URL()+"/healthz"); code != http.StatusOK || body != "ok" {
		t.Errorf("GET /healthz = %d %q; want 200 ok", code, body)
	}
	events := rec.all("api")
	if diff := cmp.Diff([]string{EventStarted, EventReady}, rec.kinds("api")); diff != "" {
		t.Fatalf("event kinds after Start (-want +got):\n%s", diff)
	}
	if events[0].PID != p.PID() || events[1].PID != p.PID() {
		t.Errorf("event PIDs = %d, %d; want %d", events[0].PID, events[1].PID, p.PID())
	}
	if events[1].StartupMs != p.StartupMs() {
		t.Errorf("ready StartupMs = %v; want StartupMs() = %v", events[1].StartupMs, p.StartupMs())
	}

	if err := p.Stop(context.Background()); err != nil {
		t.Fatalf("Stop() error = %v", err)
	}
	stopped := rec.waitFor(t, "api", EventStopped)
	if stopped.ExitCode != 0 || stopped.Signal != "" || stopped.Unexpected {
		t.Errorf("stopped event = %+v; want exit code 0, no signal, not unexpected", stopped)
	}
	if !strings.Contains(p.OutputTail(), "got SIGTERM") {
		t.Errorf("OutputTail() = %q; want the helper's SIGTERM line", p.OutputTail())
	}
	select {
	case <-p.Exited():
	default:
		t.Error("Exited() still open after Stop")
	}
	assertGone(t, p.PID())
}

func TestStartSubstitutesPlaceholders(t *testing.T) {
	t.Parallel()
	spec := helperSpec("echo", "serve")
	spec.Command = append(spec.Command, "--listen=${addr}", "${peer}", "$HOME")
	spec.Env["HELPER_PORT"] = "${port}"
	spec.Env["HELPER_PEER"] = "${peer}/v1"
	spec.Vars = map[string]string{"peer": "http://127.0.0.1:1"}
	spec.Ready = "http://${addr}/healthz?port=${port}"
	p, err := Start(context.Background(), spec, nil)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	stopOnCleanup(t, p)

	_, body := get(t, p.URL()+"/echo")
	var got echo
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("/echo body %q: %v", body, err)
	}
	port := strings.TrimPrefix(p.Addr(), "127.0.0.1:")
	want := echo{
		Args: []string{"--listen=" + p.Addr(), "http://127.0.0.1:1", "$HOME"},
		Env:  map[string]string{"HELPER_ADDR": p.Addr(), "HELPER_PORT": port, "HELPER_PEER": "http://127.0.0.1:1/v1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("child saw (-want +got):\n%s", diff)
	}
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		spec      func() Spec
		ctx       func() (context.Context, context.CancelFunc)
		wantErr   error  // errors.Is target; nil skips
		wantInErr string // substring of the error
		wantTail  string // substring of the output tail
		wantPID   bool   // the command was executed
	}{
		{
			name:      "exits before ready",
			spec:      func() Spec { return helperSpec("s", "exit") },
			wantErr:   errExited,
			wantInErr: "exit code 3",
			wantTail:  "boom: bad config",
			wantPID:   true,
		},
		{
			name: "not ready in time",
			spec: func() Spec {
				s := helperSpec("s", "never-ready")
				s.StartTimeout = 500 * time.Millisecond
				return s
			},
			wantErr:   errNotReady,
			wantInErr: "503",
			wantTail:  "starting forever",
			wantPID:   true,
		},
		{
			name: "context done",
			spec: func() Spec { return helperSpec("s", "never-ready") },
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 500*time.Millisecond)
			},
			wantErr:  context.DeadlineExceeded,
			wantTail: "starting forever",
			wantPID:  true,
		},
		{
			name: "command not found",
			spec: func() Spec {
				s := helperSpec("s", "serve")
				s.Command = []string{filepath.Join(t.TempDir(), "no-such-binary")}
				return s
			},
			wantErr: os.ErrNotExist,
		},
		{
			name: "unknown placeholder",
			spec: func() Spec {
				s := helperSpec("s", "serve")
				s.Command = append(s.Command, "${nope}")
				return s
			},
			wantInErr: "command[1]: unknown placeholder ${nope}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			var rec recorder
			p, err := Start(ctx, tt.spec(), rec.emit)
			if err == nil {
				p.Stop(context.Background())
				t.Fatal("Start() succeeded; want an error")
			}
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("Start() error = %T %v; want *StartError", err, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Start() error = %v; want errors.Is %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), tt.wantTail) {
				t.Errorf("Start() error = %q; want it to contain %q and the tail %q", err, tt.wantInErr, tt.wantTail)
			}
			if !strings.Contains(se.OutputTail, tt.wantTail) {
				t.Errorf("StartError.OutputTail = %q; want it to contain %q", se.OutputTail, tt.wantTail)
			}

			events := rec.all("s")
			wantKinds := []string{EventFailed}
			if tt.wantPID {
				wantKinds = []string{EventStarted, EventFailed}
			}
			if diff := cmp.Diff(wantKinds, rec.kinds("s")); diff != "" {
				t.Fatalf("event kinds (-want +got):\n%s", diff)
			}
			failed := events[len(events)-1]
			if failed.Message == "" || failed.OutputTail != se.OutputTail {
				t.Errorf("failed event = %+v; want the error message and the output tail", failed)
			}
			if tt.wantPID {
				assertGone(t, events[0].PID)
			}
		})
	}
}

func TestUnexpectedExitReportedOnce(t *testing.T) {
	t.Parallel()
	var rec recorder
	p, err := Start(context.Background(), helperSpec("api", "serve"), rec.emit)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	resp, err := http.Get(p.URL() + "/crash")
	if err == nil {
		resp.Body.Close()
	}
	select {
	case <-p.Exited():
	case <-time.After(30 * time.Second):
		t.Fatal("Exited() not closed 30s after /crash")
	}
	exited := rec.waitFor(t, "api", EventExited)
	if !exited.Unexpected || exited.ExitCode != 7 || exited.Signal != "" {
		t.Errorf("exited event = %+v; want Unexpected, exit code 7", exited)
	}
	if !strings.Contains(exited.OutputTail, "crashing now") {
		t.Errorf("exited OutputTail = %q; want it to contain %q", exited.OutputTail, "crashing now")
	}
	for range 2 {
		if err := p.Stop(context.Background()); err != nil {
			t.Errorf("Stop() after crash = %v; want nil", err)
		}
	}
	if diff := cmp.Diff([]string{EventStarted, EventReady, EventExited}, rec.kinds("api")); diff != "" {
		t.Errorf("event kinds (-want +got):\n%s", diff)
	}
}

func TestStopEscalation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ignoreTerm bool
		stopCtx    func() (context.Context, context.CancelFunc)
		wantCode   int
		wantSignal string
	}{
		{name: "SIGTERM honoured", wantCode: 0},
		{name: "SIGTERM ignored", ignoreTerm: true, wantCode: -1, wantSignal: "killed"},
		{
			name: "ctx done cuts the grace", ignoreTerm: true, wantCode: -1, wantSignal: "killed",
			stopCtx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := helperSpec("svc", "serve")
			switch {
			case tt.stopCtx != nil:
				spec.StopTimeout = time.Hour // only ctx can end the grace
			case tt.ignoreTerm:
				spec.StopTimeout = 300 * time.Millisecond
			default:
				spec.StopTimeout = time.Minute // a loaded machine may be slow to exit
			}
			if tt.ignoreTerm {
				spec.Env["HELPER_IGNORE_TERM"] = "1"
			}
			var rec recorder
			p, err := Start(context.Background(), spec, rec.emit)
			if err != nil {
				t.Fatalf("Start() error = %v", err)
			}
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.stopCtx != nil {
				ctx, cancel = tt.stopCtx()
			}
			defer cancel()
			if err := p.Stop(ctx); err != nil {
				t.Fatalf("Stop() error = %v", err)
			}
			stopped := rec.waitFor(t, "svc", EventStopped)
			if stopped.ExitCode != tt.wantCode || stopped.Signal != tt.wantSignal {
				t.Errorf("stopped event = %+v; want exit code %d, signal %q", stopped, tt.wantCode, tt.wantSignal)
			}
			assertGone(t, p.PID())
		})
	}
}

func TestStopIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	var rec recorder
	p, err := Start(context.Background(), helperSpec("api", "serve"), rec.emit)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = p.Stop(context.Background()) })
	}
	wg.Wait()
	errs = append(errs, p.Stop(context.Background()))
	for i, err := range errs {
		if err != nil {
			t.Errorf("Stop() #%d = %v; want nil", i, err)
		}
	}
	if diff := cmp.Diff([]string{EventStarted, EventReady, EventStopped}, rec.kinds("api")); diff != "" {
		t.Errorf("event kinds (-want +got):\n%s", diff)
	}
}

func TestLogPathTeesOutput(t *testing.T) {
	t.Parallel()
	spec := helperSpec("api", "serve")
	spec.LogPath = filepath.Join(t.TempDir(), "logs", "api.log")
	p, err := Start(context.Background(), spec, nil)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatalf("Stop() error = %v", err)
	}
	b, err := os.ReadFile(spec.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"helper serving on " + p.Addr(), "got SIGTERM"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log file = %q; want it to contain %q", b, want)
		}
	}
}

func TestStartFixedPort(t *testing.T) {
	t.Parallel()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	spec := helperSpec("api", "serve")
	spec.Port = port
	p, err := Start(context.Background(), spec, nil)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	stopOnCleanup(t, p)
	if want := "127.0.0.1:" + strconv.Itoa(port); p.Addr() != want {
		t.Errorf("Addr() = %q; want %q", p.Addr(), want)
	}
}

// TestFreePort checks that the ports FreePort hands out can be bound, are never the same
// twice among many calls, and lie below the kernel's ephemeral range where it is known,
// so outgoing connections cannot take them before the service binds.
func TestFreePort(t *testing.T) {
	t.Parallel()
	lo, hi := belowEphemeral()
	seen := map[int]bool{}
	for range 200 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
		if hi > lo && (port < lo || port >= hi) {
			t.Errorf("port %d outside [%d, %d), below the ephemeral range", port, lo, hi)
		}
	}
	port, _ := FreePort()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("port %d from FreePort cannot be bound: %v", port, err)
	}
	ln.Close()
}
