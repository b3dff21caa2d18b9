package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMicroEndpoints(t *testing.T) {
	t.Parallel()
	handler, err := newMux("micro", defaultConfig())
	if err != nil {
		t.Fatalf("newMux(micro) error = %v", err)
	}
	tests := []struct {
		method, target string
		wantCode       int
		wantType       string // Content-Type prefix; "" skips the check
		wantBody       string // exact body; "" skips the check
	}{
		{"GET", "/healthz", 200, "text/plain", "ok"},
		{"HEAD", "/healthz", 200, "text/plain", ""},
		{"GET", "/ping", 200, "text/plain", "pong"},
		{"GET", "/json", 200, "application/json", string(jsonFixture)},
		{"GET", "/cpu?n=0", 200, "application/json", `{"n":0,"result":14695981039346656037}`},
		{"GET", "/cpu?n=1", 200, "application/json", `{"n":1,"result":12638153115695167455}`},
		{"GET", "/cpu?n=1000", 200, "application/json", `{"n":1000,"result":10992378149551695325}`},
		{"GET", "/cpu", 400, "text/plain", ""},
		{"GET", "/cpu?n=", 400, "text/plain", ""},
		{"GET", "/cpu?n=abc", 400, "text/plain", ""},
		{"GET", "/cpu?n=-1", 400, "text/plain", ""},
		{"GET", "/cpu?n=1.5", 400, "text/plain", ""},
		{"GET", "/cpu?n=-99999999999999999999", 400, "text/plain", ""},
		{"GET", "/sleep?ms=0", 200, "application/json", `{"slept_ms":0}`},
		{"GET", "/sleep?ms=5", 200, "application/json", `{"slept_ms":5}`},
		{"GET", "/sleep", 400, "text/plain", ""},
		{"GET", "/sleep?ms=x", 400, "text/plain", ""},
		{"GET", "/sleep?ms=-5", 400, "text/plain", ""},
		{"GET", "/gc?mb=2", 200, "application/json", `{"mb":2,"nodes":32768}`},
		{"GET", "/gc", 400, "text/plain", ""},
		{"POST", "/ping", 405, "text/plain", "method not allowed"},
		{"GET", "/", 404, "", ""},
		{"GET", "/nope", 404, "", ""},
		{"GET", "/ping/extra", 404, "", ""},
		{"GET", "/metrics", 200, "text/plain; version=0.0.4", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
			if rec.Code != tt.wantCode {
				t.Errorf("%s %s: code = %d; want %d (body %q)", tt.method, tt.target, rec.Code, tt.wantCode, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("%s %s: Content-Type = %q; want prefix %q", tt.method, tt.target, got, tt.wantType)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("%s %s: body = %q; want %q", tt.method, tt.target, rec.Body, tt.wantBody)
			}
		})
	}
}

func TestJSONFixtureIsValidAndSmall(t *testing.T) {
	t.Parallel()
	var v map[string]any
	if err := json.Unmarshal(jsonFixture, &v); err != nil {
		t.Fatalf("jsonFixture does not decode: %v", err)
	}
	if n := len(jsonFixture); n < 150 || n > 300 {
		t.Errorf("len(jsonFixture) = %d; want about 200", n)
	}
}

func TestIntParamClamps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query  string
		want   int
		wantOK bool
	}{
		{"n=7", 7, true},
		{"n=100", 100, true},
		{"n=101", 100, true},
		{"n=99999999999999999999999", 100, true},
		{"n=-1", 0, false},
		{"n=", 0, false},
		{"", 0, false},
		{"n=0x10", 0, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/cpu?"+tt.query, nil)
		got, ok := intParam(r, "n", 100)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("intParam(%q, limit 100) = %d, %v; want %d, %v", tt.query, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestSleepStopsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	handler, err := newMux("micro", defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()

	req, err := http.NewRequest("GET", srv.URL+"/sleep?ms=60000", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Leave once the handler is surely sleeping.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Fatalf("GET /sleep?ms=60000 returned %s; want a cancelled request", resp.Status)
	}
	// The handler records 499 once it notices; poll /metrics until it does.
	waitForMetric(t, srv.URL, `gauntlet_http_requests_total{route="/sleep",code="499"} 1`)
}

func TestUnknownRole(t *testing.T) {
	t.Parallel()
	if _, err := newMux("warehouse", defaultConfig()); err == nil || !strings.Contains(err.Error(), "micro") {
		t.Errorf(`newMux("warehouse", defaultConfig()) error = %v; want an error listing the known roles`, err)
	}
}
