package probes

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
)

// inRange checks each named value against [lo, hi].
type inRange struct {
	name   string
	lo, hi float64
}

func checkRanges(t *testing.T, what string, got map[string]float64, want []inRange) {
	t.Helper()
	for _, w := range want {
		v, ok := got[w.name]
		if !ok {
			t.Errorf("%s lacks %s: %v", what, w.name, got)
			continue
		}
		if v < w.lo || v > w.hi {
			t.Errorf("%s %s = %v; want %v..%v", what, w.name, v, w.lo, w.hi)
		}
	}
}

func TestHost(t *testing.T) {
	t.Parallel()
	s := Host()
	spinCPU(50 * time.Millisecond) // let the CPU counters move
	rd, err := s.Sample(context.Background(), time.Now())
	if err != nil {
		t.Fatalf("Sample() error: %v", err)
	}
	if rd.Owner != OwnerHost {
		t.Errorf("Sample() owner = %q; want %q", rd.Owner, OwnerHost)
	}
	v := rd.Values
	checkRanges(t, "Host().Sample()", v, []inRange{
		{"host_cpu_utilization_ratio", 0, 1},
		{"host_memory_total_bytes", 64 << 20, 1 << 50},
		{"host_memory_used_bytes", 1, v["host_memory_total_bytes"]},
		{"host_load1", 0, 1e4},
	})
}

func TestStealRatio(t *testing.T) {
	t.Parallel()
	base := cpu.TimesStat{User: 10, System: 5, Idle: 80, Iowait: 5, Steal: 2}
	tests := []struct {
		name string
		cur  cpu.TimesStat
		want float64
	}{
		{"no steal", cpu.TimesStat{User: 15, System: 5, Idle: 85, Iowait: 5, Steal: 2}, 0},
		{"a quarter stolen", cpu.TimesStat{User: 15, System: 7, Idle: 88, Iowait: 5, Steal: 7}, 0.25},
		{"all stolen", cpu.TimesStat{User: 10, System: 5, Idle: 80, Iowait: 5, Steal: 22}, 1},
		{"no time passed", base, 0},
	}
	for _, tt := range tests {
		if got := stealRatio(base, tt.cur); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: stealRatio = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestBusyRatio(t *testing.T) {
	t.Parallel()
	base := cpu.TimesStat{User: 10, System: 5, Idle: 80, Iowait: 5}
	tests := []struct {
		name   string
		cur    cpu.TimesStat
		want   float64
		wantOK bool
	}{
		{"all idle", cpu.TimesStat{User: 10, System: 5, Idle: 90, Iowait: 5}, 0, true},
		{"all busy", cpu.TimesStat{User: 16, System: 9, Idle: 80, Iowait: 5}, 1, true},
		{"half busy, iowait is idle", cpu.TimesStat{User: 12, System: 8, Idle: 82, Iowait: 8}, 0.5, true},
		{"guest not counted twice", cpu.TimesStat{User: 20, System: 5, Idle: 90, Iowait: 5, Guest: 10}, 0.5, true},
		{"no time passed", base, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := busyRatio(base, tt.cur)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("busyRatio(%v, %v) = %v, %v; want %v, %v", base, tt.cur, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSelf(t *testing.T) {
	// Not parallel: it measures this process's CPU use.
	s := Self()
	start := time.Now()
	spinCPU(200 * time.Millisecond)
	rd, err := s.Sample(context.Background(), time.Now())
	if err != nil {
		t.Fatalf("Sample() error: %v", err)
	}
	if rd.Owner != OwnerGenerator {
		t.Errorf("Sample() owner = %q; want %q", rd.Owner, OwnerGenerator)
	}
	// The spin used >= 0.2 s of CPU within the wall time since start; other
	// tests may add to it, so only the lower bound is tight.
	minRatio := 0.15 / time.Since(start).Seconds()
	checkRanges(t, "Self().Sample()", rd.Values, []inRange{
		{"rss_bytes", 1 << 20, 1 << 40},
		{"cpu_seconds_total", 0.19, 1e6}, // clock ticks of 10 ms, summed in floating point
		{"threads", 1, 1e5},
		{"open_fds", 3, 1e6},
		{"goroutines", 1, 1e6},
		{"cpu_utilization_ratio", minRatio, 64},
	})

	// The next ratio covers only the time since this sample: the CPU seconds between the
	// two readings over the time between them, exactly (comparing it with the spinning
	// ratio instead fails on a busy machine, where the spin itself gets little CPU).
	time.Sleep(200 * time.Millisecond)
	at2 := time.Now()
	rd2, err := s.Sample(context.Background(), at2)
	if err != nil {
		t.Fatalf("Sample() error: %v", err)
	}
	cpu1, cpu2 := rd.Values["cpu_seconds_total"], rd2.Values["cpu_seconds_total"]
	want := max(0, cpu2-cpu1) / at2.Sub(rd.Time).Seconds()
	if got := rd2.Values["cpu_utilization_ratio"]; math.Abs(got-want) > 1e-9 {
		t.Errorf("cpu_utilization_ratio = %v; want %v (%v → %v CPU s over %v)", got, want, cpu1, cpu2, at2.Sub(rd.Time))
	}
}

func BenchmarkHostSample(b *testing.B) {
	s := Host()
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Sample(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelfSample(b *testing.B) {
	s := Self()
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Sample(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
