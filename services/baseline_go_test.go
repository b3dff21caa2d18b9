package services

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealGoBaseline builds baselines/go and runs it the way the engine will: resolved by
// ResolveBaseline, started, probed and stopped. Not parallel: it sets GAUNTLET_BASELINE_DIR.
func TestRealGoBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Go baseline")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	dir := t.TempDir()
	build := exec.Command(goTool, "build", "-o", filepath.Join(dir, "baseline-go"), "../baselines/go")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make builds it; the -race step runs with cgo on
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv(BaselineDirEnv, dir)
	command, err := ResolveBaseline("go", "micro")
	if err != nil {
		t.Fatalf("ResolveBaseline() error = %v", err)
	}

	var rec recorder
	p, err := Start(context.Background(), Spec{Name: "micro", Command: command}, rec.emit)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	stopOnCleanup(t, p)
	if code, body := get(t, p.URL()+"/ping"); code != 200 || body != "pong" {
		t.Errorf("GET /ping = %d %q; want 200 pong", code, body)
	}
	if _, body := get(t, p.URL()+"/metrics"); !strings.Contains(body, `gauntlet_http_requests_total{route="/ping",code="200"} 1`) {
		t.Errorf("/metrics does not count the /ping:\n%s", body)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatalf("Stop() error = %v", err)
	}
	stopped := rec.waitFor(t, "micro", EventStopped)
	if stopped.ExitCode != 0 || stopped.Signal != "" {
		t.Errorf("stopped event = %+v; want a clean exit 0", stopped)
	}
	for _, want := range []string{"baseline-go micro listening on " + p.Addr(), "baseline-go micro shut down"} {
		if !strings.Contains(p.OutputTail(), want) {
			t.Errorf("OutputTail() = %q; want it to contain %q", p.OutputTail(), want)
		}
	}
}
