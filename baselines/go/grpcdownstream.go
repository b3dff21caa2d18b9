package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	spb "google.golang.org/genproto/googleapis/rpc/status"
)

// failedDependencyMetadata is FailedDependencyHeader as a gRPC trailer.
const failedDependencyMetadata = "x-gauntlet-failed-dependency"

// grpcDependency returns the client for one downstream gRPC service at base (a base URL
// like http://127.0.0.1:8083, as in HTTP mode) and adds its series to /metrics. The
// retries, backoff and breaker are downstream's, the same as in HTTP mode; only an attempt
// differs (attemptGRPC). Each dependency has one HTTP/2 connection, which multiplexes
// every call. Call it only while building the router.
func (rt *router) grpcDependency(name, base string, cfg config) (*downstream, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient("passthrough:///"+u.Host,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// A dependency that was down is dialled again within a second of coming back;
		// gRPC's default backoff grows to two minutes, far beyond the breaker's window.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           grpcbackoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: cfg.timeout,
		}),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &downstream{
		name:    name,
		base:    base,
		conn:    conn,
		timeout: cfg.timeout,
		retries: cfg.retries,
		stats:   rt.metrics.dependency(name, cfg.timeout),
	}, nil
}

// attemptGRPC is attempt in gRPC mode: it calls the full method name with body, the
// request message already encoded, under its own timeout. The reply carries the response
// message encoded in body and status 200, or, when the service answered with an error
// status, that status (google.rpc.Status, encoded) in body and the HTTP status of the same
// meaning (httpStatus), so downstream's retry and breaker rules apply unchanged. A call that
// never reached the service is "connection failed", as in HTTP mode.
func (d *downstream) attemptGRPC(ctx context.Context, method string, body []byte, tag string) (rep reply, timedOut bool, err error) {
	actx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if tag != "" {
		actx = metadata.AppendToOutgoingContext(actx, tagMetadata, tag)
	}
	var (
		out     []byte
		trailer metadata.MD
		reached peer.Peer
	)
	err = d.conn.Invoke(actx, method, body, &out, grpc.Trailer(&trailer), grpc.Peer(&reached))
	if err == nil {
		return reply{status: 200, body: out}, false, nil
	}
	st := status.Convert(err)
	switch {
	case actx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		return reply{}, true, errors.New("timed out")
	case ctx.Err() != nil:
		return reply{}, false, ctx.Err()
	case st.Code() == codes.Unavailable && reached.Addr == nil:
		return reply{}, false, errors.New("connection failed")
	}
	enc, merr := proto.Marshal(st.Proto())
	if merr != nil {
		return reply{}, false, merr
	}
	rep = reply{status: httpStatus(st.Code()), body: enc}
	if v := trailer.Get(failedDependencyMetadata); len(v) > 0 {
		rep.failedDep = v[0]
	}
	return rep, false, nil
}

// httpStatus is the HTTP status that means what code means to downstream: 503 and 504 are
// retried (unless the answer names a failed dependency), the others are not.
func httpStatus(code codes.Code) int {
	switch code {
	case codes.OK:
		return 200
	case codes.InvalidArgument:
		return 400
	case codes.NotFound:
		return 404
	case codes.Canceled:
		return statusClientClosed
	case codes.Internal:
		return 502
	case codes.Unavailable:
		return 503
	case codes.DeadlineExceeded:
		return 504
	}
	return 500
}

// replyStatus is the gRPC status of a reply from attemptGRPC that is not 200.
func replyStatus(rep reply) *status.Status {
	st := new(spb.Status)
	if err := proto.Unmarshal(rep.body, st); err != nil {
		return status.New(codes.Internal, "undecodable status from downstream")
	}
	return status.FromProto(st)
}

// rawCodec passes messages through already encoded: chain hops encode and decode the
// generated messages themselves, so downstream handles bytes in both protocols.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot encode %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot decode into %T", v)
	}
	*p = data.Materialize()
	return nil
}

// Name is "proto": on the wire the messages are protobuf, as the services expect.
func (rawCodec) Name() string { return "proto" }
