package gauntlet.baseline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Downstream calls one dependency with a per-attempt timeout, bounded retries with exponential
 * backoff and jitter, and a circuit breaker: the twin of baselines/go/downstream.go, with the
 * same rules. Connection errors and 502/503/504 answers without the failed-dependency header are
 * retried; timeouts are not (the request may still be running on a hop that is already slow).
 * Reserve and charge are POSTs and retrying them is a choice: each charge carries its order id,
 * so a real payment service could deduplicate it, and inventory never runs out. Safe for
 * concurrent use.
 *
 * <p>It uses HttpURLConnection (blocking, its keep-alive cache sized by http.maxConnections, which
 * Main sets to the pool size). java.net.http.HttpClient was tried first: on JDK 17 here, with 16
 * concurrent callers through the chain, about 1 call in 6 hung until the 2 s timeout, while the
 * same load sent straight to the service by curl had none; HttpURLConnection had no errors. The
 * timeout applies to connecting and to each read, not to the whole call.
 */
final class Downstream {
    /**
     * FAILED_DEPENDENCY_HEADER is set by a hop on a 502/503 it answers because one of its own
     * dependencies failed; callers pass such an answer through without retrying it or counting it
     * against the hop's breaker.
     */
    static final String FAILED_DEPENDENCY_HEADER = "X-Gauntlet-Failed-Dependency";

    static final long BACKOFF_BASE_NANOS = 10_000_000L;

    /** Outcome of one call (all its attempts); the order and labels match the Go baseline. */
    enum Outcome {
        SUCCESS("success"), HTTP_ERROR("http_error"), FAILURE("failure"),
        CIRCUIT_OPEN("circuit_open"), CANCELED("canceled");

        final String label;

        Outcome(String label) {
            this.label = label;
        }
    }

    /** Stats is what /metrics shows about one dependency. */
    static final class Stats {
        final String name;
        final AtomicLongArray outcomes = new AtomicLongArray(Outcome.values().length);
        final LongAdder retries = new LongAdder();
        /** attempts sent: the first of each call and its retries. */
        final LongAdder attempts = new LongAdder();
        /** slowestNanos is the longest attempt so far. */
        final AtomicLong slowestNanos = new AtomicLong();
        /** timeoutNanos is the configured timeout of one attempt. */
        final long timeoutNanos;
        final Breaker breaker = new Breaker();

        Stats(String name, long timeoutNanos) {
            this.name = name;
            this.timeoutNanos = timeoutNanos;
        }
    }

    /** Reply is a downstream answer, body read in full; failedDep is "" when absent. */
    record Reply(int status, String contentType, String failedDep, byte[] body) {}

    /** Failed is thrown by call when the dependency could not give an answer. */
    static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        Failed(String reason) {
            super(reason, null, false, false);
        }
    }

    final String name;
    private final String base;
    private final int timeoutMillis;
    private final int retries;
    final Stats stats;

    Downstream(String name, String base, Config cfg, Stats stats) {
        this.name = name;
        this.base = base;
        this.timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, cfg.timeoutNanos / 1_000_000));
        this.retries = cfg.retries;
        this.stats = stats;
    }

    /**
     * call sends method base+path with body (JSON, or null) and the traffic tag (if not empty)
     * and returns the answer, or throws Failed with a reason ("circuit breaker open", "connection
     * failed", "timed out", "answered 503").
     */
    Reply call(String method, String path, byte[] body, String tag) throws Failed {
        String reason = null;
        for (int attempt = 0; attempt <= retries; attempt++) {
            if (attempt > 0 && !sleep(backoffNanos(attempt - 1))) {
                count(Outcome.CANCELED);
                throw new Failed("interrupted");
            }
            if (!stats.breaker.allow(System.nanoTime())) {
                count(Outcome.CIRCUIT_OPEN);
                throw new Failed("circuit breaker open");
            }
            if (attempt > 0) {
                stats.retries.increment();
            }
            stats.attempts.increment();
            long sent = System.nanoTime();
            boolean timedOut = false;
            try {
                Reply rep = send(method, path, body, tag);
                observe(sent);
                if (!retryable(rep)) {
                    stats.breaker.success(System.nanoTime());
                    count(rep.status() >= 200 && rep.status() < 300 ? Outcome.SUCCESS : Outcome.HTTP_ERROR);
                    return rep;
                }
                reason = "answered " + rep.status();
            } catch (ReadTimeout e) {
                observe(sent);
                reason = "timed out";
                timedOut = true;
            } catch (IOException e) {
                observe(sent);
                reason = "connection failed";
            }
            stats.breaker.failure(System.nanoTime());
            if (timedOut) {
                break;
            }
        }
        count(Outcome.FAILURE);
        throw new Failed(reason);
    }

    /** observe keeps the attempt sent at sent if it is the longest so far. */
    private void observe(long sent) {
        long took = System.nanoTime() - sent;
        stats.slowestNanos.accumulateAndGet(took, Math::max);
    }

    /** ReadTimeout is a timeout after the connection was made (not retried). */
    private static final class ReadTimeout extends IOException {
        private static final long serialVersionUID = 1L;
    }

    /** send makes one attempt; a connect timeout is an IOException, a later one ReadTimeout. */
    private Reply send(String method, String path, byte[] body, String tag) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection(Proxy.NO_PROXY);
        c.setConnectTimeout(timeoutMillis);
        c.setReadTimeout(timeoutMillis);
        c.setRequestMethod(method);
        c.setUseCaches(false);
        c.setInstanceFollowRedirects(false);
        if (!tag.isEmpty()) {
            c.setRequestProperty(Metrics.TAG_HEADER, tag);
        }
        if (body != null) {
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(body.length); // also stops HttpURLConnection's own POST retry
            c.setRequestProperty("Content-Type", "application/json");
        }
        c.connect(); // connection errors and connect timeouts surface here
        try {
            if (body != null) {
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            byte[] b = new byte[0];
            if (in != null) {
                try (in) {
                    b = in.readAllBytes(); // reading to the end returns the connection to the keep-alive cache
                }
            }
            String failedDep = c.getHeaderField(FAILED_DEPENDENCY_HEADER);
            return new Reply(status, c.getContentType(), failedDep == null ? "" : failedDep, b);
        } catch (SocketTimeoutException e) {
            c.disconnect();
            throw new ReadTimeout();
        }
    }

    private void count(Outcome o) {
        stats.outcomes.incrementAndGet(o.ordinal());
    }

    static boolean retryable(Reply rep) {
        int s = rep.status();
        return (s == 502 || s == 503 || s == 504) && rep.failedDep().isEmpty();
    }

    /** backoffNanos is the delay before retry n (0-based): base·2^n with equal jitter. */
    static long backoffNanos(int n) {
        long full = BACKOFF_BASE_NANOS << n;
        return full / 2 + ThreadLocalRandom.current().nextLong(full / 2 + 1);
    }

    private static boolean sleep(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
