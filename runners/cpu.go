package runners

import "time"

// A cpuMeter measures how many CPUs' worth of time (CPU seconds per wall
// second) the process used between one reading and the next.
type cpuMeter struct {
	read func() time.Duration // the process's CPU time so far
	at   time.Time
	cpu  time.Duration
}

// newCPUMeter starts a meter reading the process's CPU time with read
// (processCPU, or a stand-in in tests).
func newCPUMeter(read func() time.Duration) *cpuMeter {
	return &cpuMeter{read: read, at: time.Now(), cpu: read()}
}

// cores returns the CPUs' worth of time used from the last reading (or the
// start) until now, and starts the next period there. It is 0 where the
// process's CPU time is unknown.
func (m *cpuMeter) cores(now time.Time) float64 {
	cpu := m.read()
	used, wall := cpu-m.cpu, now.Sub(m.at)
	m.at, m.cpu = now, cpu
	if wall <= 0 {
		return 0
	}
	return used.Seconds() / wall.Seconds()
}
