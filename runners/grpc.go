package runners

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gauntletbench/gauntlet/scenarios"
)

// GRPCCall is the gRPC side of a Request: a unary call whose message types
// are known. Set by the engine before the run; read-only during it.
type GRPCCall struct {
	// Target is the bound target as written: "host:port" or a URL.
	Target string
	// Method is the full method name, "/package.Service/Method".
	Method string
	// Input and Output are the method's message types.
	Input, Output protoreflect.MessageDescriptor
	// Message is the request message as a protobuf JSON template; nil sends
	// the empty message.
	Message *scenarios.Template
	// Metadata are the call's request headers (keys lower case).
	Metadata []Header
	// Deadline bounds each call.
	Deadline time.Duration
	// Conns are the connections the calls are spread over.
	Conns *GRPCConns

	// static is the request message encoded once when Message has no
	// placeholders left; nil otherwise.
	static []byte
}

// GRPCPoolOptions configure the connections a run's gRPC calls use.
type GRPCPoolOptions struct {
	// Connections is how many HTTP/2 connections each target gets; calls
	// are spread over them round-robin and multiplexed on each. 0 means 1.
	Connections int
	// DialTimeout bounds each connection attempt.
	DialTimeout time.Duration
	// AllowRemote permits targets outside 127.0.0.0/8 and ::1.
	AllowRemote bool
	// InsecureSkipVerify accepts any TLS certificate of a TLS target.
	InsecureSkipVerify bool
}

// A GRPCPool holds a run's gRPC connections: Connections per target
// address, opened on first use of the target and closed by Close. It is
// safe for concurrent use.
type GRPCPool struct {
	opt   GRPCPoolOptions
	mu    sync.Mutex
	conns map[string]*GRPCConns
}

// NewGRPCPool returns an empty pool.
func NewGRPCPool(o GRPCPoolOptions) *GRPCPool {
	o.Connections = max(o.Connections, 1)
	return &GRPCPool{opt: o, conns: map[string]*GRPCConns{}}
}

// GRPCConns are the connections to one target.
type GRPCConns struct {
	cc   []*grpc.ClientConn
	next atomic.Uint64
}

// pick returns the connection for the next call, round-robin.
func (c *GRPCConns) pick() *grpc.ClientConn {
	if len(c.cc) == 1 {
		return c.cc[0]
	}
	return c.cc[(c.next.Add(1)-1)%uint64(len(c.cc))]
}

// First returns the target's first connection (for server reflection).
func (c *GRPCConns) First() *grpc.ClientConn { return c.cc[0] }

// Conns returns the connections to target ("host:port", plaintext HTTP/2;
// tls: over TLS), creating them on first use. Each dials on its first call,
// through a dialer that refuses addresses outside loopback unless remote
// targets are allowed.
func (p *GRPCPool) Conns(target string, useTLS bool) (*GRPCConns, error) {
	key := target
	if useTLS {
		key = "tls:" + target
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[key]; ok {
		return c, nil
	}
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, errors.New("gRPC target " + strconv.Quote(target) + " is not host:port")
	}
	d := &net.Dialer{Timeout: p.opt.DialTimeout, KeepAlive: 30 * time.Second}
	if !p.opt.AllowRemote {
		d.Control = LoopbackOnly
	}
	creds := insecure.NewCredentials()
	if useTLS {
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: p.opt.InsecureSkipVerify})
	}
	c := &GRPCConns{}
	for range p.opt.Connections {
		// passthrough: the dialer sees the address as written and checks
		// what it resolves to; each ClientConn is one HTTP/2 connection.
		cc, err := grpc.NewClient("passthrough:///"+target,
			grpc.WithTransportCredentials(creds),
			grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
				return d.DialContext(ctx, "tcp", addr)
			}),
			grpc.WithUserAgent("gauntlet"),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})),
		)
		if err != nil {
			for _, open := range c.cc {
				open.Close()
			}
			return nil, err
		}
		cc.Connect()
		c.cc = append(c.cc, cc)
	}
	p.conns[key] = c
	return c, nil
}

// Connections is the number of connections per target.
func (p *GRPCPool) Connections() int { return p.opt.Connections }

// Targets is the number of targets connected to.
func (p *GRPCPool) Targets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Close closes every connection of the pool; calls in flight fail.
func (p *GRPCPool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for k, c := range p.conns {
		for _, cc := range c.cc {
			errs = append(errs, cc.Close())
		}
		delete(p.conns, k)
	}
	return errors.Join(errs...)
}

// rawCodec moves messages as encoded bytes: the worker encodes and decodes
// them itself (and encodes a static message once per run), so gRPC's codec
// only copies bytes. Load's values are *[]byte; other values (server
// reflection's messages) go through gRPC's protobuf codec.
type rawCodec struct{}

var protoCodec = encoding.GetCodecV2(grpcproto.Name)

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return protoCodec.Marshal(v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return protoCodec.Unmarshal(data, v)
	}
	*b = (*b)[:0]
	for _, buf := range data {
		*b = append(*b, buf.ReadOnlyData()...)
	}
	return nil
}

// Name is "proto": the bytes are protobuf, and the content type says so.
func (rawCodec) Name() string { return "proto" }

// Name describes the pool for the summary: "grpc-go, 1 HTTP/2 connection
// per target (2 targets)".
func (p *GRPCPool) Name() string {
	n := p.Connections()
	s := "grpc-go, " + strconv.Itoa(n) + " HTTP/2 connection"
	if n != 1 {
		s += "s"
	}
	s += " per target"
	if t := p.Targets(); t != 1 {
		s += " (" + strconv.Itoa(t) + " targets)"
	}
	return s
}
