package gauntlet.baseline;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Order adds the order service, as baselines/go/order.go: POST /orders reserves at inventory,
 * charges at payment (amount = qty × 100) and answers 201
 * {"id":ID,"sku":S,"qty":N,"amount":A,"status":"confirmed"}; GET /orders/{id} answers 200 with
 * that order or 404 {"error":"order not found","id":ID}. A dependency that cannot be reached
 * after retries, or whose breaker is open, gives 503 {"error":…,"dependency":…}; one that
 * answers something unexpected gives 502 of the same shape; both carry the failed-dependency
 * header. At most cfg.maxOrders orders are kept, the oldest evicted first.
 */
final class Order {
    private Order() {}

    /** Store keeps the last max orders as JSON documents, in insertion order. Thread-safe. */
    static final class Store {
        private final String prefix = String.format("o-%08x-", ThreadLocalRandom.current().nextInt());
        private final AtomicLong seq = new AtomicLong();
        private final LinkedHashMap<String, byte[]> docs;

        Store(int max) {
            docs = new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
                    return size() > max;
                }
            };
        }

        String nextID() {
            return prefix + seq.incrementAndGet();
        }

        synchronized void put(String id, byte[] doc) {
            docs.put(id, doc);
        }

        synchronized byte[] get(String id) {
            return docs.get(id);
        }
    }

    static void register(Router rt, Config cfg) throws Config.UsageError {
        String invBase = Config.baseURL("inventory", "INVENTORY_URL", cfg.inventoryURL);
        String payBase = Config.baseURL("payment", "PAYMENT_URL", cfg.paymentURL);
        Downstream inventory = rt.dependency("inventory", invBase, cfg);
        Downstream payment = rt.dependency("payment", payBase, cfg);
        Store store = new Store(cfg.maxOrders);

        rt.handle("POST", "/orders", req -> {
            Json.SkuQty in = Json.SkuQty.parse(req.body(Json.MAX_BODY));
            if (in.error != null) {
                return in.error;
            }
            String sku = in.sku;
            long qty = in.qty;
            String tag = req.header(Metrics.TAG_HEADER);
            String id = store.nextID();
            long amount = qty * Json.UNIT_PRICE;

            String reserve = Json.quote(new StringBuilder("{\"sku\":"), sku).append(",\"qty\":").append(qty).append('}').toString();
            Router.Response failed = step(inventory, "/reserve", reserve, tag);
            if (failed != null) {
                return failed;
            }
            String charge = Json.quote(new StringBuilder("{\"order_id\":"), id).append(",\"amount\":").append(amount).append('}').toString();
            failed = step(payment, "/charge", charge, tag);
            if (failed != null) {
                return failed;
            }

            StringBuilder doc = Json.quote(new StringBuilder("{\"id\":"), id).append(",\"sku\":");
            Json.quote(doc, sku).append(",\"qty\":").append(qty).append(",\"amount\":").append(amount)
                    .append(",\"status\":\"confirmed\"}");
            byte[] bytes = doc.toString().getBytes(StandardCharsets.UTF_8);
            store.put(id, bytes);
            return Router.Response.json(201, bytes);
        });
        rt.handle("GET", "/orders/{id}", req -> {
            byte[] doc = store.get(req.pathParam);
            if (doc != null) {
                return Router.Response.json(200, doc);
            }
            return Router.Response.json(404,
                    Json.quote(new StringBuilder("{\"error\":\"order not found\",\"id\":"), req.pathParam).append('}').toString());
        });
    }

    /** step POSTs body to dep; null when it answered 2xx, else the error answer. */
    private static Router.Response step(Downstream dep, String path, String body, String tag) {
        try {
            Downstream.Reply rep = dep.call("POST", path, body.getBytes(StandardCharsets.UTF_8), tag);
            if (rep.status() >= 200 && rep.status() <= 299) {
                return null;
            }
            return Json.dependencyError(502, dep.name, dep.name + " answered " + rep.status());
        } catch (Downstream.Failed e) {
            return Json.dependencyError(503, dep.name, dep.name + " unavailable: " + e.getMessage());
        }
    }
}
