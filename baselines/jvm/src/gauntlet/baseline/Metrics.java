package gauntlet.baseline;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Metrics is the state behind /metrics, written as Prometheus text format 0.0.4 with the same
 * series, help texts and order as baselines/go/metrics.go, except that the runtime's own
 * series are the JVM's: jvm_gc_collection_seconds, jvm_threads_current and jvm_threads_live
 * where Go writes go_gc_duration_seconds and go_goroutines. Routes and dependencies are added only while the role registers its
 * endpoints; everything per request is a lock-free counter.
 */
final class Metrics {
    /** TAG_HEADER marks traffic a run follows through every hop. */
    static final String TAG_HEADER = "X-Gauntlet-Tag";

    /** RouteStats counts one route's responses by status code (100–999). */
    static final class RouteStats {
        final String route;
        final AtomicLongArray codes = new AtomicLongArray(1000);

        RouteStats(String route) {
            this.route = route;
        }

        void observe(int code) {
            if (code >= 100 && code < 1000) {
                codes.incrementAndGet(code);
            }
        }
    }

    final LongAdder tagged = new LongAdder();
    final java.util.concurrent.atomic.AtomicLong inFlight = new java.util.concurrent.atomic.AtomicLong();
    private final List<RouteStats> routes = new ArrayList<>();
    private final List<Downstream.Stats> deps = new ArrayList<>();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    RouteStats route(String label) {
        RouteStats rs = new RouteStats(label);
        routes.add(rs);
        return rs;
    }

    Downstream.Stats dependency(String name, long timeoutNanos) {
        Downstream.Stats s = new Downstream.Stats(name, timeoutNanos);
        deps.add(s);
        return s;
    }

    byte[] render() {
        StringBuilder b = new StringBuilder(2048);
        List<RouteStats> rs = new ArrayList<>(routes);
        rs.sort(Comparator.comparing(r -> r.route));
        b.append("# HELP gauntlet_http_requests_total HTTP requests answered, by route and status code.\n");
        b.append("# TYPE gauntlet_http_requests_total counter\n");
        for (RouteStats r : rs) {
            for (int code = 0; code < 1000; code++) {
                long n = r.codes.get(code);
                if (n != 0) {
                    b.append("gauntlet_http_requests_total{route=\"").append(labelValue(r.route))
                            .append("\",code=\"").append(code).append("\"} ").append(n).append('\n');
                }
            }
        }
        b.append("# HELP gauntlet_http_tagged_requests_total HTTP requests that carried a non-empty ")
                .append(TAG_HEADER).append(" header.\n");
        b.append("# TYPE gauntlet_http_tagged_requests_total counter\n");
        b.append("gauntlet_http_tagged_requests_total ").append(tagged.sum()).append('\n');
        b.append("# HELP gauntlet_http_in_flight_requests HTTP requests being served, this one included.\n");
        b.append("# TYPE gauntlet_http_in_flight_requests gauge\n");
        b.append("gauntlet_http_in_flight_requests ").append(inFlight.get()).append('\n');
        if (!deps.isEmpty()) {
            writeDeps(b);
        }
        writeGC(b);
        b.append("# HELP jvm_threads_current Current thread count of a JVM.\n");
        b.append("# TYPE jvm_threads_current gauge\n");
        b.append("jvm_threads_current ").append(threads.getThreadCount()).append('\n');
        b.append("# HELP jvm_threads_live Live JVM threads, daemon and non-daemon.\n");
        b.append("# TYPE jvm_threads_live gauge\n");
        b.append("jvm_threads_live ").append(threads.getThreadCount()).append('\n');
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * writeGC writes jvm_gc_collection_seconds as the Prometheus simpleclient_hotspot does: per
     * collector, the number of collections and the time they took (for the serial collector, all
     * of it stop-the-world).
     */
    private static void writeGC(StringBuilder b) {
        b.append("# HELP jvm_gc_collection_seconds Time spent in a given JVM garbage collector in seconds.\n");
        b.append("# TYPE jvm_gc_collection_seconds summary\n");
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = labelValue(gc.getName());
            b.append("jvm_gc_collection_seconds_count{gc=\"").append(name).append("\"} ")
                    .append(Math.max(gc.getCollectionCount(), 0)).append('\n');
            b.append("jvm_gc_collection_seconds_sum{gc=\"").append(name).append("\"} ")
                    .append(Math.max(gc.getCollectionTime(), 0) / 1000.0).append('\n');
        }
    }

