package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults shared with baselines/jvm; both must stay equal.
const (
	defaultTimeout   = 2 * time.Second
	defaultRetries   = 2
	defaultMaxOrders = 100_000
	maxRetries       = 10
	maxLatency       = 60 * time.Second
)

// config is what the flags give a role. Roles read only the fields they need.
type config struct {
	orderURL     string        // gateway: base URL of the order service
	inventoryURL string        // order: base URL of the inventory service
	paymentURL   string        // order: base URL of the payment service
	timeout      time.Duration // per downstream attempt
	retries      int           // extra attempts after the first, per downstream call
	cpuWork      int           // payment: /cpu loop iterations per charge
	latency      time.Duration // payment: added delay per charge
	maxOrders    int           // order: orders kept in memory, oldest evicted first
	protocol     string        // protocolHTTP or protocolGRPC: what the role's API and its hops speak
}

// defaultConfig is the configuration with no flags and no environment.
func defaultConfig() config {
	return config{timeout: defaultTimeout, retries: defaultRetries, maxOrders: defaultMaxOrders, protocol: protocolHTTP}
}

// bindFlags registers the role flags on fs. The downstream URLs default to $ORDER_URL,
// $INVENTORY_URL and $PAYMENT_URL.
func (c *config) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.orderURL, "order", os.Getenv("ORDER_URL"), "gateway: order service base URL, e.g. http://127.0.0.1:8081 (default $ORDER_URL)")
	fs.StringVar(&c.inventoryURL, "inventory", os.Getenv("INVENTORY_URL"), "order: inventory service base URL (default $INVENTORY_URL)")
	fs.StringVar(&c.paymentURL, "payment", os.Getenv("PAYMENT_URL"), "order: payment service base URL (default $PAYMENT_URL)")
	fs.DurationVar(&c.timeout, "timeout", c.timeout, "timeout of each downstream attempt")
	fs.IntVar(&c.retries, "retries", c.retries, "retries per downstream call after the first attempt (0–10)")
	fs.IntVar(&c.cpuWork, "cpu-work", c.cpuWork, "payment: /cpu loop iterations per charge")
	fs.DurationVar(&c.latency, "latency", c.latency, "payment: added latency per charge")
	fs.IntVar(&c.maxOrders, "max-orders", c.maxOrders, "order: orders kept in memory; the oldest is evicted first")
	if p := os.Getenv("PROTOCOL"); p != "" {
		c.protocol = p
	}
	fs.StringVar(&c.protocol, "protocol", c.protocol, "what the role's API and its downstream calls speak: http (JSON over HTTP/1.1) or grpc (default $PROTOCOL, then http)")
}

// validate reports every out-of-range value at once.
func (c *config) validate() error {
	var errs []error
	if c.timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be > 0", c.timeout))
	}
	if c.retries < 0 || c.retries > maxRetries {
		errs = append(errs, fmt.Errorf("--retries %d: must be 0 to %d", c.retries, maxRetries))
	}
	if c.cpuWork < 0 || c.cpuWork > maxCPUIterations {
		errs = append(errs, fmt.Errorf("--cpu-work %d: must be 0 to %d", c.cpuWork, maxCPUIterations))
	}
	if c.latency < 0 || c.latency > maxLatency {
		errs = append(errs, fmt.Errorf("--latency %s: must be 0 to %s", c.latency, maxLatency))
	}
	if c.maxOrders < 1 {
		errs = append(errs, fmt.Errorf("--max-orders %d: must be >= 1", c.maxOrders))
	}
	if c.protocol != protocolHTTP && c.protocol != protocolGRPC {
		errs = append(errs, fmt.Errorf("--protocol %q: use %s or %s", c.protocol, protocolHTTP, protocolGRPC))
	}
	return errors.Join(errs...)
}

// baseURL checks that raw, the value of --flag, is an http base URL without a path and
// returns it without a trailing slash.
func baseURL(flagName, env, raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("--%s (or $%s) is required for this role", flagName, env)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("--%s %q: want a base URL like http://127.0.0.1:8081", flagName, raw)
	}
	return strings.TrimSuffix(raw, "/"), nil
}
