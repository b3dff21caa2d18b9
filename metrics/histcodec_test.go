package metrics

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// codecCases are histograms that exercise the V2 payload: single values at
// both ends of the range, every bucket full, counts needing every length of
// ZigZag number, single empty buckets between full ones, long empty runs.
func codecCases() []struct {
	name   string
	values map[int64]int64 // value in µs → count
} {
	every := map[int64]int64{}
	for i := range histCountsLen {
		every[bucketValue(i)] = int64(i%7 + 1)
	}
	wide := map[int64]int64{}
	for i := range 9 {
		wide[int64(1000+i*2)] = 1<<(7*i+3) + int64(i) // 1 to 9 bytes once zig-zagged
	}
	wide[5000] = math.MaxInt64 / 4
	lognormal := map[int64]int64{}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		lognormal[int64(2000*math.Exp(0.8*rng.NormFloat64()))+1]++
	}
	return []struct {
		name   string
		values map[int64]int64
	}{
		{"lowest value", map[int64]int64{histLowest: 1}},
		{"highest value", map[int64]int64{histHighest: 3}},
		{"every bucket", every},
		{"counts of every length", wide},
		{"single empty buckets", map[int64]int64{10: 1, 12: 2, 14: 3, 3000: 1, 3004: 5}},
		{"lognormal", lognormal},
	}
}

func libraryHistogram(t *testing.T, values map[int64]int64) *hdrhistogram.Histogram {
	t.Helper()
	h := hdrhistogram.New(histLowest, histHighest, histDigits)
	for v, n := range values {
		if err := h.RecordValues(v, n); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestEncodeIsHdrHistogramGos(t *testing.T) {
	for _, tc := range codecCases() {
		t.Run(tc.name, func(t *testing.T) {
			lib := libraryHistogram(t, tc.values)
			want, err := lib.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
			if err != nil {
				t.Fatal(err)
			}
			h := &Histogram{h: lib}
			for range 2 { // the second time on pooled buffers and compressor
				got, err := h.Encode()
				if err != nil {
					t.Fatal(err)
				}
				if got != string(want) {
					t.Fatalf("Encode differs from hdrhistogram-go's:\n got %.120s…\nwant %.120s…", got, want)
				}
			}
		})
	}
}

func TestMergeEncodedAddsWhatHdrHistogramGoDecodes(t *testing.T) {
	for _, tc := range codecCases() {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := libraryHistogram(t, tc.values).Encode(hdrhistogram.V2CompressedEncodingCookieBase)
			if err != nil {
				t.Fatal(err)
			}
			// Into a histogram that already holds values, twice.
			got := NewHistogram()
			got.Record(3 * time.Millisecond)
			want := libraryHistogram(t, map[int64]int64{3000: 1})
			for range 2 {
				if !mergeV2(got, string(enc)) {
					t.Fatal("mergeV2 declined a histogram of gauntlet's own range")
				}
				o, err := hdrhistogram.Decode(enc)
				if err != nil {
					t.Fatal(err)
				}
				want.Merge(o)
			}
			if !slices.Equal(got.h.Export().Counts, want.Export().Counts) || got.Count() != want.TotalCount() ||
				got.h.Max() != want.Max() || got.h.Min() != want.Min() {
				t.Errorf("merged: total %d, min %d, max %d; hdrhistogram-go: total %d, min %d, max %d (or their buckets differ)",
					got.Count(), got.h.Min(), got.h.Max(), want.TotalCount(), want.Min(), want.Max())
			}
		})
	}
}

func TestBucketValueIsEachBucketsLowest(t *testing.T) {
	h := hdrhistogram.New(histLowest, histHighest, histDigits)
	for i := range histCountsLen {
		v := bucketValue(i)
		if err := h.RecordValue(v); err != nil {
			t.Fatalf("bucket %d: value %d: %v", i, v, err)
		}
		if v > histLowest && h.ValuesAreEquivalent(v, v-1) {
			t.Fatalf("bucketValue(%d) = %d is not the lowest value of its bucket", i, v)
		}
	}
	// histCountsLen values, one in each bucket: bucketValue maps the indexes
	// one to one onto hdrhistogram-go's buckets, in order.
	counts := h.Export().Counts
	if len(counts) != histCountsLen {
		t.Fatalf("histCountsLen = %d; hdrhistogram-go has %d buckets", histCountsLen, len(counts))
	}
	if i := slices.IndexFunc(counts, func(c int64) bool { return c != 1 }); i >= 0 {
		t.Fatalf("bucket %d holds %d of the values; want one each", i, counts[i])
	}
}

