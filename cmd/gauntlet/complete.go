package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// completeRuns offers the run folders under out/ (those holding a
// record.ndjson, newest first; "out/latest" too), then any file.
func completeRuns(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return runFolders("out", toComplete), cobra.ShellCompDirectiveDefault
}

// runFolders lists the folders under root, one or two levels down (a
// --count run keeps run-1 … run-N inside its folder), that hold a record
// and start with prefix.
func runFolders(root, prefix string) []string {
	var found []string
	for _, pattern := range []string{"*", filepath.Join("*", "run-*")} {
		matches, _ := filepath.Glob(filepath.Join(root, pattern, "record.ndjson"))
		for _, m := range matches {
			if dir := filepath.Dir(m); strings.HasPrefix(dir, prefix) {
				found = append(found, dir)
			}
		}
	}
	mtime := func(dir string) int64 {
		fi, err := os.Stat(filepath.Join(dir, "record.ndjson"))
		if err != nil {
			return 0
		}
		return fi.ModTime().UnixNano()
	}
	slices.SortStableFunc(found, func(a, b string) int {
		if ma, mb := mtime(a), mtime(b); ma != mb {
			if ma > mb {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(found)
}
