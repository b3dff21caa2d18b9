package scenarios

import (
	"encoding/json"
	"errors"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
)

// A JSONPath is a compiled path into a JSON document, a subset of JSONPath:
// "$" then any of ".name", "['name']" (or double quotes) and "[N]", where a
// negative N counts from the end: "$.items[0].id", "$['a b'][-1]". It is
// immutable and safe for concurrent use.
type JSONPath struct {
	src  string
	segs []pathSeg
}

type pathSeg struct {
	key   string
	index int
	isIdx bool
}

// ParseJSONPath compiles src.
func ParseJSONPath(src string) (JSONPath, error) {
	bad := func(why string) (JSONPath, error) {
		return JSONPath{}, errors.New("invalid json path " + strconv.Quote(src) + ": " + why + ` (use e.g. "$.items[0].id")`)
	}
	if !strings.HasPrefix(src, "$") {
		return bad("it must start with $")
	}
	p := JSONPath{src: src}
	rest := src[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			key := rest[1 : 1+end]
			if key == "" {
				return bad("empty name after .")
			}
			p.segs = append(p.segs, pathSeg{key: key})
			rest = rest[1+end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return bad("unclosed [")
			}
			in := strings.TrimSpace(rest[1:end])
			switch {
			case len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0]:
				p.segs = append(p.segs, pathSeg{key: in[1 : len(in)-1]})
			default:
				n, err := strconv.Atoi(in)
				if err != nil {
					return bad("[" + in + "] is neither an index nor a quoted name")
				}
				p.segs = append(p.segs, pathSeg{index: n, isIdx: true})
			}
			rest = rest[end+1:]
		default:
			return bad("unexpected " + strconv.Quote(rest[:1]))
		}
	}
	return p, nil
}

// String returns the path as written.
func (p JSONPath) String() string { return p.src }

// Eval walks v, a document decoded by encoding/json, and returns the value
// at the path and whether it exists.
func (p JSONPath) Eval(v any) (any, bool) {
	for _, s := range p.segs {
		switch x := v.(type) {
		case map[string]any:
			if s.isIdx {
				return nil, false
			}
			var ok bool
			if v, ok = x[s.key]; !ok {
				return nil, false
			}
		case []any:
			if !s.isIdx {
				return nil, false
			}
			i := s.index
			if i < 0 {
				i += len(x)
			}
			if i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// ValueText is the text of a JSON value as extract and expect use it: a
// string as is, a number as written, true/false, null, and objects and
// arrays as compact JSON.
func ValueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Extract kinds.
const (
	ExtractJSON   = "json"
	ExtractHeader = "header"
	ExtractRegex  = "regex"
)

// An Extractor says where a flow variable comes from in a response.
type Extractor struct {
	// Kind is ExtractJSON, ExtractHeader or ExtractRegex.
	Kind string
	// Path is the JSON path (ExtractJSON).
	Path JSONPath
	// Header is the canonical header name (ExtractHeader).
	Header string
	// Regex is matched against the body (ExtractRegex); the value is its
	// first group, or the whole match when it has none.
	Regex *regexp.Regexp
}

// ParseExtract compiles an extract source: "$.path", "header:NAME" or
// "regex:PATTERN".
func ParseExtract(src string) (Extractor, error) {
	switch {
	case strings.HasPrefix(src, "$"):
		p, err := ParseJSONPath(src)
		return Extractor{Kind: ExtractJSON, Path: p}, err
	case strings.HasPrefix(src, "header:"):
		name := strings.TrimSpace(strings.TrimPrefix(src, "header:"))
		if !validToken(name) {
			return Extractor{}, errors.New("invalid header name " + strconv.Quote(name) + ` (use e.g. "header:Location")`)
		}
		return Extractor{Kind: ExtractHeader, Header: textproto.CanonicalMIMEHeaderKey(name)}, nil
	case strings.HasPrefix(src, "regex:"):
		re, err := regexp.Compile(strings.TrimPrefix(src, "regex:"))
		if err != nil {
			return Extractor{}, errors.New("invalid regex " + strconv.Quote(strings.TrimPrefix(src, "regex:")) + ": " + err.Error())
		}
		return Extractor{Kind: ExtractRegex, Regex: re}, nil
	}
	return Extractor{}, errors.New("invalid extract " + strconv.Quote(src) + ` (use a json path "$.id", "header:Location" or "regex:order-(\d+)")`)
}

// Value returns the extracted value from a response's header lookup and
// body (decoded JSON in doc, raw bytes in body), and whether it was found.
func (e Extractor) Value(header func(string) string, body []byte, doc any) (string, bool) {
	switch e.Kind {
	case ExtractJSON:
		v, ok := e.Path.Eval(doc)
		if !ok {
			return "", false
		}
		return ValueText(v), true
	case ExtractHeader:
		v := header(e.Header)
		return v, v != ""
	case ExtractRegex:
		m := e.Regex.FindSubmatch(body)
		switch {
		case m == nil:
			return "", false
		case len(m) > 1:
			return string(m[1]), true
		}
		return string(m[0]), true
	}
	return "", false
}

// NeedsBody reports whether the extractor reads the response body.
func (e Extractor) NeedsBody() bool { return e.Kind != ExtractHeader }
