package engine

import (
	"strconv"
	"sync"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/services"
)

// killLog remembers which fault ended which process, so that the exit the
// services package reports — and the restart after it — are named for their
// cause instead of being reported as a crash. It is safe for concurrent use.
type killLog struct {
	mu     sync.Mutex
	byPID  map[int]string    // victim pid → fault, until its exit is reported
	victim map[string]string // service → fault that ended its last process, until it is ready again
}

// expect notes that fault is about to end process pid of service; a nil log
// ignores it.
func (k *killLog) expect(pid int, service, fault string) {
	if k == nil || pid <= 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.byPID == nil {
		k.byPID, k.victim = map[int]string{}, map[string]string{}
	}
	k.byPID[pid] = fault
	k.victim[service] = fault
}

// down reports whether a fault ended service's process and it is not ready
// again yet: its probes fail by design meanwhile.
func (k *killLog) down(service string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.victim[service]
	return ok
}

// name fills in the fault behind a service event: an exit of a process a
// fault ended is "killed by fault NAME" and not unexpected; the next ready
// of that service is its restart after the fault.
func (k *killLog) name(line *metrics.ServiceEvent) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch line.Kind {
	case services.EventExited:
		fault, ok := k.byPID[line.PID]
		if !ok {
			return
		}
		delete(k.byPID, line.PID)
		k.victim[line.Service] = fault
		how := "exit code " + strconv.Itoa(line.ExitCode)
		if line.Signal != "" {
			how = "signal " + line.Signal
		}
		line.Fault, line.Unexpected = fault, false
		line.Message = "killed by fault " + fault + " (" + how + ")"
	case services.EventReady:
		if fault, ok := k.victim[line.Service]; ok {
			delete(k.victim, line.Service)
			line.Fault, line.Message = fault, "restarted after fault "+fault
		}
	}
}
