package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Entry is the undo information of one active fault, as kept in the journal file. The
// JSON field names are a stable interface: Recover of a later gauntlet reads files an
// earlier one wrote.
type Entry struct {
	// ID identifies the entry within the journal; Add assigns it.
	ID string `json:"id"`
	// Kind is the fault kind, e.g. "pause".
	Kind string `json:"kind"`
	// Service is the service the fault acts on, if any.
	Service string `json:"service,omitempty"`
	// Proxy names the fault proxy a network fault was attached to.
	Proxy string `json:"proxy,omitempty"`
	// Paused lists the processes (group leaders) sent SIGSTOP; Recover sends SIGCONT.
	Paused []Proc `json:"paused,omitempty"`
	// Stress lists the stress child processes; Recover sends them SIGKILL.
	Stress []Proc `json:"stress,omitempty"`
	// Cgroups lists cgroup directories a limit fault created and the processes it moved
	// into them; Recover moves them back and removes the directories.
	Cgroups []Cgroup `json:"cgroups,omitempty"`
	// Since is when the entry was added.
	Since time.Time `json:"since"`
}

// Proc identifies a process robustly against pid reuse.
type Proc struct {
	PID int `json:"pid"`
	// StartTicks is field 22 of /proc/PID/stat (start time since boot in clock ticks);
	// a process with the same pid but another start time is someone else.
	StartTicks uint64 `json:"start_ticks,omitempty"`
	// Group is true when the signal went to the process group -PID.
	Group bool `json:"group,omitempty"`
	// Argv is /proc/PID/cmdline at start, for stress children.
	Argv []string `json:"argv,omitempty"`
}

// Cgroup is a cgroup directory created by a limit fault.
type Cgroup struct {
	// Dir is the cgroup directory gauntlet created.
	Dir string `json:"dir"`
	// Parent is the directory whose cgroup.procs the processes return to.
	Parent string `json:"parent"`
	// PIDs are the processes moved into Dir.
	PIDs []int `json:"pids"`
}

// journalFile is the file format.
type journalFile struct {
	Version int `json:"version"`
	Owner   int `json:"owner_pid"`
	// Marker is the Marker of the gauntlet that wrote the file, which every process it
	// started carries in its environment.
	Marker  string  `json:"marker"`
	Entries []Entry `json:"entries"`
}

const journalVersion = 1

// Journal is the state file of active faults. Faults add an entry before they disturb
// anything and remove it after a successful revert, so that Recover can undo what a
// SIGKILLed gauntlet left behind. Each change rewrites the file atomically (temporary
// file, fsync, rename, fsync of the directory). Methods are safe for concurrent use; the
// methods of a nil *Journal do nothing and succeed, so faults need no journal in tests.
type Journal struct {
	mu      sync.Mutex
	path    string
	next    int
	entries []Entry
}

// ErrJournalLeft is returned by OpenJournal when a journal is already at its path: a
// previous run left faults in effect there; Recover it first.
var ErrJournalLeft = errors.New("a fault state file is already there (recover it with gauntlet recover)")

// OpenJournal creates the journal at path, creating its directory, and writes an empty
// entry list (mode 0600). It refuses to replace a journal a previous run left there
// (ErrJournalLeft): call Recover on the path first.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("fault journal: %w", err)
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("fault journal %s: %w", path, ErrJournalLeft)
	}
	j := &Journal{path: path}
	if err := j.write(); err != nil {
		return nil, err
	}
	return j, nil
}

// Path returns the file's path ("" for a nil Journal).
func (j *Journal) Path() string {
	if j == nil {
		return ""
	}
	return j.path
}

