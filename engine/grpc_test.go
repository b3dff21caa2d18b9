package engine

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/gauntletbench/gauntlet/scenarios"
	"github.com/gauntletbench/gauntlet/services"
)

// countingListener counts the connections a server accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// healthServer serves grpc.health.v1 with server reflection on loopback:
// "" is NOT_SERVING, "shop" and "SERVING" are SERVING, any other service is
// NOT_FOUND; a call with metadata x-sleep: DURATION is answered after it.
// It returns the server's address and its accepted-connection count.
func healthServer(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	sleep := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get("x-sleep"); len(v) > 0 {
			d, _ := time.ParseDuration(v[0])
			select {
			case <-time.After(d):
			case <-ctx.Done():
				// Answer as the deadline says, not OK a moment before the
				// client's own deadline fires.
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		}
		return h(ctx, req)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(sleep))
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus("shop", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("SERVING", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)
	go srv.Serve(cl)
	t.Cleanup(srv.Stop)
	return cl.Addr().String(), &cl.n
}

// TestGRPCCallsThroughTheEngine runs gRPC calls in the open model against a
// real gRPC server whose message types come from server reflection: status
// codes become classes and status codes, expectations on status and fields
// hold or fail, a flow extracts a response field into the next call,
// metadata reaches the server, the deadline applies, and the calls use
// exactly the connections asked for.
func TestGRPCCallsThroughTheEngine(t *testing.T) {
	addr, conns := healthServer(t)
	src := `
services:
  api: {url: "http://${URL}"}
load:
  stages: [{for: 1s, rate: 200}]
  connections: 3
  timeout: 2s
requests:
  - name: serving
    grpc: {target: "${api}", method: grpc.health.v1.Health/Check, message: {service: shop}}
    expect: {status: OK, json: {$.status: SERVING}}
  - name: unknown
    grpc: {target: "${URL}", method: /grpc.health.v1.Health/Check, message: {service: "nope-${seq}"}}
  - name: expected-not-found
    grpc: {target: "${api}", method: grpc.health.v1.Health/Check, message: {service: nope}}
    expect: {status: [NOT_FOUND]}
  - name: wrong-field
    grpc: {target: "${api}", method: grpc.health.v1.Health/Check, message: {service: ""}}
    expect: {json: {$.status: SERVING}}
  - name: slow
    grpc: {target: "${api}", method: grpc.health.v1.Health/Check, message: {service: shop}, metadata: {x-sleep: 1s}, deadline: 50ms}
  - name: chain
    flow:
      - grpc: {target: "${api}", method: grpc.health.v1.Health/Check, message: {service: shop}}
        extract: {st: $.status}
      - grpc: {target: "${api}", method: grpc.health.v1.Health/Check, message: {service: "${st}"}}
        expect: {json: {$.status: SERVING}}
`
	s, _ := runScenario(t, src, addr, Options{})
	rs := s.Runs[0]
	type outcome struct {
		Errors  int64
		Classes map[string]int64
		Codes   map[string]int64
	}
	// The mix is deterministic: 200 calls over 7 entries (6 requests, the
	// flow once) give each its share; every count below is of calls, so
	// only their split by outcome is asserted exactly.
	got := map[string]outcome{}
	var total int64
	for _, r := range rs.ByRequest {
		got[r.Name] = outcome{r.Errors, r.ErrorsByClass, r.StatusCodes}
		total += r.Requests
		if r.Requests == 0 {
			t.Errorf("request %s: no calls measured", r.Name)
		}
	}
	n := func(name string) int64 { return byName(rs, name).Requests }
	want := map[string]outcome{
		"serving":            {0, nil, map[string]int64{"grpc_ok": n("serving")}},
		"unknown":            {n("unknown"), map[string]int64{"grpc_not_found": n("unknown")}, map[string]int64{"grpc_not_found": n("unknown")}},
		"expected-not-found": {0, nil, map[string]int64{"grpc_not_found": n("expected-not-found")}},
		"wrong-field":        {n("wrong-field"), map[string]int64{"expectation_failed": n("wrong-field")}, map[string]int64{"grpc_ok": n("wrong-field")}},
		"slow":               {n("slow"), map[string]int64{"grpc_deadline_exceeded": n("slow")}, map[string]int64{"grpc_deadline_exceeded": n("slow")}},
		"chain":              {0, nil, map[string]int64{"grpc_ok": n("chain")}},
		"chain/Check":        {0, nil, map[string]int64{"grpc_ok": n("chain/Check")}},
		"chain/Check #2":     {0, nil, map[string]int64{"grpc_ok": n("chain/Check #2")}},
	}
	for k, o := range want {
		if len(o.Classes) == 0 {
			o.Classes = map[string]int64{}
			want[k] = o
		}
	}
	for k, o := range got {
		if o.Classes == nil {
			o.Classes = map[string]int64{}
			got[k] = o
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes by request (-want +got):\n%s", diff)
	}
	// The slow calls end at their 50 ms deadline, not the server's 1 s.
	if p := byName(rs, "slow").ServiceTime.P50; p < 45 || p > 900 {
		t.Errorf("slow calls' service time p50 = %.1f ms; want about the 50 ms deadline", p)
	}
	// 3 connections asked for, 3 opened: the first also carried the server
	// reflection lookup, and none was replaced (loopback does not drop them).
	if c := conns.Load(); c != 3 {
		t.Errorf("server accepted %d connections; want 3", c)
	}
	// Both spellings of the target reach one address: one set of connections.
	if want := "grpc-go, 3 HTTP/2 connections per target"; !strings.HasSuffix(rs.Client, want) {
		t.Errorf("client %q; want it to end %q", rs.Client, want)
	}
	if total == 0 {
		t.Fatal("no calls")
	}
}

// TestCheckAsksRunningServersByReflection: validation checks a call whose
// types come from server reflection against the running server it targets,
// with positions and hints; a server it cannot reach is left to the run.
func TestCheckAsksRunningServersByReflection(t *testing.T) {
	addr, _ := healthServer(t)
	// A port nothing listens on, below the ephemeral range, where no other
	// test's listener or client socket lands meanwhile.
	downPort, err := services.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	downAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(downPort))
	src := `services:
  api: {url: "http://` + addr + `"}
load: {stages: [{for: 1s, rate: 1}]}
requests:
  - grpc: {target: "${api}", method: grpc.health.v1.Health/Chek}
  - grpc:
      target: "` + addr + `"
      method: grpc.health.v1.Health/Check
      message: {servce: shop}
  - grpc: {target: "` + downAddr + `", method: grpc.health.v1.Health/Nope}
`
	spec, err := scenarios.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var probs scenarios.Problems
	if err := Check(spec, nil); !errors.As(err, &probs) {
		t.Fatalf("Check = %v; want Problems", err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	want := []string{
		`t.yaml:5:38: requests[0].grpc.method: unknown method "Chek" in service grpc.health.v1.Health (did you mean "Check"?)`,
		`t.yaml:9:17: requests[1].grpc.message.servce: unknown field "servce" in message grpc.health.v1.HealthCheckRequest (did you mean "service"?)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
