package main

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// cpuSink keeps the last charge's CPU work result so the loop has an observable effect.
var cpuSink atomic.Uint64

// registerPayment adds POST /charge: {"order_id":S,"amount":N} → 200
// {"charged":true,"order_id":S,"amount":N}, after cfg.cpuWork iterations of the /cpu loop
// and a delay of cfg.latency. If the caller leaves during the delay it answers 499.
func registerPayment(rt *router, cfg config) error {
	rt.handle(http.MethodPost, "/charge", func(w http.ResponseWriter, r *http.Request) {
		obj, ok := readObject(w, r)
		if !ok {
			writeError(w, http.StatusBadRequest, msgBadBody)
			return
		}
		id, ok := obj.str("order_id")
		if !ok {
			writeError(w, http.StatusBadRequest, msgBadOrderID)
			return
		}
		amount, ok := obj.int("amount", 0, maxAmount)
		if !ok {
			writeError(w, http.StatusBadRequest, msgBadAmount)
			return
		}
		if cfg.cpuWork > 0 {
			cpuSink.Store(cpuWork(cfg.cpuWork))
		}
		if cfg.latency > 0 {
			if sleepCtx(r.Context(), cfg.latency) != nil {
				w.WriteHeader(statusClientClosed)
				return
			}
		}
		body := append([]byte(`{"charged":true,"order_id":`), appendString(nil, id)...)
		body = append(body, `,"amount":`...)
		body = strconv.AppendInt(body, amount, 10)
		writeJSON(w, http.StatusOK, append(body, '}'))
	})
	return nil
}
