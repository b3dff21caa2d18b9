package chaos

import (
	"fmt"
	"strconv"
	"strings"
)

// ByteSize is a size in bytes, written in scenarios as a number (1048576) or with a unit:
// "512KiB", "64MiB", "1GiB" (powers of 1024) or "500KB", "10MB", "1GB" (powers of 1000).
type ByteSize int64

var byteUnits = []struct {
	suffix string
	factor int64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

// UnmarshalText parses a size; it rejects negative and fractional byte counts.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.ToUpper(strings.TrimSpace(string(text)))
	factor := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, factor = strings.TrimSpace(num), u.factor
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f*float64(factor) > 1<<62 {
		return fmt.Errorf("invalid size %q (use e.g. 1048576, 512KiB, 64MiB)", text)
	}
	v := f * float64(factor)
	if v != float64(int64(v)) {
		return fmt.Errorf("invalid size %q: not a whole number of bytes", text)
	}
	*b = ByteSize(v)
	return nil
}

// MarshalText formats b as a plain number of bytes.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(strconv.FormatInt(int64(b), 10)), nil }
