package services

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// GRPCReadyScheme starts a readiness URL checked with grpc.health.v1 instead of an HTTP GET:
// grpc://HOST:PORT asks for the server's overall health, grpc://HOST:PORT/pkg.Service for one
// service's; the service is ready when the answer is SERVING. The connection is plaintext
// HTTP/2.
const GRPCReadyScheme = "grpc://"

// grpcHealth is a readiness check by grpc.health.v1 on one connection, redialled within
// maxPollDelay of a refusal so that startup is timed as finely as over HTTP.
type grpcHealth struct {
	conn    *grpc.ClientConn
	service string
	target  string
}

// newGRPCHealth parses a grpc:// readiness URL.
func newGRPCHealth(raw string) (*grpcHealth, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("readiness %q: want grpc://HOST:PORT or grpc://HOST:PORT/pkg.Service", raw)
	}
	conn, err := grpc.NewClient("passthrough:///"+u.Host,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: firstPollDelay, Multiplier: 1.5, MaxDelay: maxPollDelay},
			MinConnectTimeout: pollTimeout,
		}))
	if err != nil {
		return nil, fmt.Errorf("readiness %q: %w", raw, err)
	}
	return &grpcHealth{conn: conn, service: strings.TrimPrefix(u.Path, "/"), target: raw}, nil
}

// poll asks once; nil means SERVING.
func (g *grpcHealth) poll(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	r, err := healthpb.NewHealthClient(g.conn).Check(pctx, &healthpb.HealthCheckRequest{Service: g.service})
	if status.Code(err) == codes.DeadlineExceeded {
		// gRPC may time a call out a moment before the wait's own deadline fires: that is
		// the wait ending, not an answer, so let the caller see it as such.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 10*time.Millisecond {
			<-ctx.Done()
		}
	}
	if err != nil {
		return err
	}
	if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health %s", r.GetStatus())
	}
	return nil
}

func (g *grpcHealth) close() { g.conn.Close() }
