//go:build !kubernetes

package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestNeedsKube(t *testing.T) {
	t.Parallel()
	local := writeFile(t, "local.yaml", "services: {api: {baseline: micro}}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${api}/\"}]\n")
	onKube := writeFile(t, "kube.yaml", "allow_remote: true\nservices: {api: {url: \"http://api:80\", kubernetes: {selector: {app: api}}}}\n"+
		"load: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${api}/\"}]\nfaults: [{at: 0s, kill: {service: api}}]\n")
	tests := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"run"}, false},
		{[]string{"run", local, "--out", "out/x"}, false},
		{[]string{"run", "quickstart"}, false},
		{[]string{"run", onKube}, true},
		{[]string{"validate", local, onKube}, true},
		{[]string{"run", local, "--kubeconfig", "k"}, true},
		{[]string{"run", local, "--in-cluster=true"}, true},
		{[]string{"chaos", "render", local}, true},
		{[]string{"k8s", "render", local, "-n", "3"}, true},
		{[]string{"report", onKube}, false},
		{[]string{"help", "chaos"}, false},
	}
	for _, tt := range tests {
		if got := needsKube(tt.args); got != tt.want {
			t.Errorf("needsKube(%q) = %v; want %v", tt.args, got, tt.want)
		}
	}
}

func TestKubeStubSaysHowToBuild(t *testing.T) {
	t.Parallel()
	for _, cmd := range []*cobra.Command{newChaosCmd(), newK8sCmd()} {
		err := cmd.RunE(cmd, nil)
		if err == nil || !strings.Contains(err.Error(), `"make kube"`) || exitCode(err) != exitUsage {
			t.Errorf("%s without gauntlet-kube: err = %v (exit %d); want a usage error naming \"make kube\"", cmd.Name(), err, exitCode(err))
		}
	}
}
