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
// Nothing on disk is taken on trust. A file that is not a regular file owned by this
// user with mode 0600, that names a running process without the marker of the gauntlet
// that wrote the file (see Marker), or a cgroup outside a cgroup mount or not created by
// gauntlet, is refused as a whole with an error wrapping ErrJournalUntrusted: nothing is
// signalled, moved or removed, and the file stays.
//
// Entries undone are removed from the file; the file is deleted once empty. Entries that
// could not be undone stay, and their errors are returned joined. A missing file is no
// error and gives an empty report.
func Recover(path string) (report []string, err error) {
	jf, err := readTrusted(path)
	if err != nil || jf == nil {
		return nil, err
	}
	if owner := jf.Owner; owner != 0 && owner != os.Getpid() && ownerAlive(owner) {
		return nil, fmt.Errorf("%s: pid %d: %w", path, owner, ErrJournalInUse)
	}
	if err := checkEntries(jf); err != nil {
		return nil, fmt.Errorf("fault journal %s: %w", path, err)
	}
	var left []Entry
	var errs []error
	for _, e := range jf.Entries {
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
	} else if err := writeJournal(path, journalFile{Version: journalVersion, Owner: os.Getpid(), Marker: jf.Marker, Entries: left}); err != nil {
		errs = append(errs, err)
	}
	return report, errors.Join(errs...)
}

// checkEntries returns an error wrapping ErrJournalUntrusted, naming every reason, if
// any process or cgroup of jf is not one the gauntlet that wrote it could have acted on:
// a live process (same pid and start time) without jf's marker, or a cgroup directory
// that is not a "gauntlet-" directory directly under its parent within a cgroup mount.
func checkEntries(jf *journalFile) error {
	var errs []error
	for _, e := range jf.Entries {
		for _, p := range slices.Concat(e.Paused, e.Stress) {
			if p.Same() && !p.Marked(jf.Marker) {
				errs = append(errs, fmt.Errorf("%s: pid %d was not started by the gauntlet that wrote this file (no %s marker in its environment)", e.Kind, p.PID, MarkerEnv))
			}
		}
		for _, cg := range e.Cgroups {
			if err := checkCgroup(cg); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", e.Kind, err))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrJournalUntrusted, errors.Join(errs...))
}

// checkCgroup accepts only a directory gauntlet could have created: named gauntlet-*,
// directly under Parent, both clean absolute paths inside a mounted cgroup file system.
func checkCgroup(cg Cgroup) error {
	bad := func(why string) error { return fmt.Errorf("cgroup %q: %s", cg.Dir, why) }
	if !filepath.IsAbs(cg.Dir) || filepath.Clean(cg.Dir) != cg.Dir || filepath.Clean(cg.Parent) != cg.Parent {
		return bad("not a clean absolute path")
	}
	if filepath.Dir(cg.Dir) != cg.Parent {
		return bad(fmt.Sprintf("not directly under %q", cg.Parent))
	}
	if !strings.HasPrefix(filepath.Base(cg.Dir), "gauntlet-") {
		return bad("not a directory gauntlet creates (gauntlet-*)")
	}
	for _, m := range cgroupMounts() {
		if strings.HasPrefix(cg.Parent+"/", strings.TrimSuffix(m, "/")+"/") {
			return nil
		}
	}
	return bad("not inside a cgroup mount")
}

// cgroupMounts lists the mount points of cgroup file systems (v1 and v2).
func cgroupMounts() []string {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[2] == "cgroup" || f[2] == "cgroup2") {
			out = append(out, f[1])
		}
	}
	return out
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

// LiftCgroup moves the processes in cg.Dir back to cg.Parent and removes cg.Dir. Only
// the members the kernel lists in cg.Dir are moved (cg.PIDs are not trusted: a process
// listed there may have left, and its pid may be someone else's now); processes that are
// gone are skipped; a missing directory counts as lifted.
func LiftCgroup(cg Cgroup) error {
	if _, err := os.Stat(cg.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	// The kernel refuses to remove a cgroup with members, including ones we never moved
	// there ourselves (children forked later), so move whatever it holds.
	var pids []int
	if data, err := os.ReadFile(filepath.Join(cg.Dir, "cgroup.procs")); err == nil {
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
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
