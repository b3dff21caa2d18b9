package local

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/affinity"
)

// TestStressChildLeavesTheGeneratorsCPUs starts a stress child the way a
// gauntlet pinned to one CPU would (it inherits that CPU) and reads from
// /proc that every thread of the running child may use every CPU.
func TestStressChildLeavesTheGeneratorsCPUs(t *testing.T) {
	t.Parallel()
	all, err := affinity.Allowed()
	if err != nil || len(all) < 2 {
		t.Skipf("CPUs %s (%v): nothing to pin apart", all, err)
	}
	cmd := exec.Command(os.Args[0], "stress", "cpu", "--workers", "1", "--load", "5")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := affinity.Start(affinity.Set{all[0]}, cmd.Start); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || strings.TrimSpace(line) != stressReady {
		t.Fatalf("stress child said %q, %v; want %q", line, err, stressReady)
	}
	lists, err := affinity.Threads(cmd.Process.Pid)
	if err != nil || len(lists) == 0 {
		t.Fatalf("threads of the stress child: %v, %v", lists, err)
	}
	for tid, l := range lists {
		if l.String() != all.String() {
			t.Errorf("stress child thread %d: Cpus_allowed_list %q; want %q", tid, l, all)
		}
	}
}
