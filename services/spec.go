// Package services starts the processes under test, waits until they are ready, watches
// them for crashes and stops them: one service with Start, several in dependency order with
// StartGroup. Every process listens on its own free 127.0.0.1 port, runs in its own process
// group and has its combined output kept in a bounded tail.
package services

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gauntletbench/gauntlet/affinity"
	"github.com/gauntletbench/gauntlet/chaos"
)

// Spec describes one process to start. Command, Env values and Ready may contain the
// placeholders ${port} and ${addr} (the 127.0.0.1 port chosen for the process, and
// "127.0.0.1:PORT") and ${NAME} for any key NAME of Vars; an unknown placeholder is an error.
type Spec struct {
	// Name identifies the service in events and in a Group; it must not be empty.
	Name string
	// Command is the program and its arguments; Command[0] is looked up in PATH.
	Command []string
	// Env is added to os.Environ(), overriding variables of the same name.
	Env map[string]string
	// Dir is the working directory; empty means the caller's.
	Dir string
	// Ready is the URL polled until it answers 200; empty means "http://${addr}/healthz".
	Ready string
	// StartTimeout bounds exec → ready; zero means 30 s.
	StartTimeout time.Duration
	// StopTimeout is the grace between SIGTERM and SIGKILL in Stop; zero means 10 s.
	StopTimeout time.Duration
	// Vars holds extra placeholders, e.g. other services' base URLs. The names port and
	// addr are reserved.
	Vars map[string]string
	// LogPath, if set, receives a copy of everything the process writes to stdout and
	// stderr, appended; missing directories are created. Writing stops at the first error
	// so that a full disk never blocks the process.
	LogPath string
	// Port fixes the port to listen on, e.g. to restart a service where its clients expect
	// it; zero picks a free one.
	Port int
	// CPUs, if set, are the only CPUs the process and every process and thread it starts
	// may run on (Linux); empty leaves them on the CPUs gauntlet may use.
	CPUs affinity.Set
}

// Event kinds, the values of Event.Kind.
const (
	// EventStarted: the command was executed; PID is set.
	EventStarted = "started"
	// EventReady: Ready answered 200; StartupMs is set.
	EventReady = "ready"
	// EventExited: the process ended on its own after it was ready and before Stop;
	// Unexpected, ExitCode, Signal and OutputTail are set. Reported at most once.
	EventExited = "exited"
	// EventStopped: Stop ended the process; ExitCode and Signal are set.
	EventStopped = "stopped"
	// EventFailed: the process could not be started or was not ready in time and has been
	// killed; Message and OutputTail are set.
	EventFailed = "failed"
)

// Event is what happened to a service; the engine writes each one to the run record as it
// happens. Fields other than Time, Service, Kind and PID are set only for the kinds that
// name them.
type Event struct {
	Time    time.Time
	Service string
	// Kind is one of the Event* constants.
	Kind string
	PID  int
	// StartupMs is exec → first 200 from Ready in milliseconds, on "ready".
	StartupMs float64
	// ExitCode is the exit status on "exited" and "stopped", or -1 if a signal ended it.
	ExitCode int
	// Signal names the signal that ended the process ("killed", "terminated"), if any.
	Signal string
	// Unexpected is true on "exited".
	Unexpected bool
	// Message is human text, e.g. the error on "failed".
	Message string
	// OutputTail is the last few KiB of combined stdout and stderr on "exited" and "failed".
	OutputTail string
}

const (
	defaultReady        = "http://${addr}/healthz"
	defaultStartTimeout = 30 * time.Second
	defaultStopTimeout  = 10 * time.Second
)

// withDefaults fills the zero fields of spec that have defaults.
func withDefaults(spec Spec) Spec {
	if spec.Ready == "" {
		spec.Ready = defaultReady
	}
	if spec.StartTimeout <= 0 {
		spec.StartTimeout = defaultStartTimeout
	}
	if spec.StopTimeout <= 0 {
		spec.StopTimeout = defaultStopTimeout
	}
	return spec
}

// launch is a Spec with every placeholder replaced.
type launch struct {
	command []string
	env     []string // complete environment, os.Environ() first
	ready   string
}

// resolve substitutes the placeholders of spec for a process listening on port.
func resolve(spec Spec, port int) (launch, error) {
	if spec.Name == "" {
		return launch{}, errors.New("name must not be empty")
	}
	if len(spec.Command) == 0 || spec.Command[0] == "" {
		return launch{}, errors.New("command must not be empty")
	}
	vars := make(map[string]string, len(spec.Vars)+2)
	for k, v := range spec.Vars {
		if k == "port" || k == "addr" {
			return launch{}, fmt.Errorf("vars: %s is reserved", k)
		}
		vars[k] = v
	}
	vars["port"] = strconv.Itoa(port)
	vars["addr"] = "127.0.0.1:" + vars["port"]

	var l launch
	var err error
	for i, arg := range spec.Command {
		arg, err = expand(arg, vars)
		if err != nil {
			return launch{}, fmt.Errorf("command[%d]: %w", i, err)
		}
		l.command = append(l.command, arg)
	}
	l.env = os.Environ()
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		v, err := expand(spec.Env[k], vars)
		if err != nil {
			return launch{}, fmt.Errorf("env.%s: %w", k, err)
		}
		l.env = append(l.env, k+"="+v) // exec keeps the last of duplicate keys
	}
	// Last, so that no env entry can hide that gauntlet started the process.
	l.env = append(l.env, chaos.Marker())
	if l.ready, err = expand(spec.Ready, vars); err != nil {
		return launch{}, fmt.Errorf("ready: %w", err)
	}
	if u, err := url.Parse(l.ready); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return launch{}, fmt.Errorf("ready: %q is not an http(s) URL", l.ready)
	}
	return l, nil
}

// expand replaces every ${NAME} in s with vars[NAME]. A "$" not followed by "{" is kept.
func expand(s string, vars map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated placeholder in %q", s)
		}
		name := s[i+2 : i+2+end]
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("unknown placeholder ${%s} (known: %s)", name, strings.Join(slices.Sorted(maps.Keys(vars)), ", "))
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+2+end+1:]
	}
	if b.Len() == 0 {
		return s, nil
	}
	b.WriteString(s)
	return b.String(), nil
}
