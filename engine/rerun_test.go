package engine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

const rerunScenario = `name: rerun
services:
  api: {url: "${URL}"}
load:
  stages:
    - {for: 300ms, rate: 20}
requests:
  - {name: ping, url: "${api}/"}
`

// A run into a folder where a SIGKILLed run left a paused service first
// resumes it, and never writes over another run's record.
func TestRunRecoversLeftoversAndKeepsRecords(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	spec, err := scenarios.Parse("rerun.yaml", []byte(strings.ReplaceAll(rerunScenario, "${URL}", srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	// What a SIGKILLed run leaves: a service it started, stopped, in its state file.
	svc := exec.Command("sleep", "60")
	svc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	svc.Env = append(os.Environ(), chaos.Marker())
	if err := svc.Start(); err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-svc.Process.Pid, syscall.SIGKILL); _ = svc.Wait() })
	if err := syscall.Kill(-svc.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitProc(t, svc.Process.Pid, 'T')
	proc, err := chaos.Identify(svc.Process.Pid, true, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	j, err := chaos.OpenJournal(filepath.Join(dir, JournalName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Add(chaos.Entry{Kind: "pause", Service: "api", Paused: []chaos.Proc{proc}}); err != nil {
		t.Fatal(err)
	}

	var log syncLog
	if _, err := Run(context.Background(), spec, Options{OutDir: dir, Log: &log}); err != nil {
		t.Fatalf("Run into the folder of a killed run = %v", err)
	}
	waitProc(t, svc.Process.Pid, 'S')
	if _, err := os.Stat(filepath.Join(dir, JournalName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file after the rerun: %v; want it recovered and removed", err)
	}
	if !strings.Contains(log.String(), "sent SIGCONT") {
		t.Errorf("log = %q; want the recovery reported", log.String())
	}

	before, _ := os.ReadFile(filepath.Join(dir, RecordName))
	if _, err := Run(context.Background(), spec, Options{OutDir: dir}); !errors.Is(err, metrics.ErrRecordExists) {
		t.Errorf("second Run into the same folder = %v; want ErrRecordExists", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, RecordName)); string(after) != string(before) || len(before) == 0 {
		t.Error("the first run's record was changed")
	}
}

func waitProc(t *testing.T, pid int, want byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for chaos.ProcState(pid) != want {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d in state %q; want %q", pid, chaos.ProcState(pid), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
