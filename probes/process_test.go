package probes

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sample(t testing.TB, s Sampler) map[string]float64 {
	t.Helper()
	rd, err := s.Sample(context.Background(), time.Now())
	if err != nil {
		t.Fatalf("Sample() error: %v", err)
	}
	return rd.Values
}

func TestProcessTreeChild(t *testing.T) {
	t.Parallel()
	h := startHelper(t)
	s := ProcessTree("svc", h.pid())

	rd, err := s.Sample(context.Background(), time.Unix(100, 0))
	if err != nil {
		t.Fatalf("Sample() error: %v", err)
	}
	if rd.Owner != "svc" || !rd.Time.Equal(time.Unix(100, 0)) {
		t.Errorf("Sample() owner, time = %q, %v; want svc, %v", rd.Owner, rd.Time, time.Unix(100, 0))
	}
	idle := rd.Values
	for _, name := range []string{"rss_bytes", "cpu_seconds_total", "threads", "open_fds"} {
		if _, ok := idle[name]; !ok {
			t.Errorf("Sample() lacks %s: %v", name, idle)
		}
	}
	if idle["threads"] < 1 || idle["open_fds"] < 3 || idle["rss_bytes"] <= 0 {
		t.Errorf("Sample() = %v; want threads >= 1, open_fds >= 3 (stdio), rss_bytes > 0", idle)
	}

	steps := []struct {
		cmd          string
		minRSSGrowth float64
		maxRSSGrowth float64
		minCPUGrowth float64
	}{
		{cmd: "alloc", minRSSGrowth: 0.8 * allocBytes, maxRSSGrowth: 3 * allocBytes},
		{cmd: "spin", minRSSGrowth: -0.2 * allocBytes, maxRSSGrowth: 0.5 * allocBytes, minCPUGrowth: 0.2},
	}
	prev := idle
	for _, st := range steps {
		h.must(t, st.cmd)
		got := sample(t, s)
		drss := got["rss_bytes"] - prev["rss_bytes"]
		if drss < st.minRSSGrowth || drss > st.maxRSSGrowth {
			t.Errorf("after %s: rss_bytes grew by %.0f; want %.0f..%.0f", st.cmd, drss, st.minRSSGrowth, st.maxRSSGrowth)
		}
		dcpu := got["cpu_seconds_total"] - prev["cpu_seconds_total"]
		if dcpu < st.minCPUGrowth {
			t.Errorf("after %s: cpu_seconds_total grew by %.2f; want >= %.2f", st.cmd, dcpu, st.minCPUGrowth)
		}
		prev = got
	}

	h.stop()
	_, err = s.Sample(context.Background(), time.Now())
	if !errors.Is(err, ErrGone) {
		t.Errorf("Sample() after exit: error = %v; want ErrGone", err)
	}
}

