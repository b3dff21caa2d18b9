// Package chaos defines the Fault contract every fault kind implements, the registry that
// maps a scenario's fault kind to its factory, the journal that lets a crashed run be
// cleaned up, and the pure schedule maths that turn a scenario's fault entries into a
// timeline of windows.
//
// Fault kinds live in other packages (chaos/local for loopback proxies, signals and
// stress processes) and register themselves; chaos itself imports none of them.
package chaos

import (
	"context"
	"errors"
)

// A Fault is a reversible disturbance of the system under test.
//
// Inject returns once the fault is in effect, or with an error if it could not be put in
// effect (a partial injection is undone by Revert). Revert undoes it: it must be
// idempotent, safe after a failed or partial Inject and safe when Inject was never called.
// The engine always calls Revert, with a context that outlives the run's
// (context.WithoutCancel plus a timeout), so cancellation cannot skip cleanup. Inject and
// Revert are not called concurrently on the same Fault.
type Fault interface {
	Inject(ctx context.Context) error
	Revert(ctx context.Context) error
}

// Verifier is an optional capability of a Fault: Verify returns nil when the fault is
// observably in effect, and an error saying what it found otherwise.
type Verifier interface {
	Verify(ctx context.Context) error
}

// Proxy is a fault proxy in front of a service. chaos/local.Proxy implements it; the
// network fault kinds of chaos/local require that concrete type.
type Proxy interface {
	// Name is the service the proxy stands in front of.
	Name() string
	// Addr is the proxy's listening address, "127.0.0.1:PORT".
	Addr() string
}

// ProcessTarget is a running service process that process faults act on. Its methods are
// safe for concurrent use.
type ProcessTarget interface {
	// Name is the service name.
	Name() string
	// PID is the current process id (it changes after Restart). The process is expected to
	// lead its own process group, so signals go to the whole group.
	PID() int
	// Restart stops the process if it is running, starts it again on the same port and
	// returns once it is ready.
	Restart(ctx context.Context) error
}

// Runner is an optional capability of a ProcessTarget: Running reports whether the
// current process is alive (not exited or reaped). Without it, faults read /proc.
type Runner interface {
	Running() bool
}

// Env is what a fault can act on; the engine supplies it. Its methods are safe for
// concurrent use.
type Env interface {
	// Proxy returns the fault proxy in front of service, if the engine put one there.
	Proxy(service string) (Proxy, bool)
	// Process returns the process of service, if the harness started it.
	Process(service string) (ProcessTarget, bool)
	// Journal returns the state file of active faults; nil means no journal.
	Journal() *Journal
}

// Seeder is an optional capability of an Env: Seed is the run's seed, from which faults
// draw their randomness (e.g. which requests http_error fails) so runs are reproducible.
// Without it faults use seed 1.
type Seeder interface {
	Seed() uint64
}

// Factory builds a Fault of one kind. decode decodes the scenario's parameters for the
// fault strictly into a pointer to the kind's params struct (wrap
// scenarios.Fault.DecodeParams); its errors carry the position in the scenario file and
// should be returned unchanged. A Factory validates its parameters and resolves its
// targets in env, but must not disturb anything: that is Inject's job.
type Factory func(env Env, decode func(v any) error) (Fault, error)

// Check validates the parameters of a fault of one kind and finds its target in env, as
// the kind's Factory would and with the same errors, but builds nothing and opens no
// socket, process or file: a scenario is checked with it before anything runs, against
// an Env whose proxies and processes are stand-ins.
type Check func(env Env, decode func(v any) error) error

var (
	// ErrUnknownKind is wrapped by New for a kind nobody registered.
	ErrUnknownKind = errors.New("unknown fault kind")
	// ErrNoTarget is wrapped by factories when the service they name has no proxy or no
	// process in the Env (e.g. a latency fault on a service without a proxy, or a kill
	// on a service gauntlet did not start).
	ErrNoTarget = errors.New("no such fault target")
	// ErrUnsupported is wrapped when the host cannot provide a fault (e.g. no writable
	// cgroup hierarchy); the message says why.
	ErrUnsupported = errors.New("fault not supported here")
)

// SeedOf returns env's seed if it is a Seeder, else 1.
func SeedOf(env Env) uint64 {
	if s, ok := env.(Seeder); ok {
		return s.Seed()
	}
	return 1
}

// StaticEnv is an Env over fixed maps; the engine can use it as is once its proxies and
// processes exist. Do not modify the maps after handing the StaticEnv to faults.
type StaticEnv struct {
	Proxies   map[string]Proxy
	Processes map[string]ProcessTarget
	State     *Journal
	RunSeed   uint64
}

var (
	_ Env    = (*StaticEnv)(nil)
	_ Seeder = (*StaticEnv)(nil)
)

// Proxy returns e.Proxies[service].
func (e *StaticEnv) Proxy(service string) (Proxy, bool) {
	p, ok := e.Proxies[service]
	return p, ok
}

// Process returns e.Processes[service].
func (e *StaticEnv) Process(service string) (ProcessTarget, bool) {
	p, ok := e.Processes[service]
	return p, ok
}

// Journal returns e.State.
func (e *StaticEnv) Journal() *Journal { return e.State }

// Seed returns e.RunSeed, or 1 if it is zero.
func (e *StaticEnv) Seed() uint64 {
	if e.RunSeed == 0 {
		return 1
	}
	return e.RunSeed
}
