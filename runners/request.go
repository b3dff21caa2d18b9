package runners

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/gauntletbench/gauntlet/scenarios"
)

// A Request is one entry of the request mix, its templates bound to the
// run's addresses.
type Request struct {
	Name   string
	Weight int
	// Off keeps the request's place in the mix, and so the indexes of the
	// run's results (Names), without ever sending it: the scenario's
	// request belongs to other variants.
	Off    bool
	Method string
	URL    scenarios.Template
	Header []Header
	// Body is nil for requests without a body.
	Body        *scenarios.Template
	ContentType string
	// Expect lists the accepted statuses; empty means any status below 400.
	Expect []int
	// Check holds the expectations beyond the status; nil means none.
	Check *Check
	// Extract lists the variables a flow step takes from its response for
	// the steps after it.
	Extract []Extract
	// Steps, when set, make the request a multi-step flow: each iteration
	// runs the steps in order (their own Weight, Steps and Data are
	// ignored) and stops at the first that fails.
	Steps []Request
	// Data, when set, gives each iteration a row for ${row.COLUMN}; it is
	// shared by every worker of the run.
	Data *Feeder
	// GRPC, when set, makes the request a unary gRPC call (Method, URL,
	// Header and Body are unused).
	GRPC *GRPCCall
}

// Header is one request header whose value may be a template.
type Header struct {
	Key   string
	Value scenarios.Template
}

// mix picks the request for each sequence number so that over any run each
// request gets exactly its weight's share, deterministically: request i owns
// the residues [cum[i-1], cum[i]) of seq modulo the total weight. A request
// that is Off owns none.
type mix struct {
	cum   []uint64
	total uint64
}

func newMix(reqs []Request) mix {
	var m mix
	for _, r := range reqs {
		if !r.Off {
			m.total += uint64(max(r.Weight, 1))
		}
		m.cum = append(m.cum, m.total)
	}
	return m
}

func (m mix) pick(seq uint64) int {
	if len(m.cum) == 1 || m.total == 0 {
		return 0
	}
	r := seq % m.total
	return sort.Search(len(m.cum), func(i int) bool { return m.cum[i] > r })
}

// count sets counts[i] to how many of the n requests from, from+1, … pick
// request i, with seq giving each its plan-wide sequence number. The picks
// repeat every total requests (seq advances by a fixed stride, and the pick
// is seq modulo total), so it looks at no more than one such period.
func (m mix) count(counts []int64, seq func(uint64) uint64, from, n uint64) {
	clear(counts)
	period := max(m.total, 1)
	full, rest := int64(n/period), n%period
	for i := range min(n, period) {
		c := full
		if i < rest {
			c++
		}
		counts[m.pick(seq(from+i))] += c
	}
}

// builder renders requests for one worker goroutine, reusing its buffers.
type builder struct {
	r   scenarios.Renderer
	url []byte
	hdr []byte
}

// build renders req for sequence number seq into an *http.Request. The body
// gets its own buffer: the transport may still read it after the response
// has arrived.
func (b *builder) build(ctx context.Context, req *Request, seq uint64) (*http.Request, int64, error) {
	b.r.Seq = seq
	b.url = req.URL.Render(b.url[:0], &b.r)
	var body io.Reader
	var n int64
	if req.Body != nil {
		buf := req.Body.Render(nil, &b.r)
		body = bytes.NewReader(buf)
		n = int64(len(buf))
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, string(b.url), body)
	if err != nil {
		return nil, 0, err
	}
	for _, h := range req.Header {
		b.hdr = h.Value.Render(b.hdr[:0], &b.r)
		if strings.EqualFold(h.Key, "Host") {
			// net/http sends Request.Host and ignores a Host header.
			hr.Host = string(b.hdr)
			continue
		}
		hr.Header.Set(h.Key, string(b.hdr))
	}
	if req.ContentType != "" && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", req.ContentType)
	}
	return hr, n, nil
}
