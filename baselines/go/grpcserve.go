package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// The values of --protocol.
const (
	protocolHTTP = "http"
	protocolGRPC = "grpc"
)

// tagMetadata is TagHeader as gRPC metadata (lower case, as HTTP/2 sends header names).
const tagMetadata = "x-gauntlet-tag"

// grpcRoles maps a --role value to the function that registers its gRPC services on s, in
// gRPC mode. rt is the role's router: its dependencies and /metrics series are shared with
// the HTTP side, which keeps the common endpoints.
var grpcRoles = map[string]func(s *grpc.Server, rt *router, cfg config) error{
	"micro":     func(*grpc.Server, *router, config) error { return nil },
	"gateway":   registerGRPCGateway,
	"order":     registerGRPCOrder,
	"inventory": registerGRPCInventory,
	"payment":   registerGRPCPayment,
}

// grpcService is a role in gRPC mode: a gRPC server with the role's services,
// grpc.health.v1 and reflection, and the HTTP handler of the common endpoints, both served
// on one port (see serve).
type grpcService struct {
	server *grpc.Server
	health *health.Server
	http   http.Handler
}

// newGRPCService builds role's gRPC server and HTTP handler. Every gRPC call is counted in
// /metrics (gauntlet_grpc_requests_total by method and status code) and, like an HTTP
// request, in the in-flight gauge and, when it carries x-gauntlet-tag, the tagged counter.
func newGRPCService(role string, cfg config) (*grpcService, error) {
	register, ok := grpcRoles[role]
	if !ok {
		return nil, fmt.Errorf("unknown role %q (known: %s)", role, knownRoles())
	}
	gs := &grpcService{health: health.NewServer()}
	var regErr error
	handler, err := buildMux(role, cfg, func(rt *router, cfg config) error {
		gs.server = grpc.NewServer(grpc.UnaryInterceptor(rt.metrics.interceptGRPC))
		regErr = register(gs.server, rt, cfg)
		healthpb.RegisterHealthServer(gs.server, gs.health)
		reflection.Register(gs.server)
		rt.metrics.grpcMethods(gs.server.GetServiceInfo())
		return regErr
	})
	if err != nil {
		return nil, err
	}
	for name := range gs.server.GetServiceInfo() {
		gs.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	gs.http = handler
	return gs, nil
}

// serve is main.go's serve for gRPC mode: it listens on addr, hands each connection that
// opens with the HTTP/2 preface to the gRPC server and every other one to the HTTP server,
// until ctx is done. Then it reports NOT_SERVING to health checks, stops accepting, and lets
// calls and requests in flight finish for up to drain (0: closes every connection at once).
func (gs *grpcService) serve(ctx context.Context, restoreSignals func(), addr, role string, drain time.Duration, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	split := newSplitListener(countingListener{ln})
	srv := &http.Server{
		Handler:           gs.http,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(stderr, "baseline-go "+role+": ", 0),
	}
	fmt.Fprintf(stderr, "baseline-go %s listening on %s (gRPC, and HTTP for the common endpoints)\n", role, ln.Addr())

	served := make(chan error, 3)
	go func() { served <- split.run() }()
	go func() { served <- gs.server.Serve(split.h2) }()
	go func() { served <- srv.Serve(split.h1) }()
	select {
	case err := <-served:
		gs.server.Stop()
		srv.Close()
		split.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	restoreSignals()
	gs.health.Shutdown()

	began := time.Now()
	split.Close()
	if drain == 0 {
		gs.server.Stop()
		err = srv.Close()
		fmt.Fprintf(stderr, "baseline-go %s shut down without draining in %s\n", role, time.Since(began).Round(time.Millisecond))
		return err
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		gs.server.GracefulStop()
		close(stopped)
	}()
	err = srv.Shutdown(drainCtx)
	select {
	case <-stopped:
	case <-drainCtx.Done():
		gs.server.Stop() // ends the calls still running; GracefulStop then returns
		<-stopped
		err = errors.Join(err, fmt.Errorf("gRPC calls still running: %w", drainCtx.Err()))
	}
	if err != nil {
		return fmt.Errorf("shutdown after %s: %w", time.Since(began).Round(time.Millisecond), err)
	}
	fmt.Fprintf(stderr, "baseline-go %s shut down, drained in %s\n", role, time.Since(began).Round(time.Millisecond))
	return nil
}
