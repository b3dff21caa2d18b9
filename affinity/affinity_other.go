//go:build !linux

package affinity

// Allowed returns ErrUnsupported: pinning is Linux only.
func Allowed() (Set, error) { return nil, ErrUnsupported }

// Pin returns ErrUnsupported: pinning is Linux only.
func Pin(Set) (func(), error) { return nil, ErrUnsupported }

// Start calls start; a set cannot be applied here, so it must be empty.
func Start(set Set, start func() error) error {
	if len(set) > 0 {
		return ErrUnsupported
	}
	return start()
}

// Widen does nothing: pinning is Linux only.
func Widen() error { return nil }

// Threads returns ErrUnsupported: pinning is Linux only.
func Threads(int) (map[int]Set, error) { return nil, ErrUnsupported }
