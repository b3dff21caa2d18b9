package runners

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gauntletbench/gauntlet/metrics"
)

// fastClient sends plain-HTTP/1.1 requests with fasthttp: one HostClient per
// target address, no redirects followed, no compression asked for, the same
// loopback guard on every dial as the net/http client. Requests and
// responses are reused per worker, so a request allocates nothing.
type fastClient struct {
	opt   ClientOptions
	dial  *net.Dialer
	hosts atomic.Pointer[map[string]*fasthttp.HostClient]
	mu    sync.Mutex // serialises adding hosts and tracking connections
	conns map[*fastConn]struct{}
	// aborted is set once the run was cancelled: no more connections.
	aborted bool
	// spare holds connections dialled ahead of a load (see Client.warm),
	// per address; dialConn hands them out first, until spareUntil.
	spare      map[string][]net.Conn
	spareUntil time.Time
}

func newFastClient(o ClientOptions, d *net.Dialer) *fastClient {
	c := &fastClient{opt: o, dial: d, conns: map[*fastConn]struct{}{}}
	c.hosts.Store(&map[string]*fasthttp.HostClient{})
	return c
}

// host returns the HostClient of addr (host:port), creating it once.
func (c *fastClient) host(addr []byte) *fasthttp.HostClient {
	if hc := (*c.hosts.Load())[string(addr)]; hc != nil {
		return hc
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.hosts.Load()
	if hc := old[string(addr)]; hc != nil {
		return hc
	}
	maxConns := math.MaxInt32
	var wait time.Duration
	if c.opt.MaxConns > 0 {
		// Like net/http's MaxConnsPerHost: wait for a connection.
		maxConns, wait = c.opt.MaxConns, max(c.opt.Timeout, time.Second)
	}
	hc := &fasthttp.HostClient{
		Addr: string(addr), Dial: c.dialConn,
		MaxConns: maxConns, MaxConnWaitTimeout: wait, MaxIdleConnDuration: idleConnTimeout,
		// The connection used last goes out first, as in net/http: after
		// a burst the load runs on as few connections as it needs and the
		// rest idle out. Oldest first kept every connection of a burst
		// busy with a share of the load for the rest of the run, and a
		// service's tail latency grows with its busy connections (at
		// 30,000 req/s on one core: p99 1.7 ms over 64, 6 ms over 1,000).
		ConnPoolStrategy: fasthttp.LIFO,
	}
	next := make(map[string]*fasthttp.HostClient, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[string(addr)] = hc
	c.hosts.Store(&next)
	return hc
}

// dialConn hands out a spare connection to addr that the service has not
// closed meanwhile, or dials one through the guarded dialer, and tracks it
// so that abort can close it.
func (c *fastClient) dialConn(addr string) (net.Conn, error) {
	for nc := c.takeSpare(addr); nc != nil; nc = c.takeSpare(addr) {
		// A spare waited up to spareFor: the service may have closed it
		// (a timeout for a first request), and it would fail its first
		// request, which a new connection is never sent again after.
		if !peerGone(nc) {
			return nc, nil
		}
		nc.Close()
	}
	nc, err := c.dial.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.track(nc)
}

// track wraps nc so that abort can close it, or closes it if the run was
// aborted.
func (c *fastClient) track(nc net.Conn) (net.Conn, error) {
	fc := &fastConn{Conn: nc, c: c}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		nc.Close()
		return nil, context.Canceled
	}
	c.conns[fc] = struct{}{}
	return fc, nil
}

// spareFor is how long after the load's start the connections dialled
// ahead of it are handed out; those left are closed then, since a service
// may close a connection that stays idle.
const spareFor = time.Second

// warmAhead is how much of a load's start warm dials connections for:
// the requests of its first warmAhead if none were answered sooner. At
// 30,000 requests per second that is 300 connections. A load's first
// requests otherwise each dial their own, and at such rates the dialling
// alone outran the generator's CPU: at 30,000/s the first 50 ms of
// requests waited 8–21 ms on average (five runs), and each request that
// waited held a connection more. A service is slow to answer its first
// requests too, so the first tens of milliseconds need more connections
// than the steady load: with 2 ms dialled ahead (60 connections) the p99
// of the first 300 ms of requests was 12–56 ms over five runs and the pool
// grew to 358–1,001 connections; with 10 ms, 2.8–8.2 ms and 212–455. With
// 20 ms (600 connections) the service, holding them all, was slower again:
// 8–58 ms.
const warmAhead = 10 * time.Millisecond

// warm dials, before a load that starts at start, n connections for its
// first requests, shared among the plain-HTTP addresses of reqs' static
// URLs by the requests' weights; it stops at the first failure and at
// start, a dial in progress included. It returns the function that closes
// those no request took. A client's loads run one after another, each
// closing its spares as it ends, so the spares are always one load's.
func (c *Client) warm(reqs []Request, n int, start time.Time) (drop func()) {
	if c == nil || c.fast == nil || c.fast.opt.DisableKeepAlive || n <= 0 {
		return func() {}
	}
	if c.fast.opt.MaxConns > 0 {
		n = min(n, c.fast.opt.MaxConns)
	}
	var addrs []string
	weight, total := map[string]int{}, 0
	for _, r := range reqs {
		if r.Off {
			continue
		}
		total += max(r.Weight, 1)
		if addr, ok := plainAddr(r); ok {
			if weight[addr] == 0 {
				addrs = append(addrs, addr)
			}
			weight[addr] += max(r.Weight, 1)
		}
	}
	f := c.fast
	f.mu.Lock()
	f.spare, f.spareUntil = map[string][]net.Conn{}, start.Add(spareFor)
	f.mu.Unlock()
	// A dial still waiting at the start (a service whose accept queue is
	// full) gives up then, so that warming never holds the load back.
	ctx, cancel := context.WithDeadline(context.Background(), start)
	defer cancel()
	for _, addr := range addrs {
		for range (n*weight[addr] + total - 1) / total {
			nc, err := f.dial.DialContext(ctx, "tcp", addr)
			if err != nil {
				return f.dropSpare
			}
			fc, err := f.track(nc)
			if err != nil {
				return f.dropSpare
			}
			f.mu.Lock()
			f.spare[addr] = append(f.spare[addr], fc)
			f.mu.Unlock()
		}
	}
	return f.dropSpare
}

// plainAddr returns the host:port a request's static plain-HTTP URL
// connects to, as fill names it.
func plainAddr(r Request) (string, bool) {
	s, ok := r.URL.Static()
	if !ok || r.GRPC != nil || len(r.Steps) > 0 || !strings.HasPrefix(s, "http://") {
		return "", false
	}
	var u fasthttp.URI
	if err := u.Parse(nil, []byte(s)); err != nil || len(u.Host()) == 0 {
		return "", false
	}
	return string(hostAddr(u.Host())), true
}

// hostAddr is a URL's host (fasthttp's, lower case) with its port, 80 when
// the URL names none: the address of its HostClient.
func hostAddr(host []byte) []byte {
	if bytes.IndexByte(host[max(bytes.LastIndexByte(host, ']'), 0):], ':') < 0 {
		return append(append([]byte(nil), host...), ":80"...)
	}
	return host
}

// takeSpare hands out a connection to addr dialled ahead of the load, if
// one is left and its time has not passed; once it has, it closes them all.
func (c *fastClient) takeSpare(addr string) net.Conn {
	c.mu.Lock()
	if c.spare == nil {
		c.mu.Unlock()
		return nil
	}
	if time.Now().After(c.spareUntil) {
		c.mu.Unlock()
		c.dropSpare()
		return nil
	}
	defer c.mu.Unlock()
	sp := c.spare[addr]
	if len(sp) == 0 {
		return nil
	}
	c.spare[addr] = sp[:len(sp)-1]
	return sp[len(sp)-1]
}

// dropSpare closes the connections dialled ahead of the load that no
// request took.
func (c *fastClient) dropSpare() {
	c.mu.Lock()
	spare := c.spare
	c.spare = nil
	c.mu.Unlock()
	for _, sp := range spare {
		for _, nc := range sp {
			nc.Close()
		}
	}
}

// abort closes every open connection and refuses new ones: requests in
// flight fail at once (and are not retried). It runs when a run's context
// is cancelled, since fasthttp takes none.
func (c *fastClient) abort() {
	c.mu.Lock()
	c.aborted = true
	conns := make([]*fastConn, 0, len(c.conns))
	for fc := range c.conns {
		conns = append(conns, fc)
	}
	c.mu.Unlock()
	for _, fc := range conns {
		fc.Close()
	}
}

type fastConn struct {
	net.Conn
	c    *fastClient
	once sync.Once
}

func (fc *fastConn) Close() error {
	fc.once.Do(func() {
		fc.c.mu.Lock()
		delete(fc.c.conns, fc)
		fc.c.mu.Unlock()
	})
	return fc.Conn.Close()
}

// fastClass classifies a fasthttp error as metrics.ClassifyError does a
// net/http one; interrupted makes any failure Canceled, since cancelling a
// run closes the connections under the requests in flight.
func fastClass(err error, interrupted bool) metrics.ErrorClass {
	switch {
	case interrupted:
		return metrics.Canceled
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, fasthttp.ErrTLSHandshakeTimeout), errors.Is(err, fasthttp.ErrNoFreeConns):
		return metrics.Timeout
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return metrics.ConnReset
	}
	return metrics.ClassifyError(err, false)
}

