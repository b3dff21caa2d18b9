package live

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultHost is the host --metrics-addr listens on when it names only a
// port: the live figures stay on the machine unless asked otherwise.
const DefaultHost = "127.0.0.1"

// Server serves an Exporter's figures at /metrics, with gauntlet's own
// process and Go runtime metrics beside them.
type Server struct {
	srv     *http.Server
	ln      net.Listener
	scrapes atomic.Int64
	done    chan struct{}
}

// Listen starts serving x at addr ("HOST:PORT", or ":PORT" for
// DefaultHost; port 0 picks a free one) and returns once it listens.
func Listen(addr string, x *Exporter) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("metrics address %q: want HOST:PORT or :PORT", addr)
	}
	if host == "" {
		host = DefaultHost
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(x, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	s := &Server{ln: ln, done: make(chan struct{})}
	metricsHandler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		metricsHandler.ServeHTTP(w, r)
		s.scrapes.Add(1)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		// A failed listener ends the live figures, never the run.
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close waits until /metrics has been read once more since Close was
// called — so a scraper gets the run's final figures — or linger has
// passed, then stops the server.
func (s *Server) Close(linger time.Duration) error {
	seen := s.scrapes.Load()
	deadline := time.Now().Add(linger)
	for s.scrapes.Load() == seen && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}
