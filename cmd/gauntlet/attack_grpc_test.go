package main

import (
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// grpcHealthServer serves grpc.health.v1 with server reflection on loopback.
func grpcHealthServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	reflection.Register(srv)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// TestAttackGRPC: `attack --grpc` sends exactly the calls -n asks for over
// the connections --grpc-conns asks for; a misspelled method, checked
// against the server's reflection or a .proto file, exits 2 with a hint.
func TestAttackGRPC(t *testing.T) {
	t.Parallel()
	addr := grpcHealthServer(t)
	code, out, errOut := gauntlet(t, "attack", addr, "--grpc", "grpc.health.v1.Health/Check", "--body", `{"service": ""}`,
		"-c", "2", "-n", "50", "--grpc-conns", "2", "--output", "json", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := summaryOf(t, out).Runs[0]
	if r.Requests != 50 || r.Errors != 0 || r.StatusCodes["grpc_ok"] != 50 || len(r.ByRequest) != 1 || r.ByRequest[0].Name != "Check" {
		t.Errorf("requests %d, errors %d, status codes %v, rows %d; want 50 OK calls named Check", r.Requests, r.Errors, r.StatusCodes, len(r.ByRequest))
	}
	if r.Client != "grpc-go, 2 HTTP/2 connections per target" {
		t.Errorf("client = %q; want the gRPC pool with 2 connections", r.Client)
	}
	for _, tt := range []struct{ args []string }{
		{[]string{"--grpc", "grpc.health.v1.Health/Chek"}},
		{[]string{"--grpc", "shop.v1.Orders/GetOrdr", "--proto", "../../scenarios/testdata/grpc/shop.proto"}},
	} {
		args := append([]string{"attack", addr, "-d", "1s", "--rate", "5", "--out", t.TempDir()}, tt.args...)
		code, _, errOut := gauntlet(t, args...)
		if code != exitUsage || !strings.Contains(errOut, `(did you mean "`) {
			t.Errorf("gauntlet %v: exit %d, %q; want %d with a did-you-mean hint", tt.args, code, errOut, exitUsage)
		}
	}
}
