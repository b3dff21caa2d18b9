// Package contract is the black-box contract suite of the baseline services: it builds
// baselines/go, baselines/jvm and baselines/python, starts each order chain as real processes
// on loopback, and checks that all give the same answers over HTTP. Run it with
//
//	go test ./baselines/contract
//
// The JVM part is skipped, with a message, when javac is not on PATH, the Python part when no
// Python has the baseline's packages.
package contract

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gauntletbench/gauntlet/services"
)

// Built once by TestMain for every test.
var (
	goBinary string // path of the Go baseline binary
	jvmJar   string // path of the JVM baseline jar; "" when jvmSkip says why
	jvmSkip  string

	pythonApp    string // path of the Python baseline's zip app; "" when pythonSkip says why
	pythonBinary string // the interpreter that runs it
	pythonSkip   string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gauntlet-contract-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "contract:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "contract:", err)
		return 1
	}
	return m.Run()
}

// build compiles both baselines into dir. Under -race the Go baseline is built with the
// race detector too, and its reports fail the test that started the process.
func build(dir string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("no go tool on PATH: %w", err)
	}
	goBinary = filepath.Join(dir, "baseline-go")
	args := []string{"build", "-o", goBinary}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/gauntletbench/gauntlet/baselines/go")
	if out, err := exec.Command(goTool, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go %v: %w\n%s", args, err, out)
	}

	if err := buildPython(dir); err != nil {
		return err
	}

	if _, err := exec.LookPath("javac"); err != nil {
		jvmSkip = "javac not on PATH: install a JDK 17+ (make test does) to run the JVM half of the contract suite"
		return nil
	}
	if _, err := exec.LookPath("java"); err != nil {
		jvmSkip = "java not on PATH: install a JDK 17+ to run the JVM half of the contract suite"
		return nil
	}
	jvmJar = filepath.Join(dir, "baseline-jvm.jar")
	if out, err := exec.Command("bash", filepath.Join("..", "jvm", "build.sh"), jvmJar).CombinedOutput(); err != nil {
		return fmt.Errorf("baselines/jvm/build.sh: %w\n%s", err, out)
	}
	return nil
}

// buildPython packs the Python baseline into dir, or sets pythonSkip.
func buildPython(dir string) error {
	py, err := services.PythonInterpreter()
	if err != nil {
		pythonSkip = err.Error() + " (make test installs them)"
		return nil
	}
	pythonBinary = py
	pythonApp = filepath.Join(dir, "baseline-python.pyz")
	if out, err := exec.Command("bash", filepath.Join("..", "python", "build.sh"), pythonApp).CombinedOutput(); err != nil {
		return fmt.Errorf("baselines/python/build.sh: %w\n%s", err, out)
	}
	return nil
}
