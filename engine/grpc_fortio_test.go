package engine

import (
	"bufio"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// fortioBin returns bin/fortio, building it from bench/tools (where its
// version is pinned) when it is missing or older than the pin.
func fortioBin(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "fortio")
	pin, err := os.Stat(filepath.Join(root, "bench", "tools", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(bin); err == nil && !fi.ModTime().Before(pin.ModTime()) {
		return bin
	}
	cmd := exec.Command("go", "build", "-o", bin, "fortio.org/fortio")
	cmd.Dir = filepath.Join(root, "bench", "tools")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fortio: %v\n%s", err, out)
	}
	return bin
}

var fortioGRPCAddr = regexp.MustCompile(`grpc 'ping' server listening on tcp (127\.0\.0\.1:\d+)`)

// fortioServer starts `fortio server` with its gRPC ping endpoint on an
// ephemeral loopback port and returns that address.
func fortioServer(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, fortioBin(t), "server", "-grpc-port", "127.0.0.1:0", "-http-port", "127.0.0.1:0",
		"-redirect-port", "disabled", "-tcp-port", "disabled", "-udp-port", "disabled")
	cmd.Dir = t.TempDir()
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := fortioGRPCAddr.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case addr := <-found:
		return addr
	case <-time.After(30 * time.Second):
		t.Fatal("fortio server did not say where its gRPC ping server listens")
	}
	return ""
}

// TestGRPCFixedRateAgainstFortio drives fortio's gRPC ping server (a server
// gauntlet's authors did not write, its types read by server reflection) at
// 200 calls/s for 5 s: every planned call is made and answered. The p50
// against `fortio load -grpc -ping` at the same rate is measured by
// bench/grpc.sh (a timing, not for a test on a shared machine).
func TestGRPCFixedRateAgainstFortio(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a server for 5 s")
	}
	addr := fortioServer(t)
	src := `
services:
  ping: {url: "http://${URL}"}
load:
  stages: [{for: 5s, rate: 200}]
  connections: 2
requests:
  - name: Ping
    grpc: {target: "${ping}", method: fgrpc.PingServer/Ping, message: {seq: "${seq}", payload: gauntlet}}
    expect: {status: OK, json: {$.payload: gauntlet}}
`
	s, _ := runScenario(t, src, addr, Options{})
	rs := s.Runs[0]
	ping := byName(rs, "Ping")
	if ping == nil {
		t.Fatalf("no Ping calls in the summary: %s", dump(t, rs.ByRequest))
	}
	// The plan is 1,000 calls; 1% is 10. The open model sends each on its
	// schedule and waits for those in flight at the end, so the count is
	// exact unless the generator falls behind and drops calls (counted
	// apart, not as calls).
	const planned = 1000
	if d := math.Abs(float64(ping.Requests - planned)); d > planned/100 {
		t.Errorf("calls = %d (dropped %d); want %d within 1%%", ping.Requests, rs.Dropped, planned)
	}
	if ping.Errors != 0 || ping.StatusCodes["grpc_ok"] != ping.Requests {
		t.Errorf("errors %d, status codes %v; want every call OK with the payload echoed", ping.Errors, ping.StatusCodes)
	}
	if ping.Latency.P50 <= 0 || ping.Latency.P50 > ping.Latency.P99 {
		t.Errorf("latency %+v; want a positive p50 below p99", ping.Latency)
	}
	t.Logf("fortio ping at 200/s for 5 s: %d calls, p50 %.3f ms, p99 %.3f ms", ping.Requests, ping.Latency.P50, ping.Latency.P99)
}
