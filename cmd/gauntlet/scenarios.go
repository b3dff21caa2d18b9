package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/scenarios"
)

func newScenariosCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios [NAME]",
		Short: "List the embedded scenarios, or print one",
		Example: `  gauntlet scenarios
  gauntlet scenarios quickstart > my.yaml   # start your own from it`,
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				data, ok := scenarios.LibraryFile(args[0])
				if !ok {
					return usageErr(fmt.Errorf("no embedded scenario %q (run \"gauntlet scenarios\" for the list)", args[0]))
				}
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			for _, e := range scenarios.Library() {
				fmt.Fprintf(tw, "%s\t%s\n", e.Name, strings.TrimSpace(e.Description))
			}
			return tw.Flush()
		},
	}
}

// completeScenarios offers the embedded scenario names and YAML files.
func completeScenarios(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var names []string
	for _, e := range scenarios.Library() {
		names = append(names, e.Name+"\t"+e.Description)
	}
	return names, cobra.ShellCompDirectiveDefault
}
