package local

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gauntletbench/gauntlet/affinity"
	"github.com/gauntletbench/gauntlet/chaos"
)

// stressReady is the line a stress child prints on stdout once its load is running.
const stressReady = "gauntlet-stress: ready"

// stressStartLimit bounds how long a stress child may take to report ready.
const stressStartLimit = 15 * time.Second

// StressMain runs a stress child: args are what follows "stress" on its command line,
// "cpu --workers N --load PCT" or "memory --bytes SIZE". It prints stressReady to out
// once the load runs and returns when ctx is done or the parent process dies (the child
// polls for being orphaned, so a SIGKILLed gauntlet leaves no stress behind). The CLI's
// hidden `gauntlet stress` command calls it with its arguments untouched
// (DisableFlagParsing).
func StressMain(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("stress: want cpu or memory")
	}
	fs := flag.NewFlagSet("stress "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// A gauntlet pinned to the generator's CPUs would leave its stress child
	// there; the stress is meant for the whole machine.
	if err := affinity.Widen(); err != nil {
		return fmt.Errorf("stress: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go watchParent(ctx, cancel)
	ready := func() { fmt.Fprintln(out, stressReady) }
	switch args[0] {
	case "cpu":
		workers := fs.Int("workers", 1, "busy workers (one OS thread each)")
		load := fs.Int("load", 100, "percent of each worker's time spent busy, 1–100")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("stress cpu: %w", err)
		}
		return runCPUStress(ctx, *workers, *load, ready)
	case "memory":
		var size chaos.ByteSize
		fs.TextVar(&size, "bytes", chaos.ByteSize(0), "bytes to allocate and touch, e.g. 256MiB")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("stress memory: %w", err)
		}
		return runMemoryStress(ctx, int64(size), ready)
	}
	return fmt.Errorf("stress: unknown kind %q (want cpu or memory)", args[0])
}

// watchParent cancels when this process is orphaned (its parent died).
func watchParent(ctx context.Context, cancel context.CancelFunc) {
	parent := os.Getppid()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != parent {
				cancel()
				return
			}
		}
	}
}

// stressPeriod is the duty cycle of a CPU worker.
const stressPeriod = 100 * time.Millisecond

// runCPUStress keeps workers OS threads busy loadPct percent of the time (in 100 ms duty
// cycles) until ctx is done. ready, if not nil, is called once the workers run.
func runCPUStress(ctx context.Context, workers, loadPct int, ready func()) error {
	if workers < 1 || loadPct < 1 || loadPct > 100 {
		return fmt.Errorf("stress cpu: workers must be >= 1 and load 1–100, got %d and %d", workers, loadPct)
	}
	if runtime.GOMAXPROCS(0) < workers+1 {
		runtime.GOMAXPROCS(workers + 1)
	}
	busy := stressPeriod * time.Duration(loadPct) / 100
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for ctx.Err() == nil {
				start := time.Now()
				for time.Since(start) < busy {
					for range 10000 { // spin without calling the clock every iteration
					}
				}
				if rest := stressPeriod - time.Since(start); rest > 0 {
					select {
					case <-time.After(rest):
					case <-ctx.Done():
					}
				}
			}
		})
	}
	if ready != nil {
		ready()
	}
	wg.Wait()
	return nil
}

// runMemoryStress allocates size bytes, writes to every page so they are resident, and
// holds them until ctx is done. ready, if not nil, is called once every page is touched.
func runMemoryStress(ctx context.Context, size int64, ready func()) error {
	if size <= 0 {
		return fmt.Errorf("stress memory: bytes must be > 0, got %d", size)
	}
	buf := make([]byte, size)
	page := os.Getpagesize()
	for i := 0; i < len(buf); i += page {
		buf[i] = 1
	}
	if ready != nil {
		ready()
	}
	<-ctx.Done()
	runtime.KeepAlive(buf)
	return nil
}

// stress runs a stress child process, `<this executable> stress ARGS…`, while injected.
// The child leads its own process group, gets SIGKILL if gauntlet's thread that started
// it dies (Pdeathsig) and exits by itself when orphaned.
type stress struct {
	Kind string
	Args []string // after the executable, starting with "stress"

	journal *chaos.Journal
	mu      sync.Mutex
	entry   string
	cmd     *exec.Cmd
	exited  chan struct{}
	stderr  *tail
}

var (
	_ chaos.Fault    = (*stress)(nil)
	_ chaos.Verifier = (*stress)(nil)
)

// newStress returns a stress fault running the child with args after "stress".
func newStress(kind string, journal *chaos.Journal, args ...string) *stress {
	return &stress{Kind: kind, Args: append([]string{"stress"}, args...), journal: journal}
}

// PID returns the child's pid while injected, else 0.
func (f *stress) PID() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cmd == nil {
		return 0
	}
	return f.cmd.Process.Pid
}

// Inject starts the child and returns once it reported that its load runs.
func (f *stress) Inject(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", f.Kind, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cmd != nil {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("%s: %w", f.Kind, err)
	}
	if f.entry == "" {
		if f.entry, err = f.journal.Add(chaos.Entry{Kind: f.Kind}); err != nil {
			return err
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("%s: %w", f.Kind, err)
	}
	defer r.Close()
	cmd := exec.Command(exe, f.Args...)
	cmd.Env = append(os.Environ(), chaos.Marker())
	cmd.Stdout = w
	f.stderr = &tail{max: 4 << 10}
	cmd.Stderr = f.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("%s: start %s: %w", f.Kind, exe, err)
	}
	f.cmd, f.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(f.exited)
	proc, err := chaos.Identify(cmd.Process.Pid, true, true)
	if err == nil {
		err = f.journal.Update(f.entry, func(e *chaos.Entry) { e.Stress = append(e.Stress, proc) })
	}
	if err != nil {
		return fmt.Errorf("%s: %w", f.Kind, err)
	}

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	timer := time.NewTimer(stressStartLimit)
	defer timer.Stop()
	select {
	case s := <-line:
		if s == stressReady {
			return nil
		}
		<-f.exited // stdout closed without the ready line: the child is exiting
		return fmt.Errorf("%s: stress child exited before it was ready: %s", f.Kind, f.stderr.String())
	case <-ctx.Done():
		r.Close()
		return fmt.Errorf("%s: %w", f.Kind, ctx.Err())
	case <-timer.C:
		r.Close()
		return fmt.Errorf("%s: stress child not ready after %s", f.Kind, stressStartLimit)
	}
}

// Verify reports whether the child runs.
func (f *stress) Verify(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cmd == nil {
		return fmt.Errorf("%s: not injected", f.Kind)
	}
	select {
	case <-f.exited:
		return fmt.Errorf("%s: stress child exited: %s", f.Kind, f.stderr.String())
	default:
		return nil
	}
}

// Revert kills the child's process group and waits for it.
func (f *stress) Revert(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cmd != nil {
		_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-f.exited:
		case <-ctx.Done():
			return fmt.Errorf("%s: waiting for stress child %d: %w", f.Kind, f.cmd.Process.Pid, ctx.Err())
		}
		f.cmd = nil
	}
	err := f.journal.Remove(f.entry)
	if err == nil {
		f.entry = ""
	}
	return err
}

// String describes the fault.
func (f *stress) String() string { return f.Kind + " (" + strings.Join(f.Args, " ") + ")" }

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.b) == 0 {
		return "(no output)"
	}
	return strings.TrimSpace(string(t.b))
}
