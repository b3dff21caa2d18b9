package runners

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fdSize is the size of this process's descriptor table (FDSize in
// /proc/self/status).
func fdSize(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "FDSize:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("FDSize %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no FDSize in /proc/self/status")
	return 0
}

// A load's descriptor table is grown before it starts: after
// reserveDescriptors(n) the table holds at least n descriptors (at most
// the descriptor limit), and no descriptor is left open.
func TestReserveDescriptorsGrowsTheTable(t *testing.T) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	before := fdSize(t)
	for _, n := range []int{before + 1, 2*before + 100, 4 * before} {
		reserveDescriptors(n)
		want := int(min(uint64(n), lim.Cur))
		if got := fdSize(t); got < want {
			t.Errorf("reserveDescriptors(%d): the table holds %d descriptors; want at least %d", n, got, want)
		}
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if fd, _ := strconv.Atoi(e.Name()); fd >= before {
			t.Errorf("descriptor %d is open after reserving (the table held %d before); want the reserving ones closed", fd, before)
		}
	}
}
