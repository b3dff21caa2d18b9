package scenarios

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Duration is a time.Duration written in YAML as "250ms", "5s" or "1m30s".
// A bare number is rejected: it has no unit.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText formats d like time.Duration, so JSON and YAML output read "5s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

var _ yaml.NodeUnmarshaler = (*Duration)(nil)

// UnmarshalYAML decodes a duration string; the error it returns carries the
// node's position.
func (d *Duration) UnmarshalYAML(n ast.Node) error {
	switch n := unwrap(n).(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		v := n.GetToken().Value
		return nodeErr(n, "duration "+v+" has no unit (add a unit, e.g. "+v+"s)")
	case *ast.StringNode:
		v, err := time.ParseDuration(strings.TrimSpace(n.Value))
		if err != nil {
			return nodeErr(n, "invalid duration "+strconv.Quote(n.Value)+" (use e.g. 30s, 1m)")
		}
		*d = Duration(v)
		return nil
	default:
		return nodeErr(n, "expected a duration like 30s, got "+describe(n))
	}
}

// Rate is a rate in requests per second. YAML forms: 2000, "2000/s",
// "120/m", "10/100ms".
type Rate float64

var _ yaml.NodeUnmarshaler = (*Rate)(nil)

// UnmarshalYAML decodes a rate; the error it returns carries the node's position.
// Negative rates decode; Validate rejects them.
func (r *Rate) UnmarshalYAML(n ast.Node) error {
	n = unwrap(n)
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode:
	default:
		return nodeErr(n, "expected a rate like 2000 or \"120/m\", got "+describe(n))
	}
	v, err := ParseRate(scalarText(n))
	if err != nil {
		return nodeErr(n, err.Error())
	}
	*r = v
	return nil
}

// ParseRate parses "2000", "2000/s", "120/m" or "10/100ms" into requests per second.
func ParseRate(s string) (Rate, error) {
	bad := errors.New("invalid rate " + strconv.Quote(s) + ` (use e.g. 2000, "2000/s", "120/m")`)
	num, per, hasPer := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, bad
	}
	if !hasPer {
		return Rate(v), nil
	}
	per = strings.TrimSpace(per)
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return 0, bad
	}
	return Rate(v / d.Seconds()), nil
}

// nodeError is an error located at a YAML node.
type nodeError struct {
	node ast.Node
	msg  string
}

func nodeErr(n ast.Node, msg string) error { return &nodeError{node: n, msg: msg} }

func (e *nodeError) Error() string {
	p := nodePos(e.node)
	return "[" + strconv.Itoa(p.line) + ":" + strconv.Itoa(p.col) + "] " + e.msg
}

// unwrap strips tags and anchors from n. Aliases are resolved by the decoder.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

// scalarText returns the text of a scalar node as written (without quotes).
func scalarText(n ast.Node) string {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value
	case *ast.LiteralNode:
		return v.Value.Value
	case nil, *ast.NullNode:
		return ""
	default:
		return n.GetToken().Value
	}
}

// isScalar reports whether n is a scalar other than null.
func isScalar(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode,
		*ast.InfinityNode, *ast.NanNode:
		return true
	}
	return false
}

// describe names the kind of n for type errors: `a string "x"`, `a mapping`.
func describe(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string " + strconv.Quote(scalarText(n))
	case *ast.IntegerNode:
		return "an integer " + scalarText(n)
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number " + scalarText(n)
	case *ast.BoolNode:
		return "a boolean " + scalarText(n)
	default:
		return n.Type().String()
	}
}

// nodePos returns the position of n, using the first key of a block mapping
// rather than its first colon.
func nodePos(n ast.Node) position {
	switch v := n.(type) {
	case nil:
		return position{}
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return nodePos(v.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return nodePos(v.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{tk.Position.Line, tk.Position.Column}
}
