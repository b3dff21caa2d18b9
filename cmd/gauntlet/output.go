package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/gauntletbench/gauntlet/gates"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/reports"
)

// outputFlags are the flags every command that prints a summary shares.
type outputFlags struct {
	format string
	// html, md and junit are files to write the report, the Markdown
	// summary and the JUnit XML to; empty writes none.
	html, md, junit string
}

func (o *outputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.format, "output", "text", "summary format on stdout: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().StringVar(&o.md, "md", "", "also write a Markdown summary (for a pull-request comment) to `FILE`")
	cmd.Flags().StringVar(&o.junit, "junit", "", "also write JUnit XML (one test case per threshold and variant) to `FILE`")
	group(cmd, groupOutput, "output", "md", "junit")
}

func (o *outputFlags) validate() error {
	if o.format != "text" && o.format != "json" {
		return usageErr(fmt.Errorf("--output must be text or json, got %q", o.format))
	}
	return nil
}

// summarize reads records back, recomputes their summary, judges the
// thresholds, prints the summary and writes the requested artifacts. Several
// records are reported together, each run keeping its own figures. It
// returns the error that sets the exit code: thresholds failed (3) or
// interrupted (130).
func summarize(w io.Writer, o *outputFlags, paths ...string) (*metrics.Summary, error) {
	recs, err := readRecords(paths)
	if err != nil {
		return nil, err
	}
	rec := combine(recs)
	s, err := metrics.Summarize(rec)
	if err != nil {
		return nil, err
	}
	gates.Check(s, rec.Header.Thresholds)
	if o.format == "json" {
		err = reports.JSON(w, s)
	} else {
		err = reports.Text(w, s)
	}
	if err != nil {
		return s, err
	}
	for _, a := range []struct {
		path   string
		render func(io.Writer) error
	}{
		{o.html, func(w io.Writer) error { return reports.HTML(w, rec, s) }},
		{o.md, func(w io.Writer) error { return reports.Markdown(w, s) }},
		{o.junit, func(w io.Writer) error { return reports.JUnit(w, s) }},
	} {
		if a.path == "" {
			continue
		}
		if err := writeArtifact(a.path, a.render); err != nil {
			return s, err
		}
	}
	if o.html != "" && o.format == "text" {
		fmt.Fprintf(w, "report: %s\n", o.html)
	}
	silent := o.format == "json"
	switch s.Verdict {
	case metrics.VerdictFail:
		return s, &exitError{code: exitThresholds, err: fmt.Errorf("thresholds failed"), silent: silent}
	case metrics.VerdictInterrupted:
		return s, &exitError{code: exitInterrupted, err: fmt.Errorf("run interrupted"), silent: silent}
	}
	return s, nil
}

// combine reports several records side by side: the runs of all of them
// under the first one's header. A run's variant is prefixed with its record's
// folder when an earlier record has the same variant.
func combine(recs []*metrics.Record) *metrics.Record {
	all := recs[0]
	seen := map[string]bool{}
	for i, rec := range recs {
		for _, run := range rec.Runs {
			if seen[run.Start.Variant] {
				run.Start.Variant = filepath.Base(filepath.Dir(rec.Path)) + "/" + run.Start.Variant
			}
			seen[run.Start.Variant] = true
		}
		if i > 0 {
			all.Runs = append(all.Runs, rec.Runs...)
			all.Truncated = all.Truncated || rec.Truncated
		}
	}
	return all
}

// writeArtifact renders into path through a temporary file, so a failed
// render never leaves half a file behind. A device, FIFO or socket at path
// (/dev/stdout, a pipe) is written in place rather than replaced, and a
// symbolic link is not followed (see openInPlace).
func writeArtifact(path string, render func(io.Writer) error) error {
	if f, err := openInPlace(path); f != nil || err != nil {
		if err != nil {
			return err
		}
		err = render(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("render %s: %w", path, err)
		}
		return nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gauntlet-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := render(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("render %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file private; reports are meant to be shared.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// createOutput opens path for writing a file gauntlet streams into: a
// device, FIFO or socket is written in place, a regular file is created or
// truncated, and a symbolic link is not followed (see openInPlace).
func createOutput(path string) (*os.File, error) {
	if f, err := openInPlace(path); f != nil || err != nil {
		return f, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_NOFOLLOW, 0o644)
}

// openInPlace opens path for writing if it is a special file (a device, a
// FIFO, a socket), which must be written in place, never replaced: the
// file, or nil if path is a regular file or does not exist. A symbolic link
// is refused, since it may have been planted to redirect the output, except
// the links that name this process's own descriptors (/dev/stdout,
// /dev/stderr, /dev/fd/N, /proc/self/fd/N).
func openInPlace(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, nil // created by the caller
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		if !ownDescriptor(path) {
			return nil, fmt.Errorf("%s is a symbolic link; gauntlet does not write through one (give its target)", path)
		}
		if fi, err = os.Stat(path); err != nil {
			return nil, err
		}
	}
	if fi.Mode().IsRegular() {
		return nil, nil
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	return os.OpenFile(path, os.O_WRONLY, 0)
}

// ownDescriptor reports whether path names one of this process's open
// descriptors.
func ownDescriptor(path string) bool {
	switch p := filepath.Clean(path); {
	case p == "/dev/stdout", p == "/dev/stderr":
		return true
	case strings.HasPrefix(p, "/dev/fd/"), strings.HasPrefix(p, "/proc/self/fd/"):
		return true
	}
	return false
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// newRunDir creates root/<scenario>-<timestamp>/ and returns it. A run that
// started in the same second may have that folder: then -2, -3, … is added,
// so that runs never share one.
func newRunDir(root, scenario string) (string, error) {
	name := unsafeName.ReplaceAllString(scenario, "-")
	if name == "" {
		name = "run"
	}
	base := filepath.Join(root, name+"-"+time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("create output folder: %w", err)
	}
	for i := 1; i <= 1000; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("create output folder: %w", err)
		}
	}
	return "", fmt.Errorf("create output folder: %s-2 … %s-1000 all exist", base, base)
}

// isTerminal reports whether f is a terminal. A character device is not
// enough: /dev/null is one too.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
