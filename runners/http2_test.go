package runners

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"github.com/gauntletbench/gauntlet/metrics"
)

// protoServer answers 200 to HTTP/2 requests and 505 to others, and
// counts the connections it saw.
func protoHandler(mu *sync.Mutex, conns map[string]bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		if r.ProtoMajor != 2 {
			w.WriteHeader(http.StatusHTTPVersionNotSupported)
		}
	})
}

func TestHTTP2(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tlsConns, h2cConns := map[string]bool{}, map[string]bool{}
	tlsSrv := httptest.NewUnstartedServer(protoHandler(&mu, tlsConns))
	tlsSrv.EnableHTTP2 = true
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	h2cSrv := httptest.NewServer(h2c.NewHandler(protoHandler(&mu, h2cConns), &http2.Server{}))
	defer h2cSrv.Close()
	tests := []struct {
		name  string
		url   string
		opt   ClientOptions
		conns map[string]bool
	}{
		{"tls alpn", tlsSrv.URL, ClientOptions{HTTP2: true, InsecureSkipVerify: true, MaxConns: 3}, tlsConns},
		{"h2c", h2cSrv.URL, ClientOptions{H2C: true, MaxConns: 2}, h2cConns},
	}
	for _, tt := range tests {
		tt.opt.Timeout = 5 * time.Second
		o := newOpen(t, tt.url, []metrics.Stage{{ForS: 0.5, Rate: 200}})
		o.Client = NewClient(tt.opt)
		got := collect(t, context.Background(), o)
		for _, r := range got {
			if r.Class != metrics.OK {
				t.Fatalf("%s: result %+v; want OK over HTTP/2", tt.name, r)
			}
		}
		mu.Lock()
		n := len(tt.conns)
		mu.Unlock()
		if n != tt.opt.MaxConns {
			t.Errorf("%s: %d connections; want %d", tt.name, n, tt.opt.MaxConns)
		}
	}
}

func TestHTTP1StaysDefaultAndTLSNeedsNoHTTP2(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	srv := httptest.NewUnstartedServer(protoHandler(&mu, map[string]bool{}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	resp, err := NewClient(ClientOptions{Timeout: 5 * time.Second, InsecureSkipVerify: true}).HTTP.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 1 {
		t.Errorf("proto %s; want HTTP/1.1 unless http2 is set", resp.Proto)
	}
}

func TestHTTP2KeepsTheLoopbackGuard(t *testing.T) {
	t.Parallel()
	c := NewClient(ClientOptions{H2C: true, Timeout: time.Second})
	_, err := c.HTTP.Get("http://192.0.2.1:80/")
	if err == nil || !errorsIs(err, ErrRemoteTarget) {
		t.Errorf("Get(remote) = %v; want ErrRemoteTarget", err)
	}
}
