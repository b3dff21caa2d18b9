package runners

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync/atomic"

	"golang.org/x/net/http2"
)

// h2Pool spreads requests round-robin over several HTTP/2 transports, one
// connection per target each: HTTP/2 multiplexes every request of a
// transport onto one connection, so the number of transports is the
// number of connections.
type h2Pool struct {
	ts   []*http2.Transport
	next atomic.Uint64
}

// newH2Pool returns the HTTP/2 round tripper of o. Every connection is
// dialled by d, so the loopback guard applies; with H2C the "TLS" dial is a
// plain TCP dial (prior-knowledge h2c).
func newH2Pool(o ClientOptions, d *net.Dialer) *h2Pool {
	p := &h2Pool{}
	for range max(o.MaxConns, 1) {
		t := &http2.Transport{
			AllowHTTP:          o.H2C,
			DisableCompression: true,
			TLSClientConfig:    &tls.Config{InsecureSkipVerify: o.InsecureSkipVerify, NextProtos: []string{http2.NextProtoTLS}},
			DialTLSContext: func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
				if o.H2C {
					return d.DialContext(ctx, network, addr)
				}
				td := &tls.Dialer{NetDialer: d, Config: cfg}
				return td.DialContext(ctx, network, addr)
			},
		}
		p.ts = append(p.ts, t)
	}
	return p
}

// RoundTrip implements http.RoundTripper.
func (p *h2Pool) RoundTrip(r *http.Request) (*http.Response, error) {
	return p.ts[(p.next.Add(1)-1)%uint64(len(p.ts))].RoundTrip(r)
}

// CloseIdleConnections closes the idle connections of every transport.
func (p *h2Pool) CloseIdleConnections() {
	for _, t := range p.ts {
		t.CloseIdleConnections()
	}
}
