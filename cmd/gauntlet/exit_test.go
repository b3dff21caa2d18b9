package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/metrics"
)

// TestSignalsLeaveNothingBehind stops a run with faults in effect by
// SIGINT, SIGTERM, and SIGINT then SIGTERM 1.5 s later (what a CI runner
// sends on cancel): each time the faults are reverted, the service stopped,
// the record complete and the exit code the first signal's.
func TestSignalsLeaveNothingBehind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		sigs  []os.Signal
		codes []int // accepted exit codes
	}{
		{"SIGINT", []os.Signal{syscall.SIGINT}, []int{exitInterrupted}},
		{"SIGTERM", []os.Signal{syscall.SIGTERM}, []int{exitTerminated}},
		{"SIGINT then SIGTERM", []os.Signal{syscall.SIGINT, syscall.SIGTERM}, []int{exitInterrupted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "signal.yaml", fmt.Sprintf(chaosScenario, "60s", 50, `
  - {name: slow, at: 500ms, for: 50s, latency: {service: api, delay: 5ms}}
  - {name: freeze, at: 1s, for: 50s, pause: {service: api}}`))
			cmd, dir, stderr := runBackground(t, path, "freeze")
			pid := servicePID(t, dir)
			for i, sig := range tt.sigs {
				if i > 0 {
					time.Sleep(1500 * time.Millisecond)
				}
				cmd.Process.Signal(sig)
			}
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); !containsInt(tt.codes, code) {
				t.Errorf("exit %d; want one of %v\n%s", code, tt.codes, stderr.String())
			}
			leftNothing(t, dir, pid, metrics.StatusInterrupted, "slow", "freeze")
		})
	}
}

// TestFailedRevertExits4 kills a service that cannot start again: the
// kill's revert (restarting it) fails, and the run says so with exit 4
// after writing a complete record.
func TestFailedRevertExits4(t *testing.T) {
	t.Parallel()
	mark := filepath.Join(t.TempDir(), "started")
	path := writeFile(t, "revert.yaml", fmt.Sprintf(`name: revert
services:
  api:
    command: [sh, -c, 'test -e %s && exit 1; touch %s; exec %s --role micro --addr "${addr}"']
    ready: "http://${addr}/healthz"
load:
  stages:
    - {for: 3s, rate: 20}
  timeout: 1s
requests:
  - {name: ping, url: "${api}/ping"}
faults:
  - {name: boom, at: 1s, kill: {service: api}}
`, mark, mark, filepath.Join(binDir, "baseline-go")))
	dir := t.TempDir()
	if code, _, stderr := gauntletExec(t, "run", path, "--out", dir, "--output", "json"); code != exitRevert {
		t.Fatalf("exit %d; want %d\n%s", code, exitRevert, stderr)
	}
	rec, err := metrics.ReadFile(filepath.Join(dir, engine.RecordName))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Truncated || rec.Trailer == nil {
		t.Fatalf("record truncated=%v trailer=%+v; want a complete record", rec.Truncated, rec.Trailer)
	}
	var failed bool
	for _, f := range rec.Runs[0].Faults {
		failed = failed || f.Name == "boom" && f.Event == "revert_failed"
	}
	if !failed {
		t.Errorf("fault events %+v; want boom revert_failed", rec.Runs[0].Faults)
	}
}

// leftNothing checks what a run stopped early must leave: a complete record
// ending with status, each named fault reverted, no fault journal, and the
// service it started stopped.
func leftNothing(t *testing.T, dir string, pid int, status string, faults ...string) {
	t.Helper()
	rec, err := metrics.ReadFile(filepath.Join(dir, engine.RecordName))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Truncated || rec.Trailer == nil || rec.Trailer.Status != status {
		t.Errorf("record truncated=%v trailer=%+v; want a complete record ending %s", rec.Truncated, rec.Trailer, status)
	}
	run := rec.Runs[0]
	if run.End == nil {
		t.Errorf("record has no run_end")
	}
	events := map[string][]string{}
	for _, f := range run.Faults {
		events[f.Name] = append(events[f.Name], f.Event)
	}
	for _, name := range faults {
		if ev := events[name]; len(ev) != 2 || ev[0] != "injected" || ev[1] != "reverted" {
			t.Errorf("fault %s events %v; want injected, reverted", name, ev)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, engine.JournalName)); !os.IsNotExist(err) {
		t.Errorf("fault journal left behind: %v", err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("service pid %d (state %q) still runs after gauntlet exited", pid, procState(pid))
	}
	var stopped bool
	for _, ev := range run.Services {
		stopped = stopped || ev.Kind == "stopped"
	}
	if !stopped {
		t.Errorf("record has no stopped event for the service")
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
