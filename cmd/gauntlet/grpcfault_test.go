package main

import (
	"strings"
	"testing"
)

// grpcHopScenario runs the order chain over HTTP (go) and over gRPC (go-grpc) at 100 calls
// a second with 200 ms of latency on the inventory hop for 3 of its 7 seconds.
const grpcHopScenario = `name: grpc-hop
variants: [go, go-grpc]
` + orderChain + `load:
  stages: [{for: 7s, rate: 100}]
  timeout: 3s
  seed: 7
requests:
  - name: create-order
    variants: [go]
    method: POST
    url: "${gateway}/orders"
    json: {sku: "sku-${rand_int 1 100}", qty: 1}
    expect: {status: 201}
  - name: CreateOrder
    variants: [go-grpc]
    grpc: {target: "${gateway}", method: gauntlet.chain.v1.Orders/CreateOrder, message: {sku: "sku-${rand_int 1 100}", qty: 1}}
faults:
  - {name: slow-inventory, at: 2s, for: 3s, latency: {service: inventory, delay: 200ms}}
`

// TestLatencyOnTheGRPCInventoryHop checks that a latency fault on the inventory hop shows
// in the during-window of the gRPC variant as it does in the HTTP variant's: each call
// crosses the hop once, so every call meant for the window waits at least the 200 ms delay.
// Allowances for a busy 2-core machine: the during p50 may fall 20 ms short of the delay
// (calls meant for the window's first moments, before the fault landed), and it need only
// stand 100 ms above the before-window's p50, since a loaded machine can slow the calls
// before the fault too (a before p50 of 97 ms was seen with the load average at 25).
func TestLatencyOnTheGRPCInventoryHop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the order chain twice")
	}
	t.Parallel()
	path := writeFile(t, "grpc-hop.yaml", grpcHopScenario)
	code, out, stderr := gauntlet(t, "run", path, "--output", "json", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d; want 0\n%s", code, stderr)
	}
	s := decodeSummary(t, out)
	var variants []string
	for _, r := range s.Runs {
		variants = append(variants, r.Variant)
		if len(r.Faults) != 1 {
			t.Fatalf("%s: faults = %+v; want 1", r.Variant, r.Faults)
		}
		f := r.Faults[0]
		if f.During.Requests == 0 || f.Before.Requests == 0 {
			t.Fatalf("%s: %d requests before, %d during the fault; want some in both", r.Variant, f.Before.Requests, f.During.Requests)
		}
		t.Logf("%s: p50 %.1f ms before, %.1f ms during", r.Variant, f.Before.Latency.P50, f.During.Latency.P50)
		if f.During.Latency.P50 < 180 || f.During.Latency.P50 < f.Before.Latency.P50+100 {
			t.Errorf("%s: p50 %.1f ms before, %.1f ms during 200 ms on the inventory hop; want at least 180 ms during and 100 ms above before",
				r.Variant, f.Before.Latency.P50, f.During.Latency.P50)
		}
		if r.ErrorRate > 0 {
			t.Errorf("%s: error rate %.3f (%v); want 0: 200 ms stays within every timeout", r.Variant, r.ErrorRate, r.ErrorsByClass)
		}
	}
	if strings.Join(variants, ",") != "go,go-grpc" {
		t.Fatalf("runs %v; want go and go-grpc", variants)
	}
}
