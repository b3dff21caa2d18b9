package chaos

import (
	"fmt"
	"slices"
	"sync"
)

var registry = struct {
	sync.RWMutex
	m      map[string]Factory
	checks map[string]Check
}{m: map[string]Factory{}, checks: map[string]Check{}}

// Register makes a fault kind available to New. It panics if kind is empty, f is nil or
// kind is already registered. Call it from the init of the package that implements kind;
// the binary imports that package (blank import in main).
func Register(kind string, f Factory) {
	if kind == "" {
		panic("chaos: Register with an empty kind")
	}
	if f == nil {
		panic("chaos: Register " + kind + " with a nil factory")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[kind]; dup {
		panic("chaos: Register called twice for kind " + kind)
	}
	registry.m[kind] = f
}

// RegisterCheck gives kind, registered with Register, a Check that CheckFault uses
// instead of building the fault. It panics if c is nil or kind already has one.
func RegisterCheck(kind string, c Check) {
	if c == nil {
		panic("chaos: RegisterCheck " + kind + " with a nil check")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.checks[kind]; dup {
		panic("chaos: RegisterCheck called twice for kind " + kind)
	}
	registry.checks[kind] = c
}

// CheckFault reports what New would find wrong with a fault of kind, without building
// it: the kind's Check when it registered one, else its Factory, whose fault is dropped
// (a Factory must not disturb anything either). Errors are as New's.
func CheckFault(kind string, env Env, decode func(v any) error) error {
	registry.RLock()
	c, ok := registry.checks[kind]
	registry.RUnlock()
	if ok {
		return c(env, decode)
	}
	_, err := New(kind, env, decode)
	return err
}

// New builds a fault of kind from its parameters (see Factory for decode). An
// unregistered kind gives an error wrapping ErrUnknownKind; a factory's error is returned
// as is: decode errors already carry the scenario position, and factories name their kind.
func New(kind string, env Env, decode func(v any) error) (Fault, error) {
	registry.RLock()
	f, ok := registry.m[kind]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%q (registered: %v): %w", kind, Kinds(), ErrUnknownKind)
	}
	return f(env, decode)
}

// Kinds returns the registered kinds, sorted.
func Kinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	kinds := make([]string, 0, len(registry.m))
	for k := range registry.m {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}
