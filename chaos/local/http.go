package local

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 16<<10) }}
)

// drainLimit is how much of an unread request body the proxy reads to keep a keep-alive
// connection in step; beyond it the connection is closed instead.
const drainLimit = 256 << 10

// injectedHeader marks responses the proxy made up itself; its value is the fault kind.
const injectedHeader = "X-Gauntlet-Fault"

// serveHTTPConn reads requests one after the other and forwards each.
func (p *Proxy) serveHTTPConn(c *conn) {
	br := readerPool.Get().(*bufio.Reader)
	bw := writerPool.Get().(*bufio.Writer)
	br.Reset(c.client)
	bw.Reset(c.client)
	defer func() {
		p.releaseUpstream(c)
		br.Reset(nil)
		bw.Reset(nil)
		readerPool.Put(br)
		writerPool.Put(bw)
	}()
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			if c.ctx.Err() == nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				writeSimple(bw, http.StatusBadRequest, "", "gauntlet proxy: bad request: "+err.Error()+"\n", true)
			}
			p.closeSlowly(c)
			return
		}
		p.nRequests.Add(1)
		if !p.forward(c, br, bw, req) {
			p.closeSlowly(c)
			return
		}
	}
}

// closeSlowly closes c after any slow_close delay.
func (p *Proxy) closeSlowly(c *conn) {
	if st := p.state.Load(); st.slowClose > 0 {
		c.sleep(st, st.slowClose)
	}
	c.close()
}

// disrupted applies a reset or blackhole fault to the client connection and
// reports whether one did: the connection is then done.
func (p *Proxy) disrupted(st *state, c *conn, br *bufio.Reader) bool {
	switch {
	case st.reset:
		p.nDisrupted.Add(1)
		c.reset()
		return true
	case st.blackhole:
		p.nDisrupted.Add(1)
		p.swallow(c, br)
		return true
	}
	return false
}

// forward handles one request and reports whether the connection may serve another.
func (p *Proxy) forward(c *conn, br *bufio.Reader, bw *bufio.Writer, req *http.Request) bool {
	if st := p.state.Load(); st.active {
		if p.disrupted(st, c, br) {
			return false
		}
		for _, e := range st.httpErrors {
			if hit(&e.rng, e.Rate) {
				p.nDisrupted.Add(1)
				// A client waiting for 100 Continue never sends its body: close instead.
				expects := strings.EqualFold(req.Header.Get("Expect"), "100-continue")
				keep := !req.Close && !expects && drain(req.Body)
				body := "gauntlet: injected fault http_error (status " + strconv.Itoa(e.Status) + ")\n"
				return writeSimple(bw, e.Status, "http_error", body, !keep) == nil && keep
			}
		}
		delay := st.delay(up)
		disrupted := delay > 0
		for _, d := range st.httpDelays {
			if hit(&d.rng, d.Rate) {
				delay += d.Delay
				disrupted = true
			}
		}
		if disrupted {
			p.nDisrupted.Add(1)
		}
		if !c.sleep(st, delay) {
			return false
		}
	}

	if strings.EqualFold(req.Header.Get("Expect"), "100-continue") {
		req.Header.Del("Expect")
		if _, err := bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n"); err != nil || bw.Flush() != nil {
			return false
		}
	}
	if req.Body != nil && req.Body != http.NoBody {
		if st := p.state.Load(); len(st.bandwidth[up]) > 0 {
			req.Body = &throttled{ReadCloser: req.Body, c: c, st: st, dir: up}
		}
	}
	req.URL.Scheme, req.URL.Host = "", ""
	removeHopHeaders(req.Header)
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // keep Request.Write from adding its own
	}
	wantClose := req.Close
	req.Close = false

	resp, u, err := p.roundTrip(c, req)
	if err != nil {
		if c.ctx.Err() != nil {
			return false
		}
		writeSimple(bw, http.StatusBadGateway, "", "gauntlet proxy: upstream "+p.upstream+": "+err.Error()+"\n", true)
		return false
	}

	st := p.state.Load()
	if st.active {
		// Faults attached while the upstream was working act on the response too.
		if p.disrupted(st, c, br) {
			return false
		}
		if len(st.latency[down]) > 0 && !c.sleep(st, st.delay(down)) {
			return false
		}
		if len(st.bandwidth[down]) > 0 {
			resp.Body = &throttled{ReadCloser: resp.Body, c: c, st: st, dir: down}
		}
	}
	upstreamClose := resp.Close || !knownLength(req, resp)
	removeHopHeaders(resp.Header)
	resp.Close = wantClose || !knownLength(req, resp)
	err = resp.Write(bw) // streams the body from the upstream connection
	resp.Body.Close()
	if err == nil {
		err = bw.Flush()
	}
	if err != nil || upstreamClose {
		c.dropUpstream(u)
	}
	return err == nil && !resp.Close
}

