package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOrderChain runs the whole contract against each implementation's order chain, the
// implementations in parallel, the steps of one chain in order (later steps kill and stop
// processes).
func TestOrderChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the baseline processes")
	}
	for _, im := range implementations() {
		t.Run(im.name, func(t *testing.T) {
			t.Parallel()
			im.skipIfMissing(t)
			c := startChain(t, im)
			steps := []struct {
				name string
				run  func(*testing.T, *chain)
			}{
				{"CommonEndpoints", testCommonEndpoints},
				{"RoleEndpoints", testRoleEndpoints},
				{"GCFigures", testGCFigures},
				{"BadOrdersStopAtGateway", testBadOrdersStopAtGateway},
				{"CreateAndFetch", testCreateAndFetch},
				{"OrdersAreBounded", testOrdersAreBounded},
				{"TagPropagation", testTagPropagation},
				{"BreakerOpensAndRecovers", testBreakerOpensAndRecovers},
				{"DrainOnSIGTERM", testDrainOnSIGTERM},
			}
			for _, s := range steps {
				if !t.Run(s.name, func(t *testing.T) { s.run(t, c) }) {
					return // later steps depend on the chain being healthy
				}
			}
		})
	}
}

// cpu1000 is the /cpu?n=1000 result both implementations must compute.
const cpu1000 = `{"n":1000,"result":10992378149551695325}`

const jsonFixture = `{"id":"gauntlet-micro-0001","service":"baseline","kind":"fixture","version":1,` +
	`"active":true,"tags":["load","chaos","latency","throughput"],` +
	`"owner":{"team":"perf","contact":"perf@example.invalid"},"values":[1,2,3,5,8,13,21,34]}`

// check is one request and what its answer must be.
type check struct {
	method, path, body string
	wantCode           int
	wantType           string // Content-Type prefix; "" skips
	wantBody           string // exact body; "" skips
	wantError          string // the "error" field of a JSON body; "" skips
}

func (ck check) run(t *testing.T, p *proc) {
	t.Helper()
	r := do(t, ck.method, p.base()+ck.path, ck.body, "")
	where := fmt.Sprintf("%s %s %s %s", p.role, ck.method, ck.path, ck.body)
	if r.status != ck.wantCode {
		t.Errorf("%s: status = %d; want %d (body %q)", where, r.status, ck.wantCode, r.body)
	}
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, ck.wantType) {
		t.Errorf("%s: Content-Type = %q; want prefix %q", where, got, ck.wantType)
	}
	if ck.wantBody != "" && r.body != ck.wantBody {
		t.Errorf("%s: body = %q; want %q", where, r.body, ck.wantBody)
	}
	if ck.wantError != "" {
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Error != ck.wantError {
			t.Errorf("%s: body = %q; want {\"error\":%q}", where, r.body, ck.wantError)
		}
	}
}

