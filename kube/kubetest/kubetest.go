//go:build kubeapi

// Package kubetest runs a real Kubernetes API server for the tests of `make
// test-kube`: kube-apiserver and etcd on 127.0.0.1, started by controller-runtime's
// envtest with one set of Chaos Mesh's CRDs installed, and on demand kwok (fake
// nodes that run pods) and Chaos Mesh's chaos-controller-manager against it.
//
// Nothing is downloaded at run time: every binary and CRD comes from the folder
// named by GAUNTLET_KUBE_ASSETS, which `make test-kube` fills (bin/kube) from the
// pinned modules in tools/kube.
package kubetest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/gauntletbench/gauntlet/services"
)

// AssetsEnv names the folder holding etcd, kube-apiserver, kwok,
// chaos-controller-manager and the CRD sets (crd/generated, crd/published).
const AssetsEnv = "GAUNTLET_KUBE_ASSETS"

// CRDSet is one set of Chaos Mesh CRDs: Generated from the chaos-mesh/api module
// gauntlet is built with, or Published, the manifests/crd.yaml clusters install.
type CRDSet struct {
	Name string
	Dir  string
}

// Assets returns the assets folder, failing the test when it is not set.
func Assets(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(AssetsEnv)
	if dir == "" {
		t.Fatalf("%s is not set: run these tests with make test-kube", AssetsEnv)
	}
	return dir
}

// CRDSets returns both sets of CRDs.
func CRDSets(t testing.TB) []CRDSet {
	dir := Assets(t)
	return []CRDSet{
		{Name: "generated", Dir: filepath.Join(dir, "crd", "generated")},
		{Name: "published", Dir: filepath.Join(dir, "crd", "published")},
	}
}

// Published returns the CRD set clusters install.
func Published(t testing.TB) CRDSet { return CRDSets(t)[1] }

// Scheme has the built-in kinds and Chaos Mesh's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// Cluster is a running API server.
type Cluster struct {
	CRDs CRDSet
	// Config and Client act as a cluster administrator.
	Config *rest.Config
	Client client.Client
	// Dynamic reaches any resource, for server-side apply of rendered YAML.
	Dynamic dynamic.Interface
	// Kubeconfig is a kubeconfig file for the administrator, for other processes.
	Kubeconfig string

	t   testing.TB
	env *envtest.Environment
}

// Start starts etcd and kube-apiserver with the CRDs of set installed, and stops
// them when the test ends.
func Start(t testing.TB, set CRDSet) *Cluster {
	t.Helper()
	dir := Assets(t)
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDDirectoryPaths:     []string{set.Dir},
		ErrorIfCRDPathMissing: true,
		Scheme:                Scheme(),
		// envtest's defaults, 20 s to start each component and 10 s for the
		// CRDs to be served, are too short on a busy two-core machine.
		ControlPlaneStartTimeout: 2 * time.Minute,
		CRDInstallOptions:        envtest.CRDInstallOptions{MaxTime: 2 * time.Minute},
	}
	started := time.Now()
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start kube-apiserver and etcd from %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop kube-apiserver and etcd: %v", err)
		}
	})
	t.Logf("kube-apiserver with the %s CRDs up in %s at %s", set.Name, time.Since(started).Round(time.Millisecond), cfg.Host)
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	return &Cluster{CRDs: set, Config: cfg, Client: c, Dynamic: dyn, Kubeconfig: kc, t: t, env: env}
}

// Namespace creates namespace ns.
func (c *Cluster) Namespace(ns string) {
	c.t.Helper()
	if err := c.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		c.t.Fatalf("create namespace %s: %v", ns, err)
	}
}

// Node is the name of the fake node StartKwok creates.
const Node = "kwok-node-0"

// StartKwok creates a fake node and starts kwok, which makes it Ready and runs the
// pods bound to it; it is stopped when the test ends.
func (c *Cluster) StartKwok() {
	c.t.Helper()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: Node, Labels: map[string]string{"type": "kwok"},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}},
	}
	if err := c.Client.Create(context.Background(), node); err != nil {
		c.t.Fatalf("create node: %v", err)
	}
	c.start("kwok", nil, "--kubeconfig", c.Kubeconfig, "--manage-all-nodes=true",
		"--cidr", "10.0.0.1/24", "--node-ip", "10.0.0.1",
		"--server-address", "127.0.0.1:"+strconv.Itoa(freePort(c.t)))
}

// StartChaosMesh starts Chaos Mesh's chaos-controller-manager against the cluster
// (no leader election, no webhook registration, no chaos-daemon): it runs the
// experiments that need only the API server, such as PodChaos pod-kill.
func (c *Cluster) StartChaosMesh() {
	c.t.Helper()
	certs := c.t.TempDir()
	writeSelfSigned(c.t, certs)
	c.start("chaos-controller-manager", []string{
		"KUBECONFIG=" + c.Kubeconfig,
		"CERTS_DIR=" + certs,
		"ENABLE_LEADER_ELECTION=false",
		"SECURITY_MODE=false",
		"WEBHOOK_HOST=127.0.0.1",
		"WEBHOOK_PORT=" + strconv.Itoa(freePort(c.t)),
		"METRICS_HOST=127.0.0.1",
		"METRICS_PORT=" + strconv.Itoa(freePort(c.t)),
	})
}

// start runs one of the assets' binaries until the test ends. On a failed test its
// output is shown. It is stopped by its pid: SIGTERM, then SIGKILL after 2s (the
// controller manager waits over a minute for its metrics server otherwise).
func (c *Cluster) start(name string, env []string, args ...string) {
	c.t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(filepath.Join(Assets(c.t), name), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	c.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(2 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if c.t.Failed() {
			c.t.Logf("%s output (last 4 KiB):\n%s", name, tail(out.String(), 4096))
		}
	})
}

// Pods creates n pods labelled labels in ns, bound to the kwok node, and waits
// until kwok reports them all Running.
func (c *Cluster) Pods(ns string, n int, labels map[string]string) {
	c.t.Helper()
	ctx := context.Background()
	for i := range n {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", labels["app"], i), Namespace: ns, Labels: labels},
			Spec: corev1.PodSpec{
				NodeName:    Node,
				Containers:  []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}},
				Tolerations: []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			},
		}
		if err := c.Client.Create(ctx, pod); err != nil {
			c.t.Fatalf("create pod: %v", err)
		}
	}
	c.Eventually(30*time.Second, "pods Running", func() (bool, string) {
		var pods corev1.PodList
		if err := c.Client.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels(labels)); err != nil {
			return false, err.Error()
		}
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		return running == n, fmt.Sprintf("%d of %d pods Running", running, n)
	})
}

// Eventually polls cond every 100ms until it holds, failing the test with cond's
// last state after d.
func (c *Cluster) Eventually(d time.Duration, what string, cond func() (bool, string)) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: not within %s (%s)", what, d, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePort returns a loopback port that was free a moment ago (below the ephemeral range,
// see services.FreePort).
func freePort(t testing.TB) int {
	t.Helper()
	port, err := services.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// writeSelfSigned writes tls.crt and tls.key for 127.0.0.1 into dir: the
// controller manager's webhook server will not start without them.
func writeSelfSigned(t testing.TB, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "chaos-mesh-controller-manager"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"tls.crt": {Type: "CERTIFICATE", Bytes: der},
		"tls.key": {Type: "EC PRIVATE KEY", Bytes: kb},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
