package main

import (
	"net/http"
	"strconv"
)

// registerInventory adds POST /reserve: {"sku":S,"qty":N} → 200
// {"reserved":true,"sku":S,"qty":N}. Stock never runs out and nothing is kept per sku, so
// memory stays flat however many skus a run uses: it is a benchmark target.
func registerInventory(rt *router, _ config) error {
	rt.handle(http.MethodPost, "/reserve", func(w http.ResponseWriter, r *http.Request) {
		sku, qty, ok := readSKUQty(w, r)
		if !ok {
			return
		}
		body := append([]byte(`{"reserved":true,"sku":`), appendString(nil, sku)...)
		body = append(body, `,"qty":`...)
		body = strconv.AppendInt(body, qty, 10)
		writeJSON(w, http.StatusOK, append(body, '}'))
	})
	return nil
}