func testCommonEndpoints(t *testing.T, c *chain) {
	checks := []check{
		{method: "GET", path: "/healthz", wantCode: 200, wantType: "text/plain", wantBody: "ok"},
		{method: "HEAD", path: "/healthz", wantCode: 200},
		{method: "GET", path: "/ping", wantCode: 200, wantType: "text/plain", wantBody: "pong"},
		{method: "GET", path: "/json", wantCode: 200, wantType: "application/json", wantBody: jsonFixture},
		{method: "GET", path: "/cpu?n=0", wantCode: 200, wantType: "application/json", wantBody: `{"n":0,"result":14695981039346656037}`},
		{method: "GET", path: "/cpu?n=1000", wantCode: 200, wantType: "application/json", wantBody: cpu1000},
		{method: "GET", path: "/cpu?n=%2B1000", wantCode: 200, wantBody: cpu1000},
		{method: "GET", path: "/cpu", wantCode: 400, wantType: "text/plain"},
		{method: "GET", path: "/cpu?n=abc", wantCode: 400, wantType: "text/plain"},
		{method: "GET", path: "/cpu?n=-1", wantCode: 400, wantType: "text/plain"},
		{method: "GET", path: "/cpu?n=1.5", wantCode: 400, wantType: "text/plain"},
		{method: "GET", path: "/sleep?ms=1", wantCode: 200, wantType: "application/json", wantBody: `{"slept_ms":1}`},
		{method: "GET", path: "/sleep?ms=x", wantCode: 400, wantType: "text/plain"},
		{method: "GET", path: "/sleep?ms=-5", wantCode: 400, wantType: "text/plain"},
		{method: "GET", path: "/gc?mb=1", wantCode: 200, wantType: "application/json", wantBody: `{"mb":1,"nodes":16384}`},
		{method: "GET", path: "/gc?mb=0", wantCode: 200, wantType: "application/json", wantBody: `{"mb":0,"nodes":0}`},
		{method: "GET", path: "/gc?mb=x", wantCode: 400, wantType: "text/plain"},
		{method: "POST", path: "/ping", wantCode: 405, wantType: "text/plain", wantBody: "method not allowed"},
		{method: "DELETE", path: "/metrics", wantCode: 405},
		{method: "GET", path: "/", wantCode: 404},
		{method: "GET", path: "/nope", wantCode: 404},
		{method: "GET", path: "/ping/extra", wantCode: 404},
		{method: "GET", path: "/metrics", wantCode: 200, wantType: "text/plain; version=0.0.4"},
	}
	for _, p := range c.all() {
		for _, ck := range checks {
			ck.run(t, p)
		}
	}
	// /metrics has the documented series on every role.
	for _, p := range c.all() {
		m := metrics(t, p)
		for _, s := range []string{
			`gauntlet_http_requests_total{route="/ping",code="200"}`,
			`gauntlet_http_requests_total{route="/ping",code="405"}`,
			`gauntlet_http_requests_total{route="other",code="404"}`,
			"gauntlet_http_tagged_requests_total",
			"gauntlet_http_in_flight_requests",
			c.im.threadsMetric,
		} {
			if _, ok := m[s]; !ok {
				t.Errorf("%s /metrics lacks %s", p.role, s)
			}
		}
		if _, ok := family(m, c.im.gcCount); !ok {
			t.Errorf("%s /metrics lacks %s", p.role, c.im.gcCount)
		}
		if got := m["gauntlet_http_in_flight_requests"]; got != 1 {
			t.Errorf("%s gauntlet_http_in_flight_requests = %v while idle; want 1 (the scrape)", p.role, got)
		}
	}
	deps := map[*proc][]string{c.gateway: {"order"}, c.order: {"inventory", "payment"}}
	for p, names := range deps {
		m := metrics(t, p)
		for _, d := range names {
			for _, s := range []string{
				`gauntlet_downstream_requests_total{dependency="` + d + `",outcome="success"}`,
				`gauntlet_downstream_requests_total{dependency="` + d + `",outcome="failure"}`,
				`gauntlet_downstream_requests_total{dependency="` + d + `",outcome="circuit_open"}`,
				`gauntlet_downstream_retries_total{dependency="` + d + `"}`,
				`gauntlet_downstream_attempts_total{dependency="` + d + `"}`,
				`gauntlet_downstream_attempt_seconds_max{dependency="` + d + `"}`,
				`gauntlet_circuit_breaker_open{dependency="` + d + `"}`,
				`gauntlet_circuit_breaker_opened_total{dependency="` + d + `"}`,
				`gauntlet_circuit_breaker_open_seconds_total{dependency="` + d + `"}`,
			} {
				if _, ok := m[s]; !ok {
					t.Errorf("%s /metrics lacks %s", p.role, s)
				}
			}
			if got := m[`gauntlet_downstream_timeout_seconds{dependency="`+d+`"}`]; got != 2 {
				t.Errorf("%s gauntlet_downstream_timeout_seconds{dependency=%q} = %v; want 2 (--timeout default)", p.role, d, got)
			}
		}
	}
}

// testGCFigures checks that /gc?mb= makes the runtime collect and that /metrics counts it.
func testGCFigures(t *testing.T, c *chain) {
	p := c.inventory
	before, _ := family(metrics(t, p), c.im.gcCount)
	beforeSum, _ := family(metrics(t, p), c.im.gcSum)
	for range 4 {
		if r, err := fetch("GET", p.base()+"/gc?mb=32", "", ""); err != nil || r.status != 200 {
			t.Fatalf("GET /gc?mb=32 = %v, %v", r, err)
		}
	}
	after, _ := family(metrics(t, p), c.im.gcCount)
	afterSum, _ := family(metrics(t, p), c.im.gcSum)
	if after <= before || afterSum < beforeSum {
		t.Errorf("%s after 128 MiB of garbage: %s %v → %v, %s %v → %v; want more collections", p.role,
			c.im.gcCount, before, after, c.im.gcSum, beforeSum, afterSum)
	}
}

