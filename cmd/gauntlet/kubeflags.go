package main

import (
	"time"

	"github.com/spf13/cobra"
)

// kubeOptions are run's flags for faults on services that run on Kubernetes.
type kubeOptions struct {
	kubeconfig    string
	inCluster     bool
	forceCleanup  bool
	injectTimeout time.Duration
	deleteTimeout time.Duration
}

func (k *kubeOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&k.kubeconfig, "kubeconfig", "", "kubeconfig `PATH` of the cluster where faults on kubernetes services are injected as Chaos Mesh objects")
	f.BoolVar(&k.inCluster, "in-cluster", false, "inject Chaos Mesh objects through the pod's service account (gauntlet running in the cluster)")
	f.BoolVar(&k.forceCleanup, "force-cleanup", false, "remove the finalizer of a Chaos Mesh object Chaos Mesh has not recovered within --delete-timeout")
	f.DurationVar(&k.injectTimeout, "inject-timeout", 30*time.Second, "how long to wait for Chaos Mesh to report an object injected")
	f.DurationVar(&k.deleteTimeout, "delete-timeout", 30*time.Second, "how long to wait for a deleted Chaos Mesh object to be gone")
	group(cmd, groupKubernetes, "kubeconfig", "in-cluster", "force-cleanup", "inject-timeout", "delete-timeout")
}