    private void writeDeps(StringBuilder b) {
        List<Downstream.Stats> ds = new ArrayList<>(deps);
        ds.sort(Comparator.comparing(d -> d.name));
        b.append("# HELP gauntlet_downstream_requests_total Downstream calls (all attempts of one call count once), by dependency and outcome.\n");
        b.append("# TYPE gauntlet_downstream_requests_total counter\n");
        for (Downstream.Stats d : ds) {
            for (Downstream.Outcome o : Downstream.Outcome.values()) {
                b.append("gauntlet_downstream_requests_total{dependency=\"").append(d.name)
                        .append("\",outcome=\"").append(o.label).append("\"} ")
                        .append(d.outcomes.get(o.ordinal())).append('\n');
            }
        }
        b.append("# HELP gauntlet_downstream_retries_total Downstream attempts after the first, by dependency.\n");
        b.append("# TYPE gauntlet_downstream_retries_total counter\n");
        for (Downstream.Stats d : ds) {
            b.append("gauntlet_downstream_retries_total{dependency=\"").append(d.name).append("\"} ")
                    .append(d.retries.sum()).append('\n');
        }
        b.append("# HELP gauntlet_downstream_attempts_total Downstream attempts sent (the first of each call and its retries), by dependency.\n");
        b.append("# TYPE gauntlet_downstream_attempts_total counter\n");
        for (Downstream.Stats d : ds) {
            b.append("gauntlet_downstream_attempts_total{dependency=\"").append(d.name).append("\"} ")
                    .append(d.attempts.sum()).append('\n');
        }
        b.append("# HELP gauntlet_downstream_attempt_seconds_max The longest downstream attempt so far, by dependency.\n");
        b.append("# TYPE gauntlet_downstream_attempt_seconds_max gauge\n");
        for (Downstream.Stats d : ds) {
            b.append("gauntlet_downstream_attempt_seconds_max{dependency=\"").append(d.name).append("\"} ")
                    .append(d.slowestNanos.get() / 1e9).append('\n');
        }
        b.append("# HELP gauntlet_downstream_timeout_seconds The configured timeout of one downstream attempt, by dependency.\n");
        b.append("# TYPE gauntlet_downstream_timeout_seconds gauge\n");
        for (Downstream.Stats d : ds) {
            b.append("gauntlet_downstream_timeout_seconds{dependency=\"").append(d.name).append("\"} ")
                    .append(d.timeoutNanos / 1e9).append('\n');
        }
        long now = System.nanoTime();
        b.append("# HELP gauntlet_circuit_breaker_opened_total Times the dependency's circuit breaker opened from closed.\n");
        b.append("# TYPE gauntlet_circuit_breaker_opened_total counter\n");
        for (Downstream.Stats d : ds) {
            b.append("gauntlet_circuit_breaker_opened_total{dependency=\"").append(d.name).append("\"} ")
                    .append(d.breaker.opened()).append('\n');
        }
        b.append("# HELP gauntlet_circuit_breaker_open_seconds_total Time the dependency's circuit breaker has refused calls (open or half-open).\n");
        b.append("# TYPE gauntlet_circuit_breaker_open_seconds_total counter\n");
        for (Downstream.Stats d : ds) {
            b.append("gauntlet_circuit_breaker_open_seconds_total{dependency=\"").append(d.name).append("\"} ")
                    .append(d.breaker.refusedNanos(now) / 1e9).append('\n');
        }
        b.append("# HELP gauntlet_circuit_breaker_open 1 while the dependency's circuit breaker refuses calls (open or half-open), else 0.\n");
        b.append("# TYPE gauntlet_circuit_breaker_open gauge\n");
        for (Downstream.Stats d : ds) {
            b.append("gauntlet_circuit_breaker_open{dependency=\"").append(d.name).append("\"} ")
                    .append(d.breaker.isOpen() ? 1 : 0).append('\n');
        }
    }

    static String labelValue(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
