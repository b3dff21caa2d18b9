package gauntlet.baseline;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Router is the fixed route table of one role, the JVM twin of baselines/go/router.go. Every
 * route gets its own counters when it is registered, so counting a request is an atomic add
 * with no lookup of shared mutable state. Routes are registered before the server starts and
 * read-only afterwards.
 */
final class Router implements HttpHandler {
    /** Handler answers one request; it runs on a server pool thread and may block. */
    interface Handler {
        Response handle(Request req) throws IOException;
    }

    /** Request is what a handler sees of one exchange. */
    static final class Request {
        final HttpExchange exchange;
        final String method;
        final String pathParam; // the {id} segment, decoded, for a wildcard route
        private Map<String, String> query;

        Request(HttpExchange exchange, String pathParam) {
            this.exchange = exchange;
            this.method = exchange.getRequestMethod();
            this.pathParam = pathParam;
        }

        /** header returns the first value of name, or "" if absent. */
        String header(String name) {
            String v = exchange.getRequestHeaders().getFirst(name);
            return v == null ? "" : v;
        }

        /** query returns the first value of a query parameter, or "" if absent. */
        String query(String name) {
            if (query == null) {
                query = parseQuery(exchange.getRequestURI().getRawQuery());
            }
            return query.getOrDefault(name, "");
        }

        /** body reads the request body, at most limit bytes; null if it is longer. */
        byte[] body(int limit) throws IOException {
            InputStream in = exchange.getRequestBody();
            byte[] b = in.readNBytes(limit + 1);
            return b.length > limit ? null : b;
        }
    }

    /** Response is a complete answer; headers may be null. */
    record Response(int status, String contentType, byte[] body, String[] headers) {
        static Response text(int status, String body) {
            return new Response(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8), null);
        }

        static Response json(int status, byte[] body) {
            return new Response(status, "application/json", body, null);
        }

        static Response json(int status, String body) {
            return json(status, body.getBytes(StandardCharsets.UTF_8));
        }

        static Response empty(int status) {
            return new Response(status, null, new byte[0], null);
        }
    }

    private record Route(String method, Metrics.RouteStats stats, Handler handler) {}

    private final Metrics metrics;
    private final Map<String, Route> exact = new HashMap<>();
    private final Map<String, Route> wildcard = new HashMap<>(); // prefix "/orders/" → route
    private final Metrics.RouteStats other;

    Router(Metrics metrics) {
        this.metrics = metrics;
        this.other = metrics.route("other");
    }

    /**
     * handle registers h for exactly path and method (GET also answers HEAD); other methods get
     * 405. A path ending in "/{id}" matches one non-empty segment in that place. The route label
     * in /metrics is path. Registering a path twice throws.
     */
    void handle(String method, String path, Handler h) {
        Route r = new Route(method, metrics.route(path), h);
        Map<String, Route> table = exact;
        String key = path;
        if (path.endsWith("/{id}")) {
            table = wildcard;
            key = path.substring(0, path.length() - "{id}".length());
        }
        if (table.putIfAbsent(key, r) != null) {
            throw new IllegalArgumentException("route " + path + " registered twice");
        }
    }

    /**
     * dependency returns the client for one downstream service at base and adds its series to
     * /metrics. Call it only while registering routes.
     */
    Downstream dependency(String name, String base, Config cfg) {
        return new Downstream(name, base, cfg, metrics.dependency(name, cfg.timeoutNanos));
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        metrics.inFlight.incrementAndGet();
        try {
            String tag = ex.getRequestHeaders().getFirst(Metrics.TAG_HEADER);
            if (tag != null && !tag.isEmpty()) {
                metrics.tagged.increment();
            }
            dispatch(ex);
        } finally {
            ex.close();
            metrics.inFlight.decrementAndGet();
        }
    }

    private void dispatch(HttpExchange ex) throws IOException {
        String rawPath = ex.getRequestURI().getRawPath();
        Route route = exact.get(ex.getRequestURI().getPath());
        String param = null;
        if (route == null && rawPath != null) {
            int slash = rawPath.lastIndexOf('/');
            if (slash > 0 && slash < rawPath.length() - 1) {
                route = wildcard.get(rawPath.substring(0, slash + 1));
                if (route != null) {
                    param = URLDecoder.decode(rawPath.substring(slash + 1).replace("+", "%2B"), StandardCharsets.UTF_8);
                }
            }
        }
        if (route == null) {
            send(ex, Response.text(404, "404 page not found\n"), other);
            return;
        }
        String method = ex.getRequestMethod();
        if (!method.equals(route.method) && !(route.method.equals("GET") && method.equals("HEAD"))) {
            ex.getResponseHeaders().set("Allow", route.method);
            send(ex, Response.text(405, "method not allowed"), route.stats);
            return;
        }
        Response resp;
        try {
            resp = route.handler.handle(new Request(ex, param));
        } catch (RuntimeException e) {
            System.err.println("baseline-jvm: handler for " + rawPath + " failed: " + e);
            resp = Response.text(500, "internal error");
        }
        send(ex, resp, route.stats);
    }

    private static void send(HttpExchange ex, Response resp, Metrics.RouteStats stats) throws IOException {
        stats.observe(resp.status());
        var h = ex.getResponseHeaders();
        if (resp.contentType() != null) {
            h.set("Content-Type", resp.contentType());
        }
        if (resp.headers() != null) {
            for (int i = 0; i + 1 < resp.headers().length; i += 2) {
                h.set(resp.headers()[i], resp.headers()[i + 1]);
            }
        }
        byte[] body = resp.body();
        boolean head = ex.getRequestMethod().equals("HEAD");
        // -1: no body. 0 would mean chunked encoding of unknown length.
        ex.sendResponseHeaders(resp.status(), head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    /** parseQuery decodes a raw query string, keeping the first value of each name. */
    static Map<String, String> parseQuery(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return m;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty() || pair.contains(";")) {
                continue; // Go's url.ParseQuery rejects semicolons too
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                m.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                // a malformed escape: Go skips the pair too
            }
        }
        return m;
    }
}
