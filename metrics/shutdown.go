package metrics

import (
	"encoding/json"
	"time"
)

// LineShutdown is what the load saw of one terminate fault: the requests in flight when
// the service was sent SIGTERM and how they ended, and how new connections failed after it.
const LineShutdown = "shutdown"

// Shutdown is one LineShutdown line, written when the load ends. T is the signal's time in
// seconds since load start; the counts cover the load's requests (every hop's failure shows
// at the caller): InFlight were sent before the signal and ended after it, Failed of them
// ended in an error (FailedByClass); Refused and Reset count requests sent after the signal
// that failed with connection_refused or connection_reset.
type Shutdown struct {
	Type          string           `json:"type"`
	Variant       string           `json:"variant"`
	Time          time.Time        `json:"time"`
	T             float64          `json:"t"`
	Fault         string           `json:"fault"`
	Service       string           `json:"service"`
	InFlight      int64            `json:"in_flight"`
	Failed        int64            `json:"failed"`
	FailedByClass map[string]int64 `json:"failed_by_class,omitempty"`
	Refused       int64            `json:"refused"`
	Reset         int64            `json:"reset"`
}

// ShutdownImpact is how a service shut down after a terminate fault: the Shutdown line's
// counts and, from the service's events, how long after the signal its process exited and
// with what code. ExitMs and ExitCode are nil when no exit was seen before the run ended.
type ShutdownImpact struct {
	InFlight      int64            `json:"in_flight"`
	Failed        int64            `json:"failed"`
	FailedByClass map[string]int64 `json:"failed_by_class,omitempty"`
	Refused       int64            `json:"refused"`
	Reset         int64            `json:"reset"`
	ExitMs        *float64         `json:"exit_ms"`
	ExitCode      *int             `json:"exit_code"`
	// ExitSignal names the signal that ended the process (it did not exit by itself).
	ExitSignal string `json:"exit_signal,omitempty"`
}

// Observe counts r for a signal at t (offset from load start) with the rules of Shutdown.
func (s *Shutdown) Observe(r *Result, t time.Duration) {
	switch {
	case r.Class == Dropped || r.Class == Canceled:
	case r.Sent < t && r.End >= t:
		s.InFlight++
		if r.Class != OK {
			s.Failed++
			if s.FailedByClass == nil {
				s.FailedByClass = map[string]int64{}
			}
			s.FailedByClass[r.Class.String()]++
		}
	case r.Sent >= t && r.Class == ConnRefused:
		s.Refused++
	case r.Sent >= t && r.Class == ConnReset:
		s.Reset++
	}
}

func (r *Run) decodeShutdown(line []byte) error {
	var s Shutdown
	if err := json.Unmarshal(line, &s); err != nil {
		return err
	}
	r.Shutdowns = append(r.Shutdowns, s)
	return nil
}

// shutdownImpact joins the Shutdown line of the terminate fault injected at injected (s
// since load start) with the first exit of its service after the signal (that no other
// fault is named for).
func shutdownImpact(run *Run, name string, injected float64) *ShutdownImpact {
	var line *Shutdown
	for i := range run.Shutdowns {
		s := &run.Shutdowns[i]
		if s.Fault == name && (line == nil || abs(s.T-injected) < abs(line.T-injected)) {
			line = s
		}
	}
	if line == nil {
		return nil
	}
	si := &ShutdownImpact{InFlight: line.InFlight, Failed: line.Failed, FailedByClass: line.FailedByClass,
		Refused: line.Refused, Reset: line.Reset}
	for _, ev := range run.Services {
		if ev.Service != line.Service || ev.Time.Before(line.Time) || (ev.Kind != "exited" && ev.Kind != "stopped") ||
			(ev.Fault != "" && ev.Fault != name) {
			continue
		}
		ms := float64(ev.Time.Sub(line.Time)) / float64(time.Millisecond)
		code := ev.ExitCode
		si.ExitMs, si.ExitCode, si.ExitSignal = &ms, &code, ev.Signal
		break
	}
	return si
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
