package scenarios

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a scenario, located in its file.
// Line and Col are 1-based; both are 0 when the position is unknown
// (for example for a Spec built in code rather than decoded).
type Problem struct {
	File string
	Line int
	Col  int
	// Path is the field path of the offending value, like load.stages[1].rate;
	// "" for the document as a whole.
	Path string
	// Msg is the lower-case message without a trailing period. It names the
	// field path itself, e.g. `unknown field "rat" in load.stages[1] (did you mean "rate"?)`.
	Msg string
}

// String formats p as "file:line:col: Msg", dropping the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteString(":")
	}
	if p.Line > 0 {
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteString(":")
		b.WriteString(strconv.Itoa(p.Col))
		b.WriteString(":")
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the error returned for a bad scenario: every problem found,
// in file order. It is never returned empty.
type Problems []Problem

// Error returns one line per problem, each formatted by Problem.String.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// SortProblems orders ps by position; problems without one keep their
// relative order and go last.
func SortProblems(ps Problems) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// position is a 1-based line and column in the scenario file.
type position struct{ line, col int }

// joinPath appends a field name to a path.
func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// parentPath drops the last element of path: "a.b[1]" -> "a.b" -> "a" -> "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// where describes path for messages: "in load.stages[1]" or "at the top level".
func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}
