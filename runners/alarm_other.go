//go:build !linux

package runners

import (
	"errors"
	"time"
)

// alarm has no timerfd to wait on outside Linux; the open model's workers
// rely on Go's timers alone there.
type alarm struct{}

func newAlarm() (*alarm, error) { return nil, errors.ErrUnsupported }

func (*alarm) wait(_, _ time.Duration) error { return errors.ErrUnsupported }

func (*alarm) next() error { return errors.ErrUnsupported }

func (*alarm) Close() error { return nil }
