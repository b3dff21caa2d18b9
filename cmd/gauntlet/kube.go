//go:build kubernetes

// This file is in the gauntlet-kube build (make build: go build -tags kubernetes),
// which links Kubernetes and Chaos Mesh code; the plain gauntlet binary hands the
// commands that need it over to gauntlet-kube (kube_light.go), so a load generator
// that never talks to a cluster does not carry that code.

package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/chaos/chaosmesh"
	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/kube"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// cluster returns where the faults of spec on Kubernetes services are injected: nil
// when it has none; a cluster that only validates for a segment other than the first
// (only segment 1 injects faults); else a connection from --kubeconfig or --in-cluster,
// which one of them must give.
func (k *kubeOptions) cluster(spec *scenarios.Spec, segment int, log io.Writer) (chaos.Cluster, error) {
	if !slices.ContainsFunc(spec.Faults, spec.OnKubernetes) {
		return nil, nil
	}
	opt := chaosmesh.Options{InjectTimeout: k.injectTimeout, DeleteTimeout: k.deleteTimeout, ForceCleanup: k.forceCleanup, Log: log}
	offline := chaosmesh.NewCluster(nil, opt)
	if segment > 1 {
		return offline, nil
	}
	// A scenario's problems come before a missing or unreachable cluster.
	if err := engine.Check(spec, offline); err != nil {
		return nil, err
	}
	switch {
	case k.kubeconfig != "" && k.inCluster:
		return nil, usageErr(fmt.Errorf("set --kubeconfig or --in-cluster, not both"))
	case k.kubeconfig == "" && !k.inCluster:
		return nil, usageErr(fmt.Errorf("scenario %s has faults on kubernetes services: give the cluster with --kubeconfig PATH (or --in-cluster), or print the Chaos Mesh objects with: gauntlet chaos render %s", spec.Name, spec.File))
	}
	if k.kubeconfig != "" {
		if _, err := os.Stat(k.kubeconfig); err != nil {
			return nil, usageErr(fmt.Errorf("--kubeconfig: %w", err))
		}
	}
	c, err := chaosmesh.Connect(k.kubeconfig)
	if err != nil {
		return nil, err
	}
	return chaosmesh.NewCluster(c, opt), nil
}

// kubernetesBuild reports whether this binary can talk to Kubernetes itself.
const kubernetesBuild = true

// offlineCluster builds and validates faults on Kubernetes services without a
// connection (gauntlet validate).
func offlineCluster() chaos.Cluster { return chaosmesh.NewCluster(nil, chaosmesh.Options{}) }

// handOver is for the plain build: this one runs every command itself.
func handOver([]string, io.Writer, io.Writer) (int, bool) { return 0, false }

func newChaosCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chaos",
		Short: "Work with the faults of a scenario",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "render FILE|NAME",
		Short: "Print the Chaos Mesh objects of a scenario's faults on Kubernetes services",
		Long: `Render builds a Chaos Mesh object (chaos-mesh.org/v1alpha1) for every fault of the
scenario whose service has kubernetes: set, checks it with Chaos Mesh's own
defaulting and validation, and prints them as YAML for kubectl apply -f.

latency, loss, bandwidth and blackhole become NetworkChaos; kill, terminate and
pod_failure PodChaos; cpu_stress and memory_stress StressChaos; http_error,
http_delay and reset HTTPChaos. Each object carries its fault's duration; its
start (at:) and repeats (every:, times:) are annotations, because kubectl
applies everything at once. "gauntlet run --kubeconfig PATH" creates each object
when it is due, waits until Chaos Mesh has injected it, and deletes it at its end.`,
		Example: `  gauntlet chaos render shop.yaml > chaos.yaml
  gauntlet chaos render shop.yaml | kubectl apply --dry-run=server -f -`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := scenarios.Open(args[0])
			if err != nil {
				return err
			}
			objs, err := chaosmesh.Objects(spec)
			if err != nil {
				return usageErr(err)
			}
			if len(objs) == 0 {
				return usageErr(fmt.Errorf("%s has no faults on kubernetes services (give a service kubernetes: {namespace, selector})", args[0]))
			}
			return chaosmesh.Render(cmd.OutOrStdout(), objs)
		},
	})
	return cmd
}

func newK8sCmd() *cobra.Command {
	o := kube.JobOptions{}
	cmd := &cobra.Command{
		Use:   "k8s",
		Short: "Run a scenario's load from many generators on Kubernetes",
	}
	render := &cobra.Command{
		Use:   "render FILE|NAME",
		Short: "Print a ConfigMap and an Indexed Job that run a scenario from N generators",
		Long: `Render prints, for kubectl apply -f, a ConfigMap holding the scenario and an
Indexed Job of N gauntlet pods. Pod i (1..N) runs "gauntlet run --segment i/N":
the i-th share of the scenario's load. Each writes its record to the volume
claim, in segment-i/. Collect the records, merge them with "gauntlet merge"
and report the merged record (see the README, "Distributed load").`,
		Example: `  gauntlet k8s render shop.yaml --generators 4 --namespace load | kubectl apply -f -`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := scenarios.Open(args[0])
			if err != nil {
				return err
			}
			src, err := scenarios.Source(args[0])
			if err != nil {
				return err
			}
			if o.StartAt != "" {
				t, err := parseStartAt(o.StartAt)
				if err != nil {
					return usageErr(err)
				}
				o.StartAt = t.UTC().Format(time.RFC3339Nano)
			}
			if o.Generators < 1 {
				return usageErr(fmt.Errorf("--generators must be at least 1, got %d", o.Generators))
			}
			o.InCluster = slices.ContainsFunc(spec.Faults, spec.OnKubernetes)
			if err := kube.Render(cmd.OutOrStdout(), spec, src, o); err != nil {
				return usageErr(err)
			}
			return nil
		},
	}
	f := render.Flags()
	f.IntVarP(&o.Generators, "generators", "n", 2, "number of generator pods (segments)")
	f.StringVar(&o.Namespace, "namespace", "default", "namespace of the ConfigMap and the Job")
	f.StringVar(&o.Image, "image", "ghcr.io/gauntletbench/gauntlet:"+version(), "gauntlet container image")
	f.StringVar(&o.Claim, "claim", "gauntlet-records", "PersistentVolumeClaim the pods write their records to (ReadWriteMany, or all pods on one node)")
	f.StringVar(&o.ServiceAccount, "service-account", "", "service account of the pods (needs rights on Chaos Mesh objects when the scenario has faults on kubernetes services)")
	f.StringVar(&o.StartAt, "start-at", "", "pass --start-at `TIME` to every pod, so they start their load together (RFC 3339 or Unix seconds)")
	f.StringVar(&o.CPU, "cpu", "1", "CPU request and limit of each generator")
	f.StringVar(&o.Memory, "memory", "512Mi", "memory request and limit of each generator")
	cmd.AddCommand(render)
	return cmd
}
