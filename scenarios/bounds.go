package scenarios

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// Bounds on a scenario file, checked before it is decoded so that a hostile or
// broken file costs little time and memory.
const (
	// MaxFileBytes is the largest scenario file accepted.
	MaxFileBytes = 1 << 20
	// MaxNesting is the deepest nesting of flow collections ([ and {).
	MaxNesting = 64
	// MaxValues bounds the values of a scenario once its aliases are expanded:
	// an alias repeats its anchor's value, so ten levels of ten aliases each
	// (a "billion laughs") would stand for 10^10 values.
	MaxValues = 100_000
)

// checkSize reports a file larger than MaxFileBytes.
func checkSize(file string, data []byte) Problems {
	if len(data) <= MaxFileBytes {
		return nil
	}
	return Problems{{File: file, Line: 1, Col: 1,
		Msg: fmt.Sprintf("scenario is larger than %d bytes (1 MiB), the most accepted", MaxFileBytes)}}
}

// checkNesting reports flow collections nested deeper than MaxNesting, at the
// bracket that goes too deep. It reads the bytes before the YAML parser does,
// whose time grows with the square of the depth. It skips quoted strings and
// comments, so it overcounts only brackets inside plain or block scalars; as
// a quote may be misread (an apostrophe in a plain scalar), any bracket more
// than rawNesting deep counting every bracket is refused too.
func checkNesting(file string, data []byte) Problems {
	const rawNesting = 1000
	depth, raw, line, lineStart := 0, 0, 1, 0
	var quote byte
	tooDeep := func(i int) Problems {
		return Problems{{File: file, Line: line, Col: i - lineStart + 1,
			Msg: fmt.Sprintf("collections nested more than %d deep", MaxNesting)}}
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '[', '{':
			if raw++; raw > rawNesting {
				return tooDeep(i)
			}
		case ']', '}':
			raw = max(raw-1, 0)
		}
		switch {
		case c == '\n':
			line, lineStart = line+1, i+1
		case quote == '"' && c == '\\':
			if i+1 < len(data) && data[i+1] != '\n' {
				i++ // the escaped byte cannot end the string
			}
		case quote != 0:
			if c == quote {
				quote = 0 // '' inside a single-quoted string reopens it at once
			}
		case (c == '"' || c == '\'') && tokenStart(data, i):
			quote = c
		case c == '#' && tokenStart(data, i):
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case c == '[' || c == '{':
			if depth++; depth > MaxNesting {
				return tooDeep(i)
			}
		case c == ']' || c == '}':
			depth = max(depth-1, 0)
		}
	}
	return nil
}

// tokenStart reports whether data[i] may begin a YAML token: it starts the
// file or follows a space, a line break or flow punctuation.
func tokenStart(data []byte, i int) bool {
	if i == 0 {
		return true
	}
	switch data[i-1] {
	case ' ', '\t', '\n', '\r', '[', '{', ',', ':', '-':
		return true
	}
	return false
}

// checkAliases reports an alias used inside its own anchor (its value would
// be infinite) and aliases that expand the document past MaxValues, at the
// alias concerned. The decoder follows aliases as it goes, so either would
// otherwise make it run out of memory.
func (d *decoder) checkAliases(root ast.Node) *Problem {
	c := aliasCheck{d: d, size: map[string]int{}}
	if c.count(root) > MaxValues && c.prob == nil && c.over != nil {
		p := nodePos(c.over)
		name := c.over.Value.GetToken().Value
		c.prob = &Problem{File: d.file, Line: p.line, Col: p.col,
			Msg: fmt.Sprintf("alias *%s expands the scenario past %d values (an alias repeats all of its anchor's value)", name, MaxValues)}
	}
	return c.prob
}

type aliasCheck struct {
	d *decoder
	// size is each anchor's size once expanded (saturated at MaxValues+1);
	// -1 while it is being counted.
	size map[string]int
	prob *Problem
	// over is the first alias that took a count past MaxValues.
	over *ast.AliasNode
}

// count returns the number of nodes under n with aliases expanded, saturated
// just past MaxValues.
func (c *aliasCheck) count(n ast.Node) int {
	total := 0
	ast.Walk(countVisitor{c: c, total: &total}, n)
	return total
}

type countVisitor struct {
	c     *aliasCheck
	total *int
}

func (v countVisitor) Visit(n ast.Node) ast.Visitor {
	if v.c.prob != nil || *v.total > MaxValues {
		return nil
	}
	*v.total++
	al, ok := n.(*ast.AliasNode)
	if !ok || al.Value == nil {
		return v
	}
	*v.total = min(*v.total+v.c.expand(al), MaxValues+1)
	if *v.total > MaxValues && v.c.over == nil {
		v.c.over = al
	}
	return nil
}

// expand returns the size of the value alias al stands for.
func (c *aliasCheck) expand(al *ast.AliasNode) int {
	name := al.Value.GetToken().Value
	target, ok := c.d.anchors[name]
	if !ok {
		return 0
	}
	switch size, seen := c.size[name]; {
	case seen && size < 0:
		p := nodePos(al)
		c.prob = &Problem{File: c.d.file, Line: p.line, Col: p.col,
			Msg: fmt.Sprintf("alias *%s is used inside its own anchor &%s: its value would never end", name, name)}
		return 0
	case seen:
		return size
	}
	c.size[name] = -1
	size := c.count(target)
	c.size[name] = size
	return size
}
