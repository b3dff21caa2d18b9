package runners

import "golang.org/x/sys/unix"

// reserveDescriptors grows the process's descriptor table to hold n
// descriptors before a load starts, so that the load never waits for it
// to grow.
//
// The kernel grows a process's descriptor table in steps, to 128, 256,
// 512, 1,024 descriptors and so on, and in a process with more than one
// thread each step waits for an RCU grace period: milliseconds, up to tens
// of them on a busy virtual machine. Go makes a socket with a raw system
// call, which keeps the scheduler's processor, so while the table grows
// under a new connection nothing else in the generator runs. At 30,000
// requests per second the open model's pool crossed 256 and 512
// connections in its first tenth of a second, and socket() took 6–16 ms
// each time (perf trace). The requests due meanwhile left late and opened
// more connections still. Grown once before t0, the table costs the run
// nothing.
//
// A runner reserves a descriptor for each request it may have in flight
// and otherDescriptors more.
//
// n is capped below the descriptor limit. It is best effort: where the
// table cannot be grown now, the load grows it as before.
func reserveDescriptors(n int) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	n = int(min(uint64(n), lim.Cur))
	if n <= 0 {
		return
	}
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	// The lowest free descriptor from n-1 on: the table holds at least n.
	if high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, n-1); err == nil {
		unix.Close(high)
	}
}
