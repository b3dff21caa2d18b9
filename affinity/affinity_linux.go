package affinity

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// mu serialises every change of this process's threads' affinity: Pin's
// sweeps and Start's pinned forks.
var (
	mu    sync.Mutex
	refs  int // Pin calls not yet released
	saved Set // the process's CPUs before the first Pin
)

// Allowed returns the CPUs this process may run on, as they were before Pin
// narrowed them.
func Allowed() (Set, error) {
	mu.Lock()
	defer mu.Unlock()
	if refs > 0 {
		return slices.Clone(saved), nil
	}
	return get(0)
}

// Pin binds every thread of this process to set, and so every thread it
// starts later (a new thread inherits the affinity of the one that made
// it). It returns the function that restores the CPUs the process had
// before; pins nest, and the last release restores. A second Pin while one
// is in effect must ask for the same set.
func Pin(set Set) (release func(), err error) {
	if len(set) == 0 {
		return nil, fmt.Errorf("pin: empty CPU set")
	}
	mu.Lock()
	defer mu.Unlock()
	if refs == 0 {
		before, err := get(0)
		if err != nil {
			return nil, err
		}
		if err := sweep(set); err != nil {
			_ = sweep(before)
			return nil, err
		}
		saved = before
	} else if cur, err := get(0); err != nil || !slices.Equal(cur, set) {
		return nil, fmt.Errorf("pin: CPUs %s asked for while the process is pinned to %s", set, cur)
	}
	refs++
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			if refs--; refs == 0 {
				_ = sweep(saved)
				saved = nil
			}
		})
	}, nil
}

// Widen binds every thread of this process to every online CPU its cgroup
// allows: a process a pinned gauntlet starts that must load the whole
// machine rather than the generator's CPUs (a stress child) calls it first.
func Widen() error {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return fmt.Errorf("online CPUs: %w", err)
	}
	online, err := Parse(string(b))
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	// The kernel keeps only the CPUs the cgroup allows: sweep to what it
	// kept for this thread.
	if err := set0(online); err != nil {
		return err
	}
	eff, err := get(0)
	if err != nil {
		return err
	}
	return sweep(eff)
}

// Start calls start — which must fork a process, e.g. (*exec.Cmd).Start —
// on an OS thread bound to set, so that the child and everything it starts
// run on set only. The child must not ask for a parent-death signal
// (SysProcAttr.Pdeathsig): its parent thread ends right after the fork. The thread is bound back and discarded afterwards, and
// the Go runtime creates no thread from a locked one, so no thread of this
// process is left on set.
func Start(set Set, start func() error) error {
	if len(set) == 0 {
		return start()
	}
	mu.Lock()
	defer mu.Unlock()
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine.
		runtime.LockOSThread()
		before, err := get(0)
		if err == nil {
			err = set0(set)
		}
		if err != nil {
			done <- err
			return
		}
		err = start()
		// The thread may outlive this goroutine by a moment: it leaves set
		// first.
		_ = setTo(0, before)
		done <- err
	}()
	return <-done
}

// Threads returns the CPUs each thread of process pid may run on, by
// thread id, as /proc shows them (Cpus_allowed_list); pid 0 is this
// process. Threads that end while it reads are left out.
func Threads(pid int) (map[int]Set, error) {
	dir := "/proc/self/task"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid) + "/task"
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("threads of %d: %w", pid, err)
	}
	out := make(map[int]Set, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(dir + "/" + e.Name() + "/status")
		if err != nil {
			continue // the thread ended
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				if set, err := Parse(v); err == nil {
					out[tid] = set
				}
			}
		}
	}
	return out, nil
}

// sweep binds every thread of this process to set, looking again until a
// pass finds every thread bound (threads may start while it runs).
func sweep(set Set) error {
	for range 20 {
		tids, err := threads()
		if err != nil {
			return err
		}
		changed := false
		for _, tid := range tids {
			cur, err := get(tid)
			if err != nil {
				continue // the thread ended
			}
			if slices.Equal(cur, set) {
				continue
			}
			changed = true
			if err := setTo(tid, set); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("pin thread %d to CPUs %s: %w", tid, set, err)
			}
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("pin to CPUs %s: threads kept starting", set)
}

func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("list threads: %w", err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// get returns the CPUs thread tid may run on; 0 is the calling thread.
func get(tid int) (Set, error) {
	var cs unix.CPUSet
	if err := unix.SchedGetaffinity(tid, &cs); err != nil {
		return nil, fmt.Errorf("CPU affinity: %w", err)
	}
	var s Set
	for c := 0; c < len(cs)*64; c++ {
		if cs.IsSet(c) {
			s = append(s, c)
		}
	}
	return s, nil
}

func setTo(tid int, set Set) error {
	var cs unix.CPUSet
	for _, c := range set {
		cs.Set(c)
	}
	return unix.SchedSetaffinity(tid, &cs)
}

func set0(set Set) error {
	if err := setTo(0, set); err != nil {
		return fmt.Errorf("bind thread to CPUs %s: %w", set, err)
	}
	return nil
}
