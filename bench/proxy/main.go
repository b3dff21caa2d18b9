// Command proxy runs one of gauntlet's fault proxies (chaos/local) in front of an upstream,
// with no toxics attached, for bench/run.sh scenario f (proxy overhead). It prints the
// proxy's address on stdout as soon as it listens and runs until SIGTERM or SIGINT.
//
//	go build -o bin/bench-proxy ./bench/proxy
//	bin/bench-proxy -upstream 127.0.0.1:18090 -mode http
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gauntletbench/gauntlet/chaos/local"
)

func main() {
	upstream := flag.String("upstream", "", "address to forward to, 127.0.0.1:PORT")
	mode := flag.String("mode", "tcp", "proxy mode: tcp or http")
	name := flag.String("name", "bench", "service name the proxy stands for")
	flag.Parse()
	if *upstream == "" {
		fmt.Fprintln(os.Stderr, "proxy: -upstream is required")
		os.Exit(2)
	}
	m, err := local.ParseMode(*mode)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	p, err := local.NewProxy(*name, *upstream, m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
	fmt.Println(p.Addr())
	<-ctx.Done()
	st := p.Stats()
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "proxy: close:", err)
	}
	fmt.Fprintf(os.Stderr, "proxy: %s mode, %d connections, %d requests\n", m, st.Connections, st.Requests)
}
