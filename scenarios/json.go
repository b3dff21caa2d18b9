package scenarios

import (
	"math"
	"reflect"
	"strconv"

	"github.com/goccy/go-yaml/ast"
)

// decodeJSON serialises any YAML value to JSON text, keeping mapping order,
// and compiles it as a template whose dynamic values are JSON-escaped.
// v is a *Template or Template.
func (d *decoder) decodeJSON(n ast.Node, v reflect.Value, path string) {
	text, ok := d.appendJSON(nil, n, path)
	if !ok {
		return
	}
	t, err := CompileTemplate(string(text))
	if err != nil {
		d.fail(n, path, err.Error())
		return
	}
	t.json = true
	if v.Kind() == reflect.Pointer {
		v.Set(reflect.ValueOf(&t))
		return
	}
	v.Set(reflect.ValueOf(t))
}

func (d *decoder) appendJSON(dst []byte, n ast.Node, path string) ([]byte, bool) {
	n = d.resolve(n)
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return append(dst, "null"...), true
	case *ast.BoolNode:
		return strconv.AppendBool(dst, v.Value), true
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			return strconv.AppendInt(dst, x, 10), true
		case uint64:
			return strconv.AppendUint(dst, x, 10), true
		}
	case *ast.FloatNode:
		if !math.IsInf(v.Value, 0) && !math.IsNaN(v.Value) {
			return strconv.AppendFloat(dst, v.Value, 'g', -1, 64), true
		}
	case *ast.StringNode, *ast.LiteralNode:
		dst = append(dst, '"')
		dst = appendJSONEscaped(dst, scalarText(v))
		return append(dst, '"'), true
	case *ast.SequenceNode:
		dst = append(dst, '[')
		for i, item := range v.Values {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			d.pos[indexPath(path, i)] = nodePos(d.resolve(item))
			if dst, ok = d.appendJSON(dst, item, indexPath(path, i)); !ok {
				return nil, false
			}
		}
		return append(dst, ']'), true
	case *ast.MappingNode, *ast.MappingValueNode:
		es, ok := d.entries(v, path)
		if !ok {
			return nil, false
		}
		dst = append(dst, '{')
		for i, e := range es {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = appendJSONEscaped(dst, e.key)
			dst = append(dst, '"', ':')
			// Keys are positioned so that a message field checked later
			// (see CheckGRPC) is reported where it is written.
			d.pos[joinPath(path, e.key)] = nodePos(e.keyN)
			if dst, ok = d.appendJSON(dst, e.value, joinPath(path, e.key)); !ok {
				return nil, false
			}
		}
		return append(dst, '}'), true
	}
	d.fail(n, path, "cannot be written as JSON: "+describe(n))
	return nil, false
}
