package runners

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// PanicError is a panic recovered in one of a run's long-lived goroutines
// (a worker, the recorder, the fault timeline, the probes). The run stops
// as if cancelled and its owner cleans up — faults reverted, services
// stopped, the record ended — instead of the process dying mid-run.
type PanicError struct {
	// Where names the goroutine.
	Where string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic in the %s: %v\n%s", e.Where, e.Value, e.Stack)
}

// Guard runs fn and reports whether it returned normally. A panic in fn is
// recovered and handed to stop as a *PanicError, which cancels the run.
func Guard(where string, stop context.CancelCauseFunc, fn func()) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			stop(&PanicError{Where: where, Value: v, Stack: debug.Stack()})
		}
	}()
	fn()
	return true
}

// Panicked returns the *PanicError that cancelled ctx, if one did.
func Panicked(ctx context.Context) error {
	var pe *PanicError
	if errors.As(context.Cause(ctx), &pe) {
		return pe
	}
	return nil
}
