package gauntlet.baseline;

/**
 * Inventory adds POST /reserve: {"sku":S,"qty":N} → 200 {"reserved":true,"sku":S,"qty":N}.
 * Stock never runs out and nothing is kept per sku, so memory stays flat: a benchmark target.
 */
final class Inventory {
    private Inventory() {}

    static void register(Router rt, Config cfg) {
        rt.handle("POST", "/reserve", req -> {
            Json.Obj o = Json.parseObject(req.body(Json.MAX_BODY));
            if (o == null) {
                return Json.error(400, Json.MSG_BAD_BODY);
            }
            String sku = o.str("sku");
            if (sku == null) {
                return Json.error(400, Json.MSG_BAD_SKU);
            }
            Long qty = o.integer("qty", 1, Json.MAX_QTY);
            if (qty == null) {
                return Json.error(400, Json.MSG_BAD_QTY);
            }
            StringBuilder b = Json.quote(new StringBuilder("{\"reserved\":true,\"sku\":"), sku);
            return Router.Response.json(200, b.append(",\"qty\":").append(qty).append('}').toString());
        });
    }
}
