package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
)

// FailedDependencyHeader is set by a hop on a 502/503 it answers because one of its own
// dependencies failed. The caller passes such a response through instead of retrying it or
// counting it against the hop's breaker: the hop is up, its dependency is not, and retrying
// at every layer would multiply the load on the failing service.
const FailedDependencyHeader = "X-Gauntlet-Failed-Dependency"

const (
	// maxReplyBody bounds how much of a downstream answer is read.
	maxReplyBody = 1 << 20
	// backoffBase is the delay before the first retry; retry n waits about backoffBase·2^n.
	backoffBase = 10 * time.Millisecond
)

// Outcomes of one downstream call (all its attempts), the outcome label in /metrics.
type outcome int

const (
	outcomeSuccess     outcome = iota // answered 2xx
	outcomeHTTPError                  // answered with a status that is not retried (4xx, 500, a passed-through 503)
	outcomeFailure                    // connection errors, timeouts or 502/503/504 until retries ran out
	outcomeCircuitOpen                // not sent (or retries stopped) because the breaker was open
	outcomeCanceled                   // the inbound request went away first
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"success", "http_error", "failure", "circuit_open", "canceled"}

// errCircuitOpen is returned by call when the breaker refused the attempt.
var errCircuitOpen = errors.New("circuit breaker open")

// depStats is what /metrics shows about one dependency.
type depStats struct {
	name     string
	outcomes [numOutcomes]atomic.Uint64
	retries  atomic.Uint64
	attempts atomic.Uint64 // sent: the first attempt of a call and its retries
	slowest  atomic.Int64  // the longest attempt so far, in nanoseconds
	timeout  time.Duration // per attempt, as configured
	breaker  *breaker
}

// observeAttempt keeps d if it is the longest attempt so far.
func (s *depStats) observeAttempt(d time.Duration) {
	for {
		cur := s.slowest.Load()
		if int64(d) <= cur || s.slowest.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// reply is a downstream answer, body read in full.
type reply struct {
	status      int
	contentType string
	failedDep   string // the FailedDependencyHeader value, if any
	body        []byte
}

// downstream calls one dependency with a per-attempt timeout, bounded retries with
// exponential backoff and jitter, and a circuit breaker. It is safe for concurrent use.
type downstream struct {
	name    string
	base    string
	client  *http.Client
	conn    *grpc.ClientConn // gRPC mode: attempts are calls on it (grpcdownstream.go)
	timeout time.Duration
	retries int
	stats   *depStats
}

// newTransport returns the connection pool shared by a process's downstream calls. The
// default of 2 idle connections per host would make a loaded hop open and close a
// connection per request and run out of ephemeral ports.
func newTransport(timeout time.Duration) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// call sends method base+path with body (JSON, or nil) and the traffic tag (if not empty).
// It retries connection errors and 502/503/504 answers that do not carry
// FailedDependencyHeader, up to d.retries times; it does not retry timeouts, because the
// request may still be running on a hop that is already slow. The error is errCircuitOpen,
// the caller's context error, or the last attempt's failure; reply is then empty.
//
// Reserve and charge are POSTs and retrying them is a choice: each charge carries its order
// id, so a real payment service could deduplicate it, and inventory is a benchmark target
// that never runs out.
func (d *downstream) call(ctx context.Context, method, path string, body []byte, tag string) (reply, error) {
	var lastErr error
	for attempt := 0; attempt <= d.retries; attempt++ {
		if attempt > 0 {
			if err := sleepCtx(ctx, backoff(attempt-1)); err != nil {
				d.stats.outcomes[outcomeCanceled].Add(1)
				return reply{}, err
			}
		}
		if !d.stats.breaker.allow(time.Now()) {
			d.stats.outcomes[outcomeCircuitOpen].Add(1)
			return reply{}, errCircuitOpen
		}
		if attempt > 0 {
			d.stats.retries.Add(1)
		}
		d.stats.attempts.Add(1)
		sent := time.Now()
		rep, timedOut, err := d.attempt(ctx, method, path, body, tag)
		d.stats.observeAttempt(time.Since(sent))
		switch {
		case ctx.Err() != nil:
			d.stats.breaker.abandon()
			d.stats.outcomes[outcomeCanceled].Add(1)
			return reply{}, ctx.Err()
		case err == nil && !retryableStatus(rep):
			d.stats.breaker.success(time.Now())
			if rep.status >= 200 && rep.status < 300 {
				d.stats.outcomes[outcomeSuccess].Add(1)
			} else {
				d.stats.outcomes[outcomeHTTPError].Add(1)
			}
			return rep, nil
		}
		d.stats.breaker.failure(time.Now())
		if err == nil {
			err = fmt.Errorf("answered %d", rep.status)
		}
		lastErr = err
		if timedOut {
			break
		}
	}
	d.stats.outcomes[outcomeFailure].Add(1)
	return reply{}, lastErr
}

// attempt sends one request under its own timeout. timedOut reports that the timeout, not
// the caller, ended it.
func (d *downstream) attempt(ctx context.Context, method, path string, body []byte, tag string) (rep reply, timedOut bool, err error) {
	if d.conn != nil {
		return d.attemptGRPC(ctx, path, body, tag)
	}
	actx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, method, d.base+path, bytes.NewReader(body))
	if err != nil {
		return reply{}, false, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tag != "" {
		req.Header.Set(TagHeader, tag)
	}
	resp, err := d.client.Do(req)
	if err == nil {
		rep = reply{
			status:      resp.StatusCode,
			contentType: resp.Header.Get("Content-Type"),
			failedDep:   resp.Header.Get(FailedDependencyHeader),
		}
		rep.body, err = io.ReadAll(io.LimitReader(resp.Body, maxReplyBody))
		resp.Body.Close()
	}
	if err != nil {
		if actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return reply{}, true, errors.New("timed out")
		}
		return reply{}, false, errors.New("connection failed")
	}
	return rep, false, nil
}

// retryableStatus reports whether an answer counts as a failed attempt.
func retryableStatus(rep reply) bool {
	switch rep.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return rep.failedDep == ""
	}
	return false
}

// backoff is the delay before retry n (0-based): backoffBase·2^n with "equal jitter", a
// uniformly random duration in [half, full], so that callers failing together spread out.
func backoff(n int) time.Duration {
	full := backoffBase << n
	return full/2 + rand.N(full/2+1)
}

// sleepCtx waits d or until ctx is done, returning ctx's error in that case.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
