package gauntlet.baseline;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Main is gauntlet's JVM reference service: the JDK's com.sun.net.httpserver.HttpServer with
 * a fixed pool of request threads (the "JVM style"), the same roles, API and behaviour as
 * baselines/go. Run it with -Dsun.net.httpserver.nodelay=true: without it the server's
 * responses meet Nagle's algorithm and the client's delayed ACKs, about 40 ms per request.
 *
 * <p>SIGTERM or SIGINT stops accepting connections, waits up to --drain-timeout (default
 * $DRAIN_TIMEOUT, then 10 s) for requests already received to finish, and exits 0; 1 if they did
 * not finish in time or the server cannot start; 2 for bad usage. --drain-timeout 0 turns
 * draining off: the process exits 0 at once and every connection closes with it, requests in
 * flight included, as a service without graceful shutdown does. It logs one line to stderr when
 * it listens and one when it has shut down.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        Config cfg;
        try {
            cfg = Config.parse(args, System.getenv());
        } catch (Config.UsageError e) {
            if (e.getMessage() == null) {
                System.err.print(Config.USAGE);
                System.exit(0);
            }
            System.err.println("baseline-jvm: " + e.getMessage());
            System.err.print(Config.USAGE);
            System.exit(2);
            return;
        }
        if (!"true".equals(System.getProperty("sun.net.httpserver.nodelay"))) {
            System.err.println("baseline-jvm: WARNING: -Dsun.net.httpserver.nodelay=true is not set; "
                    + "responses will wait on Nagle's algorithm and delayed ACKs (~40 ms each)");
        }
        // HttpURLConnection keeps only 5 idle connections per host unless told otherwise; a
        // loaded hop would then open and close a connection per call. Keep one per pool thread.
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", String.valueOf(Math.max(5, cfg.threads)));
        }
        Metrics metrics = new Metrics();
        Router rt = new Router(metrics);
        try {
            registerRole(rt, cfg, metrics);
        } catch (Config.UsageError e) {
            System.err.println("baseline-jvm: role " + cfg.role + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            serve(cfg, rt);
        } catch (IOException | RuntimeException e) {
            System.err.println("baseline-jvm " + cfg.role + ": " + e);
            System.exit(1);
        }
    }

    static void registerRole(Router rt, Config cfg, Metrics metrics) throws Config.UsageError {
        switch (cfg.role) {
            case "micro", "gateway", "order", "inventory", "payment" -> { }
            default -> throw new Config.UsageError(
                    "unknown role \"" + cfg.role + "\" (known: gateway, inventory, micro, order, payment)");
        }
        rt.handle("GET", "/healthz", req -> Router.Response.text(200, "ok"));
        rt.handle("GET", "/metrics", req ->
                new Router.Response(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(), null));
        Micro.register(rt);
        switch (cfg.role) {
            case "gateway" -> Gateway.register(rt, cfg);
            case "order" -> Order.register(rt, cfg);
            case "inventory" -> Inventory.register(rt, cfg);
            case "payment" -> Payment.register(rt, cfg);
            default -> { }
        }
    }

    private static void serve(Config cfg, Router rt) throws IOException {
        int colon = cfg.addr.lastIndexOf(':');
        if (colon < 0) {
            throw new IOException("--addr " + cfg.addr + ": want HOST:PORT");
        }
        String host = cfg.addr.substring(0, colon);
        int port = Integer.parseInt(cfg.addr.substring(colon + 1));
        InetSocketAddress bind = host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        HttpServer server = HttpServer.create(bind, 4096);
        CountingExecutor executor = new CountingExecutor(Executors.newFixedThreadPool(cfg.threads));
        server.setExecutor(executor);
        server.createContext("/", rt);
        server.start();
        InetSocketAddress at = server.getAddress();
        System.err.println("baseline-jvm " + cfg.role + " listening on " + at.getAddress().getHostAddress() + ":" + at.getPort());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(cfg.role, cfg.drainNanos, server, executor), "shutdown"));
    }

    /**
     * shutdown drains and ends the process with exit code 0. HttpServer.stop(delay) closes the
     * listener at once but, in JDK 17, then waits the whole delay even when no exchange is left
     * (JDK-8304065, fixed in 21), so it runs on its own thread while this one watches the
     * executor; once every request already received has been answered (or drainNanos passed),
     * halt ends the JVM with 0 rather than the 143 a JVM ended by SIGTERM reports. With
     * drainNanos 0 it halts at once: the kernel closes every connection, in flight or not.
     */
    private static void shutdown(String role, long drainNanos, HttpServer server, CountingExecutor executor) {
        long began = System.nanoTime();
        if (drainNanos == 0) {
            System.err.println("baseline-jvm " + role + " shut down without draining ("
                    + executor.pending.get() + " requests in flight)");
            System.err.flush();
            Runtime.getRuntime().halt(0);
        }
        // HttpServer.stop takes whole seconds; the loop below keeps the exact bound.
        int stopSeconds = (int) Math.min(Integer.MAX_VALUE, (drainNanos + 999_999_999L) / 1_000_000_000L);
        Thread stopper = new Thread(() -> server.stop(stopSeconds), "stop");
        stopper.setDaemon(true);
        stopper.start();
        boolean drained = false;
        while (System.nanoTime() - began < drainNanos) {
            if (executor.pending.get() == 0) {
                drained = true;
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                break;
            }
        }
        long ms = (System.nanoTime() - began) / 1_000_000;
        if (drained) {
            System.err.println("baseline-jvm " + role + " shut down, drained in " + ms + "ms");
        } else {
            System.err.println("baseline-jvm " + role + ": shutdown after " + ms + "ms: "
                    + executor.pending.get() + " requests still running");
        }
        System.err.flush();
        Runtime.getRuntime().halt(drained ? 0 : 1);
    }

    /** CountingExecutor runs the server's exchanges on a pool and counts those not yet done. */
    static final class CountingExecutor implements java.util.concurrent.Executor {
        final AtomicInteger pending = new AtomicInteger();
        private final ExecutorService pool;

        CountingExecutor(ExecutorService pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            pending.incrementAndGet();
            try {
                pool.execute(() -> {
                    try {
                        task.run();
                    } finally {
                        pending.decrementAndGet();
                    }
                });
            } catch (RuntimeException e) {
                pending.decrementAndGet();
                throw e;
            }
        }
    }
}
