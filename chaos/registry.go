package chaos

import (
	"fmt"
	"slices"
	"sync"
)

var registry = struct {
	sync.RWMutex
	m map[string]Factory
}{m: map[string]Factory{}}

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
