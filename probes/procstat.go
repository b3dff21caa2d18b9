package probes

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat. The kernel fixes
// it at 100 on every architecture Go supports for Linux.
const userHZ = 100

// procStat is what one /proc/<pid>/stat line says about a process.
type procStat struct {
	state    byte
	ppid     int32
	utime    uint64 // clock ticks
	stime    uint64
	cutime   uint64 // reaped children's times
	cstime   uint64
	threads  int64
	start    uint64 // clock ticks since boot
	rssPages uint64
}

// dead reports a zombie or a dying process: no memory, no descriptors.
func (s procStat) dead() bool { return s.state == 'Z' || s.state == 'X' || s.state == 'x' }

// cpuSeconds is the process's own CPU plus that of the children it reaped.
func (s procStat) cpuSeconds() float64 {
	return float64(s.utime+s.stime+s.cutime+s.cstime) / userHZ
}

// A procScanner reads /proc/<pid>/stat files, reusing its buffers between
// scans. It is not safe for concurrent use.
type procScanner struct {
	dir  string
	buf  []byte
	pids []int32
}

func newProcScanner(dir string) *procScanner {
	return &procScanner{dir: dir, buf: make([]byte, 4096)}
}

// scan lists the processes that exist now and returns their pids and the
// stat of those for which want returns true (all if want is nil).
// Processes that vanish during the scan are left out of the stats. The pids
// slice is reused by the next scan.
func (sc *procScanner) scan(want func(pid int32) bool) (pids []int32, stats map[int32]procStat, err error) {
	d, err := os.Open(sc.dir)
	if err != nil {
		return nil, nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, nil, err
	}
	sc.pids = sc.pids[:0]
	stats = make(map[int32]procStat)
	for _, name := range names {
		if name == "" || name[0] < '0' || name[0] > '9' {
			continue
		}
		n, err := strconv.ParseInt(name, 10, 32)
		if err != nil {
			continue
		}
		pid := int32(n)
		sc.pids = append(sc.pids, pid)
		if want != nil && !want(pid) {
			continue
		}
		b, err := sc.read(sc.dir + "/" + name + "/stat")
		if err != nil {
			continue
		}
		if st, err := parseStat(b); err == nil {
			stats[pid] = st
		}
	}
	return sc.pids, stats, nil
}

// read reads a small /proc file in one read(2). Raw system calls skip what
// os.File adds (a poller registration attempt, a finalizer): this runs for
// every process on every sample.
func (sc *procScanner) read(path string) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var n int
	for {
		n, err = syscall.Read(fd, sc.buf)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if n == len(sc.buf) {
		return nil, errors.New("stat line too long")
	}
	return sc.buf[:n], nil
}

// parseStat parses a /proc/<pid>/stat line (proc(5)). The command name is
// in parentheses and may itself contain spaces and parentheses, so fields
// are counted from the last ')'.
func parseStat(b []byte) (procStat, error) {
	var st procStat
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return st, errors.New("malformed stat line")
	}
	// Fields after the name, numbered as in proc(5): 3 state, 4 ppid,
	// 14 utime, 15 stime, 16 cutime, 17 cstime, 20 num_threads,
	// 22 starttime, 24 rss.
	rest := b[i+2:]
	var errs []error
	num := func(f []byte) int64 {
		v, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			errs = append(errs, err)
		}
		return max(v, 0)
	}
	field := 3
	for len(rest) > 0 && field <= 24 {
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			j = len(rest)
		}
		f := bytes.TrimSpace(rest[:j])
		switch field {
		case 3:
			if len(f) > 0 {
				st.state = f[0]
			}
		case 4:
			st.ppid = int32(num(f))
		case 14:
			st.utime = uint64(num(f))
		case 15:
			st.stime = uint64(num(f))
		case 16:
			st.cutime = uint64(num(f))
		case 17:
			st.cstime = uint64(num(f))
		case 20:
			st.threads = num(f)
		case 22:
			st.start = uint64(num(f))
		case 24:
			st.rssPages = uint64(num(f))
		}
		field++
		if j == len(rest) {
			rest = nil
		} else {
			rest = rest[j+1:]
		}
	}
	if field <= 24 {
		return st, fmt.Errorf("stat line has %d fields; want at least 24", field-1)
	}
	if st.state == 0 {
		return st, errors.New("stat line has no state")
	}
	return st, errors.Join(errs...)
}
