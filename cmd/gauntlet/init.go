package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/scenarios"
)

// schemaFile is the schema init writes beside the scenario, for editors.
const schemaFile = "gauntlet.schema.json"

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the scenario format",
		Long: `Schema prints the JSON Schema (draft-07) of scenario files, generated from the
types gauntlet decodes them into. YAML editors use it to complete and check
scenarios: save it and point a "# yaml-language-server: $schema=FILE" line at
it (gauntlet init does both). It checks each field's shape; "gauntlet
validate" checks everything.`,
		Example: `  gauntlet schema > gauntlet.schema.json`,
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(scenarios.Schema())
			return err
		},
	}
}

func newInitCmd() *cobra.Command {
	var file string
	var force bool
	cmd := &cobra.Command{
		Use:   "init [URL]",
		Short: "Write a commented starter scenario",
		Long: `Init writes a starter scenario that validates and runs as written: open-model
load at URL (a target already running), or at gauntlet's own Go micro
service when no URL is given, with a warm-up, a steady stage and two
thresholds, every part commented. Beside it goes ` + schemaFile + `, which
its first line names so that YAML editors complete and check the file.`,
		Example: `  gauntlet init http://127.0.0.1:8080/api/ping && gauntlet run scenario.yaml
  gauntlet init -o checkout.yaml http://127.0.0.1:8080/checkout`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := ""
			if len(args) == 1 {
				target = args[0]
			}
			src, err := starter(target, filepath.Base(strings.TrimSuffix(file, filepath.Ext(file))))
			if err != nil {
				return usageErr(err)
			}
			if _, err := scenarios.Parse(file, src); err != nil {
				return fmt.Errorf("the starter scenario does not validate (a bug): %w", err)
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(file, flags, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return usageErr(fmt.Errorf("%s exists (use -o FILE, or --force to overwrite it)", file))
			} else if err != nil {
				return err
			}
			if _, err := f.Write(src); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			schema := filepath.Join(filepath.Dir(file), schemaFile)
			if err := os.WriteFile(schema, scenarios.Schema(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s\nnext: gauntlet run %s\n", file, schema, file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "out", "o", "scenario.yaml", "write the scenario to `FILE`")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")
	return cmd
}

// starter renders the starter scenario named name for target (empty: the
// Go micro reference service).
func starter(target, name string) ([]byte, error) {
	v := struct{ Name, Base, Path string }{Name: name, Path: "/ping"}
	if target != "" {
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("URL %q: want an http(s) URL such as http://127.0.0.1:8080/", target)
		}
		v.Base = u.Scheme + "://" + u.Host
		v.Path = u.RequestURI()
	}
	var b bytes.Buffer
	if err := starterTmpl.Execute(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var starterTmpl = template.Must(template.New("starter").Delims("[[", "]]").Parse(`# yaml-language-server: $schema=./` + schemaFile + `
# A starter gauntlet scenario. Check it with "gauntlet validate [[.Name]].yaml",
# run it with "gauntlet run [[.Name]].yaml"; "gauntlet schema" lists every field.
name: [[.Name]]
description: Open-model load at one endpoint, judged on p99 and error rate.

services:
[[- if .Base]]
  # A target that is already running: gauntlet neither starts nor stops it.
  api: {url: "[[.Base]]"}
  # Or let gauntlet start it on a free port and wait until it answers:
  # api: {command: [./bin/api, --port, "${port}"], ready: "http://${addr}/healthz"}
[[- else]]
  # gauntlet's own Go micro service, started on a free port for the run.
  # Point at your own instead:
  # api: {url: "http://127.0.0.1:8080"}                                        # already running
  # api: {command: [./bin/api, --port, "${port}"], ready: "http://${addr}/healthz"}   # started by gauntlet
  api: {baseline: micro}
[[- end]]

load:
  model: open                 # an arrival rate; latency counts from each request's intended send time
  stages:
    - {name: warm-up, for: 3s, rate: 20, warmup: true}   # left out of every figure
    - {name: steady, for: 10s, rate: 50}                 # also "50/s", "3000/m"; ramp: linear to ramp up
  timeout: 2s                 # per request
  # max_in_flight: 1000       # cap on outstanding requests

requests:
  - name: main
    url: "${api}[[.Path]]"    # ${api} is the service's base URL
    # method: POST
    # json: {sku: "sku-${rand_int 1 1000}", qty: 1}
    # expect: {status: 200}   # default: any 2xx or 3xx

# faults:                     # inject during the load, reverted on every exit path
#   - {at: 5s, for: 3s, latency: {service: api, delay: 50ms}}

thresholds:                   # exit code 3 when one fails
  - p99 < 500ms
  - error_rate < 1%
`))
