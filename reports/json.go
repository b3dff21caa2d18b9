package reports

import (
	"encoding/json"
	"io"

	"github.com/gauntletbench/gauntlet/metrics"
)

// JSON writes s as one indented JSON object: gauntlet's machine-readable
// summary (`--output json`), whose field names are a stable interface.
func JSON(w io.Writer, s *metrics.Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}