// roundTrip writes req to the connection's upstream and reads the response head. A
// bodiless request that fails on a reused upstream connection (the server closed it while
// idle) is retried once on a fresh one.
func (p *Proxy) roundTrip(c *conn, req *http.Request) (*http.Response, *upConn, error) {
	for attempt := 0; ; attempt++ {
		u, err := p.upstreamFor(c)
		if err != nil {
			return nil, nil, err
		}
		resp, err := u.roundTrip(req)
		if err == nil {
			return resp, u, nil
		}
		c.dropUpstream(u)
		retryable := u.reused && attempt == 0 && (req.Body == nil || req.Body == http.NoBody) && c.ctx.Err() == nil
		if !retryable {
			return nil, nil, err
		}
	}
}

func (u *upConn) roundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Write(u.bw); err != nil {
		return nil, err
	}
	if err := u.bw.Flush(); err != nil {
		return nil, err
	}
	for {
		resp, err := http.ReadResponse(u.br, req)
		if err != nil {
			return nil, err
		}
		// Informational answers (103 Early Hints) precede the real one; the client does
		// not need them.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			resp.Body.Close()
			continue
		}
		return resp, nil
	}
}

// upConn is a connection to the upstream with its buffers.
type upConn struct {
	nc     *net.TCPConn
	br     *bufio.Reader
	bw     *bufio.Writer
	idle   time.Time // when it went back to the pool
	reused bool      // served an earlier request
}

// maxIdleUpstream bounds the upstream connections kept for reuse.
const maxIdleUpstream = 256

// upstreamFor returns the upstream connection pinned to c, taking one from the idle pool
// or dialling one if needed.
func (p *Proxy) upstreamFor(c *conn) (*upConn, error) {
	if c.up != nil {
		c.up.reused = true
		return c.up, nil
	}
	for {
		p.idleMu.Lock()
		n := len(p.idle)
		var u *upConn
		if n > 0 {
			u = p.idle[n-1]
			p.idle = p.idle[:n-1]
		}
		p.idleMu.Unlock()
		if u == nil {
			break
		}
		if time.Since(u.idle) > time.Second && !u.alive() {
			u.close()
			continue
		}
		u.reused = true
		return c.pin(u)
	}
	var d net.Dialer
	d.Timeout = dialTimeout
	nc, err := d.DialContext(c.ctx, "tcp", p.upstream)
	if err != nil {
		return nil, err
	}
	u := &upConn{nc: nc.(*net.TCPConn), br: readerPool.Get().(*bufio.Reader), bw: writerPool.Get().(*bufio.Writer)}
	u.br.Reset(u.nc)
	u.bw.Reset(u.nc)
	return c.pin(u)
}

// pin makes u the connection's upstream; if the connection closed meanwhile, u is closed.
func (c *conn) pin(u *upConn) (*upConn, error) {
	c.up = u
	c.upstream.Store(u.nc)
	if err := c.ctx.Err(); err != nil {
		c.dropUpstream(u)
		return nil, err
	}
	return u, nil
}

