package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/metrics"
)

// SIGINT then, 1.5 s later, SIGTERM — what CI runners send when a job is
// cancelled — to a run whose service ignores SIGTERM and is paused by a
// fault: gauntlet still reverts the fault, kills the service without waiting
// out its minute of stop_timeout, ends the record and writes the report.
func TestSecondSignalEscalatesButCleansUp(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 for a service that ignores SIGTERM")
	}
	dir := t.TempDir()
	path := writeFile(t, "stubborn.yaml", `name: stubborn
services:
  api:
    command: [sh, -c, "trap '' TERM; exec python3 -m http.server --bind 127.0.0.1 ${port}"]
    ready: "http://${addr}/"
    start_timeout: 60s
    stop_timeout: 60s
load:
  stages:
    - {for: 60s, rate: 20}
  timeout: 1s
requests:
  - {name: index, url: "${api}/"}
faults:
  - {name: freeze, at: 1s, for: 50s, pause: {service: api}}
`)
	cmd := exec.Command(filepath.Join(binDir, "gauntlet"), "run", path, "--out", dir, "--output", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the fault is in effect: the state file lists it.
	journal := filepath.Join(dir, engine.JournalName)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if entries, _ := chaos.ReadJournal(journal); len(entries) > 0 && len(entries[0].Paused) > 0 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("the pause was never injected\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	sent := time.Now()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(45 * time.Second):
		_ = cmd.Process.Kill()
		<-waited
		t.Fatalf("gauntlet still running 45 s after the second signal: it waits out the stop timeout\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d (%v); want %d\n%s", code, cmd.ProcessState, exitInterrupted, stderr.String())
	}
	t.Logf("exited %s after the second signal", time.Since(sent).Round(time.Millisecond))
	rec, err := metrics.ReadFile(filepath.Join(dir, engine.RecordName))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Trailer == nil || rec.Trailer.Status != metrics.StatusInterrupted {
		t.Errorf("trailer %+v; want the record ended, interrupted", rec.Trailer)
	}
	var reverted bool
	var pid int
	for _, run := range rec.Runs {
		for _, f := range run.Faults {
			reverted = reverted || (f.Name == "freeze" && f.Event == "reverted")
		}
		for _, ev := range run.Services {
			if ev.PID != 0 {
				pid = ev.PID
			}
		}
	}
	if !reverted {
		t.Error("the record has no revert of the pause")
	}
	if _, err := os.Stat(journal); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err != nil {
		t.Errorf("no report: %v", err)
	}
	if pid == 0 {
		t.Fatal("no service pid in the record")
	}
	if s := chaos.ProcState(pid); s != 0 && s != 'Z' {
		t.Errorf("service pid %d still there in state %q after gauntlet exited", pid, s)
	}
	if !strings.Contains(stderr.String(), "killing the services now") {
		t.Errorf("stderr does not say the second signal escalated:\n%s", stderr.String())
	}
}
