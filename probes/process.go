package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/shirou/gopsutil/v4/process"
)

// ProcessTree returns a Sampler of the process pid and all its descendants,
// including those started after the first sample, with the values
//
//	rss_bytes          sum of resident set sizes
//	cpu_seconds_total  user+system CPU of the tree (see below)
//	threads            sum of thread counts
//	open_fds           sum of open file descriptors (omitted if any of the
//	                   tree's descriptor tables cannot be read)
//
// cpu_seconds_total never decreases. It counts each live process's own CPU
// and the CPU of the children it has reaped, so short-lived children are
// counted in full; a descendant that leaves the tree without being reaped by
// a member (it was orphaned, say) keeps its last seen CPU counted. A
// descendant that is orphaned but still runs stays in the tree.
//
// Once pid has exited (or is a zombie, or its pid was reused), Sample
// returns an error wrapping ErrGone. ProcessTree reads /proc and works on
// Linux only.
func ProcessTree(owner string, pid int) Sampler {
	return &processTree{
		owner:      owner,
		root:       int32(pid),
		members:    make(map[int32]*member),
		others:     make(map[int32]bool),
		othersNext: make(map[int32]bool),
		pageSize:   uint64(os.Getpagesize()),
		scanner:    newProcScanner("/proc"),
	}
}

// fullScanEvery is how often, in samples, ProcessTree reads every process's
// stat rather than only the tree's and new processes'.
const fullScanEvery = 20

type processTree struct {
	owner      string
	root       int32
	rootStart  uint64 // start time in clock ticks since boot; 0 before the first sample
	members    map[int32]*member
	others     map[int32]bool // processes outside the tree at the last sample
	othersNext map[int32]bool // scratch for the next others
	samples    int
	exitedCPU  float64 // CPU of members that left the tree unreaped by a member
	lastCPU    float64 // last reported cpu_seconds_total
	pageSize   uint64
	scanner    *procScanner
	queue      []int32 // scratch for the tree walk
}

// A member is one process of the tree as last seen.
type member struct {
	p     *process.Process
	start uint64
	ppid  int32
	cpu   float64 // own and reaped children's CPU seconds
}

var _ Sampler = (*processTree)(nil)

func (t *processTree) Sample(ctx context.Context, now time.Time) (metrics.Readings, error) {
	rd := metrics.Readings{Owner: t.owner, Time: now}
	if err := ctx.Err(); err != nil {
		return rd, err
	}
	// Only the tree and processes new since the last sample need reading:
	// a process outside the tree cannot move into it (it can only be
	// reparented to init or a subreaper). A full scan now and then covers a
	// pid reused between two samples.
	full := t.samples%fullScanEvery == 0
	t.samples++
	pids, procs, err := t.scanner.scan(func(pid int32) bool { return full || !t.others[pid] })
	if err != nil {
		return rd, fmt.Errorf("process tree %d: %w", t.root, err)
	}
	root, ok := procs[t.root]
	if !ok || root.dead() || (t.rootStart != 0 && root.start != t.rootStart) {
		return rd, fmt.Errorf("process %d: %w", t.root, ErrGone)
	}
	t.rootStart = root.start

	tree := t.walk(procs)
	// Remember the processes known to be outside the tree: those read now,
	// and those skipped because they were outside before. A process whose
	// stat could not be read is read again next time.
	others := t.othersNext
	clear(others)
	for _, pid := range pids {
		if _, in := tree[pid]; in {
			continue
		}
		if _, read := procs[pid]; read || t.others[pid] {
			others[pid] = true
		}
	}
	t.others, t.othersNext = others, t.others
	// Members that left the tree: a member that reaped them holds their CPU
	// in its children's times now; otherwise keep their last seen CPU.
	for pid, m := range t.members {
		if _, in := tree[pid]; in {
			continue
		}
		if _, parentIn := tree[m.ppid]; !parentIn {
			t.exitedCPU += m.cpu
		}
		delete(t.members, pid)
	}

	var rss, threads, fds, cpu float64
	fdsOK := true
	for pid, st := range tree {
		if err := ctx.Err(); err != nil {
			return rd, err
		}
		m := t.members[pid]
		if m != nil && m.start != st.start {
			// The pid was reused by a new descendant.
			if _, parentIn := tree[m.ppid]; !parentIn {
				t.exitedCPU += m.cpu
			}
			m = nil
		}
		if m == nil {
			m = &member{p: &process.Process{Pid: pid}, start: st.start}
			t.members[pid] = m
		}
		m.ppid = st.ppid
		m.cpu = st.cpuSeconds()
		cpu += m.cpu
		threads += float64(st.threads)
		rss += float64(st.rssPages * t.pageSize)
		if st.dead() {
			continue
		}
		n, err := m.p.NumFDsWithContext(ctx)
		switch {
		case err == nil:
			fds += float64(n)
		case errors.Is(err, fs.ErrNotExist):
			// Exited since the scan; its other values are from the scan.
		default:
			fdsOK = false
		}
	}
	cpu += t.exitedCPU
	// Children's times reach the parent a moment after the child vanishes
	// from /proc; never let that gap show as a decrease.
	if cpu < t.lastCPU {
		cpu = t.lastCPU
	}
	t.lastCPU = cpu

	rd.Values = map[string]float64{
		"rss_bytes":         rss,
		"cpu_seconds_total": cpu,
		"threads":           threads,
	}
	if fdsOK {
		rd.Values["open_fds"] = fds
	}
	return rd, nil
}

// walk returns the processes of the tree: the root, the members still
// alive (even if orphaned), and every descendant of these.
func (t *processTree) walk(procs map[int32]procStat) map[int32]procStat {
	children := make(map[int32][]int32, len(procs))
	for pid, st := range procs {
		children[st.ppid] = append(children[st.ppid], pid)
	}
	tree := make(map[int32]procStat, len(t.members)+1)
	q := append(t.queue[:0], t.root)
	for pid, m := range t.members {
		if st, ok := procs[pid]; ok && st.start == m.start {
			q = append(q, pid)
		}
	}
	for len(q) > 0 {
		pid := q[len(q)-1]
		q = q[:len(q)-1]
		if _, seen := tree[pid]; seen {
			continue
		}
		tree[pid] = procs[pid]
		q = append(q, children[pid]...)
	}
	t.queue = q
	return tree
}
