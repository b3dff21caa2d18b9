package scenarios

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// nodeDecoder is implemented by types whose YAML form is not a plain
// struct (faults, thresholds); they report through d and keep going.
type nodeDecoder interface {
	decodeNode(d *decoder, n ast.Node, path string)
}

// presetter fills the defaults of fields that may be absent, before the
// fields written in the file are decoded over them.
type presetter interface{ preset() }

// finisher derives defaults from the decoded fields (names, methods).
type finisher interface{ finish() }

var nodeUnmarshalerType = reflect.TypeFor[yaml.NodeUnmarshaler]()

// decodeValue decodes n into v, recording its position under path. opt is
// the option of the field's yaml tag: "keyed" (a mapping decoded into a
// slice of structs named by key), "oneormany" (a scalar is a one-element
// list) or "json" (any value, serialised to a JSON template).
func (d *decoder) decodeValue(n ast.Node, v reflect.Value, path, opt string) {
	n = d.resolve(n)
	d.pos[path] = nodePos(n)
	if _, isNull := n.(*ast.NullNode); isNull || n == nil {
		return
	}
	if opt == "json" {
		d.decodeJSON(n, v, path)
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decodeValue(n, v.Elem(), path, opt)
		return
	}
	if d.decodeOwn(n, v, path) {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path, opt)
	case reflect.Map:
		d.decodeMap(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

// decodeOwn lets a type that decodes itself (nodeDecoder, or
// yaml.NodeUnmarshaler) decode n into v, and reports whether v's type is
// one.
func (d *decoder) decodeOwn(n ast.Node, v reflect.Value, path string) bool {
	if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
		nd.decodeNode(d, n, path)
		return true
	}
	if !v.Addr().Type().Implements(nodeUnmarshalerType) {
		return false
	}
	if err := v.Addr().Interface().(yaml.NodeUnmarshaler).UnmarshalYAML(n); err != nil {
		d.failErr(n, path, err)
	}
	return true
}

// decodeMap decodes mapping n into the map v, one entry per key.
func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string) {
	es, ok := d.entries(n, path)
	if !ok {
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, e := range es {
		ev := reflect.New(v.Type().Elem()).Elem()
		d.decodeValue(e.value, ev, joinPath(path, e.key), "")
		v.SetMapIndex(reflect.ValueOf(e.key), ev)
	}
}

// decodeScalar decodes n into a string, bool, integer, float or any.
func (d *decoder) decodeScalar(n ast.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if !isScalar(n) {
			d.fail(n, path, "expected a string, got "+describe(n))
			return
		}
		v.SetString(scalarText(n))
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.fail(n, path, "expected true or false, got "+describe(n))
			return
		}
		v.SetBool(b.Value)
	case reflect.Int, reflect.Int64:
		d.decodeInt(n, v, path)
	case reflect.Float64:
		f, ok := numberValue(n)
		if !ok {
			d.fail(n, path, "expected a number, got "+describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := yaml.NodeToValue(n, &x); err != nil {
			d.fail(n, path, err.Error())
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		panic("scenarios: cannot decode into " + v.Type().String())
	}
}

// decodeInt decodes n into the signed integer v, refusing a value v cannot
// hold.
func (d *decoder) decodeInt(n ast.Node, v reflect.Value, path string) {
	i, ok := n.(*ast.IntegerNode)
	if !ok {
		d.fail(n, path, "expected an integer, got "+describe(n))
		return
	}
	var x int64
	inRange := true
	switch iv := i.Value.(type) {
	case int64:
		x = iv
	case uint64:
		x, inRange = int64(iv), iv <= math.MaxInt64
	default:
		inRange = false
	}
	if !inRange || v.OverflowInt(x) {
		d.fail(n, path, "integer "+scalarText(n)+" is out of range")
		return
	}
	v.SetInt(x)
}

func numberValue(n ast.Node) (float64, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		x, err := strconv.ParseFloat(strings.ReplaceAll(n.GetToken().Value, "_", ""), 64)
		if err != nil {
			if i, ok := n.Value.(int64); ok {
				return float64(i), true
			}
		}
		return x, err == nil
	case *ast.FloatNode:
		return n.Value, !math.IsNaN(n.Value) && !math.IsInf(n.Value, 0)
	}
	return 0, false
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path, opt string) {
	if opt == "keyed" {
		es, ok := d.entries(n, path)
		if !ok {
			return
		}
		for _, e := range es {
			ev := reflect.New(v.Type().Elem()).Elem()
			ev.FieldByName("Name").SetString(e.key)
			d.decodeValue(e.value, ev, joinPath(path, e.key), "")
			v.Set(reflect.Append(v, ev))
		}
		return
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		if opt == "oneormany" && isScalar(n) {
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decodeValue(n, ev, path, "")
			v.Set(reflect.Append(v, ev))
			return
		}
		d.fail(n, path, "expected a list, got "+describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		d.decodeValue(item, out.Index(i), indexPath(path, i), "")
	}
	v.Set(out)
}

// field is a struct field as named in YAML.
type field struct {
	name  string
	index int
	opt   string
}

func yamlFields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		if !sf.IsExported() || tag == "" || tag == "-" {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		fs = append(fs, field{name: name, index: i, opt: opt})
	}
	return fs
}

func fieldNames(fs []field) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) {
	es, ok := d.entries(n, path)
	if !ok {
		return
	}
	if p, ok := v.Addr().Interface().(presetter); ok {
		p.preset()
	}
	fs := yamlFields(v.Type())
	for _, e := range es {
		i := slices.IndexFunc(fs, func(f field) bool { return f.name == e.key })
		if i < 0 {
			d.unknownField(e, path, fieldNames(fs))
			continue
		}
		d.decodeValue(e.value, v.Field(fs[i].index), joinPath(path, e.key), fs[i].opt)
	}
	if f, ok := v.Addr().Interface().(finisher); ok {
		f.finish()
	}
}

// unknownField reports key e with a did-you-mean among names. The field it
// probably meant is marked bad, so "is required" does not pile on.
func (d *decoder) unknownField(e entry, path string, names []string) {
	msg := "unknown field " + strconv.Quote(e.key) + " " + where(path)
	if s := suggest(e.key, names); s != "" {
		msg += ` (did you mean "` + s + `"?)`
		d.bad[joinPath(path, s)] = true
	} else {
		msg += " (valid fields: " + strings.Join(names, ", ") + ")"
	}
	d.problem(e.keyN, joinPath(path, e.key), msg)
}

// reflectOf returns the settable value p points to.
func reflectOf(p any) reflect.Value { return reflect.ValueOf(p).Elem() }
