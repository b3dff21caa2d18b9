package local

func init() {
	registerProxyKind("blackhole", func(serviceParams, uint64) (Toxic, error) { return &blackhole{}, nil })
}

// blackhole accepts connections and reads and discards what clients send, never
// answering, until detached; responses in flight are discarded too. In HTTP mode a
// swallowed request is lost: its connection is closed when the blackhole is detached.
type blackhole struct{}

func (*blackhole) prepare(*Proxy) error { return nil }

func (t *blackhole) apply(s *state) {
	s.blackhole = true
}
