package scenarios

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/gauntletbench/gauntlet/chaos/faultkind"
)

// SchemaID names the JSON Schema of the scenario format.
const SchemaID = "https://gauntletbench.github.io/gauntlet/scenario.schema.json"

// Schema returns the JSON Schema (draft-07) of the scenario file, generated
// from the types the decoder fills — their yaml tags and their tag options
// (keyed, oneormany, json) — and the decoder's own lists of fault kinds,
// fault fields and threshold fields, so it cannot drift from what Parse
// accepts. It checks shapes; Validate's checks across fields (a service
// that exists, one of baseline, command or url) are not in it. YAML
// editors use it to complete and check scenario files.
func Schema() []byte {
	root := schemaOf(reflect.TypeFor[Spec](), "")
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["$id"] = SchemaID
	root["title"] = "gauntlet scenario"
	root["description"] = "A gauntlet scenario: services under test, load, requests, faults and thresholds (gauntlet validate checks it fully)."
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic("scenarios: schema: " + err.Error()) // only plain maps and strings
	}
	return append(b, '\n')
}

type object = map[string]any

// Patterns of the scalar forms the decoder accepts.
const (
	durationPattern = `^\s*[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+\s*$`
	ratePattern     = `^\s*[-+]?[0-9.eE+-]+\s*(/\s*[0-9.]*\s*(ns|us|µs|ms|s|m|h))?\s*$`
	ratioPattern    = `^\s*[-+]?[0-9.eE+-]+\s*%?\s*$`
)

var (
	durationSchema = object{"type": "string", "pattern": durationPattern, "description": "a duration with a unit, e.g. 30s, 1m, 250ms"}
	rateSchema     = object{"description": `requests per second: 2000, "2000/s", "120/m", "10/100ms"`,
		"anyOf": []any{object{"type": "number"}, object{"type": "string", "pattern": ratePattern}}}
	ratioSchema = object{"description": `a ratio: "5%" or 0.05`,
		"anyOf": []any{object{"type": "number"}, object{"type": "string", "pattern": ratioPattern}}}
)

// schemaOf is the schema of a value of type t decoded with the yaml tag
// option opt.
func schemaOf(t reflect.Type, opt string) object {
	switch opt {
	case "json":
		return object{"description": "any YAML value, sent as JSON; strings may hold templates"}
	case "oneormany":
		one := schemaOf(t.Elem(), "")
		return object{"anyOf": []any{one, object{"type": "array", "items": one}}}
	case "keyed":
		return object{"type": "object", "additionalProperties": schemaOf(t.Elem(), ""),
			"propertyNames": object{"pattern": "^[A-Za-z][A-Za-z0-9_-]*$"}}
	}
	if s, ok := customSchema(t); ok {
		return s
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), opt)
	case reflect.Struct:
		props := object{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, fopt, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			props[name] = schemaOf(f.Type, fopt)
		}
		return object{"type": "object", "properties": props, "additionalProperties": false}
	case reflect.Slice:
		return object{"type": "array", "items": schemaOf(t.Elem(), "")}
	case reflect.Map:
		return object{"type": "object", "additionalProperties": schemaOf(t.Elem(), "")}
	case reflect.String:
		return object{"type": "string"}
	case reflect.Bool:
		return object{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return object{"type": "integer"}
	case reflect.Float64:
		return object{"type": "number"}
	}
	return object{}
}

// customSchema is the schema of a type the decoder decodes with a method of
// its own (decodeNode or UnmarshalYAML) rather than by its fields; false for
// any other type. Every such type needs a case here (a test walks Spec).
func customSchema(t reflect.Type) (object, bool) {
	switch t {
	case reflect.TypeFor[Duration]():
		return durationSchema, true
	case reflect.TypeFor[Rate]():
		return rateSchema, true
	case reflect.TypeFor[Ratio]():
		return ratioSchema, true
	case reflect.TypeFor[Template]():
		return object{"type": []string{"string", "number", "boolean"}, "description": "a template: ${SERVICE}, ${seq}, ${uuid}, ${rand_int A B}, ${env NAME}, ${row.COLUMN}, ${var}"}, true
	case reflect.TypeFor[ThinkTime]():
		type plain ThinkTime
		return object{"anyOf": []any{durationSchema, schemaOf(reflect.TypeFor[plain](), "")}}, true
	case reflect.TypeFor[Fault]():
		return faultSchema(), true
	case reflect.TypeFor[Threshold]():
		return thresholdSchema(), true
	case reflect.TypeFor[StatusCodes]():
		one := object{"anyOf": []any{object{"type": "integer"}, object{"type": "string", "enum": GRPCStatusNames}}}
		return object{"description": "an HTTP status code, or a gRPC status name for a gRPC call; one or a list",
			"anyOf": []any{one, object{"type": "array", "items": one}}}, true
	}
	return nil, false
}

// faultSchema: the fault fields and exactly one kind key, whose value are
// the kind's parameters (checked by the kind itself at validation).
func faultSchema() object {
	props := object{
		"name": object{"type": "string"}, "at": durationSchema, "for": durationSchema,
		"every": durationSchema, "times": object{"type": "integer"}, "jitter": durationSchema,
	}
	var one []any
	for _, k := range faultkind.Names() {
		props[k] = object{"type": "object", "description": "parameters of a " + k + " fault",
			"properties": object{"service": object{"type": "string"}}}
		one = append(one, object{"required": []string{k}})
	}
	for _, f := range faultFields {
		if props[f] == nil {
			panic("scenarios: schema has no type for fault field " + f)
		}
	}
	return object{"type": "object", "properties": props, "additionalProperties": false, "oneOf": one}
}

// thresholdSchema: an expression, or an object with one and its scope.
func thresholdSchema() object {
	types := map[string]object{"abort_on_fail": {"type": "boolean"}, "delay_abort_eval": durationSchema}
	props := object{}
	for _, f := range thresholdFields {
		s, ok := types[f]
		if !ok {
			s = object{"type": "string"}
		}
		props[f] = s
	}
	expr := object{"type": "string", "description": `e.g. "p99 < 250ms", "error_rate < 1%"`}
	return object{"anyOf": []any{expr, object{"type": "object", "properties": props, "required": []string{"expr"}, "additionalProperties": false}}}
}
