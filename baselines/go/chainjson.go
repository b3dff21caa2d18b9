package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Request validation limits, the same in baselines/jvm.
const (
	maxRequestBody = 64 << 10
	maxIDLength    = 64 // code points, for sku and order_id
	maxQty         = 1_000_000
	unitPrice      = 100 // an order's amount is qty × unitPrice (cents)
	maxAmount      = maxQty * unitPrice
)

// Error messages of the 400 answers, the same in baselines/jvm.
const (
	msgBadBody    = "body must be a JSON object of at most 65536 bytes"
	msgBadSKU     = "sku must be a string of 1 to 64 characters"
	msgBadQty     = "qty must be an integer from 1 to 1000000"
	msgBadOrderID = "order_id must be a string of 1 to 64 characters"
	msgBadAmount  = "amount must be an integer from 0 to 100000000"
)

// jsonObject is a decoded request body. Keys match exactly (encoding/json's struct
// decoding would match them case-insensitively, and the JVM baseline does not); unknown
// keys are ignored and a repeated key keeps its last value.
type jsonObject map[string]json.RawMessage

// readObject reads r's body as one JSON object of at most maxRequestBody bytes.
func readObject(w http.ResponseWriter, r *http.Request) (jsonObject, bool) {
	obj, _, ok := readObjectRaw(w, r)
	return obj, ok
}

// readObjectRaw is readObject that also returns the body as sent.
func readObjectRaw(w http.ResponseWriter, r *http.Request) (jsonObject, []byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return nil, nil, false
	}
	var obj jsonObject
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, nil, false
	}
	return obj, body, true
}

// str returns key's value if it is a JSON string of 1 to maxIDLength code points.
func (o jsonObject) str(key string) (string, bool) {
	raw, ok := o[key]
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	if n := utf8.RuneCountInString(s); n < 1 || n > maxIDLength {
		return "", false
	}
	return s, true
}

// int returns key's value if it is a JSON integer literal (no fraction, no exponent) in
// [lo, hi].
func (o jsonObject) int(key string, lo, hi int64) (int64, bool) {
	raw, ok := o[key]
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, false
	}
	return v, true
}

// readSKUQty reads a {"sku":S,"qty":N} request body, answering 400 and
// returning ok false when it is not one.
func readSKUQty(w http.ResponseWriter, r *http.Request) (sku string, qty int64, ok bool) {
	obj, ok := readObject(w, r)
	if !ok {
		writeError(w, http.StatusBadRequest, msgBadBody)
		return "", 0, false
	}
	if sku, ok = obj.str("sku"); !ok {
		writeError(w, http.StatusBadRequest, msgBadSKU)
		return "", 0, false
	}
	if qty, ok = obj.int("qty", 1, maxQty); !ok {
		writeError(w, http.StatusBadRequest, msgBadQty)
		return "", 0, false
	}
	return sku, qty, true
}

// appendString appends s as a JSON string. It escapes only what JSON requires (quote,
// backslash, control characters), as the JVM baseline does, so both give the same bytes.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c == '\n':
			buf = append(buf, `\n`...)
		case c == '\r':
			buf = append(buf, `\r`...)
		case c == '\t':
			buf = append(buf, `\t`...)
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '"')
}

// writeError answers code with {"error":msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	body := append([]byte(`{"error":`), appendString(nil, msg)...)
	writeJSON(w, code, append(body, '}'))
}

// writeDependencyError answers code with {"error":msg,"dependency":dep} and marks the
// response with FailedDependencyHeader.
func writeDependencyError(w http.ResponseWriter, code int, dep, msg string) {
	body := append([]byte(`{"error":`), appendString(nil, msg)...)
	body = append(body, `,"dependency":`...)
	body = appendString(body, dep)
	w.Header().Set(FailedDependencyHeader, dep)
	writeJSON(w, code, append(body, '}'))
}
