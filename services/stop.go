package services

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// Stop ends the process: SIGTERM to its process group, up to StopTimeout for it to exit,
// then SIGKILL. If ctx is done before the grace ends, SIGKILL is sent at once. The first call
// emits "stopped"; later and concurrent calls wait for the first one and return its result.
// After an unexpected exit (already reported as "exited") Stop returns nil and emits
// nothing. It returns an error only if the process could not be reaped.
func (p *Process) Stop(ctx context.Context) error {
	p.mu.Lock()
	if p.unexpected {
		p.mu.Unlock()
		return nil
	}
	first := p.stopDone == nil
	if first {
		p.stopDone = make(chan struct{})
		p.stopping = true
	}
	done := p.stopDone
	p.mu.Unlock()

	if !first {
		select {
		case <-done:
		case <-ctx.Done():
			// This caller is out of patience too: cut the grace short.
			p.signalGroup(syscall.SIGKILL)
			<-done
		}
		return p.stopErr
	}

	defer close(done)
	began := time.Now()
	how, err := p.terminate(ctx)
	if err != nil {
		p.stopErr = fmt.Errorf("stop %s: %w", p.name, err)
		return p.stopErr
	}
	p.emit(Event{
		Time: time.Now(), Service: p.name, Kind: EventStopped, PID: p.pid,
		ExitCode: p.exitCode, Signal: p.signal,
		Message: fmt.Sprintf("%s; %s after %s", how, p.exitDescription(), time.Since(began).Round(time.Millisecond)),
	})
	return nil
}

// terminate sends SIGTERM, waits out the grace and escalates to SIGKILL. how says which
// ending it took.
func (p *Process) terminate(ctx context.Context) (how string, err error) {
	select {
	case <-p.exited:
		return "already exited", nil
	default:
	}
	p.signalGroup(syscall.SIGTERM)
	grace := time.NewTimer(p.stopTimeout)
	defer grace.Stop()
	select {
	case <-p.exited:
		return "exited after SIGTERM", nil
	case <-grace.C:
		how = fmt.Sprintf("SIGKILL after %s stop timeout", p.stopTimeout)
	case <-ctx.Done():
		how = "SIGKILL, stop cancelled: " + context.Cause(ctx).Error()
	}
	return how, p.kill()
}
