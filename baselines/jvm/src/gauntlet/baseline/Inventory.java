package gauntlet.baseline;

/**
 * Inventory adds POST /reserve: {"sku":S,"qty":N} → 200 {"reserved":true,"sku":S,"qty":N}.
 * Stock never runs out and nothing is kept per sku, so memory stays flat: a benchmark target.
 */
final class Inventory {
    private Inventory() {}

    static void register(Router rt, Config cfg) {
        rt.handle("POST", "/reserve", req -> {
            Json.SkuQty in = Json.SkuQty.parse(req.body(Json.MAX_BODY));
            if (in.error != null) {
                return in.error;
            }
            String sku = in.sku;
            long qty = in.qty;
            StringBuilder b = Json.quote(new StringBuilder("{\"reserved\":true,\"sku\":"), sku);
            return Router.Response.json(200, b.append(",\"qty\":").append(qty).append('}').toString());
        });
    }
}
