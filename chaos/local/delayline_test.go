package local

import (
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos/chaostest"
)

// TestLatencyOnAMultiplexedConnection sends a message every 10 ms on one connection (as
// HTTP/2 multiplexes calls) through a 200 ms downstream latency to an echo server: each
// echo must come back about 200 ms after it was sent. A proxy that slept before each read
// would hold every message that arrived during a sleep for that sleep and its own, about
// 300 ms at the median; 250 ms leaves 50 ms for a busy machine's scheduling.
//
// Not parallel: it runs before the parallel tests, whose timing probes it would disturb.
func TestLatencyOnAMultiplexedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	p, err := NewProxy("api", ln.Addr().String(), TCP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	f := chaostest.MustNew(t, "latency", env(nil, []*Proxy{p}), "{service: api, delay: 200ms}")
	if err := f.Inject(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer f.Revert(t.Context())

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 60
	sent := make([]time.Time, n)
	go func() {
		for i := range n {
			sent[i] = time.Now()
			if _, err := c.Write([]byte{byte(i)}); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	delays := make([]time.Duration, 0, n)
	buf := make([]byte, n)
	for len(delays) < n {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %d echoes: %v", len(delays), err)
		}
		now := time.Now()
		for _, b := range buf[:k] {
			if int(b) != len(delays) {
				t.Fatalf("echo %d came back as %d: out of order", len(delays), b)
			}
			delays = append(delays, now.Sub(sent[b]))
		}
	}
	slices.Sort(delays)
	if lo, p50 := delays[0], delays[n/2]; lo < 195*time.Millisecond || p50 > 250*time.Millisecond {
		t.Errorf("echo delays through a 200ms latency: min %s, p50 %s; want min >= 195ms, p50 <= 250ms", lo, p50)
	}
}
