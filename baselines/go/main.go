// Command baseline-go is gauntlet's Go reference service: the standard library's net/http
// with a goroutine per request, the "Go style" that the harness compares other
// implementations against.
//
// Usage:
//
//	baseline-go --role micro --addr 127.0.0.1:8080
//	baseline-go --role inventory --addr 127.0.0.1:8083
//	baseline-go --role payment --addr 127.0.0.1:8084 --cpu-work 10000 --latency 2ms
//	baseline-go --role order --addr 127.0.0.1:8082 \
//	    --inventory http://127.0.0.1:8083 --payment http://127.0.0.1:8084
//	baseline-go --role gateway --addr 127.0.0.1:8081 --order http://127.0.0.1:8082
//
// Roles: micro (the common endpoints only), and the order chain gateway → order →
// inventory, payment. Every role serves /healthz, /metrics, /ping, /json, /cpu?n= and
// /sleep?ms=; the chain's own endpoints, its retries and circuit breakers are described in
// gateway.go, order.go, downstream.go and breaker.go. baselines/jvm implements the same
// API and behaviour, and baselines/contract tests both.
//
// --addr defaults to $ADDR, then 127.0.0.1:8080. The process logs one line to stderr when it
// listens and one when it has shut down. SIGTERM or SIGINT stops accepting connections and
// drains in-flight requests for up to --drain-timeout (default $DRAIN_TIMEOUT, then 10 s); a
// second signal kills it at once. --drain-timeout 0 turns draining off: every connection is
// closed at once, requests in flight included, as a service without graceful shutdown does.
//
// --protocol grpc (default $PROTOCOL) serves the chain's API over gRPC instead (chainpb's
// Orders, Inventory and Payment services, with grpc.health.v1 and server reflection) and
// makes the hops between chain services gRPC calls; the common endpoints stay HTTP on the
// same port. See grpcserve.go.
//
// Exit codes: 0 after a clean shutdown, 1 if serving or draining failed, 2 for bad usage
// (unknown flag or role).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const (
	defaultAddr = "127.0.0.1:8080"
	// defaultDrain bounds how long in-flight requests may drain after SIGTERM.
	defaultDrain = 10 * time.Second
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run parses args, serves until a signal arrives and returns the process exit code.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("baseline-go", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addrDefault := os.Getenv("ADDR")
	if addrDefault == "" {
		addrDefault = defaultAddr
	}
	role := fs.String("role", "micro", "service role: "+knownRoles())
	addr := fs.String("addr", addrDefault, "listen address HOST:PORT (default from $ADDR)")
	drain := defaultDrain
	if v := os.Getenv("DRAIN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			fmt.Fprintf(stderr, "baseline-go: $DRAIN_TIMEOUT %q: want a duration >= 0 like 10s\n", v)
			return 2
		}
		drain = d
	}
	fs.DurationVar(&drain, "drain-timeout", drain, "how long in-flight requests may finish after SIGTERM; 0 closes every connection at once (default $DRAIN_TIMEOUT, then 10s)")
	cfg := defaultConfig()
	cfg.bindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "baseline-go: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if drain < 0 {
		fmt.Fprintf(stderr, "baseline-go: --drain-timeout %s: must be >= 0\n", drain)
		return 2
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(stderr, "baseline-go: %v\n", err)
		return 2
	}
	var gs *grpcService // set in gRPC mode; see grpcserve.go
	var handler http.Handler
	var err error
	if cfg.protocol == protocolGRPC {
		gs, err = newGRPCService(*role, cfg)
	} else {
		handler, err = newMux(*role, cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "baseline-go: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if gs != nil {
		err = gs.serve(ctx, stop, *addr, *role, drain, stderr)
	} else {
		err = serve(ctx, stop, *addr, *role, drain, handler, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "baseline-go %s: %v\n", *role, err)
		return 1
	}
	return 0
}

// serve listens on addr and serves handler until ctx is done, then drains in-flight requests
// for up to drain (0: closes every connection at once). It calls restoreSignals once draining
// starts so that a second signal ends the process.
func serve(ctx context.Context, restoreSignals func(), addr, role string, drain time.Duration, handler http.Handler, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ln = countingListener{ln}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(stderr, "baseline-go "+role+": ", 0),
	}
	fmt.Fprintf(stderr, "baseline-go %s listening on %s\n", role, ln.Addr())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	restoreSignals()

	began := time.Now()
	if drain == 0 {
		err = srv.Close()
		<-served
		fmt.Fprintf(stderr, "baseline-go %s shut down without draining in %s\n", role, time.Since(began).Round(time.Millisecond))
		return err
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err = srv.Shutdown(drainCtx)
	<-served // Serve returns ErrServerClosed as soon as Shutdown starts.
	if err != nil {
		return fmt.Errorf("shutdown after %s: %w", time.Since(began).Round(time.Millisecond), err)
	}
	fmt.Fprintf(stderr, "baseline-go %s shut down, drained in %s\n", role, time.Since(began).Round(time.Millisecond))
	return nil
}
