package probes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeProc is one process in a fake /proc: CPU times in clock ticks.
type fakeProc struct {
	pid, ppid                    int32
	state                        byte
	utime, stime, cutime, cstime uint64
	threads, start, rssPages     uint64
}

func writeFakeProc(t *testing.T, dir string, procs []fakeProc) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	for _, p := range procs {
		state := p.state
		if state == 0 {
			state = 'S'
		}
		line := fmt.Sprintf("%d (fake proc) %c %d 0 0 0 -1 0 0 0 0 0 %d %d %d %d 20 0 %d 0 %d 1000 %d 0\n",
			p.pid, state, p.ppid, p.utime, p.stime, p.cutime, p.cstime, p.threads, p.start, p.rssPages)
		pd := filepath.Join(dir, fmt.Sprint(p.pid))
		if err := os.MkdirAll(pd, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pd, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProcessTreeAccounting walks a fake /proc through a tree's life: the
// CPU of reaped children arrives through the parent's cutime, an orphaned
// grandchild stays in the tree, and one that dies unreaped by the tree keeps
// its last seen CPU.
func TestProcessTreeAccounting(t *testing.T) {
	t.Parallel()
	initProc := fakeProc{pid: 1, ppid: 0, threads: 1, start: 1}
	other := fakeProc{pid: 200, ppid: 1, utime: 5000, threads: 3, start: 50, rssPages: 1000}
	otherChild := fakeProc{pid: 201, ppid: 200, utime: 100, threads: 1, start: 60, rssPages: 10}
	root := fakeProc{pid: 100, ppid: 1, utime: 80, stime: 20, threads: 10, start: 40, rssPages: 100}
	child := fakeProc{pid: 101, ppid: 100, utime: 150, stime: 50, threads: 2, start: 41, rssPages: 50}
	steps := []struct {
		name        string
		procs       func() []fakeProc
		wantCPU     float64
		wantThreads float64
		wantRSS     uint64 // pages
		wantGone    bool
	}{
		{
			name:        "root and child",
			procs:       func() []fakeProc { return []fakeProc{initProc, other, root, child} },
			wantCPU:     1.0 + 2.0,
			wantThreads: 12,
			wantRSS:     150,
		},
		{
			name: "child reaped by root; unrelated process forks",
			procs: func() []fakeProc {
				r := root
				r.cutime = 250 // the child's final 2.5 s
				return []fakeProc{initProc, other, otherChild, r}
			},
			wantCPU:     1.0 + 2.5,
			wantThreads: 10,
			wantRSS:     100,
		},
		{
			name: "new child and grandchild",
			procs: func() []fakeProc {
				r := root
				r.cutime = 250
				return []fakeProc{initProc, other, otherChild, r,
					{pid: 102, ppid: 100, utime: 50, threads: 1, start: 70, rssPages: 5},
					{pid: 103, ppid: 102, utime: 50, threads: 1, start: 71, rssPages: 7},
				}
			},
			wantCPU:     3.5 + 0.5 + 0.5,
			wantThreads: 12,
			wantRSS:     112,
		},
		{
			name: "child reaped by root, grandchild orphaned to init",
			procs: func() []fakeProc {
				r := root
				r.cutime = 250 + 60
				return []fakeProc{initProc, other, otherChild, r,
					{pid: 103, ppid: 1, utime: 70, threads: 1, start: 71, rssPages: 7},
				}
			},
			wantCPU:     4.1 + 0.7,
			wantThreads: 11,
			wantRSS:     107,
		},
		{
			name: "orphan reaped by init keeps its CPU",
			procs: func() []fakeProc {
				r := root
				r.cutime = 250 + 60
				return []fakeProc{initProc, other, otherChild, r}
			},
			wantCPU:     4.1 + 0.7,
			wantThreads: 10,
			wantRSS:     100,
		},
		{
			name: "root a zombie",
			procs: func() []fakeProc {
				r := root
				r.state = 'Z'
				return []fakeProc{initProc, other, r}
			},
			wantGone: true,
		},
		{
			name: "root pid reused",
			procs: func() []fakeProc {
				r := root
				r.start = 999
				return []fakeProc{initProc, other, r}
			},
			wantGone: true,
		},
		{
			name:     "root gone",
			procs:    func() []fakeProc { return []fakeProc{initProc, other} },
			wantGone: true,
		},
	}
	dir := t.TempDir()
	s := ProcessTree("svc", int(root.pid)).(*processTree)
	s.scanner = newProcScanner(dir)
	page := float64(os.Getpagesize())
	for _, st := range steps {
		writeFakeProc(t, dir, st.procs())
		rd, err := s.Sample(context.Background(), time.Now())
		if st.wantGone {
			if !errors.Is(err, ErrGone) {
				t.Errorf("%s: Sample() error = %v; want ErrGone", st.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: Sample() error: %v", st.name, err)
		}
		if got := rd.Values["cpu_seconds_total"]; !approx(got, st.wantCPU) {
			t.Errorf("%s: cpu_seconds_total = %v; want %v", st.name, got, st.wantCPU)
		}
		if got := rd.Values["threads"]; got != st.wantThreads {
			t.Errorf("%s: threads = %v; want %v", st.name, got, st.wantThreads)
		}
		if got, want := rd.Values["rss_bytes"], float64(st.wantRSS)*page; got != want {
			t.Errorf("%s: rss_bytes = %v; want %v", st.name, got, want)
		}
	}
}