// dropUpstream closes the pinned upstream connection u.
func (c *conn) dropUpstream(u *upConn) {
	if u == nil {
		return
	}
	c.upstream.CompareAndSwap(u.nc, nil)
	if c.up == u {
		c.up = nil
	}
	u.close()
}

// releaseUpstream returns the pinned upstream connection to the pool, unless the client
// connection was reset or closed under it.
func (p *Proxy) releaseUpstream(c *conn) {
	u := c.up
	if u == nil {
		return
	}
	c.up = nil
	if !c.upstream.CompareAndSwap(u.nc, nil) || c.ctx.Err() != nil || u.br.Buffered() > 0 {
		u.close()
		return
	}
	u.idle = time.Now()
	p.idleMu.Lock()
	if len(p.idle) < maxIdleUpstream && p.ctx.Err() == nil {
		p.idle = append(p.idle, u)
		u = nil
	}
	p.idleMu.Unlock()
	if u != nil {
		u.close()
	}
}

// alive reports whether the idle connection is still open: a read must time out, not
// return EOF or stray bytes.
func (u *upConn) alive() bool {
	_ = u.nc.SetReadDeadline(time.Now())
	_, err := u.br.Peek(1)
	_ = u.nc.SetReadDeadline(time.Time{})
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (u *upConn) close() {
	u.nc.Close()
	u.br.Reset(nil)
	u.bw.Reset(nil)
	readerPool.Put(u.br)
	writerPool.Put(u.bw)
}

// swallow is the blackhole: read and discard whatever the client sends until the
// blackhole is detached or the client leaves, then close: the swallowed request is lost.
func (p *Proxy) swallow(c *conn, br *bufio.Reader) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, br)
	}()
	for {
		st := p.state.Load()
		if !st.blackhole {
			break
		}
		select {
		case <-st.detached:
			continue
		case <-done:
		case <-c.ctx.Done():
		}
		break
	}
	c.close()
	<-done
}

// knownLength reports whether the client can find the end of resp without the
// connection closing.
func knownLength(req *http.Request, resp *http.Response) bool {
	if req.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent ||
		resp.StatusCode == http.StatusNotModified || resp.StatusCode < 200 {
		return true
	}
	return resp.ContentLength >= 0 || (len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked")
}

// drain reads the rest of a request body so the next request can be parsed; false if it
// is too long to bother (the connection must close) or unreadable.
func drain(body io.ReadCloser) bool {
	if body == nil || body == http.NoBody {
		return true
	}
	n, err := io.CopyN(io.Discard, body, drainLimit+1)
	return n <= drainLimit && (err == nil || errors.Is(err, io.EOF))
}

// hopHeaders are the hop-by-hop headers of RFC 9110 §7.6.1.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopHeaders(h http.Header) {
	if len(h) == 0 {
		return
	}
	for _, v := range h["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
}

// writeSimple writes a complete text/plain response; fault names the injecting fault for
// injectedHeader, "" for the proxy's own errors.
func writeSimple(bw *bufio.Writer, status int, fault, body string, closing bool) error {
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(strconv.Itoa(status))
	bw.WriteByte(' ')
	bw.WriteString(http.StatusText(status))
	bw.WriteString("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ")
	bw.WriteString(strconv.Itoa(len(body)))
	if fault != "" {
		bw.WriteString("\r\n" + injectedHeader + ": ")
		bw.WriteString(fault)
	}
	if closing {
		bw.WriteString("\r\nConnection: close")
	}
	bw.WriteString("\r\n\r\n")
	bw.WriteString(body)
	return bw.Flush()
}

// throttled paces reads under the bandwidth limits of a state.
type throttled struct {
	io.ReadCloser
	c   *conn
	st  *state
	dir int
}

func (t *throttled) Read(b []byte) (int, error) {
	b = b[:t.st.chunk(t.dir, len(b))]
	n, err := t.ReadCloser.Read(b)
	if n > 0 && !t.c.pause(t.st.throttle(t.dir, n)) {
		return n, errors.New("connection closed")
	}
	return n, err
}
