package scenarios

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const grpcHead = "services: {api: {baseline: micro}}\nload: {stages: [{for: 1s, rate: 1}]}\n"

// TestValidateGRPC: a gRPC call is checked against the .proto files it
// names — method, unary, every message field at any depth, value types —
// with the position of the offending key or value and a did-you-mean hint.
func TestValidateGRPC(t *testing.T) {
	t.Parallel()
	const call = "requests:\n  - grpc:\n      target: \"${api}\"\n      proto: testdata/grpc/shop.proto\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"valid", call + "      method: shop.v1.Orders/GetOrder\n      message: {id: \"${seq}\", qty: \"${rand_int 1 5}\", item: {sku: a, count: 2}, items: [{sku: b}], placedAt: \"2026-01-01T00:00:00Z\"}\n    expect: {status: [OK, not_found], json: {$.state: open}}\n", nil},
		{"misspelled method", call + "      method: shop.v1.Orders/GetOrdr\n",
			[]string{`7:15: requests[0].grpc.method: unknown method "GetOrdr" in service shop.v1.Orders (did you mean "GetOrder"?)`}},
		{"misspelled service", call + "      method: shop.v1.Order/GetOrder\n",
			[]string{`7:15: requests[0].grpc.method: unknown service "shop.v1.Order" (did you mean "shop.v1.Orders"?)`}},
		{"streaming method", call + "      method: shop.v1.Orders/Watch\n",
			[]string{`7:15: requests[0].grpc.method: method "Watch" streams; gauntlet sends unary calls only`}},
		{"misspelled fields at two depths", call + "      method: shop.v1.Orders/GetOrder\n      message:\n        idd: x\n        items:\n          - {sku: a, cuont: 1}\n",
			[]string{
				`9:9: requests[0].grpc.message.idd: unknown field "idd" in message shop.v1.GetOrderRequest (did you mean "id"?)`,
				`11:22: requests[0].grpc.message.items[0].cuont: unknown field "cuont" in message shop.v1.Item (did you mean "count"?)`,
			}},
		{"a value of the wrong type", call + "      method: shop.v1.Orders/GetOrder\n      message: {qty: lots}\n",
			[]string{`8:16: requests[0].grpc.message: does not fit shop.v1.GetOrderRequest: (line 1:8): invalid value for int64 field qty: "lots"`}},
		{"unknown status name", call + "      method: shop.v1.Orders/GetOrder\n    expect: {status: UNAVAILBLE}\n",
			[]string{`8:22: requests[0].expect.status: unknown gRPC status "UNAVAILBLE" (did you mean "UNAVAILABLE"?)`}},
		{"HTTP status on a gRPC call", call + "      method: shop.v1.Orders/GetOrder\n    expect: {status: 200}\n",
			[]string{`8:22: requests[0].expect.status: invalid gRPC status 200 (use a name like OK, NOT_FOUND or UNAVAILABLE)`}},
		{"missing proto file", "requests:\n  - grpc: {target: \"${api}\", method: a.B/C, proto: [nope.proto]}\n",
			[]string{`4:52: requests[0].grpc.proto: proto file "nope.proto" does not exist`}},
		{"bad method form, remote target, grpc and url", "requests:\n  - url: \"${api}/\"\n    grpc: {target: \"10.0.0.1:50051\", method: GetOrder}\n",
			[]string{
				`4:5: requests[0]: set either grpc or method/url/headers/body/json, not both`,
				`5:20: requests[0].grpc.target: host "10.0.0.1" is not loopback (set allow_remote: true to allow it)`,
				`5:46: requests[0].grpc.method: method "GetOrder" must be "package.Service/Method"`,
			}},
		{"literal loopback target, reflection", "requests:\n  - grpc: {target: \"127.0.0.1:50051\", method: grpc.health.v1.Health/Check}\n", nil},
		{"flow of gRPC steps with extraction", "requests:\n  - flow:\n    - grpc: {target: \"${api}\", method: shop.v1.Orders/GetOrder, proto: testdata/grpc/shop.proto, message: {id: \"7\"}}\n      extract: {id: $.id}\n    - grpc: {target: \"${api}\", method: shop.v1.Orders/GetOrder, proto: testdata/grpc/shop.proto, message: {id: \"${id}\"}}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := problemLines(t, grpcHead+tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGRPCStatusCodes: statuses decode to the codes results carry.
func TestGRPCStatusCodes(t *testing.T) {
	t.Parallel()
	spec, err := Parse("t.yaml", []byte(grpcHead+"requests:\n  - grpc: {target: \"${api}\", method: a.B/C}\n    expect: {status: [OK, grpc_not_found, Cancelled, canceled, UNAUTHENTICATED]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := spec.Requests[0]
	want := []int{1000, 1005, 1001, 1001, 1016}
	if diff := cmp.Diff(want, []int(r.Expect.Status)); diff != "" {
		t.Errorf("status codes (-want +got):\n%s", diff)
	}
	if r.Name != "C" || r.Method != "" {
		t.Errorf("name, method = %q, %q; want the method's own name and no HTTP method", r.Name, r.Method)
	}
}

// TestGRPCThresholdMetrics: gRPC statuses name error classes and status
// counts in thresholds; a misspelled one gets a hint.
func TestGRPCThresholdMetrics(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, err string }{
		{"error_rate.grpc_unavailable < 1%", ""},
		{"errors.grpc_deadline_exceeded < 5", ""},
		{"status.grpc_ok > 100", ""},
		{"status_rate.grpc_not_found < 1%", ""},
		{"errors.grpc_unavailabel < 1", `unknown error class "grpc_unavailabel" in threshold "errors.grpc_unavailabel < 1" (did you mean "grpc_unavailable"?)`},
		{"status.grpc_nope < 1", `invalid status "grpc_nope" in status in threshold "status.grpc_nope < 1" (use a code like 503, a class like 5xx or a gRPC status like grpc_unavailable)`},
	}
	for _, tt := range tests {
		_, err := ParseThreshold(tt.expr)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("ParseThreshold(%q) error = %q; want %q", tt.expr, got, tt.err)
		}
	}
}
