package engine

import (
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/services"
)

// host describes the machine the generator runs on, for the record header.
func host() metrics.Host {
	h := metrics.Host{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU()}
	// The machine's cores, not the ones this process is pinned to.
	if n, err := cpu.Counts(true); err == nil && n > 0 {
		h.CPUs = n
	}
	h.Hostname, _ = os.Hostname()
	if infos, err := cpu.Info(); err == nil && len(infos) > 0 {
		h.CPUModel = strings.TrimSpace(infos[0].ModelName)
	}
	if vm, err := mem.VirtualMemory(); err == nil {
		h.MemoryByte = vm.Total
	}
	return h
}

// defaultImpl is the reference implementation baseline services run when a
// scenario names no variants.
const defaultImpl = "go"

// impl is the reference implementation a variant's baseline services run.
func impl(variant string) string {
	switch variant {
	case "go", "jvm", "python":
		return variant
	}
	return defaultImpl
}

// usesBaselines reports whether the scenario runs reference services.
func (p *plan) usesBaselines() bool {
	for _, s := range p.spec.Services {
		if s.Baseline != "" {
			return true
		}
	}
	return false
}

// unavailable says why variant cannot run on this machine, or "" when it
// can: the JVM variant needs a JDK and the JVM baseline jar, the Python
// variant a Python with the baseline's packages and the baseline's zip app.
func (p *plan) unavailable(variant string) string {
	if !p.usesBaselines() {
		return ""
	}
	switch impl(variant) {
	case "jvm":
		if _, err := exec.LookPath("java"); err != nil {
			return "no JDK on this machine (java not found): install a JDK 17+, e.g. apt-get install -y default-jdk-headless"
		}
	case "python":
	default:
		return ""
	}
	if _, err := services.ResolveBaseline(impl(variant), "micro"); err != nil {
		return err.Error()
	}
	return ""
}

// runtimes names the runtime of each reference implementation the scenario
// uses: the Go toolchain the baselines are built with, and `java -version`.
func (p *plan) runtimes() map[string]string {
	if !p.usesBaselines() {
		return nil
	}
	out := map[string]string{}
	for _, v := range p.variants {
		switch impl(v) {
		case "go":
			out["go"] = runtime.Version()
		case "jvm":
			if b, err := exec.Command("java", "-version").CombinedOutput(); err == nil {
				out["jvm"] = strings.Join(strings.Fields(strings.SplitN(string(b), "\n", 2)[0]), " ") +
					"; flags: " + strings.Join(services.JVMFlags, " ")
			}
		case "python":
			if v := services.PythonRuntime(); v != "" {
				out["python"] = v
			}
		}
	}
	return out
}
