package services

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/affinity"
)

// TestStartOnCPUs starts a Go service on one CPU and reads, from /proc, that
// every one of its threads — started by its runtime after exec — may run on
// that CPU only, while this process keeps all of its CPUs.
func TestStartOnCPUs(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("pinning is Linux only")
	}
	all, err := affinity.Allowed()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 2 {
		t.Skipf("only CPUs %s here", all)
	}
	one := affinity.Set{all[len(all)-1]}
	spec := helperSpec("pinned", "serve")
	spec.CPUs = one
	p, err := Start(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	stopOnCleanup(t, p)
	// Serving a request wakes the helper's runtime threads.
	get(t, p.URL()+"/healthz")
	lists := cpusAllowed(t, p.PID())
	if len(lists) < 2 {
		t.Fatalf("service threads = %v; want a Go process's several", lists)
	}
	for tid, l := range lists {
		if l != one.String() {
			t.Errorf("service thread %d: Cpus_allowed_list %q; want %q", tid, l, one)
		}
	}
	for tid, l := range cpusAllowed(t, os.Getpid()) {
		if l != all.String() {
			t.Errorf("test process thread %d: Cpus_allowed_list %q; want %q (unchanged)", tid, l, all)
		}
	}
}

// cpusAllowed returns the Cpus_allowed_list of every thread of pid.
func cpusAllowed(t *testing.T, pid int) map[int]string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "status"))
		if err != nil {
			continue // the thread ended
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				tid, _ := strconv.Atoi(filepath.Base(d))
				out[tid] = strings.TrimSpace(v)
			}
		}
	}
	return out
}
