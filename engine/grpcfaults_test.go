package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/scenarios"
)

// TestHTTPFaultsOnGRPCServicesAreRejected checks that a fault needing the HTTP proxy mode on a
// service that speaks gRPC in some variant is one problem at the fault's position, while the
// TCP-mode faults, and HTTP faults in scenarios without a gRPC variant, pass.
func TestHTTPFaultsOnGRPCServicesAreRejected(t *testing.T) {
	t.Parallel()
	const head = "services:\n  gateway: {baseline: gateway, depends_on: [inventory]}\n  inventory: {baseline: inventory}\n" +
		"load: {stages: [{for: 5s, rate: 10}]}\nrequests:\n  - {url: \"${gateway}/ping\"}\n" +
		"  - {grpc: {target: \"${gateway}\", method: gauntlet.chain.v1.Orders/GetOrder, proto: [../baselines/chainpb/chain.proto]}}\nfaults:\n"
	tests := []struct {
		name, variants, fault string
		want                  string // the problem's text; "" for none
	}{
		{"http_error on gRPC", "[go, go-grpc]", "  - {at: 1s, for: 1s, http_error: {service: inventory, status: 503, rate: 0.5}}",
			"t.yaml:10:35: faults[0].http_error: inventory speaks gRPC in the go-grpc variant, and the fault proxy's HTTP mode parses HTTP/1.1 only: on a gRPC service use latency, bandwidth, reset or blackhole"},
		{"http_delay on gRPC", "[go-grpc]", "  - {at: 1s, for: 1s, http_delay: {service: gateway, delay: 10ms}}",
			"t.yaml:10:35: faults[0].http_delay: gateway speaks gRPC in the go-grpc variant"},
		{"latency on gRPC", "[go, go-grpc]", "  - {at: 1s, for: 1s, latency: {service: inventory, delay: 100ms}}", ""},
		{"reset on gRPC", "[go-grpc]", "  - {at: 1s, reset: {service: inventory}}", ""},
		{"http_error without gRPC", "[go, jvm]", "  - {at: 1s, for: 1s, http_error: {service: inventory, status: 503, rate: 0.5}}", ""},
		{"http_error on a service a gRPC call targets", "[go, jvm]", "  - {at: 1s, for: 1s, http_error: {service: gateway, status: 503, rate: 0.5}}\n" +
			"  - {at: 1s, for: 1s, http_delay: {service: inventory, delay: 10ms}}",
			"t.yaml:10:35: faults[0].http_error: gateway is called over gRPC (requests[1].grpc)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec, err := scenarios.Parse("t.yaml", []byte("variants: "+tt.variants+"\n"+head+tt.fault+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			err = Check(spec, nil)
			var ps scenarios.Problems
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check = %v; want no problem", err)
			case tt.want == "":
			case !errors.As(err, &ps) || len(ps) != 1 || !strings.HasPrefix(ps[0].String(), tt.want):
				t.Errorf("Check = %v; want one problem starting %q", err, tt.want)
			}
		})
	}
}
