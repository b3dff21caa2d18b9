package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos/faultkind"
)

// everyFaultScenario is a valid scenario with a fault of every kind, each with its
// descriptor's example parameters: on a local service (or the host) where gauntlet
// provides the kind, and on a Kubernetes service where Chaos Mesh does.
func everyFaultScenario() string {
	var b strings.Builder
	b.WriteString(`allow_remote: true
services:
  api: {baseline: micro}
  cart: {url: "http://cart.shop.svc", kubernetes: {namespace: shop, selector: {app: cart}, port: 8080}}
load: {stages: [{for: 10s, rate: 10}]}
requests: [{url: "${api}/ping"}]
faults:
`)
	fault := func(kind, service, example string) {
		params := strings.TrimSuffix(strings.TrimPrefix(example, "{"), "}")
		if service != "" {
			params = strings.TrimSuffix("service: "+service+", "+params, ", ")
		}
		fmt.Fprintf(&b, "  - {at: 1s, for: 1s, %s: {%s}}\n", kind, params)
	}
	for _, k := range faultkind.All() {
		switch k.Where {
		case faultkind.Host:
			fault(k.Name, "", k.Example)
		case faultkind.Cluster:
		default:
			fault(k.Name, "api", k.Example)
		}
		if k.ChaosMesh != "" {
			fault(k.Name, "cart", k.Example)
		}
	}
	return b.String()
}

// noPorts runs its arguments in a network namespace where no socket gets a port: the
// loopback is down, so connecting fails, and the only ephemeral ports are reserved, so
// binding to port 0 (as a fault proxy does) fails with "address already in use".
func noPorts(ctx context.Context, args ...string) *exec.Cmd {
	const script = `echo "60000 60001" >/proc/sys/net/ipv4/ip_local_port_range &&
echo 60000-60001 >/proc/sys/net/ipv4/ip_local_reserved_ports && exec "$@"`
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", script, "sh"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	return cmd
}

// TestValidateOpensNoSocket runs gauntlet validate, and chaos render, on a scenario
// with every fault kind where no socket gets a port, so that a check which put a real
// fault proxy (or anything else listening) in front of a service fails the command;
// and checks that a service cannot listen there.
func TestValidateOpensNoSocket(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// Proof that the namespace stops a listener: the baseline exits at once with
	// the error, where it would otherwise serve until killed.
	out, err := noPorts(ctx, filepath.Join(binDir, "baseline-go"), "--role", "micro", "--addr", "127.0.0.1:0").CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &ee):
		t.Skipf("cannot start a process in a network namespace of its own here: %v", err)
	case ctx.Err() != nil || !strings.Contains(string(out), "address already in use"):
		t.Fatalf("a service listening where no socket gets a port: %v\n%s", err, out)
	}

	path := writeFile(t, "every-fault.yaml", everyFaultScenario())
	mapped := 0
	for _, k := range faultkind.All() {
		if k.ChaosMesh != "" {
			mapped++
		}
	}
	if code, _, stderr := gauntlet(t, "validate", path); code != 0 {
		t.Fatalf("validate %s: exit %d\n%s", path, code, stderr)
	}
	for _, args := range [][]string{{"validate", path}, {"chaos", "render", path}} {
		out, err := noPorts(ctx, append([]string{filepath.Join(binDir, "gauntlet-kube")}, args...)...).CombinedOutput()
		if err != nil {
			t.Errorf("%v where no socket gets a port: %v\n%s", args, err, out)
		}
		if args[0] == "chaos" {
			if got, want := strings.Count(string(out), "\nkind: "), mapped; got != want {
				t.Errorf("%v printed %d objects; want %d, one per kind Chaos Mesh provides\n%s", args, got, want, out)
			}
		}
	}
}
