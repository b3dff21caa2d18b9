package main

import (
	"net/http"
	"net/url"
)

// registerGateway adds the public face of the order chain:
//
//	POST /orders       {"sku":S,"qty":N} → the order service's POST /orders, same body
//	GET  /orders/{id}  → the order service's GET /orders/{id}
//
// It validates the body itself (400 without calling downstream) and passes the order
// service's answer through: status, Content-Type, body and FailedDependencyHeader. If the
// order service cannot be reached it answers 503 {"error":…,"dependency":"order"}.
func registerGateway(rt *router, cfg config) error {
	base, err := baseURL("order", "ORDER_URL", cfg.orderURL)
	if err != nil {
		return err
	}
	order := rt.dependency("order", base, cfg)

	rt.handle(http.MethodPost, "/orders", func(w http.ResponseWriter, r *http.Request) {
		body, msg := readOrderRequest(w, r)
		if msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		forward(w, r, order, http.MethodPost, "/orders", body)
	})
	rt.handle(http.MethodGet, "/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		forward(w, r, order, http.MethodGet, "/orders/"+url.PathEscape(r.PathValue("id")), nil)
	})
	return nil
}

// forward calls dep and writes its answer, or a 503 naming dep.
func forward(w http.ResponseWriter, r *http.Request, dep *downstream, method, path string, body []byte) {
	rep, err := dep.call(r.Context(), method, path, body, r.Header.Get(TagHeader))
	if err != nil {
		if r.Context().Err() != nil {
			w.WriteHeader(statusClientClosed)
			return
		}
		writeDependencyError(w, http.StatusServiceUnavailable, dep.name, dep.name+" unavailable: "+err.Error())
		return
	}
	if rep.contentType != "" {
		w.Header().Set("Content-Type", rep.contentType)
	}
	if rep.failedDep != "" {
		w.Header().Set(FailedDependencyHeader, rep.failedDep)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// readOrderRequest reads and validates {"sku":S,"qty":N}, returning the body as sent, or
// the 400 message.
func readOrderRequest(w http.ResponseWriter, r *http.Request) (body []byte, msg string) {
	obj, raw, ok := readObjectRaw(w, r)
	if !ok {
		return nil, msgBadBody
	}
	if _, ok := obj.str("sku"); !ok {
		return nil, msgBadSKU
	}
	if _, ok := obj.int("qty", 1, maxQty); !ok {
		return nil, msgBadQty
	}
	return raw, ""
}
