package services

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gauntletbench/gauntlet/affinity"
)

const (
	// outputDrainLimit bounds how long the output tail may keep filling after the process
	// exited (a stray child outside the group may still hold the pipe).
	outputDrainLimit = time.Second
	// reapLimit bounds the wait for the exit of a process sent SIGKILL.
	reapLimit = 10 * time.Second
)

// Process is a started service. Its methods are safe for concurrent use.
type Process struct {
	name        string
	pid         int
	addr        string
	stopTimeout time.Duration
	cmd         *exec.Cmd
	out         *tailBuffer
	emit        func(Event)
	startupMs   float64 // set before Start returns, then read-only

	exited    chan struct{} // closed by wait once the process is reaped
	startDone chan struct{} // closed by Start after it emitted "ready" or "failed"
	exitCode  int           // written by wait before exited is closed
	signal    string        // written by wait before exited is closed

	mu         sync.Mutex
	ready      bool          // Start succeeded
	stopping   bool          // Stop or a failed Start owns the end of the process
	unexpected bool          // wait reported "exited"
	stopDone   chan struct{} // closed when the first Stop returns
	stopErr    error         // written before stopDone is closed
}

// StartError is returned by Start when the process could not be started or made ready. Its
// message includes the output tail.
type StartError struct {
	// Service is the Spec's Name.
	Service string
	// Err is the cause; errors.Is sees context errors and os.ErrNotExist through it.
	Err error
	// OutputTail is the last few KiB of the process's output, empty if it never ran.
	OutputTail string
}

// Error returns the service, the cause and the output tail.
func (e *StartError) Error() string {
	if e.OutputTail == "" {
		return fmt.Sprintf("start %s: %v (no output)", e.Service, e.Err)
	}
	return fmt.Sprintf("start %s: %v; output tail:\n%s", e.Service, e.Err, e.OutputTail)
}

// Unwrap returns Err.
func (e *StartError) Unwrap() error { return e.Err }

// Start allocates a free loopback port (unless spec.Port is set), substitutes the
// placeholders, executes the command in its own process group with stdin from /dev/null,
// and polls spec.Ready until it answers 200. It returns once the service is ready.
//
// Events go to emit, which may be nil. emit is called synchronously from several goroutines
// (this one, a per-process watcher, callers of Stop), so it must be safe for concurrent use;
// it must not block for long and must not call Stop. Events of one process arrive in order:
// started, ready, then exited or stopped; or started, failed.
//
// If the process exits before it is ready, StartTimeout passes or ctx is done, Start kills
// the process group, waits for it and returns a *StartError with the output tail.
func Start(ctx context.Context, spec Spec, emit func(Event)) (*Process, error) {
	if emit == nil {
		emit = func(Event) {}
	}
	spec = withDefaults(spec)
	fail := func(pid int, err error, tail string) (*Process, error) {
		emit(Event{Time: time.Now(), Service: spec.Name, Kind: EventFailed, PID: pid, Message: err.Error(), OutputTail: tail})
		return nil, &StartError{Service: spec.Name, Err: err, OutputTail: tail}
	}
	port := spec.Port
	if port == 0 {
		var err error
		if port, err = FreePort(); err != nil {
			return fail(0, err, "")
		}
	}
	l, err := resolve(spec, port)
	if err != nil {
		return fail(0, err, "")
	}
	var logFile *os.File
	if spec.LogPath != "" {
		if logFile, err = openLog(spec.LogPath); err != nil {
			return fail(0, err, "")
		}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return fail(0, err, "")
	}

	cmd := exec.Command(l.command[0], l.command[1:]...)
	cmd.Env = l.env
	cmd.Dir = spec.Dir
	cmd.Stdout = outW
	cmd.Stderr = outW
	// A session of its own (which is also a process group of its own, so
	// signals reach the whole tree): a service that a fault paused stays
	// paused if gauntlet itself is killed, instead of getting the SIGHUP the
	// kernel sends a newly orphaned process group with a stopped member —
	// `gauntlet recover` resumes it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	began := time.Now()
	err = affinity.Start(spec.CPUs, cmd.Start)
	outW.Close() // the child holds its own copy
	if err != nil {
		outR.Close()
		if logFile != nil {
			logFile.Close()
		}
		return fail(0, err, "")
	}

	p := &Process{
		name:        spec.Name,
		pid:         cmd.Process.Pid,
		addr:        "127.0.0.1:" + strconv.Itoa(port),
		stopTimeout: spec.StopTimeout,
		cmd:         cmd,
		out:         newTailBuffer(tailSize),
		emit:        emit,
		exited:      make(chan struct{}),
		startDone:   make(chan struct{}),
	}
	pumped := make(chan struct{})
	go pump(outR, p.out, logFile, pumped)
	go p.wait(outR, pumped)
	emit(Event{Time: time.Now(), Service: p.name, Kind: EventStarted, PID: p.pid})

	if err := waitReady(ctx, l.ready, spec.StartTimeout, p.exited); err != nil {
		defer close(p.startDone)
		p.mu.Lock()
		p.stopping = true
		p.mu.Unlock()
		if reapErr := p.kill(); reapErr != nil {
			err = errors.Join(err, reapErr)
		} else if errors.Is(err, errExited) {
			err = fmt.Errorf("%w with %s", err, p.exitDescription())
		}
		return fail(p.pid, err, p.out.String())
	}
	p.startupMs = float64(time.Since(began)) / float64(time.Millisecond)
	p.mu.Lock()
	p.ready = true
	p.mu.Unlock()
	emit(Event{Time: time.Now(), Service: p.name, Kind: EventReady, PID: p.pid, StartupMs: p.startupMs})
	close(p.startDone)
	return p, nil
}

