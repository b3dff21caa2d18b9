package runners

import (
	"errors"
	"testing"
	"time"
)

// testAlarm returns a new alarm, closed when the test ends, or skips the
// test where there is none.
func testAlarm(t *testing.T) *alarm {
	t.Helper()
	a, err := newAlarm()
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("no timerfd on this system: the open model uses Go timers alone")
	}
	if err != nil {
		t.Fatalf("newAlarm() = %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestAlarm checks the open model's alarm: a wait lasts at least its
// duration, the alarm can be waited on again, and Close ends a wait in
// progress with an error.
func TestAlarm(t *testing.T) {
	t.Parallel()
	a := testAlarm(t)
	for _, d := range []time.Duration{0, 2 * time.Millisecond, 300 * time.Microsecond} {
		start := time.Now()
		if err := a.wait(d, 0); err != nil {
			t.Fatalf("wait(%v) = %v; want nil", d, err)
		}
		if el := time.Since(start); el < d {
			t.Errorf("wait(%v) returned after %v; want at least %v", d, el, d)
		}
	}
	// An alarm that expires before its wait reaches the poller is found
	// too: a thousand waits of 1 ns each return.
	quick := make(chan error, 1)
	go func() {
		for range 1000 {
			if err := a.wait(0, 0); err != nil {
				quick <- err
				return
			}
		}
		quick <- nil
	}()
	select {
	case err := <-quick:
		if err != nil {
			t.Fatalf("wait(0, 0) = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wait(0, 0) did not return: an expiry before the wait was lost")
	}
	done := make(chan error, 1)
	go func() { done <- a.wait(time.Hour, 0) }()
	time.Sleep(20 * time.Millisecond)
	a.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("wait after Close = nil; want an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a wait in progress")
	}
}

// TestAlarmRepeats checks that a wait with an interval keeps the alarm
// expiring: each next returns no sooner than the interval after the last
// expiry, with no new setting.
func TestAlarmRepeats(t *testing.T) {
	t.Parallel()
	a := testAlarm(t)
	const first, every = time.Millisecond, 3 * time.Millisecond
	done := make(chan []time.Duration, 1)
	go func() {
		start := time.Now()
		var at []time.Duration
		if err := a.wait(first, every); err != nil {
			t.Errorf("wait(%v, %v) = %v; want nil", first, every, err)
		}
		for range 3 {
			if err := a.next(); err != nil {
				t.Errorf("next() = %v; want nil", err)
			}
			at = append(at, time.Since(start))
		}
		done <- at
	}()
	select {
	case at := <-done:
		for i, el := range at {
			if want := first + time.Duration(i+1)*every; el < want {
				t.Errorf("next() #%d returned %v after the wait began; want at least %v", i+1, el, want)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("next() did not return: the alarm did not repeat")
	}
}
