package local

import (
	"context"
	"net"
	"strconv"
	"sync"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/services"
)

// Service adapts a service started with services.Start to chaos.ProcessTarget: Restart
// stops the current process and starts the same Spec again on the same port. After a
// restart the *services.Process changes: read it with Process, and stop the service with
// Stop rather than through an older *services.Process. Safe for concurrent use.
type Service struct {
	spec services.Spec
	emit func(services.Event)

	mu      sync.Mutex // held across Restart
	current *services.Process
}

var (
	_ chaos.ProcessTarget = (*Service)(nil)
	_ chaos.Runner        = (*Service)(nil)
)

// NewService wraps p, started from spec; emit receives the events of later starts and
// follows the rules of services.Start. spec.Port is pinned to p's port.
func NewService(spec services.Spec, p *services.Process, emit func(services.Event)) *Service {
	if _, port, err := net.SplitHostPort(p.Addr()); err == nil {
		spec.Port, _ = strconv.Atoi(port)
	}
	return &Service{spec: spec, emit: emit, current: p}
}

// startService starts spec with services.Start and wraps the process.
func startService(ctx context.Context, spec services.Spec, emit func(services.Event)) (*Service, error) {
	p, err := services.Start(ctx, spec, emit)
	if err != nil {
		return nil, err
	}
	return NewService(spec, p, emit), nil
}

func (s *Service) proc() *services.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Name returns the service name.
func (s *Service) Name() string { return s.spec.Name }

// PID returns the current process id.
func (s *Service) PID() int { return s.proc().PID() }

// Addr returns "127.0.0.1:PORT"; it does not change across restarts.
func (s *Service) Addr() string { return s.proc().Addr() }

// Process returns the current process.
func (s *Service) Process() *services.Process { return s.proc() }

// Running reports whether the current process has not exited.
func (s *Service) Running() bool {
	select {
	case <-s.proc().Exited():
		return false
	default:
		return true
	}
}

// Restart stops the current process (SIGTERM, grace, SIGKILL; nothing if it already
// exited) and starts the Spec again on the same port, returning once it is ready. If the
// start fails the old, stopped process stays current and Running is false.
func (s *Service) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.current.Stop(ctx); err != nil {
		return err
	}
	p, err := services.Start(ctx, s.spec, s.emit)
	if err != nil {
		return err
	}
	s.current = p
	return nil
}

// Stop stops the current process.
func (s *Service) Stop(ctx context.Context) error { return s.proc().Stop(ctx) }
