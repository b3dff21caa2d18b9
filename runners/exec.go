package runners

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// MaxBodyRead caps how much of a response body is kept for extraction and
// body expectations; the rest is read and discarded (and counted).
const MaxBodyRead = 1 << 20

// Check is what a response must hold beyond its status.
type Check struct {
	// Headers maps canonical header names to the exact values expected.
	Headers []HeaderValue
	// BodyContains must occur in the body (the first MaxBodyRead bytes).
	BodyContains string
	// JSON lists paths into the body and the text of the value expected
	// there (see scenarios.ValueText).
	JSON []JSONValue
}

// HeaderValue is one expected response header.
type HeaderValue struct{ Key, Value string }

// JSONValue is one expected value in a JSON response body.
type JSONValue struct {
	Path  scenarios.JSONPath
	Value string
}

// Extract takes flow variable Var from a response.
type Extract struct {
	Var  string
	From scenarios.Extractor
}

// needsBody reports whether the request reads its response body.
func (r *Request) needsBody() bool {
	if r.Check != nil && (r.Check.BodyContains != "" || len(r.Check.JSON) > 0) {
		return true
	}
	for _, e := range r.Extract {
		if e.From.NeedsBody() {
			return true
		}
	}
	return false
}

func (r *Request) needsJSON() bool {
	if r.Check != nil && len(r.Check.JSON) > 0 {
		return true
	}
	for _, e := range r.Extract {
		if e.From.Kind == scenarios.ExtractJSON {
			return true
		}
	}
	return false
}

// entry is one request of the mix with the indexes of its results in the
// run's request names (see Names).
type entry struct {
	req   *Request
	id    uint16
	steps []uint16
}

// Names returns the request names of a run in the order results index
// them: each request, and after a flow each of its steps as "flow/step".
func Names(reqs []Request) []string {
	var names []string
	for _, r := range reqs {
		names = append(names, r.Name)
		for _, st := range r.Steps {
			names = append(names, r.Name+"/"+st.Name)
		}
	}
	return names
}

// entries lays reqs out as Names does.
func entries(reqs []Request) []entry {
	es := make([]entry, len(reqs))
	id := uint16(0)
	for i := range reqs {
		es[i] = entry{req: &reqs[i], id: id}
		id++
		for range reqs[i].Steps {
			es[i].steps = append(es[i].steps, id)
			id++
		}
	}
	return es
}

// worker sends the requests of one goroutine, reusing its buffers. It is
// not safe for concurrent use.
type worker struct {
	b      builder
	out    *metrics.Buffer
	client *Client
	start  time.Time
	body   []byte
	rng    *rand.Rand
	// fastReqs, resp, code and big are the worker's fasthttp request per
	// Request (nil: the request goes through net/http), the header of its
	// last response and its status (0 until the header was read), and the
	// reader its largest response header needed (nil until one outgrew the
	// pooled reader; see readHeader).
	fastReqs map[*Request]*fastReq
	resp     *fasthttp.ResponseHeader
	code     int
	big      *bufio.Reader
	// grpc holds the buffers of gRPC calls, once the worker made one.
	grpc *grpcBuffers
}

func newWorker(client *Client, out *metrics.Buffer, start time.Time, seed int64, id uint64) *worker {
	w := &worker{client: client, out: out, start: start, rng: rand.New(rand.NewPCG(uint64(seed), id))}
	if client.fast != nil {
		w.fastReqs = map[*Request]*fastReq{}
		w.resp = new(fasthttp.ResponseHeader)
	}
	w.b.r.Rand = w.rng
	w.b.r.Vars = map[string]string{}
	return w
}

