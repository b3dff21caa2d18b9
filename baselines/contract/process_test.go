package contract

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/services"
)

// impl is one implementation of the baselines.
type impl struct {
	name string
	// command returns the command line of one role process.
	command func(role, addr string, args ...string) *exec.Cmd
	// threadsMetric is the runtime's own gauge in /metrics.
	threadsMetric string
	// gcCount is the family counting the runtime's garbage collections (summed over
	// its label sets), and gcSum the one of the time they took.
	gcCount, gcSum string
	// retries is the default number of retries per downstream call, and breakerOpenFor how
	// long a breaker stays open: the Python baseline's policy differs on purpose.
	retries        int
	breakerOpenFor time.Duration
}

// skipIfMissing skips t when im's runtime is not installed (the JDK or Python's packages).
func (im impl) skipIfMissing(t *testing.T) {
	t.Helper()
	if im.name == "jvm" && jvmSkip != "" {
		t.Skip(jvmSkip)
	}
	if im.name == "python" && pythonSkip != "" {
		t.Skip(pythonSkip)
	}
}

func implementations() []impl {
	return []impl{
		{
			name: "go",
			command: func(role, addr string, args ...string) *exec.Cmd {
				return exec.Command(goBinary, append([]string{"--role", role, "--addr", addr}, args...)...)
			},
			threadsMetric:  "go_goroutines",
			gcCount:        "go_gc_duration_seconds_count",
			gcSum:          "go_gc_duration_seconds_sum",
			retries:        2,
			breakerOpenFor: time.Second,
		},
		{
			name: "jvm",
			command: func(role, addr string, args ...string) *exec.Cmd {
				// SerialGC and C1 only start faster and smaller; they change no behaviour.
				jvm := []string{"-Dsun.net.httpserver.nodelay=true", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
					"-jar", jvmJar, "--role", role, "--addr", addr}
				return exec.Command("java", append(jvm, args...)...)
			},
			threadsMetric:  "jvm_threads_current",
			gcCount:        "jvm_gc_collection_seconds_count",
			gcSum:          "jvm_gc_collection_seconds_sum",
			retries:        2,
			breakerOpenFor: time.Second,
		},
		{
			name: "python",
			command: func(role, addr string, args ...string) *exec.Cmd {
				return exec.Command(pythonBinary, append([]string{pythonApp, "--role", role, "--addr", addr}, args...)...)
			},
			threadsMetric:  "python_threads",
			gcCount:        "python_gc_collections_total",
			gcSum:          "python_gc_duration_seconds_sum",
			retries:        0,
			breakerOpenFor: 2 * time.Second,
		},
	}
}

// proc is one running role process. It is killed when the test ends, if still running.
type proc struct {
	role, addr string
	cmd        *exec.Cmd
	stderr     *safeBuffer
	done       chan struct{} // closed when the process has exited; then err is set
	err        error
}

// start runs role on addr and waits until its /healthz answers 200.
func start(t *testing.T, im impl, role, addr string, args ...string) *proc {
	t.Helper()
	p := launch(t, im, role, addr, args...)
	p.waitReady(t)
	return p
}

// launch runs role on addr without waiting for it.
func launch(t *testing.T, im impl, role, addr string, args ...string) *proc {
	t.Helper()
	p := &proc{role: role, addr: addr, stderr: &safeBuffer{}, done: make(chan struct{})}
	p.cmd = im.command(role, addr, args...)
	p.cmd.Stderr = p.stderr
	// A process group of its own, so that kill reaches the whole tree (the Python baseline
	// is a gunicorn master and its worker).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s %s: %v", im.name, role, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		log := p.stderr.String()
		if strings.Contains(log, "WARNING: DATA RACE") {
			t.Errorf("%s %s: the race detector reported:\n%s", im.name, role, log)
		} else if t.Failed() {
			t.Logf("%s %s stderr:\n%s", im.name, role, log)
		}
	})
	return p
}

func (p *proc) base() string { return "http://" + p.addr }

