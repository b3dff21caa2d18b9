package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Flag groups, in the order --help lists them; flags in none are listed
// last under "Flags".
const (
	groupLoad       = "Load"
	groupSearch     = "Search"
	groupOutput     = "Output"
	groupCI         = "CI gate"
	groupKubernetes = "Kubernetes"
)

var groupOrder = []string{groupLoad, groupSearch, groupOutput, groupCI, groupKubernetes}

// groupAnnotation is the pflag annotation that holds a flag's group.
const groupAnnotation = "gauntlet_group"

// group puts cmd's flags names under heading in --help.
func group(cmd *cobra.Command, heading string, names ...string) {
	for _, n := range names {
		if err := cmd.Flags().SetAnnotation(n, groupAnnotation, []string{heading}); err != nil {
			panic(fmt.Sprintf("flag group %s: %v", heading, err)) // a typo in a flag name
		}
	}
}

// usage writes cmd's usage with its flags in their groups; the root sets it
// for every command.
func usage(cmd *cobra.Command) error {
	w := cmd.OutOrStderr()
	fmt.Fprintf(w, "Usage:\n")
	if cmd.Runnable() {
		fmt.Fprintf(w, "  %s\n", cmd.UseLine())
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "  %s [command]\n", cmd.CommandPath())
	}
	if len(cmd.Aliases) > 0 {
		fmt.Fprintf(w, "\nAliases:\n  %s\n", strings.Join(append([]string{cmd.Name()}, cmd.Aliases...), ", "))
	}
	if cmd.HasExample() {
		fmt.Fprintf(w, "\nExamples:\n%s\n", cmd.Example)
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nCommands:\n")
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() || c.Name() == "help" {
				fmt.Fprintf(w, "  %-*s %s\n", cmd.NamePadding(), c.Name(), c.Short)
			}
		}
	}
	for _, g := range flagGroups(cmd.LocalFlags()) {
		fmt.Fprintf(w, "\n%s flags:\n%s", g.heading, g.flags.FlagUsages())
	}
	if cmd.HasAvailableInheritedFlags() {
		fmt.Fprintf(w, "\nGlobal flags:\n%s", cmd.InheritedFlags().FlagUsages())
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nUse \"%s [command] --help\" for more about a command.\n", cmd.CommandPath())
	}
	return nil
}

type flagSet struct {
	heading string
	flags   *pflag.FlagSet
}

// flagGroups splits fs by group, in groupOrder, the ungrouped last.
func flagGroups(fs *pflag.FlagSet) []flagSet {
	sets := map[string]*pflag.FlagSet{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		heading := "Other"
		if g := f.Annotations[groupAnnotation]; len(g) == 1 {
			heading = g[0]
		}
		if sets[heading] == nil {
			sets[heading] = pflag.NewFlagSet(heading, pflag.ContinueOnError)
			sets[heading].SortFlags = fs.SortFlags
		}
		sets[heading].AddFlag(f)
	})
	var out []flagSet
	for _, h := range append(slices.Clone(groupOrder), "Other") {
		if s := sets[h]; s != nil {
			out = append(out, flagSet{h, s})
		}
	}
	return out
}
