package services

import (
	"context"
	"testing"

	"github.com/gauntletbench/gauntlet/affinity"
)

// TestStartOnCPUs starts a Go service on one CPU and reads, from /proc, that
// every one of its threads — started by its runtime after exec — may run on
// that CPU only, while this process keeps all of its CPUs.
func TestStartOnCPUs(t *testing.T) {
	t.Parallel()
	all, err := affinity.Allowed()
	if err != nil || len(all) < 2 {
		t.Skipf("CPUs %s (%v): nothing to pin apart", all, err)
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
	lists, err := affinity.Threads(p.PID())
	if err != nil || len(lists) < 2 {
		t.Fatalf("service threads = %v, %v; want a Go process's several", lists, err)
	}
	for tid, l := range lists {
		if l.String() != one.String() {
			t.Errorf("service thread %d: Cpus_allowed_list %q; want %q", tid, l, one)
		}
	}
	mine, err := affinity.Threads(0)
	if err != nil {
		t.Fatal(err)
	}
	for tid, l := range mine {
		if l.String() != all.String() {
			t.Errorf("test process thread %d: Cpus_allowed_list %q; want %q (unchanged)", tid, l, all)
		}
	}
}
