package scenarios

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/gauntletbench/gauntlet/chaos/faultkind"
)

// isKind reports whether name is a fault kind.
func isKind(name string) bool {
	_, ok := faultkind.Lookup(name)
	return ok
}

// faultFields are the keys of a fault besides its kind.
var faultFields = []string{"name", "at", "for", "every", "times", "jitter"}

// paramsNode keeps the YAML of a fault's parameters for DecodeParams.
type paramsNode struct {
	node    ast.Node
	anchors map[string]ast.Node
}

// DecodeParams decodes the fault's parameters strictly into v, a pointer to
// the kind's parameter struct: unknown fields and wrong types are errors
// naming the file, line and column. For a Fault built in code (no YAML
// behind it) it decodes Params instead.
func (f Fault) DecodeParams(v any) error {
	if f.params.node == nil {
		data, err := yaml.Marshal(f.Params)
		if err != nil {
			return err
		}
		return yaml.UnmarshalWithOptions(data, v, yaml.Strict())
	}
	var mapping ast.Node = f.params.node
	if _, isNull := mapping.(*ast.NullNode); isNull {
		mapping = &ast.MappingNode{}
	}
	opts := []yaml.DecodeOption{yaml.Strict()}
	err := yaml.NodeToValue(mapping, v, opts...)
	if err == nil {
		return nil
	}
	var ye yaml.Error
	var ne *nodeError
	p := Problem{File: f.file, Line: f.Line, Col: f.Col, Path: joinPath(f.path, f.Kind)}
	switch {
	case errors.As(err, &ne):
		pos := nodePos(ne.node)
		p.Line, p.Col, p.Msg = pos.line, pos.col, p.Path+": "+ne.msg
	case errors.As(err, &ye):
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Col = tk.Position.Line, tk.Position.Column
		}
		p.Msg = p.Path + ": " + ye.GetMessage()
	default:
		p.Msg = p.Path + ": " + err.Error()
	}
	return Problems{p}
}

// Problem places msg at the fault's parameters in its file, for what is
// found wrong after decoding (a value out of range, a target that cannot be
// built): "order.yaml:14:23: faults[2].latency: delay must be > 0".
func (f Fault) Problem(msg string) Problem {
	path := joinPath(f.path, f.Kind)
	if f.path == "" {
		path = f.Name
	}
	p := Problem{File: f.file, Line: f.Line, Col: f.Col, Path: path, Msg: path + ": " + msg}
	if f.params.node != nil {
		pos := nodePos(f.params.node)
		p.Line, p.Col = pos.line, pos.col
	}
	return p
}

// TimingProblem places msg at the fault itself, for what is wrong with when
// it happens (at, for, every, times, jitter) given the load it is part of:
// "order.yaml:12:5: faults[2]: at (90s) is not before the end of the load".
func (f Fault) TimingProblem(msg string) Problem {
	path := cmp.Or(f.path, f.Name)
	return Problem{File: f.file, Line: f.Line, Col: f.Col, Path: path, Msg: path + ": " + msg}
}

func (f *Fault) decodeNode(d *decoder, n ast.Node, path string) {
	es, ok := d.entries(n, path)
	if !ok {
		return
	}
	pos := nodePos(n)
	f.Line, f.Col, f.file, f.path = pos.line, pos.col, d.file, path
	var kinds []entry
	for _, e := range es {
		switch {
		case e.key == "name":
			d.decodeValue(e.value, reflectOf(&f.Name), joinPath(path, e.key), "")
		case e.key == "at":
			d.decodeValue(e.value, reflectOf(&f.At), joinPath(path, e.key), "")
		case e.key == "for":
			d.decodeValue(e.value, reflectOf(&f.For), joinPath(path, e.key), "")
		case e.key == "every":
			d.decodeValue(e.value, reflectOf(&f.Every), joinPath(path, e.key), "")
		case e.key == "times":
			d.decodeValue(e.value, reflectOf(&f.Times), joinPath(path, e.key), "")
		case e.key == "jitter":
			d.decodeValue(e.value, reflectOf(&f.Jitter), joinPath(path, e.key), "")
		case isKind(e.key):
			kinds = append(kinds, e)
		default:
			s := suggest(e.key, append(slices.Clone(faultFields), faultkind.Names()...))
			what := "unknown fault kind "
			if slices.Contains(faultFields, s) {
				what = "unknown field "
			}
			msg := what + strconv.Quote(e.key) + " " + where(path)
			if s != "" {
				msg += ` (did you mean "` + s + `"?)`
			} else {
				msg += " (kinds: " + strings.Join(faultkind.Names(), ", ") + ")"
			}
			d.problem(e.keyN, joinPath(path, e.key), msg)
			d.bad[path+".kind"] = true
		}
	}
	switch {
	case len(kinds) == 0:
		if !d.bad[path+".kind"] {
			d.fail(n, path, "no fault kind (add one of "+strings.Join(faultkind.Names(), ", ")+")")
		}
		return
	case len(kinds) > 1:
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = k.key
		}
		d.fail(kinds[1].keyN, path, "several fault kinds ("+strings.Join(names, ", ")+"); use one per fault")
		return
	}
	k := kinds[0]
	kpath := joinPath(path, k.key)
	f.Kind = k.key
	f.params = paramsNode{node: d.resolve(k.value), anchors: d.anchors}
	d.pos[kpath] = nodePos(f.params.node)
	if _, isNull := f.params.node.(*ast.NullNode); isNull {
		return
	}
	es, ok = d.entries(f.params.node, kpath)
	if !ok {
		return
	}
	f.Params = make(map[string]any, len(es))
	for _, e := range es {
		v := d.resolve(e.value)
		d.pos[joinPath(kpath, e.key)] = nodePos(v)
		var x any
		if err := yaml.NodeToValue(v, &x); err != nil {
			d.fail(v, joinPath(kpath, e.key), err.Error())
			continue
		}
		f.Params[e.key] = x
		if e.key == "service" {
			s, isStr := x.(string)
			if !isStr {
				d.fail(v, joinPath(kpath, e.key), "expected a service name, got "+describe(v))
				continue
			}
			f.Service = s
		}
	}
}

// kindOf returns the descriptor of f's kind; f.Kind must be a known kind.
func kindOf(f Fault) faultkind.Kind {
	k, _ := faultkind.Lookup(f.Kind)
	return k
}
