package main

import (
	"context"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/gauntletbench/gauntlet/baselines/chainpb"
)

// The chain's methods, as downstream calls them.
const (
	methodCreateOrder = "/gauntlet.chain.v1.Orders/CreateOrder"
	methodGetOrder    = "/gauntlet.chain.v1.Orders/GetOrder"
	methodReserve     = "/gauntlet.chain.v1.Inventory/Reserve"
	methodCharge      = "/gauntlet.chain.v1.Payment/Charge"
)

// The order chain in gRPC mode: the same steps, limits and messages as the HTTP handlers
// (gateway.go, order.go, inventory.go, payment.go), with gRPC statuses for HTTP's codes:
// 400 → INVALID_ARGUMENT, 404 → NOT_FOUND, 503 → UNAVAILABLE, 502 → INTERNAL, 499 →
// CANCELED, and the trailer x-gauntlet-failed-dependency for FailedDependencyHeader.

// registerGRPCGateway serves Orders by validating each request (INVALID_ARGUMENT without
// calling downstream) and passing it to the order service, whose answer it passes back,
// failed-dependency trailer included. If the order service cannot be reached it answers
// UNAVAILABLE naming "order".
func registerGRPCGateway(s *grpc.Server, rt *router, cfg config) error {
	base, err := baseURL("order", "ORDER_URL", cfg.orderURL)
	if err != nil {
		return err
	}
	order, err := rt.grpcDependency("order", base, cfg)
	if err != nil {
		return err
	}
	chainpb.RegisterOrdersServer(s, &grpcGateway{order: order})
	return nil
}

type grpcGateway struct {
	chainpb.UnimplementedOrdersServer
	order *downstream
}

func (g *grpcGateway) CreateOrder(ctx context.Context, req *chainpb.CreateOrderRequest) (*chainpb.Order, error) {
	if err := checkSKUQty(req.GetSku(), req.GetQty()); err != nil {
		return nil, err
	}
	return g.forward(ctx, methodCreateOrder, req)
}

func (g *grpcGateway) GetOrder(ctx context.Context, req *chainpb.GetOrderRequest) (*chainpb.Order, error) {
	return g.forward(ctx, methodGetOrder, req)
}

func (g *grpcGateway) forward(ctx context.Context, method string, req proto.Message) (*chainpb.Order, error) {
	rep, err := callGRPC(ctx, g.order, method, req)
	if err != nil {
		return nil, err
	}
	if rep.status != 200 {
		if rep.failedDep != "" {
			failedDependency(ctx, rep.failedDep)
		}
		return nil, replyStatus(rep).Err()
	}
	return decodeReply[chainpb.Order](rep)
}

// registerGRPCOrder serves Orders by reserving at inventory, charging at payment and
// keeping the order, as registerOrder does over HTTP.
func registerGRPCOrder(s *grpc.Server, rt *router, cfg config) error {
	invBase, payBase, err := orderDependencies(cfg)
	if err != nil {
		return err
	}
	o := &grpcOrder{store: newOrderStore(cfg.maxOrders)}
	if o.inventory, err = rt.grpcDependency("inventory", invBase, cfg); err != nil {
		return err
	}
	if o.payment, err = rt.grpcDependency("payment", payBase, cfg); err != nil {
		return err
	}
	chainpb.RegisterOrdersServer(s, o)
	return nil
}

type grpcOrder struct {
	chainpb.UnimplementedOrdersServer
	inventory, payment *downstream
	store              *orderStore // orders encoded as chainpb.Order
}

func (o *grpcOrder) CreateOrder(ctx context.Context, req *chainpb.CreateOrderRequest) (*chainpb.Order, error) {
	if err := checkSKUQty(req.GetSku(), req.GetQty()); err != nil {
		return nil, err
	}
	id := o.store.nextID()
	if err := callStepGRPC(ctx, o.inventory, methodReserve, &chainpb.ReserveRequest{Sku: req.Sku, Qty: req.Qty}); err != nil {
		return nil, err
	}
	amount := req.Qty * unitPrice
	if err := callStepGRPC(ctx, o.payment, methodCharge, &chainpb.ChargeRequest{OrderId: id, Amount: amount}); err != nil {
		return nil, err
	}
	ord := &chainpb.Order{Id: id, Sku: req.Sku, Qty: req.Qty, Amount: amount, Status: "confirmed"}
	enc, err := proto.Marshal(ord)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	o.store.put(id, enc)
	return ord, nil
}

func (o *grpcOrder) GetOrder(_ context.Context, req *chainpb.GetOrderRequest) (*chainpb.Order, error) {
	enc, ok := o.store.get(req.GetId())
	if !ok {
		return nil, status.Error(codes.NotFound, "order not found")
	}
	ord := new(chainpb.Order)
	if err := proto.Unmarshal(enc, ord); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return ord, nil
}