// iterate runs one iteration of e — a request, or every step of a flow —
// and puts its results into the worker's buffer. scheduled says whether
// intended is a schedule's due time (open model; the caller holds it in the
// buffer); otherwise each request's latency counts from its actual send, and
// iterate holds the buffer at the iteration's start. It returns false,
// putting nothing, when e's unique data rows have run out.
func (w *worker) iterate(ctx context.Context, e *entry, seq uint64, intended time.Duration, scheduled bool, stage uint16) bool {
	req := e.req
	if len(req.Steps) > 0 || req.Data != nil {
		clear(w.b.r.Vars)
	}
	if req.Data != nil {
		row, ok := req.Data.Next(w.rng)
		if !ok {
			return false
		}
		for i, v := range row {
			w.b.r.Vars[req.Data.vars[i]] = v
		}
	}
	if !scheduled {
		w.out.HoldNow(w.start)
	}
	if len(req.Steps) == 0 {
		w.out.Put(w.call(ctx, req, e.id, seq, intended, scheduled, stage))
		return true
	}
	flow := metrics.Result{Request: e.id, Stage: stage, Intended: intended}
	for i := range req.Steps {
		res := w.call(ctx, &req.Steps[i], e.steps[i], seq, intended, scheduled && i == 0, stage)
		w.out.Put(res)
		if i == 0 {
			flow.Sent = res.Sent
			if !scheduled {
				flow.Intended = res.Sent
			}
		}
		flow.End, flow.Code, flow.Class = res.End, res.Code, res.Class
		flow.BytesIn += res.BytesIn
		flow.BytesOut += res.BytesOut
		if res.Class != metrics.OK {
			break
		}
	}
	w.out.Put(flow)
	return true
}

// call sends one request and classifies its response.
func (w *worker) call(ctx context.Context, req *Request, id uint16, seq uint64, intended time.Duration, scheduled bool, stage uint16) metrics.Result {
	res := metrics.Result{Request: id, Stage: stage, Intended: intended}
	if req.GRPC != nil {
		w.grpcCall(ctx, req, seq, &res, scheduled)
		return res
	}
	if w.fastReqs != nil && w.fastFor(req, seq) {
		w.fastCall(ctx, req, seq, &res, scheduled)
		return res
	}
	hr, n, err := w.b.build(ctx, req, seq)
	w.sent(&res, scheduled)
	if err != nil {
		res.End = res.Sent
		res.Class = metrics.Transport
		return res
	}
	res.BytesOut = n
	resp, err := w.client.HTTP.Do(hr)
	if err != nil {
		res.End = time.Since(w.start)
		res.Class = metrics.ClassifyError(err, ctx.Err() != nil)
		return res
	}
	var in int64
	keep := req.needsBody()
	if keep {
		w.body, in, err = readCapped(w.body[:0], resp.Body)
	} else {
		in, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	res.End = time.Since(w.start)
	res.BytesIn = in
	res.Code = uint16(resp.StatusCode)
	if err != nil {
		res.Class = metrics.ClassifyError(err, ctx.Err() != nil)
		return res
	}
	res.Class = metrics.ClassifyStatus(resp.StatusCode, req.Expect)
	if res.Class == metrics.OK && (req.Check != nil || len(req.Extract) > 0) && !w.inspect(req, resp.Header, w.body) {
		res.Class = metrics.ExpectationFailed
	}
	return res
}

// sent stamps res's actual send time, and its intended send time too when
// there is no schedule (the closed model measures from the actual send).
func (w *worker) sent(res *metrics.Result, scheduled bool) {
	res.Sent = time.Since(w.start)
	if !scheduled {
		res.Intended = res.Sent
	}
}

// readCapped appends up to MaxBodyRead bytes of r to dst and discards the
// rest, returning the total read.
func readCapped(dst []byte, r io.Reader) ([]byte, int64, error) {
	buf := bytes.NewBuffer(dst)
	n, err := buf.ReadFrom(io.LimitReader(r, MaxBodyRead))
	if err != nil {
		return buf.Bytes(), n, err
	}
	m, err := io.Copy(io.Discard, r)
	return buf.Bytes(), n + m, err
}

// inspect checks req's expectations against a response and extracts its
// variables into the worker's renderer; it reports whether all held.
func (w *worker) inspect(req *Request, h http.Header, body []byte) bool {
	var doc any
	if req.needsJSON() {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&doc) != nil {
			return false
		}
	}
	if c := req.Check; c != nil {
		for _, hv := range c.Headers {
			if h.Get(hv.Key) != hv.Value {
				return false
			}
		}
		if c.BodyContains != "" && !bytes.Contains(body, []byte(c.BodyContains)) {
			return false
		}
		for _, jv := range c.JSON {
			v, ok := jv.Path.Eval(doc)
			if !ok || scenarios.ValueText(v) != jv.Value {
				return false
			}
		}
	}
	for _, e := range req.Extract {
		v, ok := e.From.Value(h.Get, body, doc)
		if !ok {
			return false
		}
		w.b.r.Vars[e.Var] = strings.Clone(v)
	}
	return true
}
