//go:build !kubernetes

// The plain gauntlet binary does not link Kubernetes and Chaos Mesh code (≈ 40 MB of
// binary and 20 MB of resident memory in every process, load generators included).
// Commands that need it — chaos render, k8s render, and run or validate of a scenario
// with faults on Kubernetes services — are handed over to gauntlet-kube, the same CLI
// built with -tags kubernetes (make kube builds it into bin/; make run does not).

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// kubernetesBuild reports whether this binary can talk to Kubernetes itself.
const kubernetesBuild = false

// KubeBinaryEnv names the gauntlet-kube binary to hand Kubernetes commands over to;
// by default it is found beside the gauntlet binary, then on the PATH.
const KubeBinaryEnv = "GAUNTLET_KUBE"

var errNoKube = errors.New("this gauntlet binary has no Kubernetes support and gauntlet-kube was not found beside it or on the PATH " +
	"(build it with \"make kube\", or go build -tags kubernetes -o bin/gauntlet-kube ./cmd/gauntlet; or set " + KubeBinaryEnv + ")")

// cluster is only reached when the hand-over to gauntlet-kube was impossible.
func (k *kubeOptions) cluster(spec *scenarios.Spec, _ int, _ io.Writer) (chaos.Cluster, error) {
	if !slices.ContainsFunc(spec.Faults, spec.OnKubernetes) && k.kubeconfig == "" && !k.inCluster {
		return nil, nil
	}
	return nil, errNoKube
}

// offlineCluster is nil: scenarios with faults on Kubernetes services are validated
// by gauntlet-kube.
func offlineCluster() chaos.Cluster { return nil }

// needsKube reports whether the command line args needs Kubernetes code: the chaos
// and k8s commands, a cluster flag, or run/validate of a scenario with faults on
// Kubernetes services.
func needsKube(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "chaos", "k8s":
		return true
	case "run", "validate":
	default:
		return false
	}
	for _, a := range args[1:] {
		for _, flag := range []string{"--kubeconfig", "--in-cluster"} {
			if a == flag || strings.HasPrefix(a, flag+"=") {
				return true
			}
		}
	}
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		// A flag's value is no scenario and does not open; a scenario with problems
		// is reported by this binary.
		if spec, err := scenarios.Open(a); err == nil && slices.ContainsFunc(spec.Faults, spec.OnKubernetes) {
			return true
		}
	}
	return false
}

// kubeBinary finds gauntlet-kube.
func kubeBinary() (string, bool) {
	if p := os.Getenv(KubeBinaryEnv); p != "" {
		return p, true
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "gauntlet-kube")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, true
		}
	}
	p, err := exec.LookPath("gauntlet-kube")
	return p, err == nil
}

// handOver runs args with gauntlet-kube when they need Kubernetes code and returns
// its exit code; done is false when this binary should run them itself. Signals are
// passed on (the child has its own process group, so a terminal's Ctrl-C reaches it
// once, through here), and gauntlet-kube reverts its faults as gauntlet would.
func handOver(args []string, stdout, stderr io.Writer) (code int, done bool) {
	if !needsKube(args) {
		return 0, false
	}
	bin, ok := kubeBinary()
	if !ok {
		return 0, false
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "gauntlet: start %s: %v\n", bin, err)
		return exitRuntime, true
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-ctx.Done():
				return
			}
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), true
		}
		return ee.ExitCode(), true
	}
	fmt.Fprintf(stderr, "gauntlet: %s: %v\n", bin, err)
	return exitRuntime, true
}

// newChaosCmd and newK8sCmd stand in for the commands of gauntlet-kube, so that help
// lists them; they only run when it could not be found.
func newChaosCmd() *cobra.Command {
	return kubeStub("chaos", "Work with the faults of a scenario (chaos render)")
}

func newK8sCmd() *cobra.Command {
	return kubeStub("k8s", "Run a scenario's load from many generators on Kubernetes (k8s render)")
}

func kubeStub(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:                use,
		Short:              short,
		DisableFlagParsing: true,
		RunE:               func(*cobra.Command, []string) error { return usageErr(errNoKube) },
	}
}
