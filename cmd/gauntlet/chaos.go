package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/chaos/local"
	"github.com/gauntletbench/gauntlet/engine"
)

func newRecoverCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "recover [RUN-FOLDER|STATE-FILE]...",
		Short: "Undo the faults a killed gauntlet left in effect",
		Long: `Recover reads the state file of active faults (` + engine.JournalName + `) that
every run with faults keeps in its output folder, and undoes what it lists:
paused processes are resumed, stress processes are killed, cgroup limits are
lifted. gauntlet reverts its faults on every exit it controls (end, error,
Ctrl-C, SIGTERM); recover is for the one it cannot: SIGKILL. Without an
argument it looks at every folder under out/. A state file that belongs to a
gauntlet still running is left alone.`,
		Example: `  gauntlet recover
  gauntlet recover out/order-chain-20261122-031500`,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths, err := journals(args)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if len(paths) == 0 {
				fmt.Fprintf(w, "no %s in any run folder under out/ (in the working directory): nothing to recover; give the run folder if it is elsewhere\n", engine.JournalName)
				return nil
			}
			found, err := recoverAllFound(w, paths)
			for _, p := range paths {
				if !found[p] {
					fmt.Fprintf(w, "%s: no such file: nothing to recover\n", p)
				}
			}
			return err
		},
	}
}

// journals resolves run folders and state files; no argument means every
// run folder under out/, and the run-N folders of runs with --count.
func journals(args []string) ([]string, error) {
	if len(args) == 0 {
		top, err := filepath.Glob(filepath.Join("out", "*", engine.JournalName))
		if err != nil {
			return nil, err
		}
		counted, err := filepath.Glob(filepath.Join("out", "*", "run-*", engine.JournalName))
		return append(top, counted...), err
	}
	var out []string
	for _, a := range args {
		if filepath.Base(a) != engine.JournalName {
			a = filepath.Join(a, engine.JournalName)
		}
		out = append(out, a)
	}
	return out, nil
}

// recoverAll undoes the faults listed in each state file and reports each
// action. A file owned by a running gauntlet is skipped; a file gauntlet
// cannot trust is refused and left as it is.
func recoverAll(w io.Writer, paths []string) error {
	_, err := recoverAllFound(w, paths)
	return err
}

// recoverAllFound is recoverAll, also saying which paths held a state file.
func recoverAllFound(w io.Writer, paths []string) (map[string]bool, error) {
	var errs []error
	code := exitRuntime
	found := map[string]bool{}
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		found[p] = true
		report, err := chaos.Recover(p)
		for _, line := range report {
			fmt.Fprintf(w, "%s: %s\n", p, line)
		}
		switch {
		case errors.Is(err, chaos.ErrJournalInUse):
			fmt.Fprintf(w, "%s: skipped, a running gauntlet owns it\n", p)
		case errors.Is(err, chaos.ErrJournalUntrusted):
			fmt.Fprintf(w, "%v; left as it is, nothing it names was touched\n", err)
			errs = append(errs, fmt.Errorf("%s: refused", p))
		case err != nil:
			code = exitRevert
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
	}
	if len(errs) > 0 {
		return found, &exitError{code: code, err: errors.Join(errs...)}
	}
	return found, nil
}

func newStressCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "stress cpu --workers N --load PCT | memory --bytes SIZE",
		Short:              "Burn CPU or hold memory (the child process of the cpu_stress and memory_stress faults)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return local.StressMain(cmd.Context(), args, cmd.OutOrStdout())
		},
	}
}
