package services

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// PythonEnv names the environment variable that points at the Python interpreter of the
// Python baseline; it is tried first.
const PythonEnv = "GAUNTLET_PYTHON"

// PythonModules are the packages the Python baseline imports: FastAPI served by gunicorn
// with a uvicorn worker, aiohttp's client for downstream calls, prometheus_client for
// /metrics.
var PythonModules = []string{"fastapi", "uvicorn", "gunicorn", "aiohttp", "prometheus_client"}

// PythonPackages are the Debian packages that provide PythonModules for /usr/bin/python3.
const PythonPackages = "python3-fastapi uvicorn gunicorn python3-aiohttp python3-prometheus-client"

// ErrNoPython is returned (wrapped) by PythonInterpreter when no interpreter can import
// PythonModules.
var ErrNoPython = errors.New("no Python with the baseline's packages")

// probeScript imports PythonModules and prints the versions the runtime line reports.
const probeScript = `import sys, fastapi, uvicorn, gunicorn, aiohttp, prometheus_client
print("CPython %d.%d.%d; FastAPI %s, uvicorn %s (h11, asyncio), gunicorn %s (1 worker), aiohttp %s" % (
    sys.version_info[:3] + (fastapi.__version__, uvicorn.__version__, gunicorn.__version__, aiohttp.__version__)))`

type pythonFound struct {
	path, version string
	err           error
}

// findPython runs once per process: the probe costs the imports, about half a second.
var findPython = sync.OnceValue(func() pythonFound {
	var candidates []string
	if p := os.Getenv(PythonEnv); p != "" {
		candidates = append(candidates, p)
	}
	// Debian installs its python3-* packages for /usr/bin/python3; a python3 earlier on the
	// PATH (pyenv, a virtualenv) may lack them.
	candidates = append(candidates, "/usr/bin/python3", "python3")
	var tried []string
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "-c", probeScript).CombinedOutput()
		if err != nil {
			last := strings.TrimSpace(string(out))
			if i := strings.LastIndexByte(last, '\n'); i >= 0 {
				last = last[i+1:]
			}
			tried = append(tried, path+": "+last)
			continue
		}
		return pythonFound{path: path, version: strings.TrimSpace(string(out))}
	}
	if len(tried) == 0 {
		tried = append(tried, "no python3 found")
	}
	return pythonFound{err: fmt.Errorf("%w (%s): install them, e.g. apt-get install -y %s, or set $%s",
		ErrNoPython, strings.Join(tried, "; "), PythonPackages, PythonEnv)}
})

// PythonInterpreter returns the first of $GAUNTLET_PYTHON, /usr/bin/python3 and the python3
// on the PATH that imports PythonModules, or an error wrapping ErrNoPython that says how to
// install them.
func PythonInterpreter() (string, error) {
	f := findPython()
	return f.path, f.err
}

// PythonRuntime describes the Python stack of the baseline ("CPython 3.11.2; FastAPI
// 0.92.0, ..."), or "" without one.
func PythonRuntime() string {
	return findPython().version
}
