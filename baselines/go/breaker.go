package main

import (
	"sync"
	"time"
)

// Circuit breaker settings, the same in baselines/jvm.
const (
	breakerThreshold = 5           // consecutive failed attempts that open the breaker
	breakerOpenFor   = time.Second // how long it stays open before one trial is let through
)

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

// breaker is a consecutive-failure circuit breaker for one dependency. Closed, it lets every
// attempt through and opens after threshold consecutive failures. Open, it refuses attempts
// for openFor, then becomes half-open and lets exactly one trial attempt through: success
// closes it, failure opens it again. Every attempt that allow admitted must be followed by
// exactly one of success, failure or abandon. The clock is a parameter, so tests need no
// sleeping. A breaker is safe for concurrent use.
type breaker struct {
	threshold int
	openFor   time.Duration

	mu       sync.Mutex
	state    breakerState
	failures int // consecutive, while closed
	openedAt time.Time

	// What /metrics reports of the breaker's history: how often it opened from closed,
	// and how long it has refused calls (open or half-open) in all, the current spell
	// (since refusingSince) included.
	opened        uint64
	refusedFor    time.Duration
	refusingSince time.Time
}

func newBreaker() *breaker {
	return &breaker{threshold: breakerThreshold, openFor: breakerOpenFor}
}

// allow reports whether an attempt may be sent at now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerClosed:
		return true
	case breakerOpen:
		if now.Sub(b.openedAt) < b.openFor {
			return false
		}
		b.state = breakerHalfOpen // this caller carries the trial
		return true
	default: // half-open: the trial is in flight
		return false
	}
}

// success records an admitted attempt that the dependency answered acceptably at now.
func (b *breaker) success(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		return // a late answer to an attempt admitted before the breaker opened
	case breakerHalfOpen:
		b.refusedFor += now.Sub(b.refusingSince)
	}
	b.state = breakerClosed
	b.failures = 0
}

// failure records an admitted attempt that failed at now.
func (b *breaker) failure(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerClosed:
		b.failures++
		if b.failures >= b.threshold {
			b.state, b.openedAt = breakerOpen, now
			b.opened++
			b.refusingSince = now
		}
	case breakerHalfOpen:
		b.state, b.openedAt = breakerOpen, now
	}
}

// abandon records an admitted attempt whose outcome says nothing about the dependency (the
// caller went away). A half-open breaker goes back to open with its window already elapsed,
// so the next caller carries a new trial.
func (b *breaker) abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == breakerHalfOpen {
		b.state = breakerOpen
	}
}

// isOpen reports whether the breaker is refusing attempts (open or half-open).
func (b *breaker) isOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state != breakerClosed
}

// history returns how many times the breaker opened from closed and how long, up to now, it
// has refused attempts (open or half-open) in all.
func (b *breaker) history(now time.Time) (opened uint64, refused time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	refused = b.refusedFor
	if b.state != breakerClosed {
		refused += now.Sub(b.refusingSince)
	}
	return b.opened, refused
}
