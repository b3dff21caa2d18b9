package runners

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// An alarm is a timerfd in the Go runtime's network poller. The runtime
// waits for its goroutines' timers in epoll_wait, whose timeout has a
// millisecond's resolution: when nothing else wakes the process, a timer
// due 300 µs ahead fires up to a millisecond late. A timerfd expires on time
// (a kernel hrtimer) and wakes the poller, and the runtime then runs every
// goroutine timer that is due. Waiting on it parks the goroutine; no thread
// is held. An alarm is for one goroutine; Close may come from any.
type alarm struct {
	f    *os.File
	rc   syscall.RawConn
	arm  func(fd uintptr) // sets spec, leaves the result in err
	spec unix.ItimerSpec
	err  error
	buf  [8]byte
}

// newAlarm returns an alarm, or an error where timerfd is refused.
func newAlarm() (*alarm, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// A non-blocking descriptor joins the runtime's poller.
	a := &alarm{f: os.NewFile(uintptr(fd), "timerfd")}
	if a.rc, err = a.f.SyscallConn(); err != nil {
		a.f.Close()
		return nil, err
	}
	a.arm = func(fd uintptr) { a.err = unix.TimerfdSettime(int(fd), 0, &a.spec, nil) }
	return a, nil
}

// wait blocks for d (at least 1 ns) and returns nil, or an error once the
// alarm is closed. With every > 0 the alarm goes on expiring every every
// after that, and next waits for those expiries without setting it again.
func (a *alarm) wait(d, every time.Duration) error {
	a.spec.Value = unix.NsecToTimespec(int64(max(d, 1)))
	a.spec.Interval = unix.NsecToTimespec(int64(max(every, 0)))
	if err := a.rc.Control(a.arm); err != nil {
		return err
	}
	if a.err != nil {
		return a.err
	}
	return a.next()
}

// next blocks until the alarm's next expiry (of the interval wait set), or
// returns at once if it expired since the last wait.
func (a *alarm) next() error {
	// The read comes first, then the wait for the poller: a readiness the
	// poller saw before this read began is forgotten, so an expiry from
	// then is found only by reading.
	_, err := a.f.Read(a.buf[:])
	return err
}

// Close releases the alarm; a wait in progress returns an error.
func (a *alarm) Close() error { return a.f.Close() }
