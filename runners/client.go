package runners

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
)

// ErrRemoteTarget is returned when a connection to an address outside the
// loopback range is attempted without AllowRemote.
var ErrRemoteTarget = errors.New("refusing to connect to a non-loopback address (allow_remote is off)")

// ClientOptions configure the HTTP/1.1 client a runner sends requests with.
type ClientOptions struct {
	// Timeout bounds each request, from dial to the last body byte.
	Timeout time.Duration
	// MaxIdlePerHost is how many idle keep-alive connections are kept per
	// target; it should be at least the runner's in-flight cap.
	MaxIdlePerHost int
	// DisableKeepAlive opens a new connection per request.
	DisableKeepAlive bool
	// AllowRemote permits targets outside 127.0.0.0/8 and ::1.
	AllowRemote bool
	// MaxConns caps the connections per target: for HTTP/1.1 the transport's
	// MaxConnsPerHost (0: no cap), for HTTP/2 the number of connections the
	// requests are spread over round-robin (0: one).
	MaxConns int
	// HTTP2 speaks HTTP/2: over TLS negotiated with ALPN, or over cleartext
	// with prior knowledge when H2C is set too.
	HTTP2 bool
	// H2C speaks HTTP/2 over cleartext TCP to http:// targets; implies HTTP2.
	H2C bool
	// InsecureSkipVerify accepts any TLS certificate.
	InsecureSkipVerify bool
}

// A Client sends a run's requests. Plain-HTTP/1.1 requests (http:// URLs
// when neither HTTP/2 nor h2c is asked for) go through fasthttp, which costs
// the generator a fraction of net/http's CPU per request; https, HTTP/2 and
// h2c go through net/http (HTTP). Both follow no redirects, ask for no
// compression and guard every dial the same way.
type Client struct {
	// HTTP is the net/http client.
	HTTP *http.Client
	fast *fastClient
	// GRPC holds the connections of the run's gRPC calls; nil when it makes
	// none. Close closes them.
	GRPC *GRPCPool
	// NoHTTP says the run makes gRPC calls only: Name leaves HTTP out.
	NoHTTP bool
}

// Name says which HTTP client sends the requests, and how many gRPC
// connections the gRPC calls use, for the summary.
func (c *Client) Name() string {
	switch {
	case c == nil:
		return ""
	case c.GRPC != nil && c.NoHTTP:
		return c.GRPC.Name()
	case c.GRPC != nil:
		return c.httpName() + "; " + c.GRPC.Name()
	}
	return c.httpName()
}

func (c *Client) httpName() string {
	if c.fast != nil {
		return "fasthttp (HTTP/1.1; https: net/http)"
	}
	return "net/http (HTTP/2)"
}

// Close closes the client's gRPC connections.
func (c *Client) Close() error {
	if c == nil || c.GRPC == nil {
		return nil
	}
	return c.GRPC.Close()
}

// CloseIdle closes the client's idle keep-alive connections, so the services see the
// load's connections end when the load does rather than at their idle timeout.
func (c *Client) CloseIdle() {
	if c == nil {
		return
	}
	if c.HTTP != nil {
		c.HTTP.CloseIdleConnections()
	}
	if c.fast != nil {
		for _, hc := range *c.fast.hosts.Load() {
			hc.CloseIdleConnections()
		}
	}
}

// watch cancels the fast client's requests in flight once ctx is done
// (net/http requests carry ctx themselves); stop ends the watch.
func (c *Client) watch(ctx context.Context) (stop func() bool) {
	if c == nil || c.fast == nil {
		return func() bool { return false }
	}
	return context.AfterFunc(ctx, c.fast.abort)
}

// NewClient returns a client for load: no compression, no proxy, no
// redirects followed, and — unless AllowRemote — a dialer that refuses
// every address outside the loopback range after name resolution.
func NewClient(o ClientOptions) *Client {
	d := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	if !o.AllowRemote {
		d.Control = LoopbackOnly
	}
	client := &http.Client{
		Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if o.HTTP2 || o.H2C {
		client.Transport = newH2Pool(o, d)
		return &Client{HTTP: client}
	}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: max(o.MaxIdlePerHost, 1),
		// Short: connections of workers retired after a burst should go.
		IdleConnTimeout:    idleConnTimeout,
		DisableCompression: true,
		DisableKeepAlives:  o.DisableKeepAlive,
		ForceAttemptHTTP2:  false,
		Proxy:              nil,
		MaxConnsPerHost:    max(o.MaxConns, 0),
		TLSClientConfig:    &tls.Config{InsecureSkipVerify: o.InsecureSkipVerify},
	}
	// An explicit TLS config turns HTTP/2 off unless asked for: keep 1.1.
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	client.Transport = tr
	return &Client{HTTP: client, fast: newFastClient(o, d)}
}

// LoopbackOnly is a net.Dialer Control hook: it sees the resolved address,
// so a name that resolves outside the loopback range is refused too. Every
// dialer gauntlet uses towards a target carries it unless remote targets
// were allowed.
func LoopbackOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRemoteTarget, address)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %s", ErrRemoteTarget, address)
	}
	return nil
}
