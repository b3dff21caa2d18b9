package gauntlet.baseline;

/**
 * Payment adds POST /charge: {"order_id":S,"amount":N} → 200
 * {"charged":true,"order_id":S,"amount":N}, after cfg.cpuWork iterations of the /cpu loop and
 * a delay of cfg.latencyNanos (the pool thread sleeps: the thread-pool style).
 */
final class Payment {
    /** sink keeps the last CPU work result so the loop has an observable effect. */
    static volatile long sink;

    private Payment() {}

    static void register(Router rt, Config cfg) {
        rt.handle("POST", "/charge", req -> {
            Json.Obj o = Json.parseObject(req.body(Json.MAX_BODY));
            if (o == null) {
                return Json.error(400, Json.MSG_BAD_BODY);
            }
            String id = o.str("order_id");
            if (id == null) {
                return Json.error(400, Json.MSG_BAD_ORDER_ID);
            }
            Long amount = o.integer("amount", 0, Json.MAX_AMOUNT);
            if (amount == null) {
                return Json.error(400, Json.MSG_BAD_AMOUNT);
            }
            if (cfg.cpuWork > 0) {
                sink = Micro.cpuWork(cfg.cpuWork);
            }
            if (cfg.latencyNanos > 0) {
                try {
                    Thread.sleep(cfg.latencyNanos / 1_000_000, (int) (cfg.latencyNanos % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Router.Response.empty(499);
                }
            }
            StringBuilder b = Json.quote(new StringBuilder("{\"charged\":true,\"order_id\":"), id);
            return Router.Response.json(200, b.append(",\"amount\":").append(amount).append('}').toString());
        });
    }
}
