package affinity

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestSetStringParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Set
		str  string
	}{
		{"0", Set{0}, "0"},
		{"0-3", Set{0, 1, 2, 3}, "0-3"},
		{"0,2-3,7", Set{0, 2, 3, 7}, "0,2-3,7"},
		{"3,1,2,1", Set{1, 2, 3}, "1-3"},
		{" 5\n", Set{5}, "5"},
		{"", nil, ""},
	} {
		got, err := Parse(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("Parse(%q).String() = %q; want %q", tc.in, s, tc.str)
		}
	}
	for _, bad := range []string{"a", "3-1", "-1", "1-"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = nil error; want one", bad)
		}
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		allowed  Set
		gen, svc Set
		ok       bool
	}{
		{Set{0}, nil, nil, false},
		{nil, nil, nil, false},
		{Set{0, 1}, Set{0}, Set{1}, true},
		{Set{2, 5}, Set{2}, Set{5}, true},
		{Set{0, 1, 2}, Set{0}, Set{1, 2}, true},
		{Set{0, 1, 2, 3}, Set{0}, Set{1, 2, 3}, true},
		{Set{0, 1, 2, 3, 4, 5, 6, 7}, Set{0, 1}, Set{2, 3, 4, 5, 6, 7}, true},
	} {
		gen, svc, ok := Split(tc.allowed)
		if ok != tc.ok || !slices.Equal(gen, tc.gen) || !slices.Equal(svc, tc.svc) {
			t.Errorf("Split(%v) = %v, %v, %v; want %v, %v, %v", tc.allowed, gen, svc, ok, tc.gen, tc.svc, tc.ok)
		}
	}
}

// threadLists returns the CPUs of every thread of pid (0: this process).
func threadLists(t *testing.T, pid int) map[int]Set {
	t.Helper()
	l, err := Threads(pid)
	if err != nil || len(l) == 0 {
		t.Fatalf("Threads(%d) = %v, %v; want some", pid, l, err)
	}
	return l
}

// processList is the CPUs of pid's main thread.
func processList(t *testing.T, pid int) string {
	t.Helper()
	if pid == 0 {
		pid = os.Getpid()
	}
	return threadLists(t, pid)[pid].String()
}

func twoCPUs(t *testing.T) (gen, svc, all Set) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("pinning is Linux only")
	}
	all, err := Allowed()
	if err != nil {
		t.Fatal(err)
	}
	gen, svc, ok := Split(all)
	if !ok {
		t.Skipf("only CPUs %s here: nothing to split", all)
	}
	return gen, svc, all
}

// TestPinAndStart pins this process (every thread, including ones started
// after the pin), starts a child on the other CPUs, and checks both in /proc;
// then the release restores every thread.
func TestPinAndStart(t *testing.T) {
	gen, svc, all := twoCPUs(t)
	release, err := Pin(gen)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Allowed(); err != nil || !slices.Equal(got, all) {
		t.Errorf("Allowed() while pinned = %v, %v; want the CPUs before the pin, %v", got, err, all)
	}
	// Threads made after the pin, from any thread, inherit it.
	var wg sync.WaitGroup
	hold := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			<-hold
		})
	}
	cmd := exec.Command("sh", "-c", "sleep 30 & sleep 30")
	if err := Start(svc, cmd.Start); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	if got := processList(t, pid); got != svc.String() {
		t.Errorf("child Cpus_allowed_list = %q; want %q", got, svc)
	}
	for tid, l := range threadLists(t, 0) {
		if l.String() != gen.String() {
			t.Errorf("thread %d of the pinned process: Cpus_allowed_list %q; want %q", tid, l, gen)
		}
	}
	// The child's own child inherits the set too.
	kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	for kid := range strings.FieldsSeq(string(kids)) {
		k, _ := strconv.Atoi(kid)
		if got := processList(t, k); got != svc.String() {
			t.Errorf("grandchild %s Cpus_allowed_list = %q; want %q", kid, got, svc)
		}
	}
	close(hold)
	wg.Wait()
	release()
	release() // a second call does nothing
	for tid, l := range threadLists(t, 0) {
		if l.String() != all.String() {
			t.Errorf("thread %d after release: Cpus_allowed_list %q; want %q", tid, l, all)
		}
	}
}

func TestPinNests(t *testing.T) {
	gen, svc, all := twoCPUs(t)
	r1, err := Pin(gen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Pin(svc); err == nil {
		t.Errorf("Pin(%s) while pinned to %s = nil error; want one", svc, gen)
	}
	r2, err := Pin(gen)
	if err != nil {
		t.Fatal(err)
	}
	r1()
	if got := processList(t, 0); got != gen.String() {
		t.Errorf("after the first of two releases: %q; want still %q", got, gen)
	}
	r2()
	if got := processList(t, 0); got != all.String() {
		t.Errorf("after the last release: %q; want %q", got, all)
	}
}