func TestProcessTreeZombieIsGone(t *testing.T) {
	t.Parallel()
	h := startHelper(t)
	s := ProcessTree("svc", h.pid())
	sample(t, s)
	// End the helper without reaping it: it stays a zombie until stop.
	h.in.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Sample(context.Background(), time.Now())
		if errors.Is(err, ErrGone) {
			break
		}
		if err != nil {
			t.Fatalf("Sample() error = %v; want nil or ErrGone", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("Sample() never returned ErrGone after the process exited")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProcessTreeDescendants(t *testing.T) {
	t.Parallel()
	parent := startHelper(t)
	tree := ProcessTree("svc", parent.pid())
	before := sample(t, tree)

	// The child starts after the first sample and allocates at once.
	child := parent.spawnChild(t)
	withChild := sample(t, tree)
	childAlone := sample(t, ProcessTree("child", child))
	if got, want := withChild["rss_bytes"]-before["rss_bytes"], 0.8*allocBytes; got < want {
		t.Errorf("tree rss_bytes grew by %.0f after spawning a child; want >= %.0f", got, want)
	}
	if got, want := withChild["rss_bytes"], childAlone["rss_bytes"]+before["rss_bytes"]*0.5; got < want {
		t.Errorf("tree rss_bytes = %.0f; want >= child's %.0f plus the parent's", got, childAlone["rss_bytes"])
	}
	if got, want := withChild["threads"], before["threads"]+childAlone["threads"]; got < want {
		t.Errorf("tree threads = %.0f; want >= %.0f", got, want)
	}
	if got, want := withChild["open_fds"], before["open_fds"]+childAlone["open_fds"]; got < want {
		t.Errorf("tree open_fds = %.0f; want >= %.0f", got, want)
	}

	// The child's CPU counts while it lives and after it is reaped.
	cpu := []float64{before["cpu_seconds_total"], withChild["cpu_seconds_total"]}
	if _, err := childSpin(parent); err != nil {
		t.Fatal(err)
	}
	afterSpin := sample(t, tree)
	cpu = append(cpu, afterSpin["cpu_seconds_total"])
	parent.must(t, "reap")
	afterReap := sample(t, tree)
	cpu = append(cpu, afterReap["cpu_seconds_total"])
	for i := 1; i < len(cpu); i++ {
		if cpu[i] < cpu[i-1] {
			t.Errorf("cpu_seconds_total went down: %v", cpu)
		}
	}
	if got := afterSpin["cpu_seconds_total"] - withChild["cpu_seconds_total"]; got < 0.2 {
		t.Errorf("tree cpu_seconds_total grew by %.2f while the child spun 0.3 s; want >= 0.2", got)
	}
	if got, want := afterReap["rss_bytes"], withChild["rss_bytes"]-0.8*allocBytes; got > want {
		t.Errorf("tree rss_bytes = %.0f after the child was reaped; want <= %.0f", got, want)
	}
}

// childSpin makes the parent helper's child burn 0.3 s of CPU.
func childSpin(parent *helper) (string, error) { return parent.do("childspin") }

func TestParseStat(t *testing.T) {
	t.Parallel()
	// A real line with an awkward command name; fields after it as in proc(5).
	tail := " S 1 100 100 0 -1 4194560 500 0 0 0 250 50 7 3 20 0 12 0 123456 100000000 2048 18446744073709551615"
	tests := []struct {
		name    string
		line    string
		want    procStat
		wantErr bool
	}{
		{
			name: "plain",
			line: "4242 (java)" + tail + "\n",
			want: procStat{state: 'S', ppid: 1, utime: 250, stime: 50, cutime: 7, cstime: 3, threads: 12, start: 123456, rssPages: 2048},
		},
		{
			name: "name with spaces and parens",
			line: "4242 (a) b (c))" + tail,
			want: procStat{state: 'S', ppid: 1, utime: 250, stime: 50, cutime: 7, cstime: 3, threads: 12, start: 123456, rssPages: 2048},
		},
		{name: "no name", line: "4242 java S 1", wantErr: true},
		{name: "truncated", line: "4242 (java) S 1 100 100", wantErr: true},
		{name: "not a number", line: "4242 (java) S x" + tail[4:], wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.line))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStat(%q) error = %v; want error %v", tt.line, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(procStat{})); diff != "" {
				t.Errorf("parseStat(%q) mismatch (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

func TestProcStatCPUSeconds(t *testing.T) {
	t.Parallel()
	st := procStat{utime: 250, stime: 50, cutime: 7, cstime: 3}
	if got, want := st.cpuSeconds(), 3.1; got != want {
		t.Errorf("cpuSeconds() = %v; want %v", got, want)
	}
}

func BenchmarkProcessTreeSample(b *testing.B) {
	parent := startHelper(b)
	parent.spawnChild(b)
	s := ProcessTree("svc", parent.pid())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sample(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProcessTreeSampleSelf(b *testing.B) {
	s := ProcessTree("self", os.Getpid())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sample(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcScanFull is the cost of reading every process's stat, which
// ProcessTree does on its first sample and every fullScanEvery samples.
func BenchmarkProcScanFull(b *testing.B) {
	sc := newProcScanner("/proc")
	for b.Loop() {
		if _, _, err := sc.scan(nil); err != nil {
			b.Fatal(err)
		}
	}
}
