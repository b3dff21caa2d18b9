package probes

import (
	"context"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"golang.org/x/sys/unix"

	"github.com/gauntletbench/gauntlet/affinity"
)

func TestCPUSetsSums(t *testing.T) {
	t.Parallel()
	c := &cpuSets{sets: map[string][]int{"gen": {0}, "svc": {1, 2}, "gone": {7}}}
	prev := c.sums([]cpu.TimesStat{
		{CPU: "cpu0", User: 10, Idle: 10}, {CPU: "cpu1", User: 5, Idle: 5}, {CPU: "cpu2", System: 1, Idle: 1},
	})
	// One second later: cpu0 fully busy, cpu1 busy half the time, cpu2 idle.
	cur := c.sums([]cpu.TimesStat{
		{CPU: "cpu0", User: 11, Idle: 10}, {CPU: "cpu1", User: 5.5, Idle: 5.5}, {CPU: "cpu2", System: 1, Idle: 2},
	})
	if _, ok := cur["gone"]; ok {
		t.Errorf("sums has a set of CPUs the machine does not list")
	}
	for _, tc := range []struct {
		set  string
		want float64
	}{{"gen", 1}, {"svc", 0.25}} {
		got, ok := busyRatio(prev[tc.set], cur[tc.set])
		if !ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("busy ratio of %s = %v, %v; want %v", tc.set, got, ok, tc.want)
		}
	}
}

// TestCPUSetsSeesABusyCPU keeps one CPU busy with a thread bound to it and
// reads that CPU's busy share as (nearly) all of it.
func TestCPUSetsSeesABusyCPU(t *testing.T) {
	t.Parallel()
	all, err := affinity.Allowed()
	if err != nil {
		t.Skipf("CPU binding: %v", err)
	}
	busy := all[len(all)-1]
	s := CPUSets(map[string][]int{"busy": {busy}})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		var cs unix.CPUSet
		cs.Set(busy)
		if err := unix.SchedSetaffinity(0, &cs); err != nil {
			t.Error(err)
			return
		}
		for {
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	rd, err := s.Sample(context.Background(), time.Now())
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	checkRanges(t, "CPUSets", rd.Values, []inRange{{"busy_cpus_busy_ratio", 0.9, 1}})
}
