package scenarios

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads, decodes and validates the scenario file at path. A bad
// scenario yields Problems; a file that cannot be read, the os error.
// Each adjust function changes the decoded spec before it is validated
// (e.g. command-line overrides).
func Load(path string, adjust ...func(*Spec)) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	defer f.Close()
	// One byte past the bound is enough for Parse to refuse the file.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, data, adjust...)
}

// Parse decodes, defaults and validates data. file names the source in
// error messages and becomes Spec.File. Every problem found is returned at
// once as Problems, in file order. Each adjust function changes the
// decoded spec before it is validated. Problems found once the document
// decoded come with the spec as decoded, so that a caller can check more of
// it (its faults' parameters) and report those problems too; such a spec
// must not be run.
func Parse(file string, data []byte, adjust ...func(*Spec)) (*Spec, error) {
	if probs := checkSize(file, data); probs != nil {
		return nil, probs
	}
	if probs := checkNesting(file, data); probs != nil {
		return nil, probs
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, syntaxProblems(file, err)
	}
	var body ast.Node
	for i, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			p := nodePos(doc.Body)
			return nil, Problems{{File: file, Line: p.line, Col: p.col, Msg: fmt.Sprintf("document %d: a scenario file holds one YAML document", i+1)}}
		}
		body = doc.Body
	}
	if body == nil {
		return nil, Problems{{File: file, Line: 1, Col: 1, Msg: "empty scenario"}}
	}
	d := newDecoder(file, body)
	if p := d.checkAliases(body); p != nil {
		return nil, Problems{*p}
	}
	s := &Spec{}
	d.decodeValue(body, reflect.ValueOf(s).Elem(), "", "")
	s.File = file
	s.pos, s.bad = d.pos, d.bad
	if s.Name == "" {
		base := filepath.Base(strings.TrimPrefix(file, "library:"))
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	for _, fn := range adjust {
		fn(s)
	}
	probs := d.probs
	var vp Problems
	if errors.As(s.Validate(), &vp) {
		probs = append(probs, vp...)
	}
	if len(probs) > 0 {
		SortProblems(probs)
		return s, probs
	}
	return s, nil
}

// syntaxProblems turns a parser error into one positioned Problem.
func syntaxProblems(file string, err error) Problems {
	var se *yaml.SyntaxError
	if errors.As(err, &se) {
		p := Problem{File: file, Msg: "yaml: " + se.GetMessage()}
		if tk := se.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Col = tk.Position.Line, tk.Position.Column
		}
		return Problems{p}
	}
	return Problems{{File: file, Msg: "yaml: " + err.Error()}}
}

// decoder walks the YAML AST alongside the Go types, collecting every
// problem rather than stopping at the first as yaml.Strict decoding does.
type decoder struct {
	file    string
	probs   Problems
	pos     map[string]position
	bad     map[string]bool
	anchors map[string]ast.Node
}

func newDecoder(file string, root ast.Node) *decoder {
	d := &decoder{file: file, pos: map[string]position{}, bad: map[string]bool{}, anchors: map[string]ast.Node{}}
	ast.Walk(anchorCollector(d.anchors), root)
	return d
}

type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.GetToken().Value] = an.Value
	}
	return a
}

// resolve strips tags and anchors and follows aliases.
func (d *decoder) resolve(n ast.Node) ast.Node {
	for range 100 {
		n = unwrap(n)
		al, ok := n.(*ast.AliasNode)
		if !ok {
			return n
		}
		target, ok := d.anchors[al.Value.GetToken().Value]
		if !ok {
			return n
		}
		n = target
	}
	return n
}

// problem records msg at n; path is marked bad so Validate stays quiet about it.
func (d *decoder) problem(n ast.Node, path, msg string) {
	p := nodePos(n)
	d.probs = append(d.probs, Problem{File: d.file, Line: p.line, Col: p.col, Path: path, Msg: msg})
	d.bad[path] = true
}

// fail records a value problem: "path: msg".
func (d *decoder) fail(n ast.Node, path, msg string) {
	if path != "" {
		msg = path + ": " + msg
	}
	d.problem(n, path, msg)
}

// failErr records err from a NodeUnmarshaler, at its own node when it has one.
func (d *decoder) failErr(n ast.Node, path string, err error) {
	var ne *nodeError
	if errors.As(err, &ne) {
		d.fail(ne.node, path, ne.msg)
		return
	}
	d.fail(n, path, err.Error())
}

// entry is one key/value pair of a mapping, after merge keys are expanded.
type entry struct {
	key   string
	keyN  ast.Node
	value ast.Node
}

// entries returns the pairs of mapping n in order; keys merged in with
// "<<" come first and are overridden by keys written explicitly.
func (d *decoder) entries(n ast.Node, path string) ([]entry, bool) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		if mv, isMV := n.(*ast.MappingValueNode); isMV {
			m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			d.fail(n, path, "expected a mapping, got "+describe(n))
			return nil, false
		}
	}
	var merged, own []entry
	for _, mv := range m.Values {
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); isMerge {
			src := d.resolve(mv.Value)
			var srcs []ast.Node
			if seq, isSeq := src.(*ast.SequenceNode); isSeq {
				for _, s := range seq.Values {
					srcs = append(srcs, d.resolve(s))
				}
			} else {
				srcs = append(srcs, src)
			}
			for _, s := range srcs {
				es, ok := d.entries(s, path)
				if !ok {
					return nil, false
				}
				merged = append(merged, es...)
			}
			continue
		}
		k := d.resolve(mv.Key)
		if !isScalar(k) {
			d.fail(k, path, "mapping keys must be strings, got "+describe(k))
			continue
		}
		own = append(own, entry{key: scalarText(k), keyN: k, value: mv.Value})
	}
	if len(merged) == 0 {
		return own, true
	}
	seen := map[string]bool{}
	for _, e := range own {
		seen[e.key] = true
	}
	var out []entry
	for _, e := range merged {
		if !seen[e.key] {
			seen[e.key] = true
			out = append(out, e)
		}
	}
	return append(out, own...), true
}