// openLog opens path for appending, creating it and its directory if needed.
func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	return f, nil
}

// wait reaps the process, finishes its output and reports an unexpected exit.
func (p *Process) wait(outR *os.File, pumped <-chan struct{}) {
	_ = p.cmd.Wait()
	// The service is over once its leader is; leftovers in its group go too.
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	select {
	case <-pumped:
	case <-time.After(outputDrainLimit):
	}
	outR.Close()
	<-pumped
	p.exitCode, p.signal = exitStatus(p.cmd.ProcessState)
	close(p.exited)

	<-p.startDone
	p.mu.Lock()
	report := p.ready && !p.stopping
	p.unexpected = report
	p.mu.Unlock()
	if report {
		p.emit(Event{
			Time: time.Now(), Service: p.name, Kind: EventExited, PID: p.pid,
			ExitCode: p.exitCode, Signal: p.signal, Unexpected: true,
			Message:    "exited unexpectedly with " + p.exitDescription(),
			OutputTail: p.out.String(),
		})
	}
}

// exitStatus returns the exit code, or -1 and the signal's name if a signal ended it.
func exitStatus(ps *os.ProcessState) (code int, signal string) {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal().String()
	}
	return ps.ExitCode(), ""
}

// exitDescription is "exit code N" or "signal NAME"; call it only after exited is closed.
func (p *Process) exitDescription() string {
	if p.signal != "" {
		return "signal " + p.signal
	}
	return "exit code " + strconv.Itoa(p.exitCode)
}

// signalGroup sends sig to the process group unless the process has been reaped already
// (its id could then be reused).
func (p *Process) signalGroup(sig syscall.Signal) {
	select {
	case <-p.exited:
	default:
		_ = syscall.Kill(-p.pid, sig)
	}
}

// kill sends SIGKILL to the group and waits for the process to be reaped.
func (p *Process) kill() error {
	p.signalGroup(syscall.SIGKILL)
	select {
	case <-p.exited:
		return nil
	case <-time.After(reapLimit):
		return fmt.Errorf("pid %d not reaped %s after SIGKILL", p.pid, reapLimit)
	}
}

// Name returns the service name from its Spec.
func (p *Process) Name() string { return p.name }

// PID returns the process id, which is also its process group id.
func (p *Process) PID() int { return p.pid }

// Addr returns "127.0.0.1:PORT", the address the service was told to listen on.
func (p *Process) Addr() string { return p.addr }

// URL returns "http://127.0.0.1:PORT".
func (p *Process) URL() string { return "http://" + p.addr }

// StartupMs returns exec → first 200 from Ready in milliseconds.
func (p *Process) StartupMs() float64 { return p.startupMs }

// Exited returns a channel closed when the process has exited for any reason and been
// reaped.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// OutputTail returns the last few KiB of the process's combined stdout and stderr.
func (p *Process) OutputTail() string { return p.out.String() }

// FreePort returns a TCP port on 127.0.0.1 that was free when it returned, for a process
// that binds it itself a moment (or, for a JVM or a Python server, a second or two) later.
// It picks below the kernel's ephemeral range (ip_local_port_range) when it can: ports
// there are never handed to outgoing connections, so a load generator's own client
// sockets cannot take the port before the service binds it. It never hands out the same
// port twice in a row within a process. Another process may still bind it first.
func FreePort() (int, error) {
	lo, hi := belowEphemeral()
	for range 64 {
		if hi <= lo {
			break
		}
		port := lo + rand.IntN(hi-lo)
		if !freePorts.claim(port) {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ln.Close()
		return port, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// minFreePort is the lowest port FreePort picks: above the well-known and most
// registered ports services on a developer's machine use.
const minFreePort = 20000

// belowEphemeral returns the range [lo, hi) FreePort picks from: from minFreePort up to
// the start of the kernel's ephemeral port range, or an empty range when that range is
// unknown or starts too low.
func belowEphemeral() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0
	}
	start, err := strconv.Atoi(f[0])
	if err != nil || start-minFreePort < 1000 {
		return 0, 0
	}
	return minFreePort, start
}

// handedOut remembers the ports FreePort returned lately, so two services started in the
// same moment never get the same port.
type handedOut struct {
	mu   sync.Mutex
	seen map[int]bool
	ring [512]int
	next int
}

var freePorts = &handedOut{seen: map[int]bool{}}

// claim records port as handed out and reports whether it was not handed out lately.
func (h *handedOut) claim(port int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen[port] {
		return false
	}
	delete(h.seen, h.ring[h.next])
	h.ring[h.next] = port
	h.next = (h.next + 1) % len(h.ring)
	h.seen[port] = true
	return true
}
