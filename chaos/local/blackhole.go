package local

func init() {
	registerProxyKind("blackhole", func(ServiceParams, uint64) (Toxic, error) { return &Blackhole{}, nil })
}

// Blackhole accepts connections and reads and discards what clients send, never
// answering, until detached; responses in flight are discarded too. In HTTP mode a
// swallowed request is lost: its connection is closed when the blackhole is detached.
type Blackhole struct{}

func (*Blackhole) prepare(*Proxy) error { return nil }

func (t *Blackhole) apply(s *state) {
	s.blackhole = true
}
