package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/chaos/chaostest"
)

// up and down observe a helper service from outside.
func serviceUp(s *Service) func() error {
	return func() error { return answers("http://"+s.Addr()+"/healthz", 2*time.Second) }
}

func serviceDown(s *Service) func() error {
	return func() error { return silent("http://"+s.Addr()+"/healthz", 300*time.Millisecond) }
}

func TestProcessFaultsConform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, params string
		probe        func(s *Service, firstPID int) chaostest.Probe
	}{
		{"kill", "{service: svc}", func(s *Service, _ int) chaostest.Probe {
			return chaostest.Probe{InEffect: serviceDown(s), Reverted: serviceUp(s)}
		}},
		{"pause", "{service: svc}", func(s *Service, _ int) chaostest.Probe {
			return chaostest.Probe{
				InEffect: func() error {
					if st := chaos.ProcState(s.PID()); st != 'T' {
						return fmt.Errorf("pid %d in state %q; want T (stopped)", s.PID(), st)
					}
					return serviceDown(s)() // it really stops answering
				},
				Reverted: serviceUp(s),
			}
		}},
		{"terminate", "{service: svc, grace: 5s}", func(s *Service, _ int) chaostest.Probe {
			return chaostest.Probe{InEffect: serviceDown(s), Reverted: serviceUp(s)}
		}},
		{"restart", "{service: svc}", func(s *Service, first int) chaostest.Probe {
			return chaostest.Probe{
				InEffect: func() error {
					if s.PID() == first {
						return fmt.Errorf("pid still %d", first)
					}
					return serviceUp(s)()
				},
				Reverted: serviceUp(s),
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			s := startHelper(t, "svc")
			j, err := chaos.OpenJournal(filepath.Join(t.TempDir(), "faults.state.json"))
			if err != nil {
				t.Fatal(err)
			}
			e := env(j, nil, s)
			chaostest.Run(t, func(t *testing.T) (chaos.Fault, chaostest.Probe) {
				return chaostest.MustNew(t, tt.kind, e, tt.params), tt.probe(s, s.PID())
			})
			if left := j.Entries(); len(left) != 0 {
				t.Errorf("journal entries left after every revert: %+v", left)
			}
		})
	}
}

// TestKillRestartAfter: the service comes back by itself after restart_after.
func TestKillRestartAfter(t *testing.T) {
	t.Parallel()
	s := startHelper(t, "svc")
	first := s.PID()
	f := chaostest.MustNew(t, "kill", env(nil, nil, s), "{service: svc, restart_after: 300ms}")
	if err := f.Inject(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := serviceDown(s)(); err != nil {
		t.Errorf("right after kill: %v", err)
	}
	if err := chaostest.Eventually(20*time.Second, serviceUp(s)); err != nil {
		t.Fatalf("not back after restart_after: %v", err)
	}
	if s.PID() == first {
		t.Errorf("pid is still %d after kill and restart", first)
	}
	if err := f.Revert(context.Background()); err != nil {
		t.Errorf("Revert = %v", err)
	}
	if err := serviceUp(s)(); err != nil {
		t.Errorf("after Revert: %v", err)
	}
}

// TestProcessFactoryErrors: process kinds need a service gauntlet started.
func TestProcessFactoryErrors(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"kill", "pause", "terminate", "restart"} {
		_, err := chaos.New(kind, env(nil, nil), chaostest.Params("{service: ghost}"))
		if err == nil || !strings.Contains(err.Error(), "did not start") {
			t.Errorf("New(%s) on an unknown service = %v", kind, err)
		}
	}
	if _, err := chaos.New("kill", env(nil, nil), chaostest.Params("{service: x, restart_after: 5}")); err == nil {
		t.Error("restart_after without a unit decoded")
	}
}

func TestStressFaultsConform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, params string
		inEffect     func(pid int) error
	}{
		{"cpu_stress", "{workers: 1, load: 30}", func(pid int) error {
			a, err := cpuTicks(pid)
			if err != nil {
				return err
			}
			time.Sleep(300 * time.Millisecond)
			b, err := cpuTicks(pid)
			if err != nil {
				return err
			}
			if b <= a {
				return fmt.Errorf("stress child %d used no CPU in 300ms", pid)
			}
			return nil
		}},
		{"memory_stress", "{bytes: 64MiB}", func(pid int) error {
			rss, err := rssBytes(pid)
			if err != nil {
				return err
			}
			if rss < 60<<20 {
				return fmt.Errorf("stress child %d resident %d bytes; want >= 60 MiB", pid, rss)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			j, err := chaos.OpenJournal(filepath.Join(t.TempDir(), "faults.state.json"))
			if err != nil {
				t.Fatal(err)
			}
			chaostest.Run(t, func(t *testing.T) (chaos.Fault, chaostest.Probe) {
				f := chaostest.MustNew(t, tt.kind, env(j, nil), tt.params).(*stress)
				var last int
				return f, chaostest.Probe{
					InEffect: func() error {
						if last = f.PID(); last == 0 {
							return fmt.Errorf("no stress child")
						}
						return tt.inEffect(last)
					},
					Reverted: func() error {
						if last != 0 && chaos.ProcState(last) != 0 {
							return fmt.Errorf("stress child %d still exists", last)
						}
						return nil
					},
				}
			})
			if left := j.Entries(); len(left) != 0 {
				t.Errorf("journal entries left: %+v", left)
			}
		})
	}
}