// family sums the samples of the metric family name over its label sets.
func family(m map[string]float64, name string) (float64, bool) {
	var sum float64
	found := false
	for k, v := range m {
		if k == name || strings.HasPrefix(k, name+"{") {
			sum += v
			found = true
		}
	}
	return sum, found
}

func testRoleEndpoints(t *testing.T, c *chain) {
	tests := []struct {
		p     *proc
		check check
	}{
		{c.inventory, check{method: "POST", path: "/reserve", body: `{"sku":"a\"b","qty":3}`, wantCode: 200,
			wantType: "application/json", wantBody: `{"reserved":true,"sku":"a\"b","qty":3}`}},
		{c.inventory, check{method: "POST", path: "/reserve", body: `{"sku":"x","qty":0}`, wantCode: 400,
			wantError: "qty must be an integer from 1 to 1000000"}},
		{c.inventory, check{method: "GET", path: "/reserve", wantCode: 405}},
		{c.payment, check{method: "POST", path: "/charge", body: `{"order_id":"o-1","amount":300}`, wantCode: 200,
			wantType: "application/json", wantBody: `{"charged":true,"order_id":"o-1","amount":300}`}},
		{c.payment, check{method: "POST", path: "/charge", body: `{"amount":300}`, wantCode: 400,
			wantError: "order_id must be a string of 1 to 64 characters"}},
		{c.payment, check{method: "POST", path: "/charge", body: `{"order_id":"o-1","amount":-1}`, wantCode: 400,
			wantError: "amount must be an integer from 0 to 100000000"}},
		{c.order, check{method: "POST", path: "/orders", body: `{"qty":1}`, wantCode: 400,
			wantError: "sku must be a string of 1 to 64 characters"}},
		{c.order, check{method: "GET", path: "/orders/o-unknown", wantCode: 404, wantType: "application/json",
			wantBody: `{"error":"order not found","id":"o-unknown"}`}},
		{c.gateway, check{method: "GET", path: "/orders/o-unknown", wantCode: 404, wantType: "application/json",
			wantBody: `{"error":"order not found","id":"o-unknown"}`}},
		{c.gateway, check{method: "GET", path: "/orders", wantCode: 405}},
		{c.gateway, check{method: "GET", path: "/orders/", wantCode: 404}},
		{c.gateway, check{method: "GET", path: "/orders/a/b", wantCode: 404}},
		{c.gateway, check{method: "POST", path: "/reserve", body: `{}`, wantCode: 404}},
		{c.inventory, check{method: "POST", path: "/orders", body: `{}`, wantCode: 404}},
	}
	for _, tt := range tests {
		tt.check.run(t, tt.p)
	}
}

// orderRequests counts the order service's POST /orders answers of any status.
func orderRequests(t *testing.T, c *chain) float64 {
	t.Helper()
	var n float64
	for s, v := range metrics(t, c.order) {
		if strings.HasPrefix(s, `gauntlet_http_requests_total{route="/orders",`) {
			n += v
		}
	}
	return n
}

func testBadOrdersStopAtGateway(t *testing.T, c *chain) {
	const (
		badBody = "body must be a JSON object of at most 65536 bytes"
		badSKU  = "sku must be a string of 1 to 64 characters"
		badQty  = "qty must be an integer from 1 to 1000000"
	)
	tests := []struct{ body, wantError string }{
		{"", badBody},
		{"not json", badBody},
		{`{"sku":"a","qty":1`, badBody},
		{`{"sku":"a","qty":1} x`, badBody},
		{`["sku","a"]`, badBody},
		{`null`, badBody},
		{`{"sku":"a","qty":1,"pad":"` + strings.Repeat("x", 70_000) + `"}`, badBody},
		{`{"qty":1}`, badSKU},
		{`{"sku":"","qty":1}`, badSKU},
		{`{"sku":7,"qty":1}`, badSKU},
		{`{"SKU":"a","qty":1}`, badSKU},
		{`{"sku":"` + strings.Repeat("é", 65) + `","qty":1}`, badSKU},
		{`{"sku":"a"}`, badQty},
		{`{"sku":"a","qty":0}`, badQty},
		{`{"sku":"a","qty":-3}`, badQty},
		{`{"sku":"a","qty":"1"}`, badQty},
		{`{"sku":"a","qty":1.5}`, badQty},
		{`{"sku":"a","qty":1e2}`, badQty},
		{`{"sku":"a","qty":1000001}`, badQty},
		{`{"sku":"a","qty":99999999999999999999}`, badQty},
	}
	before := orderRequests(t, c)
	for _, tt := range tests {
		check{method: "POST", path: "/orders", body: tt.body, wantCode: 400, wantType: "application/json",
			wantError: tt.wantError}.run(t, c.gateway)
	}
	if after := orderRequests(t, c); after != before {
		t.Errorf("order service got %v POST /orders during the gateway's 400s; want 0", after-before)
	}
}