// fastReq is a worker's fasthttp request for one Request: built once when
// the request has no templates, rebuilt per call otherwise.
type fastReq struct {
	req    *fasthttp.Request
	static bool
	host   *fasthttp.HostClient
	body   []byte
	bytes  int64
}

// fastFor reports whether req goes through the fast client: whether its
// URL, as first rendered by this worker, is plain http://. The answer is
// kept per worker (nil in fastReqs: net/http).
func (w *worker) fastFor(req *Request, seq uint64) bool {
	fr, seen := w.fastReqs[req]
	if seen {
		return fr != nil
	}
	w.b.r.Seq = seq
	w.b.url = req.URL.Render(w.b.url[:0], &w.b.r)
	if !bytes.HasPrefix(w.b.url, []byte("http://")) {
		w.fastReqs[req] = nil
		return false
	}
	fr = &fastReq{req: new(fasthttp.Request), static: req.static()}
	if fr.static {
		w.fill(fr, req, seq)
	}
	w.fastReqs[req] = fr
	return true
}

// static reports whether every part of the request is free of templates,
// so that one rendering serves every call.
func (r *Request) static() bool {
	if _, ok := r.URL.Static(); !ok || r.Data != nil {
		return false
	}
	if r.Body != nil {
		if _, ok := r.Body.Static(); !ok {
			return false
		}
	}
	for _, h := range r.Header {
		if _, ok := h.Value.Static(); !ok {
			return false
		}
	}
	return true
}

