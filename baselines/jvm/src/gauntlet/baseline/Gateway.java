package gauntlet.baseline;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Gateway adds the public face of the order chain, as baselines/go/gateway.go:
 * POST /orders {"sku":S,"qty":N} → the order service's POST /orders with the same body, and
 * GET /orders/{id} → the order service's GET /orders/{id}. It validates the body itself (400
 * without calling downstream) and passes the order service's answer through (status,
 * Content-Type, body, failed-dependency header); if the order service cannot be reached it
 * answers 503 {"error":…,"dependency":"order"}.
 */
final class Gateway {
    private Gateway() {}

    static void register(Router rt, Config cfg) throws Config.UsageError {
        Downstream order = rt.dependency("order", Config.baseURL("order", "ORDER_URL", cfg.orderURL), cfg);
        rt.handle("POST", "/orders", req -> {
            byte[] body = req.body(Json.MAX_BODY);
            Json.Obj o = Json.parseObject(body);
            if (o == null) {
                return Json.error(400, Json.MSG_BAD_BODY);
            }
            if (o.str("sku") == null) {
                return Json.error(400, Json.MSG_BAD_SKU);
            }
            if (o.integer("qty", 1, Json.MAX_QTY) == null) {
                return Json.error(400, Json.MSG_BAD_QTY);
            }
            return forward(order, "POST", "/orders", body, req.header(Metrics.TAG_HEADER));
        });
        rt.handle("GET", "/orders/{id}", req -> {
            String id = URLEncoder.encode(req.pathParam, StandardCharsets.UTF_8).replace("+", "%20");
            return forward(order, "GET", "/orders/" + id, null, req.header(Metrics.TAG_HEADER));
        });
    }

    static Router.Response forward(Downstream dep, String method, String path, byte[] body, String tag) {
        try {
            Downstream.Reply rep = dep.call(method, path, body, tag);
            String[] headers = rep.failedDep().isEmpty() ? null
                    : new String[] {Downstream.FAILED_DEPENDENCY_HEADER, rep.failedDep()};
            return new Router.Response(rep.status(), rep.contentType(), rep.body(), headers);
        } catch (Downstream.Failed e) {
            return Json.dependencyError(503, dep.name, dep.name + " unavailable: " + e.getMessage());
        }
    }
}