// callStepGRPC calls dep and returns nil if it answered OK, or else the status this hop
// answers: UNAVAILABLE when dep could not be reached, INTERNAL when it answered an error,
// both naming dep in the failed-dependency trailer.
func callStepGRPC(ctx context.Context, dep *downstream, method string, req proto.Message) error {
	rep, err := callGRPC(ctx, dep, method, req)
	switch {
	case err != nil:
		return err
	case rep.status != 200:
		failedDependency(ctx, dep.name)
		return status.Error(codes.Internal, dep.name+" answered "+codeName(replyStatus(rep).Code()))
	}
	return nil
}

// callGRPC encodes req and calls method on dep with the inbound call's traffic tag. Its
// error is the status this hop answers when the call failed: CANCELED when the caller went
// away, else UNAVAILABLE naming dep in the failed-dependency trailer.
func callGRPC(ctx context.Context, dep *downstream, method string, req proto.Message) (reply, error) {
	body, err := proto.Marshal(req)
	if err != nil {
		return reply{}, status.Error(codes.Internal, err.Error())
	}
	rep, err := dep.call(ctx, "POST", method, body, inboundTag(ctx))
	switch {
	case err != nil && ctx.Err() != nil:
		return reply{}, status.Error(codes.Canceled, "caller went away")
	case err != nil:
		failedDependency(ctx, dep.name)
		return reply{}, status.Error(codes.Unavailable, dep.name+" unavailable: "+err.Error())
	}
	return rep, nil
}

// decodeReply decodes an OK reply's message.
func decodeReply[T any, P interface {
	*T
	proto.Message
}](rep reply) (P, error) {
	m := P(new(T))
	if err := proto.Unmarshal(rep.body, m); err != nil {
		return nil, status.Error(codes.Internal, "undecodable answer from downstream: "+err.Error())
	}
	return m, nil
}

// failedDependency marks the answer of the call in ctx as caused by dep.
func failedDependency(ctx context.Context, dep string) {
	_ = grpc.SetTrailer(ctx, metadata.Pairs(failedDependencyMetadata, dep))
}

// inboundTag is the traffic tag the call in ctx carries, or "".
func inboundTag(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(tagMetadata); len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// registerGRPCInventory serves Inventory: Reserve answers {reserved: true, sku, qty}.
func registerGRPCInventory(s *grpc.Server, _ *router, _ config) error {
	chainpb.RegisterInventoryServer(s, grpcInventory{})
	return nil
}

type grpcInventory struct {
	chainpb.UnimplementedInventoryServer
}

func (grpcInventory) Reserve(_ context.Context, req *chainpb.ReserveRequest) (*chainpb.Reservation, error) {
	if err := checkSKUQty(req.GetSku(), req.GetQty()); err != nil {
		return nil, err
	}
	return &chainpb.Reservation{Reserved: true, Sku: req.Sku, Qty: req.Qty}, nil
}

// registerGRPCPayment serves Payment: Charge answers {charged: true, order_id, amount} after
// cfg.cpuWork iterations of the /cpu loop and a delay of cfg.latency, or CANCELED if the
// caller leaves during the delay.
func registerGRPCPayment(s *grpc.Server, _ *router, cfg config) error {
	chainpb.RegisterPaymentServer(s, grpcPayment{cfg: cfg})
	return nil
}

type grpcPayment struct {
	chainpb.UnimplementedPaymentServer
	cfg config
}

func (p grpcPayment) Charge(ctx context.Context, req *chainpb.ChargeRequest) (*chainpb.ChargeReceipt, error) {
	if n := utf8.RuneCountInString(req.GetOrderId()); n < 1 || n > maxIDLength {
		return nil, status.Error(codes.InvalidArgument, msgBadOrderID)
	}
	if req.GetAmount() < 0 || req.GetAmount() > maxAmount {
		return nil, status.Error(codes.InvalidArgument, msgBadAmount)
	}
	if p.cfg.cpuWork > 0 {
		cpuSink.Store(cpuWork(p.cfg.cpuWork))
	}
	if p.cfg.latency > 0 {
		if sleepCtx(ctx, p.cfg.latency) != nil {
			return nil, status.Error(codes.Canceled, "caller went away")
		}
	}
	return &chainpb.ChargeReceipt{Charged: true, OrderId: req.OrderId, Amount: req.Amount}, nil
}

// checkSKUQty applies the HTTP API's rules for sku and qty.
func checkSKUQty(sku string, qty int64) error {
	if n := utf8.RuneCountInString(sku); n < 1 || n > maxIDLength {
		return status.Error(codes.InvalidArgument, msgBadSKU)
	}
	if qty < 1 || qty > maxQty {
		return status.Error(codes.InvalidArgument, msgBadQty)
	}
	return nil
}
