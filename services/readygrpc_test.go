package services

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestWaitReadyGRPCHealth checks readiness by grpc.health.v1: a server that starts listening
// late is found, a service that is NOT_SERVING is not ready until it turns SERVING, and one
// that never does times out naming its status.
func TestWaitReadyGRPCHealth(t *testing.T) {
	t.Parallel()
	// Nothing listens until the server starts below; the port is below the
	// ephemeral range, so no client socket takes it meanwhile.
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	hs := health.NewServer()
	hs.SetServingStatus("shop.Orders", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus("shop.Never", healthpb.HealthCheckResponse_NOT_SERVING)
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	t.Cleanup(srv.Stop)
	go func() {
		time.Sleep(200 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		go srv.Serve(ln)
		time.Sleep(200 * time.Millisecond)
		hs.SetServingStatus("shop.Orders", healthpb.HealthCheckResponse_SERVING)
	}()

	exited := make(chan struct{})
	if err := waitReady(context.Background(), "grpc://"+addr, 20*time.Second, exited); err != nil {
		t.Errorf("waitReady(grpc://%s) = %v; want ready once the server listens", addr, err)
	}
	if err := waitReady(context.Background(), "grpc://"+addr+"/shop.Orders", 20*time.Second, exited); err != nil {
		t.Errorf("waitReady(shop.Orders) = %v; want ready once it is SERVING", err)
	}
	err = waitReady(context.Background(), "grpc://"+addr+"/shop.Never", 300*time.Millisecond, exited)
	if err == nil || !strings.Contains(err.Error(), "NOT_SERVING") {
		t.Errorf("waitReady(shop.Never) = %v; want a timeout naming NOT_SERVING", err)
	}
}
