package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/gauntletbench/gauntlet/chaos"
)

const cfsPeriod = 100000 // µs

// limitSettings decodes a limit kind's parameters into its service and the files to
// write in its cgroup, by cgroup version.
type limitSettings func(decode func(any) error) (service string, settings map[int]map[string]string, err error)

// registerLimit registers a cgroup limit kind on controller. Its check leaves out the
// search for a writable hierarchy, which reads the host's mounts: whether the host
// can limit is found when the fault is built for the run.
func registerLimit(kind, controller string, parse limitSettings) {
	chaos.Register(kind, func(env chaos.Env, decode func(any) error) (chaos.Fault, error) {
		service, settings, err := parse.service(kind, decode)
		if err != nil {
			return nil, err
		}
		h, err := findCgroup(controller)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		target, err := limitTarget(env, kind, service)
		if err != nil {
			return nil, err
		}
		return &limit{processFault: processFault{processBase: processBase{kind: kind, Target: target, journal: env.Journal()}},
			Hierarchy: h, Settings: settings[h.Version]}, nil
	})
	chaos.RegisterCheck(kind, func(env chaos.Env, decode func(any) error) error {
		service, _, err := parse.service(kind, decode)
		if err != nil {
			return err
		}
		_, err = limitTarget(env, kind, service)
		return err
	})
}

// service decodes the parameters of a fault of kind; a missing service is an error.
func (parse limitSettings) service(kind string, decode func(any) error) (string, map[int]map[string]string, error) {
	service, settings, err := parse(decode)
	if err == nil && service == "" {
		err = fmt.Errorf("%s: missing service", kind)
	}
	return service, settings, err
}

// limitTarget finds the process of service, which gauntlet must have started.
func limitTarget(env chaos.Env, kind, service string) (chaos.ProcessTarget, error) {
	target, ok := env.Process(service)
	if !ok {
		return nil, fmt.Errorf("%s: gauntlet did not start service %q: %w", kind, service, chaos.ErrNoTarget)
	}
	return target, nil
}

// Hierarchy is a mounted cgroup hierarchy holding a controller.
type Hierarchy struct {
	// Version is 1 or 2.
	Version int
	// Controller is "cpu" or "memory".
	Controller string
	// Mount is where it is mounted; Root is the mount's root within the hierarchy.
	Mount, Root string
}

// findCgroup finds the hierarchy of controller ("cpu" or "memory"), preferring v1, and
// checks that it is writable by making and removing a directory in this process's cgroup.
// The error wraps chaos.ErrUnsupported and says what is missing.
func findCgroup(controller string) (Hierarchy, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return Hierarchy{}, fmt.Errorf("cgroups: %v: %w", err, chaos.ErrUnsupported)
	}
	defer f.Close()
	var v2 *Hierarchy
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mount opts ... - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 {
			continue
		}
		switch tail[0] {
		case "cgroup":
			for o := range strings.SplitSeq(tail[2], ",") {
				if o == controller {
					h := Hierarchy{Version: 1, Controller: controller, Mount: fields[4], Root: fields[3]}
					return h, h.probe()
				}
			}
		case "cgroup2":
			data, err := os.ReadFile(filepath.Join(fields[4], "cgroup.controllers"))
			if err == nil && slices.Contains(strings.Fields(string(data)), controller) {
				v2 = &Hierarchy{Version: 2, Controller: controller, Mount: fields[4], Root: fields[3]}
			}
		}
	}
	if v2 != nil {
		return *v2, v2.probe()
	}
	return Hierarchy{}, fmt.Errorf("no cgroup hierarchy with the %s controller is mounted: %w", controller, chaos.ErrUnsupported)
}

// probe checks that a child cgroup can be made in this process's cgroup.
func (h Hierarchy) probe() error {
	dir, err := h.dirOf(os.Getpid())
	if err != nil {
		return err
	}
	test := filepath.Join(dir, "gauntlet-probe-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(test, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("cgroup v%d %s hierarchy at %s is not writable (%v); run as root with cgroups writable, or drop the limit fault: %w",
			h.Version, h.Controller, dir, err, chaos.ErrUnsupported)
	}
	os.Remove(test)
	return nil
}

