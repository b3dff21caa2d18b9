package contract

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/gauntletbench/gauntlet/baselines/chainpb"
)

// goGRPC is the Go baseline in gRPC mode: the chain's API and its hops over gRPC, the common
// endpoints over HTTP on the same port.
var goGRPC = impl{
	name: "go-grpc",
	command: func(role, addr string, args ...string) *exec.Cmd {
		return exec.Command(goBinary, append([]string{"--role", role, "--addr", addr, "--protocol", "grpc"}, args...)...)
	},
	threadsMetric: "go_goroutines",
	gcCount:       "go_gc_duration_seconds_count",
	gcSum:         "go_gc_duration_seconds_sum",
}

// TestOrderChainGRPC runs the contract over gRPC: the same steps as TestOrderChain, each
// answer checked as the gRPC form of the HTTP answer (status code for status code, message
// for message), and the common endpoints, which stay HTTP, by the HTTP steps themselves.
func TestOrderChainGRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the baseline processes")
	}
	c := startChain(t, goGRPC)
	steps := []struct {
		name string
		run  func(*testing.T, *chain)
	}{
		{"CommonEndpoints", testCommonEndpoints},
		{"HealthAndReflection", testGRPCHealthAndReflection},
		{"RoleEndpoints", testGRPCRoleEndpoints},
		{"BadOrdersStopAtGateway", testGRPCBadOrdersStopAtGateway},
		{"CreateAndFetch", testGRPCCreateAndFetch},
		{"OrdersAreBounded", testGRPCOrdersAreBounded},
		{"TagPropagation", testGRPCTagPropagation},
		{"BreakerOpensAndRecovers", testGRPCBreakerOpensAndRecovers},
		{"DrainOnSIGTERM", testDrainOnSIGTERM},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, c) }) {
			return // later steps depend on the chain being healthy
		}
	}
}

// dial opens a connection to p for the rest of the test.
func dial(t *testing.T, p *proc) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+p.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// callCtx bounds one call; tag, if not empty, travels as x-gauntlet-tag.
func callCtx(t *testing.T, tag string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	if tag != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-gauntlet-tag", tag)
	}
	return ctx
}

// wantStatus checks that err is the status code with message msg ("" skips the message).
func wantStatus(t *testing.T, where string, err error, code codes.Code, msg string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code || (msg != "" && st.Message() != msg) {
		t.Errorf("%s: status %s %q; want %s %q", where, st.Code(), st.Message(), code, msg)
	}
}

