package runners

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Idle opens Count keep-alive connections to one service, sends one request
// on each, and holds them all open, idle, until Hold has passed since Start:
// the probes read the service's memory meanwhile, which gives its memory per
// idle connection. Each connection's request is one Result.
type Idle struct {
	// URL is requested once on every connection.
	URL string
	// Count is how many connections to open.
	Count int
	// Start is the segment's start; Hold how long from it to keep the
	// connections open.
	Start time.Time
	Hold  time.Duration
	// Request is the Result's request index.
	Request uint16
	// Timeout bounds each dial and request.
	Timeout time.Duration
	// AllowRemote permits a target outside the loopback range.
	AllowRemote bool
}

var _ Runner = (*Idle)(nil)

// idleDialers is how many connections are being opened at once.
const idleDialers = 32

// Run implements Runner.
func (o *Idle) Run(ctx context.Context, out *metrics.Sink) error {
	u, err := url.Parse(o.URL)
	if err != nil {
		return fmt.Errorf("idle connections: %w", err)
	}
	host := HostPort(u)
	d := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowRemote {
		d.Control = LoopbackOnly
	}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gauntlet\r\n\r\n", u.RequestURI(), u.Host)

	if wait := time.Until(o.Start); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
	}
	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	next := make(chan struct{})
	var wg sync.WaitGroup
	for range min(idleDialers, o.Count) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := out.Buffer()
			defer buf.Close()
			for range next {
				buf.HoldNow(o.Start)
				c, res := o.open(ctx, d, host, req)
				if c != nil {
					mu.Lock()
					conns = append(conns, c)
					mu.Unlock()
				}
				buf.Put(res)
				buf.Release()
			}
		}()
	}
	for i := 0; i < o.Count && ctx.Err() == nil; i++ {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	select {
	case <-time.After(time.Until(o.Start.Add(o.Hold))):
	case <-ctx.Done():
	}
	return nil
}

// open dials one connection and sends the request on it, leaving the
// connection open when the answer came back whole.
func (o *Idle) open(ctx context.Context, d *net.Dialer, host, req string) (net.Conn, metrics.Result) {
	res := metrics.Result{Request: o.Request}
	res.Intended = time.Since(o.Start)
	res.Sent = res.Intended
	fail := func(err error) (net.Conn, metrics.Result) {
		res.End = time.Since(o.Start)
		res.Class = metrics.ClassifyError(err, ctx.Err() != nil)
		return nil, res
	}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fail(err)
	}
	c.SetDeadline(time.Now().Add(o.Timeout))
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return fail(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return fail(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		c.Close()
		return fail(err)
	}
	c.SetDeadline(time.Time{})
	res.End = time.Since(o.Start)
	res.Code, res.BytesIn = uint16(resp.StatusCode), n
	res.Class = metrics.ClassifyStatus(resp.StatusCode, nil)
	return c, res
}

// HostPort is the host:port a URL connects to, with the scheme's default
// port when it names none.
func HostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
