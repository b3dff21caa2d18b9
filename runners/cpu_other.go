//go:build !unix

package runners

import "time"

// processCPU is unknown here: probes never count as CPU-limited.
func processCPU() time.Duration { return 0 }
