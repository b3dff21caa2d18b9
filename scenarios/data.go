package scenarios

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Data modes: how a request's iterations take rows from its data file.
const (
	// DataSequential hands out the rows in file order, wrapping around.
	DataSequential = "sequential"
	// DataRandom picks a row uniformly at random for each iteration.
	DataRandom = "random"
	// DataUnique hands out each row once; when the rows run out the run
	// stops (the summary says so).
	DataUnique = "unique"
)

var dataModes = []string{DataSequential, DataRandom, DataUnique}

// Data is a CSV file feeding rows to a request's templates as ${row.COLUMN}.
// The first line of the file names the columns.
type Data struct {
	// File is the CSV file; a relative path resolves against the folder of
	// the scenario file.
	File string `yaml:"file"`
	// Mode is DataSequential (the default), DataRandom or DataUnique.
	Mode string `yaml:"mode"`
	// Path is File resolved; set by Validate.
	Path string `yaml:"-"`
	// Columns and Rows are the file's content, read by Validate. Every row
	// has len(Columns) fields.
	Columns []string   `yaml:"-"`
	Rows    [][]string `yaml:"-"`
}

func (d *Data) preset() { d.Mode = DataSequential }

// RowVar is the template name of a data column: "row.COLUMN".
func RowVar(column string) string { return "row." + column }

// data checks a request's data block, reads its file, and returns the
// template names its columns provide.
func (v *validator) data(path string, d *Data) []string {
	if !slices.Contains(dataModes, d.Mode) {
		v.add(path+".mode", "unknown mode "+strconv.Quote(d.Mode)+or(hint(d.Mode, dataModes), " (use sequential, random or unique)"))
	}
	if d.File == "" {
		v.add(path+".file", "missing file (e.g. file: users.csv)")
		return nil
	}
	d.Path = d.File
	if !filepath.IsAbs(d.Path) && v.s.File != "" && !strings.HasPrefix(v.s.File, "library:") {
		d.Path = filepath.Join(filepath.Dir(v.s.File), d.File)
	}
	cols, rows, err := readCSV(d.Path)
	if err != nil {
		v.add(path+".file", err.Error())
	} else {
		d.Columns, d.Rows = cols, rows
	}
	if cols == nil {
		// Without a header the columns are unknown: the templates' row
		// names cannot be checked, and calling them unknown would mislead.
		return []string{anyRow}
	}
	names := make([]string, 0, len(cols))
	for _, c := range cols {
		if validName(c) {
			names = append(names, RowVar(c))
		}
	}
	return names
}

// anyRow stands for every ${row.COLUMN} name among a template's allowed
// names when the data file's columns could not be read.
const anyRow = "row.*"

// readCSV reads a CSV file whose first line names the columns. On an error
// after the header it still returns the header's columns.
func readCSV(path string) ([]string, [][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, errors.New("data file " + strconv.Quote(path) + " does not exist")
		}
		return nil, nil, errors.New("data file " + strconv.Quote(path) + ": " + err.Error())
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, errors.New("data file " + strconv.Quote(path) + " is empty (want a header line naming the columns, then rows)")
	}
	if err != nil {
		return nil, nil, errors.New("data file " + strconv.Quote(path) + ": " + err.Error())
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount) {
			fields := "fields"
			if len(rec) == 1 {
				fields = "field"
			}
			return header, nil, fmt.Errorf("data file %s: line %d has %d %s; the header names %d (%s)",
				strconv.Quote(path), pe.StartLine, len(rec), fields, len(header), strings.Join(header, ", "))
		}
		if err != nil {
			return header, nil, errors.New("data file " + strconv.Quote(path) + ": " + err.Error())
		}
		rows = append(rows, rec)
	}
	if len(rows) == 0 {
		return header, nil, errors.New("data file " + strconv.Quote(path) + " has no rows after its header line")
	}
	return header, rows, nil
}
