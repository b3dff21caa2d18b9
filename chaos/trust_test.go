package chaos

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRecoverRefusesUntrusted plants state files as a hostile user or a
// careless one would (a shared /tmp, an out/ folder committed to a pull
// request): Recover refuses each with a message and touches nothing: the
// victim process keeps running (stopped, as it was), the file the "cgroup"
// names stays, and the state file stays.
func TestRecoverRefusesUntrusted(t *testing.T) {
	t.Parallel()
	victim := exec.Command("sleep", "60") // not started the way gauntlet starts processes
	victim.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := victim.Start(); err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-victim.Process.Pid, syscall.SIGKILL); _ = victim.Wait() })
	if err := syscall.Kill(-victim.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitState(t, victim.Process.Pid, 'T')
	proc, err := Identify(victim.Process.Pid, true, true) // everything /proc shows anyone
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious")
	if err := os.WriteFile(precious, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, path string, mode os.FileMode, entries ...Entry) {
		t.Helper()
		data, _ := json.Marshal(journalFile{Version: journalVersion, Owner: 1, Marker: Marker(), Entries: entries})
		if err := os.WriteFile(path, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	pause := Entry{ID: "1", Kind: "pause", Paused: []Proc{proc}}
	stress := Entry{ID: "2", Kind: "cpu_stress", Stress: []Proc{proc}}
	tests := []struct {
		name  string
		plant func(t *testing.T, path string)
		want  string
	}{
		{"wider mode", func(t *testing.T, path string) { write(t, path, 0o644, Entry{ID: "1", Kind: "kill"}) }, "mode 0644"},
		{"another user's", func(t *testing.T, path string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give the file to another user")
			}
			write(t, path, 0o600, Entry{ID: "1", Kind: "kill"})
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "owned by uid 65534"},
		{"a symbolic link", func(t *testing.T, path string) {
			real := path + ".real"
			write(t, real, 0o600, pause)
			if err := os.Symlink(real, path); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link"},
		{"a process gauntlet did not start, paused", func(t *testing.T, path string) { write(t, path, 0o600, pause) }, "was not started by the gauntlet"},
		{"a process gauntlet did not start, as a stress child", func(t *testing.T, path string) { write(t, path, 0o600, stress) }, "was not started by the gauntlet"},
		{"a cgroup outside the cgroup mount", func(t *testing.T, path string) {
			write(t, path, 0o600, Entry{ID: "1", Kind: "memory_limit", Cgroups: []Cgroup{{Dir: precious, Parent: dir}}})
		}, "cgroup"},
		{"a cgroup gauntlet does not create", func(t *testing.T, path string) {
			write(t, path, 0o600, Entry{ID: "1", Kind: "memory_limit", Cgroups: []Cgroup{{Dir: "/sys/fs/cgroup/not-gauntlets", Parent: "/sys/fs/cgroup"}}})
		}, "not a directory gauntlet creates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "faults.state.json")
			tt.plant(t, path)
			before, _ := os.ReadFile(path)
			report, err := Recover(path)
			if !errors.Is(err, ErrJournalUntrusted) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Recover = %v; want it refused with %q", err, tt.want)
			}
			if len(report) > 0 {
				t.Errorf("Recover acted: %q", report)
			}
			if after, err := os.ReadFile(path); err != nil || string(after) != string(before) {
				t.Errorf("state file changed or removed: %v", err)
			}
		})
	}
	if s := ProcState(victim.Process.Pid); s != 'T' {
		t.Errorf("victim in state %q; want it still stopped (T), untouched", s)
	}
	if data, err := os.ReadFile(precious); err != nil || string(data) != "keep" {
		t.Errorf("the file a planted cgroup named: %q, %v; want it kept", data, err)
	}
}

// OpenJournal never replaces a journal a previous run left behind.
func TestOpenJournalKeepsLeftovers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "faults.state.json")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Add(Entry{Kind: "pause", Service: "db"}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, %v; want 0600", fi.Mode(), err)
	}
	if _, err := OpenJournal(path); !errors.Is(err, ErrJournalLeft) {
		t.Errorf("second OpenJournal = %v; want ErrJournalLeft", err)
	}
	if got, err := ReadJournal(path); err != nil || len(got) != 1 {
		t.Errorf("after the second OpenJournal: %+v, %v; want the first run's entry", got, err)
	}
}
