package scenarios

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// validateWithPython validates each YAML document against the schema with
// an independent validator, Debian's python3-jsonschema, and returns its
// verdict per file: "" when valid, else the validator's message.
func validateWithPython(t *testing.T, schema []byte, docs map[string][]byte) map[string]string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import jsonschema").Run(); err != nil {
		msg := "python3-jsonschema not found for /usr/bin/python3: install it (apt-get install -y python3-jsonschema)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "schema.json"), schema, 0o644); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name, doc := range docs {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), j, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	const script = `
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
out = {}
for path in sys.argv[2:]:
    errs = sorted(v.iter_errors(json.load(open(path))), key=lambda e: list(e.absolute_path))
    out[path] = "; ".join("/".join(map(str, e.absolute_path)) + ": " + e.message for e in errs)
print(json.dumps(out))
`
	args := []string{"-c", script, filepath.Join(dir, "schema.json")}
	for _, n := range names {
		args = append(args, filepath.Join(dir, n+".json"))
	}
	var stderr bytes.Buffer
	cmd := exec.Command(py, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jsonschema: %v\n%s", err, stderr.String())
	}
	var byPath map[string]string
	if err := json.Unmarshal(out, &byPath); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	for _, n := range names {
		verdicts[n] = byPath[filepath.Join(dir, n+".json")]
	}
	return verdicts
}

// shippedScenarios are the embedded scenarios and every scenario under
// examples/.
func shippedScenarios(t *testing.T) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	for _, e := range Library() {
		data, _ := LibraryFile(e.Name)
		docs["library-"+e.Name] = data
	}
	files, _ := filepath.Glob("../examples/*/*.yaml")
	more, _ := filepath.Glob("../examples/*.yaml")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("requests:")) {
			continue // a CI job, not a scenario
		}
		docs[strings.NewReplacer("/", "-", ".", "-").Replace(strings.TrimPrefix(f, "../"))] = data
	}
	if len(docs) < 2 {
		t.Fatalf("found %d shipped scenarios; want the embedded ones at least", len(docs))
	}
	return docs
}

// TestSchemaValidatesShippedScenarios: every embedded and example scenario
// passes the schema under an independent validator, and bad scenarios —
// each one Parse rejects too — fail it.
func TestSchemaValidatesShippedScenarios(t *testing.T) {
	t.Parallel()
	docs := shippedScenarios(t)
	bad := map[string]string{
		"bad-unknown-field": "load: {stages: [{for: 5s, rat: 10}]}\nrequests: [{url: \"http://127.0.0.1:1/\"}]\n",
		"bad-duration":      "load: {stages: [{for: 5, rate: 10}]}\nrequests: [{url: \"http://127.0.0.1:1/\"}]\n",
		"bad-two-kinds":     "load: {stages: [{for: 5s, rate: 10}]}\nrequests: [{url: \"http://127.0.0.1:1/\"}]\nfaults: [{at: 1s, kill: {service: a}, pause: {service: a}}]\n",
		"bad-threshold":     "load: {stages: [{for: 5s, rate: 10}]}\nrequests: [{url: \"http://127.0.0.1:1/\"}]\nthresholds: [{request: a}]\n",
		"bad-service-field": "services: {api: {url: \"http://127.0.0.1:1\", redy: x}}\nload: {stages: [{for: 5s, rate: 10}]}\nrequests: [{url: \"${api}/\"}]\n",
	}
	for name, src := range bad {
		if _, err := Parse(name+".yaml", []byte(src)); err == nil {
			t.Fatalf("Parse(%s) accepted it; the case must be a scenario gauntlet rejects", name)
		}
		docs[name] = []byte(src)
	}
	for name, msg := range validateWithPython(t, Schema(), docs) {
		switch _, isBad := bad[name]; {
		case isBad && msg == "":
			t.Errorf("%s: the schema accepts it; want it rejected", name)
		case !isBad && msg != "":
			t.Errorf("%s: schema says %s", name, msg)
		}
	}
}

// TestSchemaCoversEveryDecodedType walks every type the decoder fills from
// Spec: a type it decodes with a method of its own (decodeNode,
// UnmarshalYAML) must have a case in customSchema, since its fields say
// nothing about the YAML it accepts, and every other field must be of a kind
// schemaOf maps to a JSON type. A field added to the scenario format without
// either fails here, so the schema stays in step with the decoder.
func TestSchemaCoversEveryDecodedType(t *testing.T) {
	t.Parallel()
	nodeDecoderType := reflect.TypeFor[nodeDecoder]()
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if seen[typ] {
			return
		}
		seen[typ] = true
		ptr := reflect.PointerTo(typ)
		if ptr.Implements(nodeDecoderType) || ptr.Implements(nodeUnmarshalerType) {
			if _, ok := customSchema(typ); !ok {
				t.Errorf("%s (%s) is decoded by a method of its own, but customSchema has no case for it", path, typ)
			}
			return
		}
		switch typ.Kind() {
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				name, opt, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				if !f.IsExported() || name == "" || name == "-" || opt == "json" {
					continue
				}
				walk(f.Type, path+"."+name)
			}
		case reflect.Slice, reflect.Map:
			walk(typ.Elem(), path+"[]")
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64, reflect.Interface:
		default:
			t.Errorf("%s (%s): a kind the schema does not map to a JSON type", path, typ)
		}
	}
	walk(reflect.TypeFor[Spec](), "spec")
	if len(seen) < 10 {
		t.Fatalf("walked %d types from Spec; want the whole scenario format", len(seen))
	}
}