// order is the documented order JSON.
type order struct {
	ID     string `json:"id"`
	SKU    string `json:"sku"`
	Qty    int64  `json:"qty"`
	Amount int64  `json:"amount"`
	Status string `json:"status"`
}

// createOrder posts {"sku":sku,"qty":qty} to p and returns the 201 answer's order and body.
func createOrder(t *testing.T, p *proc, sku string, qty int64, tag string) (order, string) {
	t.Helper()
	body := fmt.Sprintf(`{"sku":%q,"qty":%d,"note":{"ignored":[1,true,null]}}`, sku, qty)
	r := do(t, "POST", p.base()+"/orders", body, tag)
	if r.status != http.StatusCreated {
		t.Fatalf("%s POST /orders %s = %d %q; want 201", p.role, body, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s POST /orders Content-Type = %q; want application/json", p.role, ct)
	}
	var o order
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("%s POST /orders body %q: %v", p.role, r.body, err)
	}
	return o, r.body
}

func testCreateAndFetch(t *testing.T, c *chain) {
	o, body := createOrder(t, c.gateway, "sku-\t\"7\"", 3, "")
	want := order{ID: o.ID, SKU: "sku-\t\"7\"", Qty: 3, Amount: 300, Status: "confirmed"}
	if o.ID == "" || o != want {
		t.Errorf("created order = %+v; want %+v with a non-empty id", o, want)
	}
	for _, p := range []*proc{c.gateway, c.order} {
		r := do(t, "GET", p.base()+"/orders/"+o.ID, "", "")
		if r.status != http.StatusOK || r.body != body {
			t.Errorf("%s GET /orders/%s = %d %q; want 200 %q", p.role, o.ID, r.status, r.body, body)
		}
	}
	o2, _ := createOrder(t, c.gateway, "sku-7", 1, "")
	if o2.ID == o.ID {
		t.Errorf("two orders got the same id %q", o.ID)
	}
}

func testOrdersAreBounded(t *testing.T, c *chain) {
	var ids []string
	for i := range maxOrders + 1 {
		o, _ := createOrder(t, c.order, fmt.Sprintf("evict-%d", i), 1, "")
		ids = append(ids, o.ID)
	}
	for i, id := range ids {
		want := http.StatusOK
		if i == 0 {
			want = http.StatusNotFound // evicted: --max-orders 3
		}
		if r := do(t, "GET", c.order.base()+"/orders/"+id, "", ""); r.status != want {
			t.Errorf("GET /orders/%s (order %d of %d, --max-orders %d) = %d; want %d", id, i+1, len(ids), maxOrders, r.status, want)
		}
	}
}

func testTagPropagation(t *testing.T, c *chain) {
	tagged := func() map[string]float64 {
		out := make(map[string]float64)
		for _, p := range c.all() {
			out[p.role] = metrics(t, p)["gauntlet_http_tagged_requests_total"]
		}
		return out
	}
	before := tagged()
	const creates, fetches = 5, 2
	var last order
	for i := range creates {
		last, _ = createOrder(t, c.gateway, "tagged", 1, fmt.Sprintf("run-%d", i))
	}
	for range fetches {
		if r := do(t, "GET", c.gateway.base()+"/orders/"+last.ID, "", "run-x"); r.status != http.StatusOK {
			t.Fatalf("tagged GET /orders/%s = %d", last.ID, r.status)
		}
	}
	// Untagged traffic, and a tag header with an empty value, must not count.
	createOrder(t, c.gateway, "untagged", 1, "")
	do(t, "GET", c.gateway.base()+"/orders/"+last.ID, "", "")
	do(t, "GET", c.gateway.base()+"/ping", "", "")
	after := tagged()
	want := map[string]float64{"gateway": creates + fetches, "order": creates + fetches, "inventory": creates, "payment": creates}
	for role, w := range want {
		if got := after[role] - before[role]; got != w {
			t.Errorf("%s tagged requests rose by %v; want %v", role, got, w)
		}
	}
}

