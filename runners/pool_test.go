package runners

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolReleasesMemoryAfterABurst checks when the pool hands a burst's memory back:
// once per shrink to the floor after at least burstWorkers were alive, never for the
// small ups and downs of a steady load.
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
			p := &pool{floor: minWorkers, release: func() { released.Add(1) }}
			for range p.floor {
				p.grow()
			}
			for _, size := range tt.bursts {
				for p.live.Load() < int64(size) {
					p.grow()
				}
				for p.retire() {
				}
				if got := p.live.Load(); got != p.floor {
					t.Fatalf("after shrinking: %d workers; want the floor %d", got, p.floor)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for released.Load() < tt.want && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // an extra release would have fired by now
			if got := released.Load(); got != tt.want {
				t.Errorf("released %d times; want %d", got, tt.want)
			}
		})
	}
}
