package runners

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// TestPoolReleasesMemoryAfterABurst checks when the pool hands a burst's memory back:
// once per shrink to a quarter of a burst of at least burstWorkers, never for the small
// ups and downs of a steady load.
func TestPoolReleasesMemoryAfterABurst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		bursts []int // pool sizes reached, each followed by a shrink to the floor
		want   int64
	}{
		{"steady", []int{20, 30, 40}, 0},
		{"one burst", []int{20, 400}, 1},
		{"two bursts", []int{1000, 30, burstWorkers}, 2},
		{"just below a burst", []int{burstWorkers - 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var released atomic.Int64
			p := newPool(minWorkers)
			p.release = func() { released.Add(1) }
			for range p.floor {
				p.grow(math.MaxInt64)
			}
			for _, size := range tt.bursts {
				for p.live.Load() < int64(size) {
					p.grow(math.MaxInt64)
				}
				for p.retire(p.floor) {
				}
				if got := p.live.Load(); got != p.floor {
					t.Fatalf("after shrinking: %d workers; want the floor %d", got, p.floor)
				}
			}
			waitCount(t, &released, tt.want)
		})
	}
}

// TestPoolTrimsToTheLoad plays a pool at a steady high rate after a burst: every worker
// keeps getting requests, so none idles out, but trim sets keep to twice the busy peak
// and the surplus retires after its request.
func TestPoolTrimsToTheLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		burst     int
		busy      int // workers busy at once after the burst
		wantAlive int64
		wantFreed int64
	}{
		{"burst then light load", 700, 5, minWorkers, 1},
		{"burst then heavy load", 700, 100, 200, 0},
		{"no burst", 40, 10, 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var released atomic.Int64
			p := newPool(minWorkers)
			p.release = func() { released.Add(1) }
			for range tt.burst {
				p.grow(math.MaxInt64)
			}
			p.trim() // the burst's period
			for range tt.busy {
				p.begin()
			}
			for range tt.busy {
				p.end()
			}
			p.trim()
			if want := max(int64(minWorkers), int64(2*tt.busy)); p.keep.Load() != want {
				t.Fatalf("keep %d after a busy peak of %d; want %d", p.keep.Load(), tt.busy, want)
			}
			// Every worker finishes one more request, as at a steady rate.
			for range tt.burst {
				if p.surplus() {
					p.retire(p.keep.Load())
				}
			}
			if got := p.live.Load(); got != tt.wantAlive {
				t.Errorf("%d workers alive; want %d", got, tt.wantAlive)
			}
			waitCount(t, &released, tt.wantFreed)
		})
	}
}

// TestPoolGrowsUpToItsLimit checks that grow stops at the limit (max_in_flight) and
// that the pool keeps every worker it grew until the next trim.
func TestPoolGrowsUpToItsLimit(t *testing.T) {
	t.Parallel()
	p := newPool(minWorkers)
	grown := 0
	for range 100 {
		if p.grow(40) {
			grown++
		}
	}
	if grown != 40 || p.live.Load() != 40 {
		t.Fatalf("grew %d times to %d workers with a limit of 40; want 40 and 40", grown, p.live.Load())
	}
	if p.surplus() {
		t.Errorf("surplus with %d alive and keep %d right after growing; want none", p.live.Load(), p.keep.Load())
	}
	p.trim() // no worker was busy
	if !p.surplus() || p.keep.Load() != minWorkers {
		t.Errorf("after an idle trim keep = %d, surplus %v; want %d and true", p.keep.Load(), p.surplus(), minWorkers)
	}
}

// A check adds a worker for each request due and not claimed, at most
// spawnBatch while the generator's CPUs are mostly idle (a stalled target
// keeps them so) and spawnBusy while they are busy: at the start of a run,
// a pool grown 64 workers at a time, each dialling its own connection,
// stalled the generator for a tenth of a second.
func TestBackfillAddsFewWorkersWhileTheGeneratorIsBusy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		share float64
		want  int64
	}{{0, spawnBatch}, {0.3, spawnBatch}, {busyShare, spawnBatch}, {0.8, spawnBusy}, {1.5, spawnBusy}} {
		o := newOpen(t, "http://127.0.0.1:1/", []metrics.Stage{{ForS: 10, Rate: 100_000}})
		o.Start = time.Now().Add(-time.Second) // 100,000 requests due, none claimed
		ctx, stop := context.WithCancelCause(context.Background())
		stop(nil) // the workers added return at once
		s := o.newSchedule(ctx, stop, metrics.NewSink())
		s.backfill(time.Now(), spawnLimit(tt.share))
		s.wg.Wait()
		if got := s.pool.live.Load(); got != tt.want {
			t.Errorf("generator at %.0f%% of its CPUs: a check added %d workers; want %d", 100*tt.share, got, tt.want)
		}
	}
}

// cpuMeter divides the CPU time used between two readings by the wall
// time between them.
func TestCPUMeterCountsCoresUsed(t *testing.T) {
	t.Parallel()
	var cpu time.Duration
	m := newCPUMeter(func() time.Duration { return cpu })
	start := m.at
	for _, tt := range []struct {
		wall, used time.Duration
		want       float64
	}{
		{100 * time.Millisecond, 0, 0},                       // idle
		{100 * time.Millisecond, 50 * time.Millisecond, 0.5}, // half a CPU
		{10 * time.Millisecond, 20 * time.Millisecond, 2},    // two CPUs
		{0, time.Millisecond, 0},                             // no time passed
	} {
		cpu += tt.used
		start = start.Add(tt.wall)
		if got := m.cores(start); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%v of CPU in %v: %.3f cores; want %.3f", tt.used, tt.wall, got, tt.want)
		}
	}
}

// waitCount waits for c to reach want, then a moment more for an extra count.
func waitCount(t *testing.T, c *atomic.Int64, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if got := c.Load(); got != want {
		t.Errorf("released %d times; want %d", got, want)
	}
}

// ring wakes at every due time at low rates, and every alarmGap at high
// ones, never for a request already due.
func TestAlarmWakesAtDueTimesAtMostEveryGap(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	never := time.Duration(math.MinInt64 / 2)
	for _, tt := range []struct {
		name      string
		rate      float64 // requests per second, over 1 s
		k         uint64
		now, last time.Duration
		wantK     uint64
		wantWake  time.Duration
	}{
		{"before the start", 100, 0, -ms, never, 0, 0},
		{"100/s: its next due time", 100, 0, 5 * ms, 0, 1, 10 * ms},
		{"100/s: requests already due are skipped", 100, 0, 35 * ms, 30 * ms, 4, 40 * ms},
		{"1,000/s: its next due time", 1000, 7, 7 * ms, 7 * ms, 8, 8 * ms},
		{"10,000/s: a gap after the last wake-up", 10_000, 0, 2 * ms, 2 * ms, 21, 2*ms + alarmGap},
		{"10,000/s: due long after the last wake-up", 10_000, 0, 2050 * time.Microsecond, 0, 21, 2100 * time.Microsecond},
		{"plan over", 100, 0, 2 * time.Second, 0, 100, 0},
	} {
		o := newOpen(t, "http://127.0.0.1:1/", []metrics.Stage{{ForS: 1, Rate: tt.rate}})
		s := o.newSchedule(context.Background(), func(error) {}, metrics.NewSink())
		k, wake := s.nextAlarm(tt.k, tt.now, tt.last)
		if k != tt.wantK || (k < s.total && wake != tt.wantWake) {
			t.Errorf("%s: next alarm for request %d at %v; want request %d at %v", tt.name, k, wake, tt.wantK, tt.wantWake)
		}
	}
}
