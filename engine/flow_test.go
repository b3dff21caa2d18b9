package engine

import (
	"testing"
)

const flowScenario = `
name: flow
services:
  api: {url: "${URL}"}
load:
  stages: [{for: 2s, rate: 200}]
  timeout: 2s
requests:
  - name: get-order
    flow:
      - name: create
        method: POST
        url: "${api}/orders"
        json: {sku: "7", qty: 1}
        expect: {status: 201, headers: {Content-Type: application/json}}
        extract: {id: "$.id", loc: "header:Location", sku: "regex:order-(\\d+)"}
      - name: fetch
        url: "${api}/orders/${id}"
        expect: {status: 200, body_contains: created, json: {"$.status": created}}
      - name: follow
        url: "${api}${loc}"
        expect: {status: 200}
`

func TestFlowCreatesAndFetchesOrders(t *testing.T) {
	t.Parallel()
	srv, created := orderServer(t)
	s, rec := runScenario(t, flowScenario, srv.URL, Options{})
	rs := s.Runs[0]
	want := []string{"get-order", "get-order/create", "get-order/fetch", "get-order/follow"}
	if got := rec.Header.Requests; len(got) != len(want) || got[0] != want[0] || got[3] != want[3] {
		t.Fatalf("header requests = %q; want %q", got, want)
	}
	flow := byName(rs, "get-order")
	if flow == nil || flow.Requests != 400 {
		t.Fatalf("flow summary %+v (dropped %d); want the plan's 400 flows (2 s at 200/s)", flow, rs.Dropped)
	}
	for _, name := range want {
		r := byName(rs, name)
		if r == nil || r.Requests != flow.Requests || r.Errors != 0 {
			t.Errorf("%s: %+v; want %d requests, no errors", name, r, flow.Requests)
		}
	}
	if rs.Requests != 3*flow.Requests {
		t.Errorf("run requests = %d; want the steps only: 3 × %d", rs.Requests, flow.Requests)
	}
	if created.Load() != flow.Requests {
		t.Errorf("orders created = %d; want %d", created.Load(), flow.Requests)
	}
	t.Logf("flows %d at %.1f/s, flow p99 %.2f ms, step p99 create %.2f fetch %.2f ms", flow.Requests, flow.RPS,
		flow.Latency.P99, byName(rs, "get-order/create").Latency.P99, byName(rs, "get-order/fetch").Latency.P99)
}

func TestFlowWrongExpectationIsTheStepsError(t *testing.T) {
	t.Parallel()
	srv, _ := orderServer(t)
	src := `
services:
  api: {url: "${URL}"}
load:
  stages: [{for: 1s, rate: 50}]
requests:
  - name: get-order
    flow:
      - {name: create, method: POST, url: "${api}/orders", body: "{}", extract: {id: "$.id"}}
      - {name: fetch, url: "${api}/orders/${id}", expect: {json: {"$.status": shipped}}}
      - {name: never, url: "${api}/orders/${id}"}
`
	s, _ := runScenario(t, src, srv.URL, Options{})
	rs := s.Runs[0]
	fetch, flow := byName(rs, "get-order/fetch"), byName(rs, "get-order")
	if fetch == nil || fetch.Requests == 0 || fetch.ErrorsByClass["expectation_failed"] != fetch.Requests {
		t.Fatalf("fetch = %+v; want every request expectation_failed", fetch)
	}
	if c := byName(rs, "get-order/create"); c == nil || c.Errors != 0 {
		t.Errorf("create = %+v; want no errors", c)
	}
	if byName(rs, "get-order/never") != nil {
		t.Errorf("the step after a failed one ran; want the flow to stop there")
	}
	if flow.ErrorsByClass["expectation_failed"] != flow.Requests {
		t.Errorf("flow errors %v; want all %d expectation_failed", flow.ErrorsByClass, flow.Requests)
	}
	if rs.ErrorsByClass["expectation_failed"] != fetch.Requests {
		t.Errorf("run errors %v; want only the fetch steps' %d", rs.ErrorsByClass, fetch.Requests)
	}
}