func cpuTicks(pid int) (int, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime, nil
}

func rssBytes(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

func TestStressMainArgs(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"disk"}, {"cpu", "--load", "0"}, {"cpu", "--workers", "x"}, {"memory", "--bytes", "-5"}, {"memory"}} {
		if err := StressMain(t.Context(), args, &strings.Builder{}); err == nil {
			t.Errorf("StressMain(%q) = nil; want an error", args)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var out strings.Builder
	if err := StressMain(ctx, []string{"cpu", "--workers", "1", "--load", "10"}, &out); err != nil || !strings.Contains(out.String(), stressReady) {
		t.Errorf("StressMain(cpu) = %v, printed %q", err, out.String())
	}
}

func TestCgroupLimitsConform(t *testing.T) {
	t.Parallel()
	// The limit, as each cgroup version writes it: 0.5 cores is a quota of
	// half the 100 ms period.
	for _, tt := range []struct {
		kind, controller, params string
		files                    map[int][2]string // version: file, content
	}{
		{"cpu_limit", "cpu", "{service: svc, cores: 0.5}",
			map[int][2]string{1: {"cpu.cfs_quota_us", "50000"}, 2: {"cpu.max", "50000 100000"}}},
		{"memory_limit", "memory", "{service: svc, bytes: 512MiB}",
			map[int][2]string{1: {"memory.limit_in_bytes", strconv.Itoa(512 << 20)}, 2: {"memory.max", strconv.Itoa(512 << 20)}}},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			h, err := findCgroup(tt.controller)
			if err != nil {
				t.Skipf("cgroup limits unavailable here: %v", err)
			}
			s := startHelper(t, "svc")
			inCgroup := func() error {
				dir, err := cgroupDir(tt.controller, s.PID())
				if err != nil {
					return err
				}
				if !strings.Contains(filepath.Base(dir), "gauntlet-"+tt.kind) {
					return fmt.Errorf("pid %d is in %s", s.PID(), dir)
				}
				file, want := tt.files[h.Version][0], tt.files[h.Version][1]
				got, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					return fmt.Errorf("cgroup v%d limit: %w", h.Version, err)
				}
				if strings.TrimSpace(string(got)) != want {
					return fmt.Errorf("%s = %s; want %s", file, got, want)
				}
				return nil
			}
			chaostest.Run(t, func(t *testing.T) (chaos.Fault, chaostest.Probe) {
				return chaostest.MustNew(t, tt.kind, env(nil, nil, s), tt.params), chaostest.Probe{
					InEffect: inCgroup,
					Reverted: func() error {
						if inCgroup() == nil {
							return fmt.Errorf("still limited")
						}
						return serviceUp(s)()
					},
				}
			})
		})
	}
}

// TestRecoverAfterCrash simulates a SIGKILLed gauntlet: faults are injected with a
// journal and never reverted; Recover, reading only the file, resumes the paused service
// and kills the stress child.
func TestRecoverAfterCrash(t *testing.T) {
	t.Parallel()
	s := startHelper(t, "svc")
	srv := upstream(t)
	p := newProxy(t, srv, HTTP)
	path := filepath.Join(t.TempDir(), "out", "run-1", "faults.state.json")
	j, err := chaos.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	e := env(j, []*Proxy{p}, s)
	pause := chaostest.MustNew(t, "pause", e, "{service: svc}")
	stress := chaostest.MustNew(t, "cpu_stress", e, "{workers: 1, load: 10}").(*stress)
	latency := chaostest.MustNew(t, "latency", e, "{service: api, delay: 10ms}")
	for _, f := range []chaos.Fault{pause, stress, latency} {
		if err := f.Inject(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	stressPID := stress.PID()
	if err := serviceDown(s)(); err != nil {
		t.Fatalf("paused service: %v", err)
	}
	// The crash: nothing is reverted. A new gauntlet knows only the path.
	report, err := chaos.Recover(path)
	if err != nil {
		t.Fatalf("Recover = %v\n%s", err, strings.Join(report, "\n"))
	}
	t.Logf("Recover report:\n%s", strings.Join(report, "\n"))
	text := strings.Join(report, "\n")
	for _, want := range []string{"pause on svc: sent SIGCONT", "cpu_stress: killed stress child", "died with it"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if err := chaostest.Eventually(10*time.Second, serviceUp(s)); err != nil {
		t.Errorf("service after Recover: %v", err)
	}
	if err := chaostest.Eventually(10*time.Second, func() error {
		if chaos.ProcState(stressPID) != 0 {
			return fmt.Errorf("stress child %d still exists", stressPID)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	// The run's own reverts still succeed afterwards (they find nothing to do).
	for _, f := range []chaos.Fault{pause, stress, latency} {
		if err := f.Revert(context.Background()); err != nil {
			t.Errorf("Revert after Recover = %v", err)
		}
	}
}