// Add records e (its ID is assigned) and returns the ID once the file is on disk.
func (j *Journal) Add(e Entry) (string, error) {
	if j == nil {
		return "", nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	e.ID = strconv.Itoa(j.next)
	if e.Since.IsZero() {
		e.Since = time.Now().UTC()
	}
	j.entries = append(j.entries, e)
	if err := j.write(); err != nil {
		j.entries = j.entries[:len(j.entries)-1]
		return "", err
	}
	return e.ID, nil
}

// Update applies f to the entry id and writes the file; an unknown id is ignored.
func (j *Journal) Update(id string, f func(*Entry)) error {
	if j == nil || id == "" {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	i := slices.IndexFunc(j.entries, func(e Entry) bool { return e.ID == id })
	if i < 0 {
		return nil
	}
	f(&j.entries[i])
	return j.write()
}

// Remove deletes the entry id and writes the file; an unknown id is ignored, so Remove
// is idempotent.
func (j *Journal) Remove(id string) error {
	if j == nil || id == "" {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	i := slices.IndexFunc(j.entries, func(e Entry) bool { return e.ID == id })
	if i < 0 {
		return nil
	}
	j.entries = slices.Delete(j.entries, i, i+1)
	return j.write()
}

// Entries returns a copy of the active entries.
func (j *Journal) Entries() []Entry {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.entries)
}

// write replaces the file with the current entries; j.mu is held.
func (j *Journal) write() error {
	return writeJournal(j.path, journalFile{Version: journalVersion, Owner: os.Getpid(), Marker: Marker(), Entries: j.entries})
}

func writeJournal(path string, jf journalFile) error {
	if jf.Entries == nil {
		jf.Entries = []Entry{}
	}
	data, err := json.MarshalIndent(jf, "", "  ")
	if err != nil {
		return fmt.Errorf("fault journal: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("fault journal: %w", err)
	}
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("fault journal: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename is durable once the directory is
		d.Close()
	}
	return nil
}

// ReadJournal returns the entries in the journal file at path; a missing file has none.
// A file gauntlet cannot trust (see readTrusted) is an error wrapping
// ErrJournalUntrusted.
func ReadJournal(path string) ([]Entry, error) {
	jf, err := readTrusted(path)
	if err != nil || jf == nil {
		return nil, err
	}
	return jf.Entries, nil
}

// ErrJournalUntrusted is wrapped by the errors of ReadJournal and Recover for a state
// file gauntlet did not write for this user: it is left as it is and nothing it names is
// touched.
var ErrJournalUntrusted = errors.New("refused")

// maxJournalBytes bounds a journal file; real ones hold a few entries.
const maxJournalBytes = 4 << 20

// readTrusted reads the journal at path if it is a regular file (not a link) owned by
// this user and readable by no one else (mode 0600, as gauntlet writes it); nil, nil if
// there is none.
func readTrusted(path string) (*journalFile, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("fault journal %s: a symbolic link: %w", path, ErrJournalUntrusted)
	}
	if err != nil {
		return nil, fmt.Errorf("fault journal: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("fault journal: %w", err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("fault journal %s: not a regular file: %w", path, ErrJournalUntrusted)
	case st == nil || int(st.Uid) != os.Geteuid():
		return nil, fmt.Errorf("fault journal %s: owned by uid %d, not by this user (uid %d): %w", path, st.Uid, os.Geteuid(), ErrJournalUntrusted)
	case fi.Mode().Perm()&0o077 != 0:
		return nil, fmt.Errorf("fault journal %s: mode %04o, gauntlet writes 0600: %w", path, fi.Mode().Perm(), ErrJournalUntrusted)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxJournalBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fault journal: %w", err)
	}
	if len(data) > maxJournalBytes {
		return nil, fmt.Errorf("fault journal %s: larger than %d bytes: %w", path, maxJournalBytes, ErrJournalUntrusted)
	}
	var jf journalFile
	if err := json.Unmarshal(data, &jf); err != nil {
		return nil, fmt.Errorf("fault journal %s: %w", path, err)
	}
	if jf.Version != journalVersion {
		return nil, fmt.Errorf("fault journal %s: version %d, want %d", path, jf.Version, journalVersion)
	}
	return &jf, nil
}
