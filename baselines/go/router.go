package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// roles maps a --role value to the function that registers its own endpoints, each in its
// own file. Every role also serves the common and micro-comparison endpoints; micro serves
// only those. A register function returns an error when cfg lacks what the role needs.
var roles = map[string]func(rt *router, cfg config) error{
	"micro":     registerLeak,
	"gateway":   registerGateway,
	"order":     registerOrder,
	"inventory": registerInventory,
	"payment":   registerPayment,
}

// knownRoles lists the role names, sorted, for usage and error messages.
func knownRoles() string {
	names := make([]string, 0, len(roles))
	for name := range roles {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// router is the fixed route table of one role. Every route gets its own counters when it is
// registered, so counting a request is an atomic add with no lookup and no lock.
type router struct {
	mux       *http.ServeMux
	metrics   *serverMetrics
	transport *http.Transport // created by the first dependency
}

// newMux returns the complete handler for role: the common endpoints (/healthz, /metrics),
// the micro-comparison ones, the role's own, 404 for anything else, all counted in /metrics.
func newMux(role string, cfg config) (http.Handler, error) {
	register, ok := roles[role]
	if !ok {
		return nil, fmt.Errorf("unknown role %q (known: %s)", role, knownRoles())
	}
	return buildMux(role, cfg, register)
}

// buildMux is newMux with the role's endpoints registered by register.
func buildMux(role string, cfg config, register func(rt *router, cfg config) error) (http.Handler, error) {
	rt := &router{mux: http.NewServeMux(), metrics: newServerMetrics()}
	rt.handle(http.MethodGet, "/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	rt.handle(http.MethodGet, "/metrics", rt.metrics.serveHTTP)
	registerMicro(rt)
	if err := register(rt, cfg); err != nil {
		return nil, fmt.Errorf("role %s: %w", role, err)
	}
	rt.mux.Handle("/", counted(rt.metrics.route("other"), http.NotFoundHandler()))
	return rt.metrics.instrument(rt.mux), nil
}

// handle registers h for exactly path and method (GET also answers HEAD); other methods get
// 405. path may hold one ServeMux wildcard segment ("/orders/{id}"). The route label in
// /metrics is path. Registering a path twice panics.
func (rt *router) handle(method, path string, h http.HandlerFunc) {
	allowed := func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			writeText(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		h(w, r)
	}
	rt.mux.Handle(path, counted(rt.metrics.route(path), http.HandlerFunc(allowed)))
}

// dependency returns the client for one downstream service at base and adds its series to
// /metrics. Call it only while building the router. The role's dependencies share one
// connection pool.
func (rt *router) dependency(name, base string, cfg config) *downstream {
	if rt.transport == nil {
		rt.transport = newTransport(cfg.timeout)
	}
	stats := rt.metrics.dependency(name, cfg.timeout)
	return &downstream{
		name:    name,
		base:    base,
		client:  &http.Client{Transport: rt.transport},
		timeout: cfg.timeout,
		retries: cfg.retries,
		stats:   stats,
	}
}

// counted wraps h so that each response's status code is added to rs.
func counted(rs *routeStats, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		rs.observe(sw.status())
	})
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (sw *statusWriter) WriteHeader(code int) {
	if sw.code == 0 {
		sw.code = code
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.code == 0 {
		sw.code = http.StatusOK
	}
	return sw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// status is the code sent, or 200 when the handler wrote nothing (net/http then sends 200).
func (sw *statusWriter) status() int {
	if sw.code == 0 {
		return http.StatusOK
	}
	return sw.code
}

// writeText sends body as text/plain with code.
func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// writeJSON sends body, already encoded, as application/json with code.
func writeJSON(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
