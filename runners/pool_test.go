package runners

import (
	"context"
	"math"
	"runtime"
	"sync"
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

// cpuShare reads the share of the process's CPUs used between two calls:
// 200 ms of sleep reads as idle, a goroutine spinning on every CPU for
// 200 ms as busy. Not parallel, so that the package's other tests are not
// running; the bounds leave room for other processes on the machine.
func TestCPUShareTellsBusyFromIdle(t *testing.T) {
	if processCPU() == 0 {
		t.Skip("no process CPU time on this platform")
	}
	c := newCPUShare()
	time.Sleep(200 * time.Millisecond)
	idle := c.since(time.Now())
	if idle > 0.2 {
		t.Errorf("share after sleeping %.2f; want at most 0.2", idle)
	}
	var wg sync.WaitGroup
	end := time.Now().Add(200 * time.Millisecond)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for time.Now().Before(end) {
			}
		})
	}
	wg.Wait()
	if busy := c.since(time.Now()); busy < 0.3 || busy <= idle {
		t.Errorf("share after spinning on every CPU %.2f (after sleeping %.2f); want at least 0.3 and more", busy, idle)
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
