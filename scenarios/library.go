package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
)

//go:embed library/*.yaml
var library embed.FS

// ErrNotFound is returned (wrapped) by Open when ref is neither a file nor
// the name of a library scenario.
var ErrNotFound = errors.New("no such scenario")

// Entry describes one library scenario.
type Entry struct {
	// Name is what Open accepts, e.g. "quickstart".
	Name string
	// Description is the scenario's description field.
	Description string
}

// Library lists the scenarios embedded in the binary, sorted by name.
func Library() []Entry {
	return slices.Clone(libraryEntries())
}

var libraryEntries = sync.OnceValue(func() []Entry {
	files, err := fs.Glob(library, "library/*.yaml")
	if err != nil {
		panic(err) // the pattern is constant
	}
	var entries []Entry
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".yaml")
		e := Entry{Name: name}
		data, _ := library.ReadFile(f)
		if s, err := Parse("library:"+name, data); err == nil {
			e.Description = s.Description
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return entries
})

// libraryAliases maps former names of library scenarios to their names.
var libraryAliases = map[string]string{"go-vs-jvm": "go-jvm-python"}

// libraryName is the library scenario that name (with or without the .yaml
// extension, or a former name) refers to.
func libraryName(name string) string {
	name = strings.TrimSuffix(name, ".yaml")
	if to, ok := libraryAliases[name]; ok {
		return to
	}
	return name
}

// LibraryFile returns the raw YAML of the library scenario name (with or
// without the .yaml extension, or a former name); the caller may modify the
// returned bytes.
func LibraryFile(name string) ([]byte, bool) {
	name = libraryName(name)
	if name == "" || strings.ContainsAny(name, `/\`) {
		return nil, false
	}
	data, err := library.ReadFile("library/" + name + ".yaml")
	return data, err == nil
}

// Open resolves ref as a file path when such a file exists, else as the
// name of a library scenario ("library:NAME" also works), then decodes and
// validates it; each adjust function changes the decoded spec before it is
// validated. A ref that is neither yields an error wrapping ErrNotFound.
func Open(ref string, adjust ...func(*Spec)) (*Spec, error) {
	if name, ok := strings.CutPrefix(ref, "library:"); ok {
		return openLibrary(ref, name, adjust)
	}
	if fi, err := os.Stat(ref); err == nil && !fi.IsDir() {
		return Load(ref, adjust...)
	}
	return openLibrary(ref, ref, adjust)
}

func openLibrary(ref, name string, adjust []func(*Spec)) (*Spec, error) {
	data, ok := LibraryFile(name)
	if !ok {
		var names []string
		for _, e := range libraryEntries() {
			names = append(names, e.Name)
		}
		return nil, fmt.Errorf("scenario %q is neither a file nor a library scenario%s (library: %s): %w",
			ref, hint(name, names), strings.Join(names, ", "), ErrNotFound)
	}
	return Parse("library:"+libraryName(name), data, adjust...)
}

// Source returns the raw YAML that Open(ref) decodes: the file's bytes, or
// the library scenario's.
func Source(ref string) ([]byte, error) {
	if name, ok := strings.CutPrefix(ref, "library:"); ok {
		ref = name
	} else if fi, err := os.Stat(ref); err == nil && !fi.IsDir() {
		return os.ReadFile(ref)
	}
	data, ok := LibraryFile(ref)
	if !ok {
		return nil, fmt.Errorf("scenario %q is neither a file nor a library scenario: %w", ref, ErrNotFound)
	}
	return data, nil
}
