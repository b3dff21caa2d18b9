package runners

import (
	"errors"
	"testing"
	"time"
)

// TestAlarm checks the open model's alarm: a wait lasts at least its
// duration, the alarm can be waited on again, and Close ends a wait in
// progress with an error.
func TestAlarm(t *testing.T) {
	t.Parallel()
	a, err := newAlarm()
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("no timerfd on this system: the open model uses Go timers alone")
	}
	if err != nil {
		t.Fatalf("newAlarm() = %v", err)
	}
	for _, d := range []time.Duration{0, 2 * time.Millisecond, 300 * time.Microsecond} {
		start := time.Now()
		if err := a.wait(d); err != nil {
			t.Fatalf("wait(%v) = %v; want nil", d, err)
		}
		if el := time.Since(start); el < d {
			t.Errorf("wait(%v) returned after %v; want at least %v", d, el, d)
		}
	}
	done := make(chan error, 1)
	go func() { done <- a.wait(time.Hour) }()
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
