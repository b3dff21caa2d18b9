package chaos

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Identify reads pid's start time (and, when withArgv, its command line) from /proc so
// that the process can be recognised later despite pid reuse. group says whether signals
// should go to the process group -pid.
func Identify(pid int, group, withArgv bool) (Proc, error) {
	ticks, err := startTicks(pid)
	if err != nil {
		return Proc{}, err
	}
	p := Proc{PID: pid, StartTicks: ticks, Group: group}
	if withArgv {
		if p.Argv, err = Cmdline(pid); err != nil {
			return Proc{}, err
		}
	}
	return p, nil
}

// Same reports whether p.PID is still the process Identify saw: it exists, is not a
// zombie, has the same start time and, if Argv was recorded, the same command line.
func (p Proc) Same() bool {
	if p.PID <= 0 {
		return false
	}
	ticks, err := startTicks(p.PID)
	if err != nil || (p.StartTicks != 0 && ticks != p.StartTicks) {
		return false
	}
	if s := procState(p.PID); s == 'Z' || s == 'X' || s == 0 {
		return false
	}
	if len(p.Argv) > 0 {
		argv, err := Cmdline(p.PID)
		if err != nil || !slices.Equal(argv, p.Argv) {
			return false
		}
	}
	return true
}

// Signal sends sig to the process, or to its group if p.Group. A process that is gone
// is not an error.
func (p Proc) Signal(sig syscall.Signal) error {
	target := p.PID
	if p.Group {
		target = -p.PID
	}
	if err := syscall.Kill(target, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

func (p Proc) describe() string {
	if p.Group {
		return "process group " + strconv.Itoa(p.PID)
	}
	return "pid " + strconv.Itoa(p.PID)
}

// Cmdline returns /proc/PID/cmdline split into arguments.
func Cmdline(pid int) ([]string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(string(data), "\x00")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\x00"), nil
}

// ProcState returns the state letter of /proc/PID/stat ('R', 'S', 'T' stopped, 'Z'
// zombie, …), or 0 if the process does not exist.
func ProcState(pid int) byte { return procState(pid) }

func procState(pid int) byte {
	f, err := statFields(pid)
	if err != nil || len(f) < 1 || f[0] == "" {
		return 0
	}
	return f[0][0]
}

func startTicks(pid int) (uint64, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	// Fields after the command name start at field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// statFields returns the fields of /proc/PID/stat after the parenthesised command name,
// which may itself contain spaces and parentheses.
func statFields(pid int) ([]string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	return strings.Fields(string(data[i+1:])), nil
}

// MarkerEnv is the environment variable gauntlet sets on every process it starts
// (services, stress children): Recover acts only on processes that carry the marker of
// the journal that names them.
const MarkerEnv = "GAUNTLET_RUN"

var marker = sync.OnceValue(func() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return MarkerEnv + "=" + hex.EncodeToString(b[:])
})

// Marker returns "GAUNTLET_RUN=<token>", the same for every process this gauntlet
// starts and different for every gauntlet: add it to their environment, last.
func Marker() string { return marker() }

// Marked reports whether the environment of p.PID holds mark (a Marker). Reading
// another user's environment needs privileges; a process whose environment cannot be
// read counts as unmarked.
func (p Proc) Marked(mark string) bool {
	if mark == "" {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/environ")
	if err != nil {
		return false
	}
	return slices.Contains(strings.Split(string(data), "\x00"), mark)
}
