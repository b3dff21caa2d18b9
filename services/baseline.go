package services

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BaselineDirEnv names the environment variable that points at the directory holding the
// built reference implementations; it is searched first.
const BaselineDirEnv = "GAUNTLET_BASELINE_DIR"

// ErrBaselineNotFound is returned (wrapped) by ResolveBaseline when the reference
// implementation's file is in none of the searched directories.
var ErrBaselineNotFound = errors.New("baseline not built")

// baselineImpls are the known reference implementations, in the order error messages list them.
var baselineImpls = []string{"go", "jvm", "python"}

// ResolveBaseline returns the command that runs reference implementation impl ("go", "jvm"
// or "python") in role, with "${addr}" left for Start to substitute:
//
//	go:     [DIR/baseline-go --role ROLE --addr ${addr}]
//	jvm:    [java -Dsun.net.httpserver.nodelay=true -jar DIR/baseline-jvm.jar --role ROLE --addr ${addr}]
//	python: [PYTHON DIR/baseline-python.pyz --role ROLE --addr ${addr}]
//
// PYTHON is the interpreter PythonInterpreter finds.
// DIR is the first of $GAUNTLET_BASELINE_DIR, the directory of the running executable and
// ./bin that holds the file; the path returned is absolute. A missing file gives an error
// wrapping ErrBaselineNotFound that tells the user to run "make build". The role is passed
// through unchecked; the baseline itself rejects unknown roles.
func ResolveBaseline(impl, role string) ([]string, error) {
	if role == "" {
		return nil, errors.New("baseline role must not be empty")
	}
	switch impl {
	case "go":
		bin, err := findBaseline("baseline-go")
		if err != nil {
			return nil, err
		}
		return []string{bin, "--role", role, "--addr", "${addr}"}, nil
	case "jvm":
		jar, err := findBaseline("baseline-jvm.jar")
		if err != nil {
			return nil, err
		}
		return append(append([]string{"java"}, JVMFlags...), "-jar", jar, "--role", role, "--addr", "${addr}"), nil
	case "python":
		app, err := findBaseline("baseline-python.pyz")
		if err != nil {
			return nil, err
		}
		python, err := PythonInterpreter()
		if err != nil {
			return nil, err
		}
		return []string{python, app, "--role", role, "--addr", "${addr}"}, nil
	default:
		return nil, fmt.Errorf("unknown baseline implementation %q (known: %s)", impl, strings.Join(baselineImpls, ", "))
	}
}

// JVMFlags are the JVM options of the JVM baseline. nodelay turns off
// Nagle's algorithm in the JDK HttpServer (without it every response waits
// on a delayed ACK: about 40 ms each). The rest suit a short run of four
// JVMs on a small machine: measured on 2 cores, C2 compilation during a
// 30-second run cost so much CPU that the chain's saturation throughput was
// 431 req/s with the default tiered compiler against 1,186 req/s with C1
// only, and four default heaps of a quarter of RAM each grew to 1.1 GB.
var JVMFlags = []string{"-Dsun.net.httpserver.nodelay=true", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m"}

// baselineDirs lists the directories searched for baselines, in order.
func baselineDirs() []string {
	var dirs []string
	if d := os.Getenv(BaselineDirEnv); d != "" {
		dirs = append(dirs, d)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	return append(dirs, "bin")
}

// findBaseline returns the absolute path of file in the first baseline directory that has it
// as a regular file.
func findBaseline(file string) (string, error) {
	dirs := baselineDirs()
	for _, dir := range dirs {
		path, err := filepath.Abs(filepath.Join(dir, file))
		if err != nil {
			continue
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s not found in %s (run \"make build\"): %w", file, strings.Join(dirs, ", "), ErrBaselineNotFound)
}
