package chaos

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type nopFault struct{}

func (nopFault) Inject(context.Context) error { return nil }
func (nopFault) Revert(context.Context) error { return nil }

var (
	registerOnce sync.Once
	gotEnv       Env
)

func TestRegistry(t *testing.T) {
	registerOnce.Do(func() { // -count=N runs the test N times in one process
		Register("test_nop", func(env Env, decode func(any) error) (Fault, error) {
			gotEnv = env
			var v struct{ Service string }
			return nopFault{}, decode(&v)
		})
	})
	if !slices.Contains(Kinds(), "test_nop") {
		t.Errorf("Kinds() = %v; want it to contain test_nop", Kinds())
	}
	env := &StaticEnv{}
	if _, err := New("test_nop", env, func(any) error { return nil }); err != nil || gotEnv != env {
		t.Errorf("New(test_nop) = %v (env %v)", err, gotEnv)
	}
	decodeErr := errors.New("3:5: unknown field")
	if _, err := New("test_nop", env, func(any) error { return decodeErr }); !errors.Is(err, decodeErr) {
		t.Errorf("New with a failing decode = %v; want the decode error", err)
	}
	if _, err := New("no_such_kind", env, nil); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("New(no_such_kind) = %v; want ErrUnknownKind", err)
	}
	for name, f := range map[string]func(){
		"duplicate":  func() { Register("test_nop", func(Env, func(any) error) (Fault, error) { return nil, nil }) },
		"nil":        func() { Register("test_nil", nil) },
		"empty kind": func() { Register("", func(Env, func(any) error) (Fault, error) { return nil, nil }) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestByteSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]ByteSize{
		"1048576": 1 << 20, "64MiB": 64 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30,
		"10MB": 10e6, "1.5KiB": 1536, "2k": 2048, "100B": 100,
	} {
		var b ByteSize
		if err := b.UnmarshalText([]byte(in)); err != nil || b != want {
			t.Errorf("UnmarshalText(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5", "lots", "1TiB2"} {
		var b ByteSize
		if err := b.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("UnmarshalText(%q) = %d, nil; want an error", in, b)
		}
	}
}

func TestJournal(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run", "faults.state.json")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := j.Add(Entry{Kind: "latency", Service: "api", Proxy: "api"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := j.Add(Entry{Kind: "pause", Service: "db", Paused: []Proc{{PID: 12, StartTicks: 34, Group: true}}})
	if err := j.Update(b, func(e *Entry) { e.Stress = append(e.Stress, Proc{PID: 99}) }); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournal(path)
	if err != nil || len(got) != 2 || got[0].ID != a || got[1].Paused[0].StartTicks != 34 || got[1].Stress[0].PID != 99 {
		t.Fatalf("ReadJournal = %+v, %v", got, err)
	}
	if err := j.Remove(a); err != nil {
		t.Fatal(err)
	}
	if err := j.Remove(a); err != nil {
		t.Errorf("second Remove = %v; want nil", err)
	}
	got, _ = ReadJournal(path)
	if len(got) != 1 || got[0].ID != b {
		t.Errorf("after Remove: %+v; want only %s", got, b)
	}
	data, _ := os.ReadFile(path)
	for _, field := range []string{`"owner_pid"`, `"paused"`, `"start_ticks": 34`, `"kind": "pause"`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("journal file lacks %s:\n%s", field, data)
		}
	}
	var nilJ *Journal
	if id, err := nilJ.Add(Entry{Kind: "x"}); id != "" || err != nil || nilJ.Remove("1") != nil || nilJ.Entries() != nil {
		t.Error("nil Journal methods should do nothing")
	}
}

// TestRecover simulates a crash: a journal lists a stopped process, a stress-like child,
// a process that is gone and a proxy; Recover resumes, kills and reports.
func TestRecover(t *testing.T) {
	t.Parallel()
	stopped := exec.Command("sleep", "30")
	stopped.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stress := exec.Command("sleep", "31")
	stress.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	for _, c := range []*exec.Cmd{stopped, stress} {
		c.Env = append(os.Environ(), Marker()) // as gauntlet starts every process
		if err := c.Start(); err != nil {
			t.Skipf("no sleep binary: %v", err)
		}
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	}
	stressExited := make(chan struct{})
	go func() { _ = stress.Wait(); close(stressExited) }()
	if err := syscall.Kill(-stopped.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitState(t, stopped.Process.Pid, 'T')
	paused, err := Identify(stopped.Process.Pid, true, false)
	if err != nil {
		t.Fatal(err)
	}
	stressProc, err := Identify(stress.Process.Pid, true, true)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "faults.state.json")
	j, _ := OpenJournal(path)
	j.Add(Entry{Kind: "pause", Service: "db", Paused: []Proc{paused}})
	j.Add(Entry{Kind: "cpu_stress", Stress: []Proc{stressProc}})
	j.Add(Entry{Kind: "cpu_stress", Stress: []Proc{{PID: stress.Process.Pid, StartTicks: 1, Argv: []string{"other"}}}}) // pid reused by "someone else"
	j.Add(Entry{Kind: "latency", Service: "api", Proxy: "api"})
	j.Add(Entry{Kind: "kill", Service: "api"})

	report, err := Recover(path) // a fresh process would do the same: Recover reads only the file
	if err != nil {
		t.Fatalf("Recover = %v", err)
	}
	text := strings.Join(report, "\n")
	for _, want := range []string{"pause on db: sent SIGCONT to process group", "cpu_stress: killed stress child process group",
		"left alone", "latency on api: the fault proxy \"api\" lived inside gauntlet", "kill on api: nothing to undo"} {
		if !strings.Contains(text, want) {
			t.Errorf("Recover report lacks %q:\n%s", want, text)
		}
	}
	waitState(t, stopped.Process.Pid, 'S')
	select {
	case <-stressExited:
	case <-time.After(10 * time.Second):
		t.Error("stress child still running after Recover")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("journal still there after a full recovery: %v", err)
	}
	if report, err := Recover(path); err != nil || len(report) != 0 {
		t.Errorf("second Recover = %v, %v; want nothing", report, err)
	}
}

func waitState(t *testing.T, pid int, want byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ProcState(pid) != want {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d in state %q; want %q", pid, ProcState(pid), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