// dirOf returns the cgroup directory of pid in h.
func (h Hierarchy) dirOf(pid int) (string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return "", fmt.Errorf("cgroup of pid %d: %w", pid, err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		match := h.Version == 2 && parts[0] == "0" && parts[1] == ""
		if h.Version == 1 {
			for c := range strings.SplitSeq(parts[1], ",") {
				match = match || c == h.Controller
			}
		}
		if match {
			rel := parts[2]
			if h.Root != "/" {
				rel = strings.TrimPrefix(rel, h.Root)
			}
			return filepath.Join(h.Mount, rel), nil
		}
	}
	return "", fmt.Errorf("pid %d is in no %s cgroup", pid, h.Controller)
}

// groupMembers returns the pids whose process group is pgid.
func groupMembers(pgid int) []int {
	members := []int{pgid}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == pgid {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(data), ')')
		f := strings.Fields(string(data[i+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			members = append(members, pid)
		}
	}
	return members
}

// limit moves a service's process group into a new cgroup with a CPU or memory limit
// while injected; Revert moves the processes back and removes the cgroup.
type limit struct {
	processFault
	Hierarchy Hierarchy
	// Settings are the files to write in the new cgroup, before the processes move in.
	Settings map[string]string

	cg *chaos.Cgroup
}

var (
	_ chaos.Fault    = (*limit)(nil)
	_ chaos.Verifier = (*limit)(nil)
)

// Inject creates the cgroup, writes the limit and moves the process group into it.
func (f *limit) Inject(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cg != nil {
		return nil
	}
	pid := f.Target.PID()
	if !running(f.Target) {
		return f.errorf("not running")
	}
	parent, err := f.Hierarchy.dirOf(pid)
	if err != nil {
		return f.errorf("%w", err)
	}
	members := []int{pid}
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
		members = groupMembers(pid)
	}
	cg := chaos.Cgroup{Dir: filepath.Join(parent, fmt.Sprintf("gauntlet-%s-%s-%d", f.kind, f.Target.Name(), pid)), Parent: parent, PIDs: members}
	if err := f.begin(ctx, chaos.Entry{Cgroups: []chaos.Cgroup{cg}}); err != nil {
		return err
	}
	f.cg = &cg
	if err := os.Mkdir(cg.Dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return f.errorf("%v: %w", err, chaos.ErrUnsupported)
	}
	if f.Hierarchy.Version == 2 {
		// The controller must be enabled for the children of the parent.
		_ = os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+"+f.Hierarchy.Controller), 0)
	}
	for file, v := range f.Settings {
		if err := os.WriteFile(filepath.Join(cg.Dir, file), []byte(v), 0); err != nil {
			return f.errorf("write %s: %w", file, err)
		}
	}
	for _, m := range members {
		err := os.WriteFile(filepath.Join(cg.Dir, "cgroup.procs"), []byte(strconv.Itoa(m)), 0)
		if err != nil && !errors.Is(err, syscall.ESRCH) {
			return f.errorf("move pid %d: %w", m, err)
		}
	}
	return nil
}

// Verify reports whether the service's process is in the limit's cgroup.
func (f *limit) Verify(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cg == nil {
		return f.errorf("not injected")
	}
	dir, err := f.Hierarchy.dirOf(f.Target.PID())
	if err != nil {
		return f.errorf("%w", err)
	}
	if dir != f.cg.Dir {
		return f.errorf("pid %d is in %s, not %s", f.Target.PID(), dir, f.cg.Dir)
	}
	return nil
}

// Revert moves the processes back and removes the cgroup.
func (f *limit) Revert(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cg != nil {
		if err := chaos.LiftCgroup(*f.cg); err != nil {
			return f.errorf("%w", err)
		}
		f.cg = nil
	}
	return f.end()
}

// cgroupDir returns the cgroup directory of pid for controller, for tests and reports.
func cgroupDir(controller string, pid int) (string, error) {
	h, err := findCgroup(controller)
	if err != nil {
		return "", err
	}
	return h.dirOf(pid)
}
