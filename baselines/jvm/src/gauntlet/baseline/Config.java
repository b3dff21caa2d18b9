package gauntlet.baseline;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Config is what the command line gives a role, with the flags, defaults, environment and
 * validation of baselines/go/config.go. Durations use Go's syntax ("2s", "250ms", "1m30s").
 */
final class Config {
    String role = "micro";
    String addr = "127.0.0.1:8080";
    int threads = 200;
    String orderURL = "";
    String inventoryURL = "";
    String paymentURL = "";
    long timeoutNanos = 2_000_000_000L;
    int retries = 2;
    int cpuWork = 0;
    long latencyNanos = 0;
    int maxOrders = 100_000;
    /** drainNanos bounds how long requests in flight may finish after SIGTERM; 0 turns draining off. */
    long drainNanos = 10_000_000_000L;

    /** UsageError is bad usage: exit code 2. */
    static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        UsageError(String msg) {
            super(msg);
        }
    }

    static final String USAGE = String.join("\n",
            "usage: java -Dsun.net.httpserver.nodelay=true -jar baseline-jvm.jar [flags]",
            "  --role ROLE         micro, gateway, order, inventory or payment (default micro)",
            "  --addr HOST:PORT    listen address (default $ADDR, then 127.0.0.1:8080)",
            "  --threads N         request thread pool size (default 200)",
            "  --order URL         gateway: order service base URL (default $ORDER_URL)",
            "  --inventory URL     order: inventory service base URL (default $INVENTORY_URL)",
            "  --payment URL       order: payment service base URL (default $PAYMENT_URL)",
            "  --timeout D         timeout of each downstream attempt (default 2s)",
            "  --retries N         retries per downstream call after the first attempt, 0-10 (default 2)",
            "  --cpu-work N        payment: /cpu loop iterations per charge (default 0)",
            "  --latency D         payment: added latency per charge (default 0s)",
            "  --max-orders N      order: orders kept in memory, oldest evicted first (default 100000)",
            "  --drain-timeout D   how long requests in flight may finish after SIGTERM; 0 exits at once,",
            "                      closing every connection (default $DRAIN_TIMEOUT, then 10s)",
            "");

    /** parse reads args (--flag value, --flag=value, one or two dashes) over env defaults. */
    static Config parse(String[] args, Map<String, String> env) throws UsageError {
        Config c = new Config();
        c.addr = env.getOrDefault("ADDR", "").isEmpty() ? c.addr : env.get("ADDR");
        c.orderURL = env.getOrDefault("ORDER_URL", "");
        c.inventoryURL = env.getOrDefault("INVENTORY_URL", "");
        c.paymentURL = env.getOrDefault("PAYMENT_URL", "");
        if (!env.getOrDefault("DRAIN_TIMEOUT", "").isEmpty()) {
            try {
                c.drainNanos = duration("drain-timeout", env.get("DRAIN_TIMEOUT"));
            } catch (UsageError e) {
                throw new UsageError("$DRAIN_TIMEOUT \"" + env.get("DRAIN_TIMEOUT") + "\": want a duration >= 0 like 10s");
            }
        }
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-") || a.equals("-") || a.equals("--")) {
                throw new UsageError("unexpected arguments " + String.join(" ", List.of(args).subList(i, args.length)));
            }
            String name = a.startsWith("--") ? a.substring(2) : a.substring(1);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (name.equals("h") || name.equals("help")) {
                throw new UsageError(null);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageError("flag needs an argument: -" + name);
                }
                value = args[++i];
            }
            c.set(name, value);
        }
        c.validate();
        return c;
    }

    private void set(String name, String v) throws UsageError {
        switch (name) {
            case "role" -> role = v;
            case "addr" -> addr = v;
            case "threads" -> threads = integer(name, v);
            case "order" -> orderURL = v;
            case "inventory" -> inventoryURL = v;
            case "payment" -> paymentURL = v;
            case "timeout" -> timeoutNanos = duration(name, v);
            case "retries" -> retries = integer(name, v);
            case "cpu-work" -> cpuWork = integer(name, v);
            case "latency" -> latencyNanos = duration(name, v);
            case "max-orders" -> maxOrders = integer(name, v);
            case "drain-timeout" -> drainNanos = duration(name, v);
            default -> throw new UsageError("flag provided but not defined: -" + name);
        }
    }

    private void validate() throws UsageError {
        List<String> errs = new ArrayList<>();
        if (threads < 1) {
            errs.add("--threads " + threads + ": must be >= 1");
        }
        if (timeoutNanos <= 0) {
            errs.add("--timeout: must be > 0");
        }
        if (retries < 0 || retries > 10) {
            errs.add("--retries " + retries + ": must be 0 to 10");
        }
        if (cpuWork < 0 || cpuWork > Micro.MAX_CPU_ITERATIONS) {
            errs.add("--cpu-work " + cpuWork + ": must be 0 to " + Micro.MAX_CPU_ITERATIONS);
        }
        if (latencyNanos < 0 || latencyNanos > 60_000_000_000L) {
            errs.add("--latency: must be 0 to 1m0s");
        }
        if (maxOrders < 1) {
            errs.add("--max-orders " + maxOrders + ": must be >= 1");
        }
        if (drainNanos < 0) {
            errs.add("--drain-timeout: must be >= 0");
        }
        if (!errs.isEmpty()) {
            throw new UsageError(String.join("\n", errs));
        }
    }

    private static int integer(String name, String v) throws UsageError {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageError("invalid value \"" + v + "\" for flag -" + name + ": parse error");
        }
    }

    private static final Pattern DURATION_PART = Pattern.compile("([0-9]*\\.?[0-9]*)(ns|us|µs|ms|s|m|h)");

    /** duration parses a Go duration string into nanoseconds. */
    static long duration(String name, String v) throws UsageError {
        String s = v;
        boolean neg = false;
        if (s.startsWith("-") || s.startsWith("+")) {
            neg = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return 0;
        }
        Matcher m = DURATION_PART.matcher(s);
        double total = 0;
        int at = 0;
        while (at < s.length() && m.find(at) && m.start() == at && !m.group(1).isEmpty() && !m.group(1).equals(".")) {
            double unit = switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            total += Double.parseDouble(m.group(1)) * unit;
            at = m.end();
        }
        if (s.isEmpty() || at != s.length()) {
            throw new UsageError("invalid value \"" + v + "\" for flag -" + name + ": parse error");
        }
        return (long) (neg ? -total : total);
    }

    /** baseURL checks an http base URL without a path and returns it without a trailing slash. */
    static String baseURL(String flag, String env, String raw) throws UsageError {
        if (raw.isEmpty()) {
            throw new UsageError("--" + flag + " (or $" + env + ") is required for this role");
        }
        try {
            URI u = new URI(raw);
            String path = u.getRawPath();
            if ("http".equals(u.getScheme()) && u.getHost() != null
                    && (path == null || path.isEmpty() || path.equals("/")) && u.getRawQuery() == null) {
                return raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
            }
        } catch (java.net.URISyntaxException e) {
            // fall through
        }
        throw new UsageError("--" + flag + " \"" + raw + "\": want a base URL like http://127.0.0.1:8081");
    }
}
