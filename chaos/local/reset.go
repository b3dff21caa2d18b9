package local

func init() {
	registerProxyKind("reset", func(serviceParams, uint64) (Toxic, error) { return &reset{}, nil })
}

// reset sends a TCP RST (SO_LINGER 0, then close) on every existing connection when
// attached and on every new connection while attached.
type reset struct{}

func (*reset) prepare(*Proxy) error { return nil }

func (t *reset) apply(s *state) {
	s.reset = true
}
