package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// TestProgressFinishes guards against a bar that never completes, which
// would leave gauntlet hanging after its run.
func TestProgressFinishes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		loads int
	}{{"no load", 0}, {"one variant", 1}, {"two variants", 2}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			pr := newProgress(&buf)
			for i := 0; i < tt.loads; i++ {
				tick := pr.onLoad("v", 3*time.Second)
				tick(metrics.Live{Elapsed: time.Second, RPS: 100, P99: 2 * time.Millisecond})
			}
			done := make(chan struct{})
			go func() { pr.finish(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("finish() did not return")
			}
		})
	}
}