func testGRPCHealthAndReflection(t *testing.T, c *chain) {
	services := map[*proc]string{c.gateway: "gauntlet.chain.v1.Orders", c.order: "gauntlet.chain.v1.Orders",
		c.inventory: "gauntlet.chain.v1.Inventory", c.payment: "gauntlet.chain.v1.Payment"}
	for p, svc := range services {
		conn := dial(t, p)
		for _, name := range []string{"", svc} {
			r, err := healthpb.NewHealthClient(conn).Check(callCtx(t, ""), &healthpb.HealthCheckRequest{Service: name})
			if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("%s health check %q = %v, %v; want SERVING", p.role, name, r.GetStatus(), err)
			}
		}
		stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(callCtx(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		r, err := stream.Recv()
		if err != nil {
			t.Fatalf("%s reflection: %v", p.role, err)
		}
		var names []string
		for _, s := range r.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		if !slices.Contains(names, svc) || !slices.Contains(names, "grpc.health.v1.Health") {
			t.Errorf("%s reflection lists %v; want %s and grpc.health.v1.Health", p.role, names, svc)
		}
		_ = stream.CloseSend()
	}
}

func testGRPCRoleEndpoints(t *testing.T, c *chain) {
	inv := chainpb.NewInventoryClient(dial(t, c.inventory))
	r, err := inv.Reserve(callCtx(t, ""), &chainpb.ReserveRequest{Sku: `a"b`, Qty: 3})
	if want := (&chainpb.Reservation{Reserved: true, Sku: `a"b`, Qty: 3}); err != nil || !proto.Equal(r, want) {
		t.Errorf("inventory Reserve = %v, %v; want %v", r, err, want)
	}
	_, err = inv.Reserve(callCtx(t, ""), &chainpb.ReserveRequest{Sku: "x"})
	wantStatus(t, "inventory Reserve qty 0", err, codes.InvalidArgument, "qty must be an integer from 1 to 1000000")

	pay := chainpb.NewPaymentClient(dial(t, c.payment))
	ch, err := pay.Charge(callCtx(t, ""), &chainpb.ChargeRequest{OrderId: "o-1", Amount: 300})
	if want := (&chainpb.ChargeReceipt{Charged: true, OrderId: "o-1", Amount: 300}); err != nil || !proto.Equal(ch, want) {
		t.Errorf("payment Charge = %v, %v; want %v", ch, err, want)
	}
	_, err = pay.Charge(callCtx(t, ""), &chainpb.ChargeRequest{Amount: 300})
	wantStatus(t, "payment Charge without order_id", err, codes.InvalidArgument, "order_id must be a string of 1 to 64 characters")
	_, err = pay.Charge(callCtx(t, ""), &chainpb.ChargeRequest{OrderId: "o-1", Amount: -1})
	wantStatus(t, "payment Charge amount -1", err, codes.InvalidArgument, "amount must be an integer from 0 to 100000000")

	_, err = chainpb.NewOrdersClient(dial(t, c.order)).CreateOrder(callCtx(t, ""), &chainpb.CreateOrderRequest{Qty: 1})
	wantStatus(t, "order CreateOrder without sku", err, codes.InvalidArgument, "sku must be a string of 1 to 64 characters")
	for _, p := range []*proc{c.order, c.gateway} {
		_, err = chainpb.NewOrdersClient(dial(t, p)).GetOrder(callCtx(t, ""), &chainpb.GetOrderRequest{Id: "o-unknown"})
		wantStatus(t, p.role+" GetOrder o-unknown", err, codes.NotFound, "order not found")
	}
	// A service a role does not serve is UNIMPLEMENTED, gRPC's 404.
	_, err = chainpb.NewInventoryClient(dial(t, c.gateway)).Reserve(callCtx(t, ""), &chainpb.ReserveRequest{Sku: "a", Qty: 1})
	wantStatus(t, "gateway Inventory/Reserve", err, codes.Unimplemented, "")
	_, err = chainpb.NewOrdersClient(dial(t, c.inventory)).GetOrder(callCtx(t, ""), &chainpb.GetOrderRequest{Id: "x"})
	wantStatus(t, "inventory Orders/GetOrder", err, codes.Unimplemented, "")
}

// grpcOrderCalls counts the order service's CreateOrder answers of any status.
func grpcOrderCalls(t *testing.T, c *chain) float64 {
	t.Helper()
	var n float64
	for s, v := range metrics(t, c.order) {
		if strings.HasPrefix(s, `gauntlet_grpc_requests_total{method="/gauntlet.chain.v1.Orders/CreateOrder",`) {
			n += v
		}
	}
	return n
}

func testGRPCBadOrdersStopAtGateway(t *testing.T, c *chain) {
	const (
		badSKU = "sku must be a string of 1 to 64 characters"
		badQty = "qty must be an integer from 1 to 1000000"
	)
	tests := []struct {
		req       *chainpb.CreateOrderRequest
		wantError string
	}{
		{&chainpb.CreateOrderRequest{Qty: 1}, badSKU},
		{&chainpb.CreateOrderRequest{Sku: strings.Repeat("é", 65), Qty: 1}, badSKU},
		{&chainpb.CreateOrderRequest{Sku: "a"}, badQty},
		{&chainpb.CreateOrderRequest{Sku: "a", Qty: -3}, badQty},
		{&chainpb.CreateOrderRequest{Sku: "a", Qty: 1000001}, badQty},
	}
	gw := chainpb.NewOrdersClient(dial(t, c.gateway))
	before := grpcOrderCalls(t, c)
	for _, tt := range tests {
		_, err := gw.CreateOrder(callCtx(t, ""), tt.req)
		wantStatus(t, fmt.Sprintf("gateway CreateOrder %v", tt.req), err, codes.InvalidArgument, tt.wantError)
	}
	if after := grpcOrderCalls(t, c); after != before {
		t.Errorf("order service got %v CreateOrder calls during the gateway's INVALID_ARGUMENTs; want 0", after-before)
	}
	if got := metrics(t, c.gateway)[`gauntlet_grpc_requests_total{method="/gauntlet.chain.v1.Orders/CreateOrder",code="INVALID_ARGUMENT"}`]; got < float64(len(tests)) {
		t.Errorf("gateway counted %v INVALID_ARGUMENT CreateOrder answers; want at least %d", got, len(tests))
	}
}

// createOrderGRPC creates an order through p and returns it.
func createOrderGRPC(t *testing.T, p *proc, sku string, qty int64, tag string) *chainpb.Order {
	t.Helper()
	o, err := chainpb.NewOrdersClient(dial(t, p)).CreateOrder(callCtx(t, tag), &chainpb.CreateOrderRequest{Sku: sku, Qty: qty})
	if err != nil {
		t.Fatalf("%s CreateOrder %q ×%d: %v", p.role, sku, qty, err)
	}
	return o
}

func testGRPCCreateAndFetch(t *testing.T, c *chain) {
	o := createOrderGRPC(t, c.gateway, "sku-\t\"7\"", 3, "")
	want := &chainpb.Order{Id: o.GetId(), Sku: "sku-\t\"7\"", Qty: 3, Amount: 300, Status: "confirmed"}
	if o.GetId() == "" || !proto.Equal(o, want) {
		t.Errorf("created order = %v; want %v with a non-empty id", o, want)
	}
	for _, p := range []*proc{c.gateway, c.order} {
		got, err := chainpb.NewOrdersClient(dial(t, p)).GetOrder(callCtx(t, ""), &chainpb.GetOrderRequest{Id: o.GetId()})
		if err != nil || !proto.Equal(got, o) {
			t.Errorf("%s GetOrder %s = %v, %v; want %v", p.role, o.GetId(), got, err, o)
		}
	}
	if o2 := createOrderGRPC(t, c.gateway, "sku-7", 1, ""); o2.GetId() == o.GetId() {
		t.Errorf("two orders got the same id %q", o.GetId())
	}
}

func testGRPCOrdersAreBounded(t *testing.T, c *chain) {
	var ids []string
	for i := range maxOrders + 1 {
		ids = append(ids, createOrderGRPC(t, c.order, fmt.Sprintf("evict-%d", i), 1, "").GetId())
	}
	orders := chainpb.NewOrdersClient(dial(t, c.order))
	for i, id := range ids {
		want := codes.OK
		if i == 0 {
			want = codes.NotFound // evicted: --max-orders 3
		}
		_, err := orders.GetOrder(callCtx(t, ""), &chainpb.GetOrderRequest{Id: id})
		if got := status.Code(err); got != want {
			t.Errorf("GetOrder %s (order %d of %d, --max-orders %d) = %s; want %s", id, i+1, len(ids), maxOrders, got, want)
		}
	}
}

func testGRPCTagPropagation(t *testing.T, c *chain) {
	tagged := func() map[string]float64 {
		out := make(map[string]float64)
		for _, p := range c.all() {
			out[p.role] = metrics(t, p)["gauntlet_http_tagged_requests_total"]
		}
		return out
	}
	gw := chainpb.NewOrdersClient(dial(t, c.gateway))
	before := tagged()
	const creates, fetches = 5, 2
	var last *chainpb.Order
	for i := range creates {
		last = createOrderGRPC(t, c.gateway, "tagged", 1, fmt.Sprintf("run-%d", i))
	}
	for range fetches {
		if _, err := gw.GetOrder(callCtx(t, "run-x"), &chainpb.GetOrderRequest{Id: last.GetId()}); err != nil {
			t.Fatalf("tagged GetOrder %s: %v", last.GetId(), err)
		}
	}
	// Untagged calls, and an empty tag, must not count.
	createOrderGRPC(t, c.gateway, "untagged", 1, "")
	ctx := metadata.AppendToOutgoingContext(callCtx(t, ""), "x-gauntlet-tag", "")
	if _, err := gw.GetOrder(ctx, &chainpb.GetOrderRequest{Id: last.GetId()}); err != nil {
		t.Fatal(err)
	}
	after := tagged()
	want := map[string]float64{"gateway": creates + fetches, "order": creates + fetches, "inventory": creates, "payment": creates}
	for role, w := range want {
		if got := after[role] - before[role]; got != w {
			t.Errorf("%s tagged calls rose by %v; want %v", role, got, w)
		}
	}
}

func testGRPCBreakerOpensAndRecovers(t *testing.T, c *chain) {
	const (
		openSeries    = `gauntlet_circuit_breaker_open{dependency="payment"}`
		retriesSeries = `gauntlet_downstream_retries_total{dependency="payment"}`
		shortSeries   = `gauntlet_downstream_requests_total{dependency="payment",outcome="circuit_open"}`
		failSeries    = `gauntlet_downstream_requests_total{dependency="payment",outcome="failure"}`
	)
	c.payment.kill(t)

	create := func(p *proc) (error, metadata.MD) {
		var trailer metadata.MD
		_, err := chainpb.NewOrdersClient(dial(t, p)).CreateOrder(callCtx(t, ""),
			&chainpb.CreateOrderRequest{Sku: "down", Qty: 1}, grpc.Trailer(&trailer))
		return err, trailer
	}
	wantDown := func(err error, trailer metadata.MD, where string) {
		t.Helper()
		st := status.Convert(err)
		if st.Code() != codes.Unavailable || !strings.HasPrefix(st.Message(), "payment unavailable: ") ||
			!slices.Equal(trailer.Get("x-gauntlet-failed-dependency"), []string{"payment"}) {
			t.Errorf("%s with payment down = %s %q, trailer %v; want UNAVAILABLE \"payment unavailable: …\" naming payment",
				where, st.Code(), st.Message(), trailer)
		}
	}

	m0 := metrics(t, c.order)
	err, tr := create(c.order)
	wantDown(err, tr, "order CreateOrder")
	m1 := metrics(t, c.order)
	if got := m1[retriesSeries] - m0[retriesSeries]; got != 2 {
		t.Errorf("payment retries after one failed order = %v; want 2 (--retries default)", got)
	}
	if got := m1[failSeries] - m0[failSeries]; got != 1 {
		t.Errorf("payment failures after one failed order = %v; want 1", got)
	}
	opened := m1[openSeries] == 1
	for i := 0; i < 5 && !opened; i++ {
		err, tr := create(c.order)
		wantDown(err, tr, "order CreateOrder")
		opened = metrics(t, c.order)[openSeries] == 1
	}
	if !opened {
		t.Fatalf("payment breaker still closed after 6 failed orders")
	}
	m2 := metrics(t, c.order)
	err, tr = create(c.order)
	wantDown(err, tr, "order CreateOrder, breaker open")
	if !strings.Contains(status.Convert(err).Message(), "circuit breaker open") {
		t.Errorf("order CreateOrder, breaker open = %q; want it to say \"circuit breaker open\"", status.Convert(err).Message())
	}
	if got := metrics(t, c.order)[shortSeries] - m2[shortSeries]; got != 1 {
		t.Errorf("circuit_open outcomes rose by %v; want 1", got)
	}
	// The gateway passes the order service's UNAVAILABLE through, trailer included, and
	// does not blame the order service: no retries of it and no open breaker.
	g0 := metrics(t, c.gateway)
	err, tr = create(c.gateway)
	wantDown(err, tr, "gateway CreateOrder")
	g1 := metrics(t, c.gateway)
	if g1[`gauntlet_downstream_retries_total{dependency="order"}`] != g0[`gauntlet_downstream_retries_total{dependency="order"}`] ||
		g1[`gauntlet_circuit_breaker_open{dependency="order"}`] != 0 {
		t.Errorf("gateway retried or opened its breaker on the order service's passed-through UNAVAILABLE")
	}

	// Payment comes back on the same address; after the open window the chain recovers.
	c.payment = launch(c.owner, c.im, "payment", c.payment.addr)
	c.payment.waitReady(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		err, _ := create(c.gateway)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chain not recovered 15s after payment restarted: last answer %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := metrics(t, c.order)[openSeries]; got != 0 {
		t.Errorf("%s after recovery = %v; want 0", openSeries, got)
	}
}
