package main

import (
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

const (
	// maxCPUIterations caps /cpu?n=; larger values are clamped and the response says so.
	maxCPUIterations = 100_000_000
	// maxSleepMillis caps /sleep?ms=; larger values are clamped and the response says so.
	maxSleepMillis = 60_000
	// maxGCMiB caps /gc?mb=; larger values are clamped.
	maxGCMiB = 256
	// gcNodeBytes is the nominal size of one node /gc allocates.
	gcNodeBytes = 64
	// statusClientClosed is nginx's 499, recorded when /sleep ends because the client left.
	statusClientClosed = 499
)

// jsonFixture is the fixed body of GET /json (about 200 bytes).
var jsonFixture = []byte(`{"id":"gauntlet-micro-0001","service":"baseline","kind":"fixture","version":1,` +
	`"active":true,"tags":["load","chaos","latency","throughput"],` +
	`"owner":{"team":"perf","contact":"perf@example.invalid"},"values":[1,2,3,5,8,13,21,34]}`)

// registerMicro adds the micro-comparison endpoints: /ping, /json, /cpu, /sleep, /gc.
func registerMicro(rt *router) {
	rt.handle(http.MethodGet, "/ping", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "pong")
	})
	rt.handle(http.MethodGet, "/json", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, jsonFixture)
	})
	rt.handle(http.MethodGet, "/cpu", handleCPU)
	rt.handle(http.MethodGet, "/sleep", handleSleep)
	rt.handle(http.MethodGet, "/gc", handleGC)
}

// gcNode is one node of the list /gc builds: a pointer for the collector to trace and
// padding to gcNodeBytes.
type gcNode struct {
	next *gcNode
	_    [gcNodeBytes - 8]byte
}

// handleGC allocates about mb MiB as a linked list of gcNodeBytes nodes, keeps it reachable
// while it walks it, and answers {"mb":N,"nodes":COUNT}: garbage-collector work in
// proportion to mb, so that the collector's pauses show in the service's latency.
func handleGC(w http.ResponseWriter, r *http.Request) {
	mb, ok := intParam(r, "mb", maxGCMiB)
	if !ok {
		writeText(w, http.StatusBadRequest, "mb must be a non-negative integer")
		return
	}
	var head *gcNode
	for range mb << 20 / gcNodeBytes {
		head = &gcNode{next: head}
	}
	nodes := 0
	for n := head; n != nil; n = n.next {
		nodes++
	}
	body := append([]byte(`{"mb":`), strconv.Itoa(mb)...)
	body = append(body, `,"nodes":`...)
	body = strconv.AppendInt(body, int64(nodes), 10)
	body = append(body, '}')
	writeJSON(w, http.StatusOK, body)
}

// handleCPU runs cpuWork(n) and answers {"n":N,"result":R}.
func handleCPU(w http.ResponseWriter, r *http.Request) {
	n, ok := intParam(r, "n", maxCPUIterations)
	if !ok {
		writeText(w, http.StatusBadRequest, "n must be a non-negative integer")
		return
	}
	body := append([]byte(`{"n":`), strconv.Itoa(n)...)
	body = append(body, `,"result":`...)
	body = strconv.AppendUint(body, cpuWork(n), 10)
	body = append(body, '}')
	writeJSON(w, http.StatusOK, body)
}

// cpuWork is a deterministic CPU loop of n steps that the compiler cannot remove because
// its result is returned. Each step is FNV-1a on a whole 64-bit word:
//
//	x = 0xcbf29ce484222325; for i in 0..n-1: x = (x XOR i) * 0x100000001b3  (mod 2^64)
//
// Other baselines compute the same value, printed as an unsigned decimal.
func cpuWork(n int) uint64 {
	x := uint64(0xcbf29ce484222325)
	for i := 0; i < n; i++ {
		x ^= uint64(i)
		x *= 0x100000001b3
	}
	return x
}

// handleSleep waits ms milliseconds and answers {"slept_ms":N}. If the client goes away
// first it stops at once and records 499.
func handleSleep(w http.ResponseWriter, r *http.Request) {
	ms, ok := intParam(r, "ms", maxSleepMillis)
	if !ok {
		writeText(w, http.StatusBadRequest, "ms must be a non-negative integer")
		return
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		w.WriteHeader(statusClientClosed)
		return
	}
	body := append([]byte(`{"slept_ms":`), strconv.Itoa(ms)...)
	body = append(body, '}')
	writeJSON(w, http.StatusOK, body)
}

// intParam reads query parameter name as an integer in [0, limit], clamping larger values to
// limit. ok is false when it is missing, malformed or negative.
func intParam(r *http.Request, name string, limit int) (v int, ok bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		// A well-formed integer too large for int is still only "too large".
		if errors.Is(err, strconv.ErrRange) && s[0] != '-' {
			return limit, true
		}
		return 0, false
	}
	if v < 0 {
		return 0, false
	}
	return min(v, limit), true
}

// maxLeaked bounds the goroutines /leak leaves behind, so that its memory stays bounded.
const maxLeaked = 100_000

var (
	leaked      atomic.Int64
	leakForever = make(chan struct{}) // never closed: what every leaked goroutine waits on
)

// registerLeak adds GET /leak to the micro role: a deliberately leaking endpoint that
// starts a goroutine that never ends (up to maxLeaked in all) and answers {"leaked":N}, the
// number left behind so far. It proves gauntlet's leak check; the chain's roles lack it.
func registerLeak(rt *router, _ config) error {
	rt.handle(http.MethodGet, "/leak", func(w http.ResponseWriter, _ *http.Request) {
		n := leaked.Add(1)
		if n > maxLeaked {
			n = leaked.Add(-1)
		} else {
			go func() { <-leakForever }()
		}
		writeJSON(w, http.StatusOK, append(strconv.AppendInt([]byte(`{"leaked":`), n, 10), '}'))
	})
	return nil
}
