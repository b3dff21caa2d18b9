package runners

import (
	"bufio"
	"errors"
	"io"
	"net/http/httputil"
	"time"

	"github.com/valyala/fasthttp"
)

// The fast client takes connections, buffers and header parsing from
// fasthttp and reads each response the way net/http's client does, so that
// a result means the same through either:
//
//   - a response header is read whatever its size, up to net/http's limit
//     (maxResponseHeader); fasthttp's own reading fails on a header beyond
//     its 4 KB read buffer;
//   - of a body, at most MaxBodyRead bytes are kept, and only for a request
//     whose checks or extractions read it; the rest is read, counted and
//     dropped. fasthttp's reading keeps the whole body in memory, so a
//     worker holding a large response held all of it;
//   - a connection idle a while is checked before it is sent on (see
//     checkIdle, peerGone): net/http's client notices at once when a
//     service closes an idle connection, fasthttp's pool does not, and the
//     request sent on it failed;
//   - a failed request is sent again only where net/http's client sends it
//     again (see roundTrip).
//
// Most responses fit the pooled 4 KB reader and cost no allocation.

// maxResponseHeader is the most header bytes a response may have (net/http
// Transport's default MaxResponseHeaderBytes).
const maxResponseHeader = 10 << 20

// maxInterim is how many 1xx responses may come before the final one.
const maxInterim = 100

var (
	errHeaderTooLarge  = errors.New("response header exceeds 10 MB")
	errTooManyInterim  = errors.New("too many 1xx responses")
	errTrailerTooLarge = errors.New("response trailer line exceeds the read buffer")
)

// exchange sends fr's request and reads its response: the header into
// w.resp and its status into w.code, up to MaxBodyRead bytes of the body
// into w.body when keep. It returns the body's size, or on an error within
// the body the bytes of it read (w.code then set, as net/http's client has
// the status by then). A request that failed on a reused connection
// before any of its response arrived is sent once more when net/http's
// client would send it again; the whole exchange, a retry included, has
// the client's timeout.
func (w *worker) exchange(fr *fastReq, keep bool) (int64, error) {
	var deadline time.Time
	if t := w.client.fast.opt.Timeout; t > 0 {
		deadline = time.Now().Add(t)
	}
	for attempt := 0; ; attempt++ {
		in, retry, err := w.roundTrip(fr, keep, deadline)
		if err == io.EOF {
			// The connection closed before the response's first byte.
			err = fasthttp.ErrConnectionClosed
		}
		if err == nil || !retry || attempt > 0 {
			return in, err
		}
		// A dead keep-alive connection usually means the others died too
		// (the service restarted): they go first, so the retry dials.
		fr.host.CloseIdleConnections()
	}
}

// roundTrip makes one attempt of exchange on a connection of fr's host.
// retry says whether the attempt failed in a way net/http's client retries:
// on a connection that had carried a request before, while writing the
// request (nothing of it reached the service, as far as can be told), or
// before the response's first byte for a method that may be replayed.
func (w *worker) roundTrip(fr *fastReq, keep bool, deadline time.Time) (in int64, retry bool, err error) {
	hc := fr.host
	var wait time.Duration
	if !deadline.IsZero() {
		if wait = time.Until(deadline); wait <= 0 {
			return 0, false, fasthttp.ErrTimeout
		}
	}
	cc, err := hc.AcquireConn(wait, fr.req.ConnectionClose())
	// A connection idle a while may have been closed by the service
	// meanwhile (its keep-alive timeout): it is dropped for another.
	for err == nil && !cc.LastUseTime().IsZero() && time.Since(cc.LastUseTime()) >= checkIdle && peerGone(cc.Conn()) {
		hc.CloseConn(cc)
		cc, err = hc.AcquireConn(wait, fr.req.ConnectionClose())
	}
	if err != nil {
		return 0, false, err
	}
	reused := !cc.LastUseTime().IsZero()
	conn := cc.Conn()
	if !deadline.IsZero() {
		if err := conn.SetDeadline(deadline); err != nil {
			hc.CloseConn(cc)
			return 0, false, err
		}
	}
	bw := hc.AcquireWriter(conn)
	err = fr.req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	hc.ReleaseWriter(bw)
	if err != nil {
		hc.CloseConn(cc)
		return 0, reused, timedOut(err)
	}
	br := hc.AcquireReader(conn)
	in, closeConn, err := w.readResponse(br, fr.req.Header.IsHead(), keep)
	hc.ReleaseReader(br)
	if err != nil {
		hc.CloseConn(cc)
		return in, reused && err == io.EOF && replayable(&fr.req.Header), timedOut(err)
	}
	if closeConn || fr.req.ConnectionClose() || w.resp.ConnectionClose() {
		hc.CloseConn(cc)
	} else {
		hc.ReleaseConn(cc)
	}
	return in, false, nil
}

// checkIdle is how long a connection must have been idle for roundTrip to
// check that the service has not closed it before sending on it. At high
// rates connections are reused sooner and the check, a system call, is
// skipped; no service closes connections idle for less.
const checkIdle = time.Millisecond

