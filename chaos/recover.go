package chaos

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// ErrJournalInUse is returned by Recover when the run that owns the journal is still
// alive: its faults are its own to revert.
var ErrJournalInUse = errors.New("fault journal belongs to a running gauntlet")

// Recover undoes everything still listed in the journal at path, typically left there by
// a gauntlet that was SIGKILLed, and returns one line per action taken or skipped:
// paused processes get SIGCONT, stress children get SIGKILL (only if /proc/PID still shows
// the same process: same start time and command line), cgroup limits are lifted (their
// processes move back, their directories are removed). Proxy faults need nothing: the
// proxies lived inside gauntlet and their effects vanished with it; the report says so.
//
// Entries undone are removed from the file; the file is deleted once empty. Entries that
// could not be undone stay, and their errors are returned joined. A missing file is no
// error and gives an empty report.
func Recover(path string) (report []string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fault journal: %w", err)
	}
	entries, err := ReadJournal(path)
	if err != nil {
		return nil, err
	}
	if owner := ownerOf(data); owner != 0 && owner != os.Getpid() && ownerAlive(owner) {
		return nil, fmt.Errorf("%s: pid %d: %w", path, owner, ErrJournalInUse)
	}
	var left []Entry
	var errs []error
	for _, e := range entries {
		lines, err := recoverEntry(e)
		report = append(report, lines...)
		if err != nil {
			errs = append(errs, err)
			left = append(left, e)
		}
	}
	if len(left) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("fault journal: %w", err))
		}
	} else if err := writeJournal(path, journalFile{Version: journalVersion, Owner: os.Getpid(), Entries: left}); err != nil {
		errs = append(errs, err)
	}
	return report, errors.Join(errs...)
}

// ownerOf reads owner_pid without failing on anything.
func ownerOf(data []byte) int {
	var jf journalFile
	if jsonUnmarshal(data, &jf) != nil {
		return 0
	}
	return jf.Owner
}

// ownerAlive reports whether pid runs the same executable as this process: a pid reused
// by an unrelated program does not block recovery.
func ownerAlive(pid int) bool {
	argv, err := Cmdline(pid)
	if err != nil || len(argv) == 0 {
		return false
	}
	self, err := os.Executable()
	if err != nil {
		return false
	}
	return filepath.Base(argv[0]) == filepath.Base(self) && procState(pid) != 'Z'
}

func recoverEntry(e Entry) ([]string, error) {
	what := e.Kind
	if e.Service != "" {
		what += " on " + e.Service
	}
	var report []string
	var errs []error
	say := func(format string, args ...any) {
		report = append(report, what+": "+fmt.Sprintf(format, args...))
	}
	for _, p := range e.Paused {
		if !p.Same() {
			say("pid %d is gone; nothing to resume", p.PID)
			continue
		}
		if err := p.Signal(syscall.SIGCONT); err != nil {
			errs = append(errs, fmt.Errorf("%s: SIGCONT pid %d: %w", what, p.PID, err))
			say("SIGCONT to pid %d failed: %v", p.PID, err)
			continue
		}
		say("sent SIGCONT to %s", p.describe())
	}
	for _, p := range e.Stress {
		if !p.Same() {
			say("stress child pid %d is gone or is another program now; left alone", p.PID)
			continue
		}
		if err := p.Signal(syscall.SIGKILL); err != nil {
			errs = append(errs, fmt.Errorf("%s: SIGKILL stress pid %d: %w", what, p.PID, err))
			say("SIGKILL to stress child pid %d failed: %v", p.PID, err)
			continue
		}
		say("killed stress child %s (%s)", p.describe(), strings.Join(p.Argv, " "))
	}
	for _, cg := range e.Cgroups {
		if err := LiftCgroup(cg); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			say("lifting cgroup %s failed: %v", cg.Dir, err)
			continue
		}
		say("moved pids %v back to %s and removed %s", cg.PIDs, cg.Parent, cg.Dir)
	}
	if e.Proxy != "" {
		say("the fault proxy %q lived inside gauntlet and died with it; its fault ended there", e.Proxy)
	}
	if len(report) == 0 {
		say("nothing to undo (the processes it acted on belonged to the crashed run)")
	}
	return report, errors.Join(errs...)
}

// LiftCgroup moves cg's processes back to cg.Parent and removes cg.Dir. Processes that
// are gone are skipped; a missing directory counts as lifted.
func LiftCgroup(cg Cgroup) error {
	if _, err := os.Stat(cg.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	// The kernel refuses to remove a cgroup with members, including ones we never moved
	// there ourselves (children forked later), so move whatever it holds.
	pids := slices.Clone(cg.PIDs)
	if data, err := os.ReadFile(filepath.Join(cg.Dir, "cgroup.procs")); err == nil {
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
	}
	var errs []error
	for _, pid := range pids {
		err := os.WriteFile(filepath.Join(cg.Parent, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
		if err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("move pid %d to %s: %w", pid, cg.Parent, err))
		}
	}
	if err := os.Remove(cg.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
	}
	return errors.Join(errs...)
}
