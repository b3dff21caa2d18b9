package runners

import (
	"context"
	"errors"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/gauntletbench/gauntlet/metrics"
)

// responseJSON writes a response the way expectations and extraction read
// it: the .proto field names, unset fields included (so "$.count": 0 holds).
var responseJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// Prepare checks that the call is complete and encodes its message once
// when it has no placeholders left. Call it after setting Input and Output,
// before the run.
func (g *GRPCCall) Prepare() error {
	if g.Input == nil || g.Output == nil || g.Conns == nil || g.Method == "" {
		return errors.New("gRPC call " + g.Method + " has no method types or connections")
	}
	if g.Message == nil {
		g.static = []byte{}
		return nil
	}
	src, ok := g.Message.Static()
	if !ok {
		return nil
	}
	b, err := g.encode(nil, []byte(src))
	if err != nil {
		return errors.New("gRPC call " + g.Method + ": message: " + err.Error())
	}
	g.static = b
	return nil
}

// encode appends the protobuf encoding of the JSON message text to dst.
func (g *GRPCCall) encode(dst, text []byte) ([]byte, error) {
	m := dynamicpb.NewMessage(g.Input)
	if err := protojson.Unmarshal(text, m); err != nil {
		return dst, err
	}
	return proto.MarshalOptions{}.MarshalAppend(dst, m)
}

// grpcBuffers are a worker's buffers for gRPC calls.
type grpcBuffers struct {
	text, out, in []byte
}

// grpcCall sends one unary call and classifies its outcome; latency counts
// as for HTTP (from the intended send time when scheduled).
func (w *worker) grpcCall(ctx context.Context, req *Request, seq uint64, res *metrics.Result, scheduled bool) {
	g := req.GRPC
	if w.grpc == nil {
		w.grpc = &grpcBuffers{}
	}
	buf := w.grpc
	w.b.r.Seq = seq
	msg := g.static
	var err error
	if msg == nil {
		buf.text = g.Message.Render(buf.text[:0], &w.b.r)
		buf.out, err = g.encode(buf.out[:0], buf.text)
		msg = buf.out
	}
	callCtx := ctx
	if len(g.Metadata) > 0 {
		md := make(metadata.MD, len(g.Metadata))
		for _, h := range g.Metadata {
			w.b.hdr = h.Value.Render(w.b.hdr[:0], &w.b.r)
			md[h.Key] = append(md[h.Key], string(w.b.hdr))
		}
		callCtx = metadata.NewOutgoingContext(ctx, md)
	}
	w.sent(res, scheduled)
	if err != nil {
		res.End = res.Sent
		res.Class = metrics.Transport
		return
	}
	res.BytesOut = int64(len(msg))
	callCtx, cancel := context.WithTimeout(callCtx, g.Deadline)
	var header metadata.MD
	var opts []grpc.CallOption
	if req.Check != nil && len(req.Check.Headers) > 0 || extractsHeader(req) {
		opts = append(opts, grpc.Header(&header))
	}
	err = g.Conns.pick().Invoke(callCtx, g.Method, &msg, &buf.in, opts...)
	cancel()
	res.End = time.Since(w.start)
	if err != nil && ctx.Err() != nil {
		res.Class = metrics.ClassifyError(ctx.Err(), true)
		return
	}
	code := uint32(status.Code(err))
	res.Code = uint16(metrics.GRPCStatusBase + code)
	res.Class = metrics.ClassifyGRPC(code, req.Expect)
	if err != nil {
		return
	}
	res.BytesIn = int64(len(buf.in))
	if res.Class == metrics.OK && (req.Check != nil || len(req.Extract) > 0) && !w.inspectGRPC(req, header, buf.in) {
		res.Class = metrics.ExpectationFailed
	}
}

// inspectGRPC checks a response against req's expectations, read as JSON
// with its response metadata as headers, and extracts its variables.
func (w *worker) inspectGRPC(req *Request, md metadata.MD, in []byte) bool {
	m := dynamicpb.NewMessage(req.GRPC.Output)
	if proto.Unmarshal(in, m) != nil {
		return false
	}
	var err error
	if req.needsBody() {
		if w.body, err = responseJSON.MarshalAppend(w.body[:0], m); err != nil {
			return false
		}
	}
	h := make(http.Header, len(md))
	for k, vs := range md {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	return w.inspect(req, h, w.body)
}

// extractsHeader reports whether a flow step takes a variable from a header.
func extractsHeader(req *Request) bool {
	for _, e := range req.Extract {
		if !e.From.NeedsBody() {
			return true
		}
	}
	return false
}
