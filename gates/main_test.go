package gates

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain collects garbage less often than the default: the tests write and
// decode thousands of interval histograms, a large allocation each and soon
// garbage, and collecting at the default pace took more than half their time.
// What stays live is small.
func TestMain(m *testing.M) {
	debug.SetGCPercent(800)
	os.Exit(m.Run())
}
