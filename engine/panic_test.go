package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// panicKind is a fault kind whose injection panics, as a bug in a fault
// would, on the fault timeline's goroutine.
const panicKind = "test_panic"

type panicFault struct{}

func (panicFault) Inject(context.Context) error { panic("planted in a fault") }
func (panicFault) Revert(context.Context) error { return nil }

func init() {
	chaos.Register(panicKind, func(chaos.Env, func(any) error) (chaos.Fault, error) { return panicFault{}, nil })
}

// panicLog panics when a line containing trigger is written to it: the
// goroutine that logs such a line panics.
type panicLog struct{ trigger string }

func (l panicLog) Write(p []byte) (int, error) {
	if strings.Contains(string(p), l.trigger) {
		panic("planted in a log write: " + strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

const panicScenario = `name: panic
services:
  api:
    command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, --directory, "${DIR}", "${port}"]
    ready: "http://${addr}/metrics"
load:
  stages:
    - {for: 20s, rate: 20}
  timeout: 1s
requests:
  - {name: root, url: "${api}/metrics"}
faults:
  - {name: slow, at: 200ms, for: 15s, latency: {service: api, delay: 1ms}}
  - {name: boom, at: 1500ms, for: 1s, latency: {service: api, delay: 1ms}}
`

// TestPanicStopsTheRunAndCleansUp panics in each long-lived goroutine of a
// run with a fault in effect and a service started: the run fails with the
// panic instead of killing the process, after reverting the fault, stopping
// the service and completing the record. (A worker's panic comes back from
// the runner: see the runners tests.)
func TestPanicStopsTheRunAndCleansUp(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 to serve as a managed service")
	}
	tests := []struct {
		where string
		setup func(opt *Options, spec *scenarios.Spec, dir string)
	}{
		{"recorder", func(opt *Options, spec *scenarios.Spec, dir string) {
			opt.OnLoad = func(string, time.Duration) func(metrics.Live) {
				return func(l metrics.Live) {
					if l.Elapsed >= time.Second {
						panic("planted in the recorder")
					}
				}
			}
		}},
		{"fault timeline", func(opt *Options, spec *scenarios.Spec, dir string) {
			spec.Faults[1].Kind = panicKind
		}},
		{"probes", func(opt *Options, spec *scenarios.Spec, dir string) {
			// The service's /metrics goes missing a second into the load,
			// with the faults in: the next scrape fails, and logging that
			// panics.
			opt.Log = panicLog{trigger: ": probe "}
			opt.OnLoad = func(string, time.Duration) func(metrics.Live) {
				return func(l metrics.Live) {
					if l.Elapsed >= time.Second {
						os.Remove(filepath.Join(dir, "metrics"))
					}
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "metrics"), []byte("go_goroutines 1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "panic.yaml")
			if err := os.WriteFile(file, []byte(strings.ReplaceAll(panicScenario, "${DIR}", dir)), 0o644); err != nil {
				t.Fatal(err)
			}
			spec, err := scenarios.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{OutDir: filepath.Join(dir, "out")}
			tt.setup(&opt, spec, dir)
			var ran atomic.Bool
			time.AfterFunc(30*time.Second, func() {
				if !ran.Load() {
					t.Errorf("the run is still going 30 s in; want the panic to have stopped it")
				}
			})
			path, err := Run(context.Background(), spec, opt)
			ran.Store(true)
			var pe *runners.PanicError
			if !errors.As(err, &pe) || pe.Where != tt.where {
				t.Fatalf("Run() = %v; want a panic in the %s", err, tt.where)
			}
			rec, err := metrics.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Truncated || rec.Trailer == nil || rec.Trailer.Status != metrics.StatusFailed {
				t.Errorf("record truncated=%v trailer=%+v; want a complete record ending failed", rec.Truncated, rec.Trailer)
			}
			run := rec.Runs[0]
			if run.End == nil || run.End.Status != metrics.StatusFailed || !strings.Contains(run.End.Error, "panic in the "+tt.where) {
				t.Errorf("run end %+v; want failed with the panic", run.End)
			}
			var events []string
			for _, f := range run.Faults {
				if f.Name == "slow" {
					events = append(events, f.Event)
				}
			}
			if len(events) != 2 || events[0] != "injected" || events[1] != "reverted" {
				t.Errorf("fault slow events %v; want injected, reverted", events)
			}
			if _, err := os.Stat(filepath.Join(opt.OutDir, JournalName)); !os.IsNotExist(err) {
				t.Errorf("fault journal left behind: %v", err)
			}
			var pid int
			var stopped bool
			for _, ev := range run.Services {
				if ev.Kind == "ready" {
					pid = ev.PID
				}
				stopped = stopped || ev.Kind == "stopped"
			}
			if !stopped || pid == 0 || syscall.Kill(pid, 0) == nil {
				t.Errorf("service pid %d, stopped event %v; want it stopped and gone", pid, stopped)
			}
		})
	}
}
