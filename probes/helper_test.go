package probes

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the processes the probes sample: with
// helperEnv set, TestMain runs a helper instead of the tests. A helper reads
// commands from stdin, one per line, answers each with one line on stdout,
// and exits at EOF.
const helperEnv = "GAUNTLET_PROBES_HELPER"

const allocBytes = 50 << 20

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		runHelper()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper understands:
//
//	ready  answer "ok": the helper runs its own code (exec is done)
//	alloc  allocate and touch allocBytes, answer "ok"
//	spin   burn 0.3 s of this process's CPU time, answer "ok"
//	spawn  start a helper child (which allocates at once), answer its pid
//	childspin  make the child spin, answer "ok"
//	reap   end the child and wait for it, answer "ok"
func runHelper() {
	var keep [][]byte
	var child *helper
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch cmd := in.Text(); cmd {
		case "ready":
			fmt.Println("ok")
		case "alloc":
			b := make([]byte, allocBytes)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
			fmt.Println("ok")
		case "spin":
			spinCPU(300 * time.Millisecond)
			fmt.Println("ok")
		case "spawn":
			c, err := startHelperProcess()
			if err == nil {
				_, err = c.do("alloc")
			}
			if err != nil {
				fmt.Println("error:", err)
				continue
			}
			child = c
			fmt.Println(c.cmd.Process.Pid)
		case "childspin":
			if child == nil {
				fmt.Println("error: no child")
				continue
			}
			if _, err := child.do("spin"); err != nil {
				fmt.Println("error:", err)
				continue
			}
			fmt.Println("ok")
		case "reap":
			if child != nil {
				child.stop()
				child = nil
			}
			fmt.Println("ok")
		default:
			fmt.Println("unknown command", cmd)
		}
	}
	if child != nil {
		child.stop()
	}
	_ = keep
}

// spinCPU burns d of this process's CPU time, however long that takes on a
// busy machine.
func spinCPU(d time.Duration) {
	start := cpuTime()
	x := 0
	for cpuTime()-start < d {
		for i := 0; i < 100000; i++ {
			x += i
		}
	}
	_ = x
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A helper is a running helper process.
type helper struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startHelperProcess() (*helper, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &helper{cmd: cmd, in: in, out: bufio.NewScanner(out)}, nil
}

// startHelper starts a helper process that the test stops at its end, and
// returns once it answers: sampled between fork and exec, a child read an
// RSS of 0.
func startHelper(t testing.TB) *helper {
	t.Helper()
	h, err := startHelperProcess()
	if err != nil {
		t.Fatalf("start helper: %v", err)
	}
	t.Cleanup(h.stop)
	h.must(t, "ready")
	return h
}

func (h *helper) pid() int { return h.cmd.Process.Pid }

// do sends one command and returns the answer.
func (h *helper) do(cmd string) (string, error) {
	if _, err := fmt.Fprintln(h.in, cmd); err != nil {
		return "", err
	}
	if !h.out.Scan() {
		return "", fmt.Errorf("helper %d: no answer to %q: %v", h.pid(), cmd, h.out.Err())
	}
	ans := h.out.Text()
	if strings.HasPrefix(ans, "error") || strings.HasPrefix(ans, "unknown") {
		return "", fmt.Errorf("helper %d: %s", h.pid(), ans)
	}
	return ans, nil
}

func (h *helper) must(t testing.TB, cmd string) string {
	t.Helper()
	ans, err := h.do(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

// stop closes stdin, which ends the helper, and reaps it; a helper that
// does not end in time is killed. Safe to call twice.
func (h *helper) stop() {
	h.in.Close()
	done := make(chan struct{})
	go func() {
		h.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
		<-done
	}
}

// spawnChild makes the helper start a child and returns the child's pid.
func (h *helper) spawnChild(t testing.TB) int {
	t.Helper()
	pid, err := strconv.Atoi(h.must(t, "spawn"))
	if err != nil {
		t.Fatalf("spawn: %v", err)
	}
	return pid
}

// approx reports whether got equals want up to float rounding.
func approx(got, want float64) bool { return got >= want-1e-9 && got <= want+1e-9 }
