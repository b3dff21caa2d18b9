package main

import (
	"bufio"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// numCodes is the number of gRPC status codes (OK to UNAUTHENTICATED).
const numCodes = int(codes.Unauthenticated) + 1

// codeNames are the status codes' canonical names, as grpc-status documents them.
var codeNames = [numCodes]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

// codeName is code's canonical name.
func codeName(code codes.Code) string {
	if int(code) < numCodes {
		return codeNames[code]
	}
	return "CODE_" + strconv.Itoa(int(code))
}

// grpcMethodStats counts one gRPC method's calls by status code.
type grpcMethodStats struct {
	codes [numCodes]atomic.Uint64
}

// interceptGRPC counts a call as instrument counts an HTTP request (in flight, tagged when
// it carries x-gauntlet-tag), and its status code by method.
func (m *serverMetrics) interceptGRPC(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	m.inFlight.Add(1)
	defer m.inFlight.Add(-1)
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(tagMetadata); len(v) > 0 && v[0] != "" {
			m.tagged.Add(1)
		}
	}
	resp, err := handler(ctx, req)
	if ms := m.grpc[info.FullMethod]; ms != nil {
		if c := int(status.Code(err)); c < numCodes {
			ms.codes[c].Add(1)
		}
	}
	return resp, err
}

// grpcMethods adds the counters of every method of services but gRPC's own (health,
// reflection), as /healthz and /metrics are not counted as requests received. Call it only
// while building the router.
func (m *serverMetrics) grpcMethods(services map[string]grpc.ServiceInfo) {
	m.grpc = make(map[string]*grpcMethodStats)
	for name, info := range services {
		if strings.HasPrefix(name, "grpc.") {
			continue
		}
		for _, method := range info.Methods {
			m.grpc["/"+name+"/"+method.Name] = &grpcMethodStats{}
		}
	}
}

// writeGRPC writes gauntlet_grpc_requests_total: the calls answered, by full method name
// and status code name, codes never answered left out.
func (m *serverMetrics) writeGRPC(bw *bufio.Writer) {
	methods := make([]string, 0, len(m.grpc))
	for name := range m.grpc {
		methods = append(methods, name)
	}
	slices.Sort(methods)
	bw.WriteString("# HELP gauntlet_grpc_requests_total gRPC calls answered, by method and status code.\n")
	bw.WriteString("# TYPE gauntlet_grpc_requests_total counter\n")
	for _, name := range methods {
		for c := range numCodes {
			n := m.grpc[name].codes[c].Load()
			if n == 0 {
				continue
			}
			bw.WriteString(`gauntlet_grpc_requests_total{method="` + name + `",code="` + codeNames[c] + `"} ` +
				strconv.FormatUint(n, 10) + "\n")
		}
	}
}
