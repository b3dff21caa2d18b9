package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
)

// shutdownScenario terminates the Go micro baseline in the middle of 500 req/s of 400 ms
// requests (about 200 in flight at any time: long enough that a service without draining
// still has most of them when, on a busy machine, it gets round to closing). %s is its drain
// timeout.
const shutdownScenario = `name: shutdown
services:
  api: {baseline: micro, env: {DRAIN_TIMEOUT: "%s"}}
load:
  stages:
    - {for: 4s, rate: 500}
  timeout: 3s
requests:
  - {url: "${api}/sleep?ms=400"}
faults:
  - {name: stop, at: 2s, terminate: {service: api}}
thresholds:
  - shutdown_failed == 0
  - shutdown_ms < 5s
`

// TestShutdownUnderLoad sends SIGTERM to a service under load, once draining (the
// baseline's default) and once with draining turned off: the first loses no request in
// flight and passes, the second's losses are counted and fail the threshold (exit 3).
func TestShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		drain     string
		wantCode  int
		wantLoss  bool
		wantCheck string
	}{
		{"10s", exitOK, false, "✓ shutdown_failed == 0: 0"},
		{"0s", exitThresholds, true, "✗ shutdown_failed == 0"},
	}
	for _, tt := range tests {
		t.Run("drain="+tt.drain, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "shutdown.yaml", fmt.Sprintf(shutdownScenario, tt.drain))
			// The binary, not the CLI in-process: a -race generator in a busy test process
			// can stamp a request's send before the signal and write it milliseconds later,
			// after the service closed its connections, and blame the service for its loss.
			code, out, stderr := gauntletExec(t, "run", path, "--output", "json", "--out", t.TempDir())
			if code != tt.wantCode {
				t.Fatalf("exit %d; want %d\n%s\n%s", code, tt.wantCode, stderr, out)
			}
			sum := decodeSummary(t, out)
			r := sum.Runs[0]
			if len(r.Faults) != 1 || r.Faults[0].Shutdown == nil {
				t.Fatalf("faults = %+v; want the terminate fault with shutdown figures", r.Faults)
			}
			sd := r.Faults[0].Shutdown
			// An independent count: every request sent before the signal that ended after it
			// is one of the run's requests, and the failed ones are among its errors.
			if sd.InFlight < 1 || sd.InFlight > r.Requests || sd.Failed > r.Errors {
				t.Errorf("in flight %d, failed %d; want 1..%d in flight and at most the run's %d errors", sd.InFlight, sd.Failed, r.Requests, r.Errors)
			}
			if lost := sd.Failed > 0; lost != tt.wantLoss {
				t.Errorf("drain %s: %d of %d requests in flight at SIGTERM failed (%v); want losses %v", tt.drain, sd.Failed, sd.InFlight, sd.FailedByClass, tt.wantLoss)
			}
			if sd.ExitCode == nil || *sd.ExitCode != 0 || sd.ExitMs == nil || *sd.ExitMs <= 0 || *sd.ExitMs > 5000 {
				t.Errorf("exit %s; want code 0 within 5 s", exitText(sd))
			}
			_, text, _ := gauntlet(t, "report", sum.Record, "-o", t.TempDir()+"/report.html")
			if !strings.Contains(text, tt.wantCheck) || !strings.Contains(text, "requests in flight at SIGTERM") {
				t.Errorf("summary lacks %q or the shutdown line:\n%s", tt.wantCheck, text)
			}
		})
	}
}

func exitText(sd *metrics.ShutdownImpact) string {
	if sd.ExitCode == nil || sd.ExitMs == nil {
		return "not seen"
	}
	return fmt.Sprintf("code %d (signal %q) after %.1f ms", *sd.ExitCode, sd.ExitSignal, *sd.ExitMs)
}
