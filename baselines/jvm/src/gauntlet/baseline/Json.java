package gauntlet.baseline;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Json is the minimal JSON the baselines need, by hand (JDK only): a strict parser of one
 * object whose top-level values are kept as strings or number literals (nested values are
 * validated and skipped), and a string writer that escapes exactly what the Go baseline
 * escapes, so both give the same bytes. Keys match exactly; a repeated key keeps its last value.
 */
final class Json {
    static final int MAX_BODY = 64 << 10;
    static final int MAX_ID_LENGTH = 64; // code points, for sku and order_id
    static final long MAX_QTY = 1_000_000;
    static final long UNIT_PRICE = 100; // an order's amount is qty × UNIT_PRICE (cents)
    static final long MAX_AMOUNT = MAX_QTY * UNIT_PRICE;

    static final String MSG_BAD_BODY = "body must be a JSON object of at most 65536 bytes";
    static final String MSG_BAD_SKU = "sku must be a string of 1 to 64 characters";
    static final String MSG_BAD_QTY = "qty must be an integer from 1 to 1000000";
    static final String MSG_BAD_ORDER_ID = "order_id must be a string of 1 to 64 characters";
    static final String MSG_BAD_AMOUNT = "amount must be an integer from 0 to 100000000";

    /** Num is a number literal, kept as written. */
    record Num(String text) {}

    /** Obj is a parsed object: top-level values are String, Num, or OTHER for anything else. */
    static final class Obj {
        static final Object OTHER = new Object();
        final Map<String, Object> values = new HashMap<>();

        /** str returns key's value if it is a string of 1 to MAX_ID_LENGTH code points, else null. */
        String str(String key) {
            if (values.get(key) instanceof String s) {
                int n = s.codePointCount(0, s.length());
                return n >= 1 && n <= MAX_ID_LENGTH ? s : null;
            }
            return null;
        }

        /** integer returns key's value if it is an integer literal in [lo, hi], else null. */
        Long integer(String key, long lo, long hi) {
            if (values.get(key) instanceof Num n && n.text().matches("-?[0-9]+")) {
                try {
                    long v = Long.parseLong(n.text());
                    return v >= lo && v <= hi ? v : null;
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            return null;
        }
    }

    /** parseObject parses body as one JSON object, or returns null. */
    static Obj parseObject(byte[] body) {
        if (body == null) {
            return null;
        }
        Parser p = new Parser(new String(body, StandardCharsets.UTF_8));
        try {
            p.ws();
            Obj o = new Obj();
            p.object(o.values);
            p.ws();
            return p.i == p.s.length() ? o : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static final class Parser {
        final String s;
        int i;

        Parser(String s) {
            this.s = s;
        }

        IllegalArgumentException bad() {
            return new IllegalArgumentException("invalid JSON at " + i);
        }

        void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                i++;
            }
        }

        void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) {
                throw bad();
            }
            i++;
        }

        /** object parses {...}; into, if not null, receives the top-level values. */
        void object(Map<String, Object> into) {
            expect('{');
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return;
            }
            while (true) {
                ws();
                String key = string();
                ws();
                expect(':');
                ws();
                Object v = value();
                if (into != null) {
                    into.put(key, v);
                }
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                    continue;
                }
                expect('}');
                return;
            }
        }

        void array() {
            expect('[');
            ws();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return;
            }
            while (true) {
                ws();
                value();
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                    continue;
                }
                expect(']');
                return;
            }
        }

        Object value() {
            if (i >= s.length()) {
                throw bad();
            }
            char c = s.charAt(i);
            switch (c) {
                case '{':
                    object(null);
                    return Obj.OTHER;
                case '[':
                    array();
                    return Obj.OTHER;
                case '"':
                    return string();
                case 't':
                    literal("true");
                    return Obj.OTHER;
                case 'f':
                    literal("false");
                    return Obj.OTHER;
                case 'n':
                    literal("null");
                    return Obj.OTHER;
                default:
                    return number();
            }
        }

        void literal(String lit) {
            if (!s.startsWith(lit, i)) {
                throw bad();
            }
            i += lit.length();
        }

        Num number() {
            int start = i;
            if (i < s.length() && s.charAt(i) == '-') {
                i++;
            }
            if (i < s.length() && s.charAt(i) == '0') {
                i++;
            } else if (digits() == 0) {
                throw bad();
            }
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                if (digits() == 0) {
                    throw bad();
                }
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                if (digits() == 0) {
                    throw bad();
                }
            }
            return new Num(s.substring(start, i));
        }

        int digits() {
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            return i - start;
        }

        String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw bad();
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    throw bad();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) {
                    throw bad();
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw bad();
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw bad();
                        }
                        i += 4;
                    }
                    default -> throw bad();
                }
            }
        }
    }

    /** quote appends s as a JSON string, escaping quote, backslash and control characters. */
    static StringBuilder quote(StringBuilder b, String s) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }

    /** A {"sku":S,"qty":N} request body, or the 400 answer when it is not one. */
    static final class SkuQty {
        final String sku;
        final long qty;
        final Router.Response error;

        private SkuQty(String sku, long qty, Router.Response error) {
            this.sku = sku;
            this.qty = qty;
            this.error = error;
        }

        static SkuQty parse(byte[] body) {
            Obj o = parseObject(body);
            if (o == null) {
                return new SkuQty(null, 0, error(400, MSG_BAD_BODY));
            }
            String sku = o.str("sku");
            if (sku == null) {
                return new SkuQty(null, 0, error(400, MSG_BAD_SKU));
            }
            Long qty = o.integer("qty", 1, MAX_QTY);
            if (qty == null) {
                return new SkuQty(null, 0, error(400, MSG_BAD_QTY));
            }
            return new SkuQty(sku, qty, null);
        }
    }

    static Router.Response error(int status, String msg) {
        return Router.Response.json(status, quote(new StringBuilder("{\"error\":"), msg).append('}').toString());
    }

    /** dependencyError answers {"error":msg,"dependency":dep} with the failed-dependency header. */
    static Router.Response dependencyError(int status, String dep, String msg) {
        StringBuilder b = quote(new StringBuilder("{\"error\":"), msg).append(",\"dependency\":");
        quote(b, dep).append('}');
        return new Router.Response(status, "application/json", b.toString().getBytes(StandardCharsets.UTF_8),
                new String[] {Downstream.FAILED_DEPENDENCY_HEADER, dep});
    }
}