func TestBucketIndexInvertsBucketValue(t *testing.T) {
	for i := 1; i < histCountsLen; i++ {
		lo := bucketValue(i)
		if lo > histHighest {
			break
		}
		if got := bucketIndex(lo); got != i {
			t.Fatalf("bucketIndex(%d) = %d; want %d (the bucket it is the lowest value of)", lo, got, i)
		}
		if hi := bucketValue(i+1) - 1; i+1 < histCountsLen && hi > lo && hi <= histHighest {
			if got := bucketIndex(hi); got != i {
				t.Fatalf("bucketIndex(%d) = %d; want %d (the bucket it is the highest value of)", hi, got, i)
			}
		}
	}
}

// v2 builds a V2 compressed histogram of gauntlet's range from a raw
// payload, for inputs no encoder writes.
func v2(t *testing.T, payload []byte, header func([]byte)) string {
	t.Helper()
	raw := make([]byte, v2HeaderSize, v2HeaderSize+len(payload))
	be := binary.BigEndian
	be.PutUint32(raw[0:], v2Cookie)
	be.PutUint32(raw[4:], uint32(len(payload)))
	be.PutUint32(raw[12:], histDigits)
	be.PutUint64(raw[16:], histLowest)
	be.PutUint64(raw[24:], uint64(histHighest))
	be.PutUint64(raw[32:], math.Float64bits(1))
	raw = append(raw, payload...)
	if header != nil {
		header(raw)
	}
	var z bytes.Buffer
	z.Write(make([]byte, 8))
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	out := z.Bytes()
	be.PutUint32(out[0:], v2CompressedCookie)
	be.PutUint32(out[4:], uint32(len(out)-8))
	return base64.StdEncoding.EncodeToString(out)
}

func zigZags(vs ...int64) []byte {
	var out []byte
	for _, v := range vs {
		var b [zigZagMaxBytes]byte
		out = append(out, b[:putZigZag(b[:], v)]...)
	}
	return out
}

func TestMergeEncodedRejectsWhatIsNotAHistogram(t *testing.T) {
	good, err := libraryHistogram(t, map[int64]int64{5: 2, 700: 1}).Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(string(good))
	flipped := slices.Clone(raw)
	flipped[len(flipped)-2] ^= 0x40 // inside the zlib checksum
	for _, tc := range []struct{ name, enc string }{
		{"not base64", "%%%"},
		{"truncated", string(good[:len(good)/2])},
		{"checksum", base64.StdEncoding.EncodeToString(flipped)},
		{"empty run past the last bucket", v2(t, zigZags(-int64(histCountsLen)-1), nil)},
		{"count past the last bucket", v2(t, zigZags(-int64(histCountsLen), 1), nil)},
		{"counts past MaxInt64", v2(t, zigZags(math.MaxInt64, 1), nil)},
		{"number cut short", v2(t, []byte{0x81}, nil)},
		{"payload longer than said", v2(t, zigZags(1, 2), func(raw []byte) { binary.BigEndian.PutUint32(raw[4:], 1) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistogram()
			h.Record(time.Millisecond)
			if h.MergeEncoded(tc.enc) == nil {
				t.Errorf("MergeEncoded accepted it; hdrhistogram-go rejects it")
			}
			if h.Count() != 1 {
				t.Errorf("a failed merge left %d values; want the 1 there before", h.Count())
			}
		})
	}
}

func TestMergeEncodedReadsOtherRanges(t *testing.T) {
	other := hdrhistogram.New(1, 1_000_000, 2)
	for _, v := range []int64{3, 250, 999_000} {
		other.RecordValue(v)
	}
	enc, err := other.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	if mergeV2(NewHistogram(), string(enc)) {
		t.Fatal("mergeV2 read a histogram of another range and precision as its own")
	}
	h := NewHistogram()
	if err := h.MergeEncoded(string(enc)); err != nil {
		t.Fatal(err)
	}
	if h.Count() != 3 || h.Max() < 990*time.Millisecond {
		t.Errorf("merged %d values, max %v; want 3, max near 999 ms", h.Count(), h.Max())
	}
}

// FuzzMergeV2 checks that whatever mergeV2 accepts, hdrhistogram-go decodes
// to the same counts.
func FuzzMergeV2(f *testing.F) {
	for _, vs := range []map[int64]int64{{1: 1}, {10: 1, 12: 2, 5000: 7}, {histHighest: 2}} {
		h := hdrhistogram.New(histLowest, histHighest, histDigits)
		for v, n := range vs {
			h.RecordValues(v, n)
		}
		enc, _ := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		f.Add(string(enc))
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := NewHistogram()
		if !mergeV2(h, s) {
			return
		}
		o, err := hdrhistogram.Decode([]byte(s))
		if err != nil {
			t.Fatalf("mergeV2 accepted what hdrhistogram-go rejects: %v", err)
		}
		want := hdrhistogram.New(histLowest, histHighest, histDigits)
		want.Merge(o)
		if !slices.Equal(h.h.Export().Counts, want.Export().Counts) {
			t.Fatal("mergeV2 and hdrhistogram-go decode different counts")
		}
	})
}
