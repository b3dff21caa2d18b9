package local

func init() {
	registerProxyKind("reset", func(ServiceParams, uint64) (Toxic, error) { return &Reset{}, nil })
}

// Reset sends a TCP RST (SO_LINGER 0, then close) on every existing connection when
// attached and on every new connection while attached.
type Reset struct{}

func (*Reset) prepare(*Proxy) error { return nil }

func (t *Reset) apply(s *state) {
	s.reset = true
}
