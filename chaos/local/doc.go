// Package local implements gauntlet's fault kinds on one machine, without Kubernetes:
//
//   - network faults through a userspace fault proxy the engine puts in front of a service
//     (the kernel here has no netem): latency, bandwidth, reset, blackhole, and in HTTP
//     mode http_error, http_delay; slow_close in both modes;
//   - process faults by signals to the process group of a service gauntlet started: kill
//     (optionally restart_after), pause (SIGSTOP/SIGCONT), terminate (SIGTERM), restart;
//   - resource faults: cpu_stress and memory_stress as separate child processes
//     (`<gauntlet> stress …`, see StressMain), and cpu_limit and memory_limit by moving a
//     service into a new cgroup (v1 or v2, where writable; see findCgroup).
//
// Each kind lives in a file of its own (latency.go, kill.go, cpustress.go, …) holding its
// parameters, its fault or toxic and the init that registers it with chaos.Register;
// what a kind is (where it acts, its Chaos Mesh counterpart) is in chaos/faultkind.
// Importing the package registers every kind (blank import in main).
//
// # Wiring it into a run
//
// For each service a network fault names, before the services start: pick its port
// (services.FreePort), set Spec.Port, create the proxy with
// NewProxy(name, "127.0.0.1:PORT", HTTP) (TCP for non-HTTP services), and give every
// consumer the proxy's URL instead of the service's: the Vars of the other services'
// Specs (StartGroup keeps a Vars entry that is already there) and the ${name} of the
// request templates. After the services start, wrap each with NewService so process
// faults can restart it on the same port, and build a chaos.StaticEnv from the proxies,
// the Services and a chaos.Journal opened at out/<run>/faults.state.json.
package local
