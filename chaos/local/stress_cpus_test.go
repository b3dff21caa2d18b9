package local

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/affinity"
)

// TestStressChildLeavesTheGeneratorsCPUs starts a stress child the way a
// gauntlet pinned to one CPU would (it inherits that CPU) and reads from
// /proc that every thread of the running child may use every CPU.
func TestStressChildLeavesTheGeneratorsCPUs(t *testing.T) {
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
	cmd := exec.Command(os.Args[0], "stress", "cpu", "--workers", "1", "--load", "5")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := affinity.Start(affinity.Set{all[0]}, cmd.Start); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || strings.TrimSpace(line) != StressReady {
		t.Fatalf("stress child said %q, %v; want %q", line, err, StressReady)
	}
	dirs, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "task", "*", "status"))
	if len(dirs) == 0 {
		t.Fatal("no threads of the stress child in /proc")
	}
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok && strings.TrimSpace(v) != all.String() {
				t.Errorf("stress child thread %s: Cpus_allowed_list %q; want %q", filepath.Base(filepath.Dir(d)), strings.TrimSpace(v), all)
			}
		}
	}
}
