package main

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// registerOrder adds the order service:
//
//	POST /orders       {"sku":S,"qty":N} → inventory POST /reserve {"sku":S,"qty":N},
//	                   then payment POST /charge {"order_id":ID,"amount":N×100};
//	                   201 {"id":ID,"sku":S,"qty":N,"amount":A,"status":"confirmed"}
//	GET  /orders/{id}  → 200 with that order, or 404 {"error":"order not found","id":ID}
//
// A dependency that cannot be reached after retries, or whose breaker is open, gives 503
// {"error":…,"dependency":"inventory"|"payment"}; one that answers something unexpected
// gives 502 of the same shape. Both carry FailedDependencyHeader. A reservation is not
// released when the charge fails: inventory never runs out. Orders are kept in memory, at
// most cfg.maxOrders of them, the oldest evicted first.
func registerOrder(rt *router, cfg config) error {
	invBase, payBase, err := orderDependencies(cfg)
	if err != nil {
		return err
	}
	inventory := rt.dependency("inventory", invBase, cfg)
	payment := rt.dependency("payment", payBase, cfg)
	store := newOrderStore(cfg.maxOrders)

	rt.handle(http.MethodPost, "/orders", func(w http.ResponseWriter, r *http.Request) {
		sku, qty, ok := readSKUQty(w, r)
		if !ok {
			return
		}
		tag := r.Header.Get(TagHeader)
		id := store.nextID()

		reserve := append([]byte(`{"sku":`), appendString(nil, sku)...)
		reserve = append(reserve, `,"qty":`...)
		reserve = append(strconv.AppendInt(reserve, qty, 10), '}')
		if !callStep(w, r, inventory, "/reserve", reserve, tag) {
			return
		}
		charge := append([]byte(`{"order_id":`), appendString(nil, id)...)
		charge = append(charge, `,"amount":`...)
		charge = append(strconv.AppendInt(charge, qty*unitPrice, 10), '}')
		if !callStep(w, r, payment, "/charge", charge, tag) {
			return
		}

		doc := append([]byte(`{"id":`), appendString(nil, id)...)
		doc = append(doc, `,"sku":`...)
		doc = appendString(doc, sku)
		doc = append(doc, `,"qty":`...)
		doc = strconv.AppendInt(doc, qty, 10)
		doc = append(doc, `,"amount":`...)
		doc = strconv.AppendInt(doc, qty*unitPrice, 10)
		doc = append(doc, `,"status":"confirmed"}`...)
		store.put(id, doc)
		writeJSON(w, http.StatusCreated, doc)
	})
	rt.handle(http.MethodGet, "/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if doc, ok := store.get(id); ok {
			writeJSON(w, http.StatusOK, doc)
			return
		}
		body := append([]byte(`{"error":"order not found","id":`), appendString(nil, id)...)
		writeJSON(w, http.StatusNotFound, append(body, '}'))
	})
	return nil
}

// callStep POSTs body to dep and reports whether it answered 2xx; otherwise it has written
// the error answer.
func callStep(w http.ResponseWriter, r *http.Request, dep *downstream, path string, body []byte, tag string) bool {
	rep, err := dep.call(r.Context(), http.MethodPost, path, body, tag)
	switch {
	case err != nil && r.Context().Err() != nil:
		w.WriteHeader(statusClientClosed)
	case err != nil:
		writeDependencyError(w, http.StatusServiceUnavailable, dep.name, dep.name+" unavailable: "+err.Error())
	case rep.status < 200 || rep.status > 299:
		writeDependencyError(w, http.StatusBadGateway, dep.name, dep.name+" answered "+strconv.Itoa(rep.status))
	default:
		return true
	}
	return false
}

// orderStore keeps the last max orders as their JSON documents. A ring of ids remembers
// the insertion order so the oldest can be evicted; memory is bounded by max. It is safe
// for concurrent use.
type orderStore struct {
	prefix string
	seq    atomic.Uint64

	max  int
	mu   sync.RWMutex
	docs map[string][]byte
	ring []string // ids in insertion order; once full, the oldest is at next
	next int
}

func newOrderStore(max int) *orderStore {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails on Linux
	return &orderStore{
		prefix: "o-" + hex.EncodeToString(b[:]) + "-",
		max:    max,
		docs:   make(map[string][]byte),
	}
}

// nextID returns a new order id, unique within this process and, through the random
// prefix, very likely across restarts.
func (s *orderStore) nextID() string {
	return s.prefix + strconv.FormatUint(s.seq.Add(1), 10)
}

func (s *orderStore) put(id string, doc []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ring) < s.max {
		s.ring = append(s.ring, id)
	} else {
		delete(s.docs, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % len(s.ring)
	}
	s.docs[id] = doc
}

func (s *orderStore) get(id string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	doc, ok := s.docs[id]
	return doc, ok
}

// orderDependencies returns the base URLs of the order role's two dependencies, inventory
// and payment, over either protocol.
func orderDependencies(cfg config) (inventory, payment string, err error) {
	if inventory, err = baseURL("inventory", "INVENTORY_URL", cfg.inventoryURL); err != nil {
		return "", "", err
	}
	if payment, err = baseURL("payment", "PAYMENT_URL", cfg.paymentURL); err != nil {
		return "", "", err
	}
	return inventory, payment, nil
}
