package gauntlet.baseline;

/**
 * Micro adds the micro-comparison endpoints every role serves: /ping, /json, /cpu?n=,
 * /sleep?ms=, /gc?mb=, with the behaviour of baselines/go/micro.go (same bodies, clamping and 400s).
 * Unlike Go, /sleep cannot notice a client that left: HttpServer gives no such signal.
 */
final class Micro {
    static final int MAX_CPU_ITERATIONS = 100_000_000;
    static final int MAX_SLEEP_MILLIS = 60_000;
    static final int MAX_GC_MIB = 256;
    static final int GC_NODE_BYTES = 64;

    static final String JSON_FIXTURE = "{\"id\":\"gauntlet-micro-0001\",\"service\":\"baseline\",\"kind\":\"fixture\",\"version\":1,"
            + "\"active\":true,\"tags\":[\"load\",\"chaos\",\"latency\",\"throughput\"],"
            + "\"owner\":{\"team\":\"perf\",\"contact\":\"perf@example.invalid\"},\"values\":[1,2,3,5,8,13,21,34]}";

    private Micro() {}

    static void register(Router rt) {
        byte[] fixture = JSON_FIXTURE.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        rt.handle("GET", "/ping", req -> Router.Response.text(200, "pong"));
        rt.handle("GET", "/json", req -> Router.Response.json(200, fixture));
        rt.handle("GET", "/cpu", req -> {
            long n = intParam(req.query("n"), MAX_CPU_ITERATIONS);
            if (n < 0) {
                return Router.Response.text(400, "n must be a non-negative integer");
            }
            return Router.Response.json(200, "{\"n\":" + n + ",\"result\":" + Long.toUnsignedString(cpuWork(n)) + "}");
        });
        rt.handle("GET", "/sleep", req -> {
            long ms = intParam(req.query("ms"), MAX_SLEEP_MILLIS);
            if (ms < 0) {
                return Router.Response.text(400, "ms must be a non-negative integer");
            }
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Router.Response.empty(499);
            }
            return Router.Response.json(200, "{\"slept_ms\":" + ms + "}");
        });
        rt.handle("GET", "/gc", req -> {
            long mb = intParam(req.query("mb"), MAX_GC_MIB);
            if (mb < 0) {
                return Router.Response.text(400, "mb must be a non-negative integer");
            }
            return Router.Response.json(200, "{\"mb\":" + mb + ",\"nodes\":" + gcWork(mb) + "}");
        });
    }

    /** GcNode is one node of the list /gc builds: a reference to trace and padding. */
    static final class GcNode {
        final GcNode next;
        long a, b, c, d, e;

        GcNode(GcNode next) {
            this.next = next;
        }
    }

    /**
     * gcWork allocates about mb MiB as a linked list of GC_NODE_BYTES nodes, keeps it reachable
     * while it walks it and returns the node count: garbage-collector work in proportion to mb.
     */
    static long gcWork(long mb) {
        GcNode head = null;
        for (long i = 0; i < (mb << 20) / GC_NODE_BYTES; i++) {
            head = new GcNode(head);
        }
        long nodes = 0;
        for (GcNode n = head; n != null; n = n.next) {
            nodes++;
        }
        return nodes;
    }

    /**
     * cpuWork is FNV-1a on whole 64-bit words, as in Go:
     * x = 0xcbf29ce484222325; for i in 0..n-1: x = (x XOR i) * 0x100000001b3 (mod 2^64).
     */
    static long cpuWork(long n) {
        long x = 0xcbf29ce484222325L;
        for (long i = 0; i < n; i++) {
            x ^= i;
            x *= 0x100000001b3L;
        }
        return x;
    }

    /**
     * intParam parses s as an integer in [0, limit], clamping larger values (even ones too large
     * for a long) to limit; -1 when s is empty, malformed or negative. Like Go's strconv.Atoi it
     * accepts a leading '+' and leading zeros.
     */
    static long intParam(String s, long limit) {
        if (s.isEmpty() || !s.matches("[+-]?[0-9]+")) {
            return -1;
        }
        try {
            long v = Long.parseLong(s);
            return v < 0 ? -1 : Math.min(v, limit);
        } catch (NumberFormatException e) {
            return s.charAt(0) == '-' ? -1 : limit;
        }
    }
}
