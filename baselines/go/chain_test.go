package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestBreakerTransitions(t *testing.T) {
	t.Parallel()
	b := newBreaker()
	t0 := time.Unix(1000, 0)
	for i := range breakerThreshold - 1 {
		if !b.allow(t0) {
			t.Fatalf("allow after %d failures = false; want true", i)
		}
		b.failure(t0)
	}
	b.success(t0) // resets the consecutive count
	for range breakerThreshold {
		b.allow(t0)
		b.failure(t0)
	}
	if !b.isOpen() || b.allow(t0.Add(breakerOpenFor-time.Millisecond)) {
		t.Fatalf("after %d consecutive failures: open = %v, allow within the window = true; want open and refused", breakerThreshold, b.isOpen())
	}
	after := t0.Add(breakerOpenFor)
	if !b.allow(after) {
		t.Fatal("allow after the open window = false; want the half-open trial")
	}
	if b.allow(after) {
		t.Fatal("second allow while the trial is in flight = true; want false")
	}
	b.failure(after) // the trial failed: open again from now
	if b.allow(after.Add(breakerOpenFor - time.Millisecond)) {
		t.Fatal("allow within the new window = true; want false")
	}
	later := after.Add(breakerOpenFor)
	if !b.allow(later) {
		t.Fatal("allow after the new window = false; want a trial")
	}
	b.abandon() // the trial's caller left: the next caller gets a trial at once
	if !b.allow(later) {
		t.Fatal("allow after an abandoned trial = false; want a new trial")
	}
	closed := later.Add(250 * time.Millisecond)
	if opened, refused := b.history(closed); opened != 1 || refused != closed.Sub(t0) {
		t.Errorf("history while half-open = %d opened, %s refused; want 1, %s", opened, refused, closed.Sub(t0))
	}
	b.success(closed)
	if b.isOpen() || !b.allow(later) {
		t.Fatal("after a successful trial the breaker is not closed")
	}
	// Closed, the refusing time stops growing; re-opening from the half-open state did
	// not count as opening again.
	if opened, refused := b.history(closed.Add(time.Hour)); opened != 1 || refused != closed.Sub(t0) {
		t.Errorf("history after closing = %d opened, %s refused; want 1, %s", opened, refused, closed.Sub(t0))
	}
}

func TestOrderStoreEvictsOldest(t *testing.T) {
	t.Parallel()
	s := newOrderStore(3)
	var ids []string
	for i := range 5 {
		id := s.nextID()
		ids = append(ids, id)
		s.put(id, []byte(strconv.Itoa(i)))
	}
	for i, id := range ids {
		doc, ok := s.get(id)
		if wantOK := i >= 2; ok != wantOK || (ok && string(doc) != strconv.Itoa(i)) {
			t.Errorf("get(%s) = %q, %v; want present %v", id, doc, ok, wantOK)
		}
	}
	if len(s.docs) != 3 || len(s.ring) != 3 {
		t.Errorf("store holds %d docs, ring %d; want 3 and 3", len(s.docs), len(s.ring))
	}
}

func TestAppendString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"abc", `"abc"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"a\nb\tc\r", `"a\nb\tc\r"`},
		{"\x01", `"\u0001"`},
		{"<é>", `"<é>"`},
	}
	for _, tt := range tests {
		if got := string(appendString(nil, tt.in)); got != tt.want {
			t.Errorf("appendString(%q) = %s; want %s", tt.in, got, tt.want)
		}
	}
}

func TestChainRolesNeedTheirDependencies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role    string
		cfg     config
		wantErr string
	}{
		{"gateway", config{}, "--order (or $ORDER_URL) is required"},
		{"gateway", config{orderURL: "127.0.0.1:1"}, "want a base URL"},
		{"gateway", config{orderURL: "http://127.0.0.1:1/api"}, "want a base URL"},
		{"order", config{paymentURL: "http://127.0.0.1:1"}, "--inventory (or $INVENTORY_URL) is required"},
		{"order", config{inventoryURL: "http://127.0.0.1:1"}, "--payment (or $PAYMENT_URL) is required"},
	}
	for _, tt := range tests {
		cfg := defaultConfig()
		cfg.orderURL, cfg.inventoryURL, cfg.paymentURL = tt.cfg.orderURL, tt.cfg.inventoryURL, tt.cfg.paymentURL
		if _, err := newMux(tt.role, cfg); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("newMux(%s, %+v) error = %v; want it to contain %q", tt.role, tt.cfg, err, tt.wantErr)
		}
	}
}

// TestGatewayFailsFastWithoutOrder checks the 503 shape when the order service is down,
// without processes: the gateway points at a closed httptest server.
func TestGatewayFailsFastWithoutOrder(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	cfg := defaultConfig()
	cfg.orderURL = dead.URL
	h, err := newMux("gateway", cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/orders", strings.NewReader(`{"sku":"a","qty":1}`)))
	want := `{"error":"order unavailable: connection failed","dependency":"order"}`
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != want || rec.Header().Get(FailedDependencyHeader) != "order" {
		t.Errorf("POST /orders with order down = %d %s (header %q); want 503 %s", rec.Code, rec.Body, rec.Header().Get(FailedDependencyHeader), want)
	}
	// One call, sent three times (the first attempt and --retries 2), each refused at once.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, series := range []string{
		`gauntlet_downstream_requests_total{dependency="order",outcome="failure"} 1` + "\n",
		`gauntlet_downstream_attempts_total{dependency="order"} 3` + "\n",
		`gauntlet_downstream_timeout_seconds{dependency="order"} 2` + "\n",
		`gauntlet_circuit_breaker_opened_total{dependency="order"} 0` + "\n",
		`gauntlet_circuit_breaker_open_seconds_total{dependency="order"} 0` + "\n",
	} {
		if !strings.Contains(rec.Body.String(), series) {
			t.Errorf("/metrics lacks %q:\n%s", series, rec.Body)
		}
	}
}

func TestBackoffStaysInItsBand(t *testing.T) {
	t.Parallel()
	for n := range 4 {
		full := backoffBase << n
		for range 100 {
			if d := backoff(n); d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %s; want within [%s, %s]", n, d, full/2, full)
			}
		}
	}
}