// fastCall sends req with the fast client and fills res's times, bytes,
// code and class as call does with net/http.
func (w *worker) fastCall(ctx context.Context, req *Request, seq uint64, res *metrics.Result, scheduled bool) {
	fr := w.fastReqs[req]
	if !fr.static {
		fr.req.Reset()
		w.fill(fr, req, seq)
	}
	w.sent(res, scheduled)
	res.BytesOut = fr.bytes
	var in int64
	err := errBadURL
	w.code = 0
	if fr.host != nil {
		in, err = w.exchange(fr, req.needsBody())
	}
	res.End = time.Since(w.start)
	res.BytesIn, res.Code = in, uint16(w.code)
	if err != nil {
		res.Class = fastClass(err, ctx.Err() != nil)
		return
	}
	res.Class = metrics.ClassifyStatus(w.code, req.Expect)
	if res.Class == metrics.OK && (req.Check != nil || len(req.Extract) > 0) {
		h := http.Header{}
		for k, v := range w.resp.All() {
			h.Add(string(k), string(v))
		}
		if !w.inspect(req, h, w.body) {
			res.Class = metrics.ExpectationFailed
		}
	}
}

var errBadURL = errors.New("request URL has no host")

// userAgent is the fast client's User-Agent when a request sets none.
const userAgent = "gauntlet"

// fill renders req into fr for sequence number seq.
func (w *worker) fill(fr *fastReq, req *Request, seq uint64) {
	b := &w.b
	b.r.Seq = seq
	b.url = req.URL.Render(b.url[:0], &b.r)
	r := fr.req
	r.Header.SetNoDefaultContentType(true)
	r.Header.SetMethod(req.Method)
	r.SetRequestURIBytes(b.url)
	for _, h := range req.Header {
		b.hdr = h.Value.Render(b.hdr[:0], &b.r)
		r.Header.SetBytesV(h.Key, b.hdr)
		if strings.EqualFold(h.Key, "Host") {
			// Sent instead of the URL's host, which is still where the
			// request connects to (a virtual host behind one address).
			r.UseHostHeader = true
		}
	}
	if req.ContentType != "" && len(r.Header.ContentType()) == 0 {
		r.Header.SetContentType(req.ContentType)
	}
	if len(r.Header.UserAgent()) == 0 {
		r.Header.SetUserAgent(userAgent)
	}
	r.URI().DisablePathNormalizing = true
	fr.bytes = 0
	if req.Body != nil {
		fr.body = req.Body.Render(fr.body[:0], &b.r)
		r.SetBodyRaw(fr.body)
		fr.bytes = int64(len(fr.body))
	}
	if w.client.fast.opt.DisableKeepAlive {
		r.Header.SetConnectionClose()
	}
	fr.host = nil
	if host := r.URI().Host(); len(host) > 0 {
		fr.host = w.client.fast.host(hostAddr(host))
	}
}