func testBreakerOpensAndRecovers(t *testing.T, c *chain) {
	const (
		openSeries    = `gauntlet_circuit_breaker_open{dependency="payment"}`
		retriesSeries = `gauntlet_downstream_retries_total{dependency="payment"}`
		shortSeries   = `gauntlet_downstream_requests_total{dependency="payment",outcome="circuit_open"}`
		failSeries    = `gauntlet_downstream_requests_total{dependency="payment",outcome="failure"}`
		attemptSeries = `gauntlet_downstream_attempts_total{dependency="payment"}`
		openedSeries  = `gauntlet_circuit_breaker_opened_total{dependency="payment"}`
		refusedSeries = `gauntlet_circuit_breaker_open_seconds_total{dependency="payment"}`
	)
	c.payment.kill(t)

	post := func(p *proc) response {
		return do(t, "POST", p.base()+"/orders", `{"sku":"down","qty":1}`, "")
	}
	wantDown := func(r response, where string) {
		t.Helper()
		var e struct{ Error, Dependency string }
		_ = json.Unmarshal([]byte(r.body), &e)
		if r.status != http.StatusServiceUnavailable || e.Dependency != "payment" || e.Error == "" {
			t.Errorf("%s with payment down = %d %q; want 503 with \"dependency\":\"payment\"", where, r.status, r.body)
		}
	}

	m0 := metrics(t, c.order)
	wantDown(post(c.order), "order POST /orders")
	m1 := metrics(t, c.order)
	if got, want := m1[retriesSeries]-m0[retriesSeries], float64(c.im.retries); got != want {
		t.Errorf("payment retries after one failed order = %v; want %v (--retries default)", got, want)
	}
	if got, want := m1[attemptSeries]-m0[attemptSeries], float64(c.im.retries+1); got != want {
		t.Errorf("payment attempts after one failed order = %v; want %v (the first and the retries)", got, want)
	}
	if got := m1[failSeries] - m0[failSeries]; got != 1 {
		t.Errorf("payment failures after one failed order = %v; want 1", got)
	}
	// 5 consecutive failed attempts open the breaker: it takes 2 orders of 3 attempts (5
	// orders of 1 without retries).
	opened := m1[openSeries] == 1
	for i := 0; i < 5 && !opened; i++ {
		wantDown(post(c.order), "order POST /orders")
		opened = metrics(t, c.order)[openSeries] == 1
	}
	if !opened {
		t.Fatalf("payment breaker still closed after 6 failed orders")
	}
	m2 := metrics(t, c.order)
	if got := m2[openedSeries] - m0[openedSeries]; got != 1 {
		t.Errorf("payment breaker opened %v times; want 1", got)
	}
	r := post(c.order)
	wantDown(r, "order POST /orders, breaker open")
	if !strings.Contains(r.body, "circuit breaker open") {
		t.Errorf("order POST /orders, breaker open = %q; want it to say \"circuit breaker open\"", r.body)
	}
	if got := metrics(t, c.order)[shortSeries] - m2[shortSeries]; got != 1 {
		t.Errorf("circuit_open outcomes rose by %v; want 1", got)
	}
	// The gateway passes the order service's 503 through and does not blame the order
	// service: no retries of it and no open breaker at the gateway.
	g0 := metrics(t, c.gateway)
	r = post(c.gateway)
	wantDown(r, "gateway POST /orders")
	g1 := metrics(t, c.gateway)
	if g1[`gauntlet_downstream_retries_total{dependency="order"}`] != g0[`gauntlet_downstream_retries_total{dependency="order"}`] ||
		g1[`gauntlet_circuit_breaker_open{dependency="order"}`] != 0 {
		t.Errorf("gateway retried or opened its breaker on the order service's passed-through 503")
	}

	// Payment comes back on the same address; after the open window the chain recovers.
	c.payment = launch(c.owner, c.im, "payment", c.payment.addr)
	c.payment.waitReady(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := post(c.gateway)
		if r.status == http.StatusCreated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chain not recovered 15s after payment restarted: last answer %d %q", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	m3 := metrics(t, c.order)
	if got := m3[openSeries]; got != 0 {
		t.Errorf("%s after recovery = %v; want 0", openSeries, got)
	}
	// Open from the fifth failed attempt until a trial succeeded after the restart: at least
	// one open window.
	refused := time.Duration(m3[refusedSeries] * float64(time.Second))
	if refused < c.im.breakerOpenFor {
		t.Errorf("%s after recovery = %v; want at least the open window %v", refusedSeries, refused, c.im.breakerOpenFor)
	}
	// Closed, it no longer grows.
	time.Sleep(100 * time.Millisecond)
	if m4 := metrics(t, c.order); m4[refusedSeries] != m3[refusedSeries] {
		t.Errorf("%s grew from %v to %v while closed", refusedSeries, m3[refusedSeries], m4[refusedSeries])
	}
}

func testDrainOnSIGTERM(t *testing.T, c *chain) {
	type result struct {
		p    *proc
		r    response
		err  error // a request or metrics error
		exit error
	}
	results := make(chan result, 4)
	for _, p := range c.all() {
		go func() {
			type answer struct {
				r   response
				err error
			}
			slept := make(chan answer, 1)
			go func() {
				r, err := fetch("GET", p.base()+"/sleep?ms=500", "", "")
				slept <- answer{r, err}
			}()
			// In flight: the sleep and the scrape that sees it.
			if err := waitMetric(p, "gauntlet_http_in_flight_requests", 2); err != nil {
				a := <-slept
				results <- result{p: p, err: errors.Join(err, a.err)}
				return
			}
			exit := p.terminate()
			a := <-slept
			results <- result{p, a.r, a.err, exit}
		}()
	}
	for range 4 {
		res := <-results
		if res.err != nil {
			t.Errorf("%s: %v", res.p.role, res.err)
			continue
		}
		if res.r.status != http.StatusOK || res.r.body != `{"slept_ms":500}` {
			t.Errorf("%s GET /sleep?ms=500 across SIGTERM = %d %q; want 200 {\"slept_ms\":500}", res.p.role, res.r.status, res.r.body)
		}
		if code := exitCode(res.exit); code != 0 {
			t.Errorf("%s exit after SIGTERM = %v (code %d); want 0\n%s", res.p.role, res.exit, code, res.p.stderr)
		}
		if log := res.p.stderr.String(); !strings.Contains(log, res.p.role+" shut down") {
			t.Errorf("%s stderr = %q; want a \"shut down\" line", res.p.role, log)
		}
	}
}

// TestNoDrainOnSIGTERM starts each implementation's micro role with draining turned off
// (--drain-timeout 0): SIGTERM during a request ends the process at once with 0 and the
// request fails instead of being answered.
func TestNoDrainOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the baseline processes")
	}
	for _, im := range implementations() {
		t.Run(im.name, func(t *testing.T) {
			t.Parallel()
			im.skipIfMissing(t)
			p := start(t, im, "micro", freeAddr(t), "--drain-timeout", "0")
			type answer struct {
				r   response
				err error
			}
			slept := make(chan answer, 1)
			go func() {
				r, err := fetch("GET", p.base()+"/sleep?ms=5000", "", "")
				slept <- answer{r, err}
			}()
			if err := waitMetric(p, "gauntlet_http_in_flight_requests", 2); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(p.terminate()); code != 0 {
				t.Errorf("exit after SIGTERM without draining = %d; want 0\n%s", code, p.stderr)
			}
			// The process has exited, so the request cannot still be waiting for its answer.
			if a := <-slept; a.err == nil && a.r.status == http.StatusOK {
				t.Errorf("GET /sleep?ms=5000 across SIGTERM without draining = %d %q; want it cut off", a.r.status, a.r.body)
			}
			if log := p.stderr.String(); !strings.Contains(log, "without draining") {
				t.Errorf("stderr = %q; want a \"without draining\" line", log)
			}
		})
	}
}