// replayable reports whether net/http's client would send a request with
// header h again after its connection failed before the response: GET,
// HEAD, OPTIONS and TRACE, or a request with an idempotency key.
func replayable(h *fasthttp.RequestHeader) bool {
	switch string(h.Method()) {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return h.Peek("Idempotency-Key") != nil || h.Peek("X-Idempotency-Key") != nil
}

// timedOut returns fasthttp.ErrTimeout for an error that is a timeout, as
// fasthttp's own round trip does, and err otherwise.
func timedOut(err error) error {
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return fasthttp.ErrTimeout
	}
	return err
}

// readResponse reads one response from br: its header, after any interim
// 1xx responses, then its body, framed as its header says. It sets w.code
// (which fastCall zeroes) once the final header is in; a body cut short
// returns the bytes read of it with the error. closeConn says
// the connection cannot carry another request: the body ran to the
// connection's end, or bytes came beyond the response.
func (w *worker) readResponse(br *bufio.Reader, head, keep bool) (in int64, closeConn bool, err error) {
	h := w.resp
	r := br
	for n := 0; ; n++ {
		if r, err = w.readHeader(r, h); err != nil {
			return 0, true, err
		}
		if c := h.StatusCode(); c < 100 || c > 199 || c == fasthttp.StatusSwitchingProtocols {
			break
		}
		if n == maxInterim {
			return 0, true, errTooManyInterim
		}
	}
	w.code = h.StatusCode()
	w.body = w.body[:0]
	switch c, n := h.StatusCode(), h.ContentLength(); {
	case head || c < 200 || c == fasthttp.StatusNoContent || c == fasthttp.StatusNotModified:
		closeConn = c == fasthttp.StatusSwitchingProtocols
	case n >= 0:
		in, err = w.readBody(r, int64(n), keep)
	case n == -1: // chunked
		if in, err = w.readBody(httputil.NewChunkedReader(r), -1, keep); err == nil {
			err = skipTrailer(r)
		}
	default: // delimited by the connection's end
		in, err = w.readBody(r, -1, keep)
		closeConn = true
	}
	if err != nil {
		return in, true, err
	}
	// Bytes past the response are none the next request asked for.
	return in, closeConn || r.Buffered() > 0 || br.Buffered() > 0, nil
}

// readHeader reads a response header from r into h. When it does not fit
// r's buffer it is read again through a reader four times the size, and so
// on up to maxResponseHeader; readHeader returns the reader the rest of the
// response is to be read from. A worker keeps such a reader of up to
// keptReader bytes for its later responses; larger ones go with the
// response, so that a service sending huge headers cannot make every
// worker hold megabytes.
func (w *worker) readHeader(r *bufio.Reader, h *fasthttp.ResponseHeader) (*bufio.Reader, error) {
	for {
		err := h.Read(r)
		if err == nil || !outgrew(err) {
			return r, err
		}
		if r.Size() >= maxResponseHeader {
			return r, errHeaderTooLarge
		}
		// r's unread bytes, the header read so far, come first.
		size := min(4*r.Size(), maxResponseHeader)
		switch {
		case w.big != nil && w.big.Size() >= size:
			w.big.Reset(r)
			r = w.big
		case size <= keptReader:
			w.big = bufio.NewReaderSize(r, size)
			r = w.big
		default:
			r = bufio.NewReaderSize(r, size)
		}
	}
}

// outgrew reports whether err says a header did not fit the read buffer.
func outgrew(err error) bool {
	var small *fasthttp.ErrSmallBuffer
	return errors.As(err, &small)
}

// keptReader is the largest header reader a worker keeps (see readHeader).
const keptReader = 64 << 10

// readBody reads a body of n bytes from r (n < 0: to r's end), keeping up
// to MaxBodyRead bytes of it in w.body when keep, and returns its size.
func (w *worker) readBody(r io.Reader, n int64, keep bool) (int64, error) {
	if keep {
		src := r
		if n >= 0 {
			src = io.LimitReader(r, n)
		}
		var in int64
		var err error
		w.body, in, err = readCapped(w.body[:0], src)
		if err == nil && n >= 0 && in < n {
			err = io.ErrUnexpectedEOF
		}
		return in, err
	}
	if br, ok := r.(*bufio.Reader); ok && n >= 0 && n <= int64(br.Buffered()) {
		d, err := br.Discard(int(n))
		return int64(d), err
	}
	if n < 0 {
		return io.Copy(io.Discard, r)
	}
	d, err := io.CopyN(io.Discard, r, n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return d, err
}

// skipTrailer reads the trailer section that ends a chunked body, up to
// and including its empty line. Trailers are not kept (net/http's client
// keeps them apart from the header, where no check looks).
func skipTrailer(r *bufio.Reader) error {
	for {
		line, err := r.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			return errTrailerTooLarge
		case err == io.EOF:
			return io.ErrUnexpectedEOF
		case err != nil:
			return err
		case len(line) <= 2 && (len(line) == 1 || line[0] == '\r'):
			return nil
		}
	}
}