// waitReady polls /healthz until it answers 200, failing if the process exits or 30 s pass.
func (p *proc) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(p.base() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\n%s", p.role, p.err, p.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 30s: %v", p.role, err)
		}
	}
}

// kill ends the process at once (SIGKILL), as a crash would.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// terminate sends SIGTERM and returns the exit error (nil for exit code 0), or an error if
// the process is still running 20 s later. It may be called from any goroutine.
func (p *proc) terminate() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(20 * time.Second):
		return fmt.Errorf("%s still running 20s after SIGTERM", p.role)
	}
}

// chain is the order chain of one implementation: gateway → order → inventory, payment.
type chain struct {
	owner                              *testing.T // the test that owns the processes, even those a subtest restarts
	im                                 impl
	gateway, order, inventory, payment *proc
	orderArgs                          []string
}

// maxOrders is the order service's --max-orders in the suite, small to test eviction.
const maxOrders = 3

// startChain starts the four roles at once on free loopback ports, wired by flags, and
// waits until each is ready.
func startChain(t *testing.T, im impl) *chain {
	t.Helper()
	invAddr, payAddr, ordAddr, gwAddr := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	c := &chain{owner: t, im: im}
	c.inventory = launch(t, im, "inventory", invAddr)
	c.payment = launch(t, im, "payment", payAddr)
	c.order = launch(t, im, "order", ordAddr,
		"--inventory", "http://"+invAddr, "--payment", "http://"+payAddr, "--max-orders", strconv.Itoa(maxOrders))
	c.gateway = launch(t, im, "gateway", gwAddr, "--order", "http://"+ordAddr)
	for _, p := range c.all() {
		p.waitReady(t)
	}
	return c
}

func (c *chain) all() []*proc { return []*proc{c.gateway, c.order, c.inventory, c.payment} }

// freeAddr returns a loopback address that was free a moment ago, below the
// kernel's ephemeral range (see services.FreePort): a process that binds it
// a second later, as a JVM does, finds no other test's client socket on it.
func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := services.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// client talks to the services without keeping connections, so a killed or restarted
// process never leaves a stale one behind.
var client = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	Timeout:   20 * time.Second,
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends one request, failing the test on a transport error; tag, if not empty, is the
// X-Gauntlet-Tag value. Call it only from the test's goroutine.
func do(t *testing.T, method, url, body, tag string) response {
	t.Helper()
	r, err := fetch(method, url, body, tag)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fetch is do for any goroutine: it returns the error.
func fetch(method, url, body, tag string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		return response{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tag != "" {
		req.Header.Set("X-Gauntlet-Tag", tag)
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading body: %w", method, url, err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}, nil
}

// metrics scrapes p's /metrics into series → value, where a series is the text before the
// value ("gauntlet_http_tagged_requests_total", `gauntlet_circuit_breaker_open{dependency="payment"}`).
// Call it only from the test's goroutine.
func metrics(t *testing.T, p *proc) map[string]float64 {
	t.Helper()
	m, err := scrape(p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// scrape is metrics for any goroutine: it returns the error.
func scrape(p *proc) (map[string]float64, error) {
	r, err := fetch("GET", p.base()+"/metrics", "", "")
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusOK {
		return nil, fmt.Errorf("%s /metrics = %d", p.role, r.status)
	}
	m := make(map[string]float64)
	sc := bufio.NewScanner(strings.NewReader(r.body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("%s /metrics: bad line %q", p.role, line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("%s /metrics: bad line %q", p.role, line)
		}
		m[line[:i]] = v
	}
	return m, nil
}

// waitMetric polls p's /metrics until series has value want, giving up after 10 s. It may
// be called from any goroutine.
func waitMetric(p *proc, series string, want float64) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := scrape(p)
		if err == nil && m[series] == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s /metrics %s = %v (scrape error %v) for 10s; want %v", p.role, series, m[series], err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// safeBuffer is a bytes.Buffer that the exec copier and the test may use concurrently.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// exitCode is the exit code in err from exec.Cmd.Wait, 0 for nil, -1 for a signal.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
