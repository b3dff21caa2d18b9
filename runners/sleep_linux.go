package runners

import (
	"syscall"
	"time"
)

// preciseSleep sleeps for d with nanosleep(2), whose wake-up is accurate to
// the kernel's timer slack (about 50 µs) rather than the runtime's
// millisecond-rounded idle wait.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	// EINTR only shortens the sleep; the caller loops until its deadline.
	_ = syscall.Nanosleep(&ts, nil)
}
