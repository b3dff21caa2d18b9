package metrics

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"io"
	"math"
	"math/bits"
	"sync"
)

// HdrHistogram's V2 compressed encoding, which every HdrHistogram
// implementation reads, is base64 of
//
//	int32 cookie 0x1c849314, int32 length of what follows, zlib of:
//	  int32 cookie 0x1c849313, int32 payload length, int32 normalizing index
//	  offset (0), int32 significant digits, int64 lowest and int64 highest
//	  trackable value, float64 integer-to-double ratio (1), then the payload:
//	  each bucket's count in index order as a ZigZag LEB128 number of at most
//	  9 bytes, a run of n > 1 empty buckets as -n, up to the highest non-empty
//	  bucket.
//
// hdrhistogram-go encodes through a new best-compression zlib writer each
// time (some 800 KB), and decodes into a new histogram of every bucket
// (190 KB at gauntlet's range) that Merge then walks bucket by bucket. The
// recorder encodes a histogram per request kind and interval, and a summary
// decodes every one of them, so gauntlet does both itself: its compressors
// and decompressors are pooled, and decoded counts go straight into the
// histogram they are merged into. Encode's output is byte for byte
// hdrhistogram-go's; MergeEncoded leaves histograms of another range, and
// anything it cannot read, to hdrhistogram-go.
const (
	v2Cookie           = 0x1c849313
	v2CompressedCookie = 0x1c849314
	v2HeaderSize       = 40
	zigZagMaxBytes     = 9
)

// The bucket geometry of gauntlet's histograms (histLowest 1, histDigits 3):
// buckets of 2048 sub-buckets, the first whole and every later one's upper
// half, each bucket twice the width of the one before, enough of them to
// reach histHighest.
const (
	subBucketHalfMagnitude = 10 // log2 of 1024 = 2048/2: 2 × 10^histDigits rounded up to a power of two, halved
	subBucketHalf          = 1 << subBucketHalfMagnitude
)

// histCountsLen is the number of buckets of a histogram from histLowest to
// histHighest.
var histCountsLen = func() int {
	buckets := 1
	for top := int64(2 * subBucketHalf); top <= histHighest; top <<= 1 {
		buckets++
	}
	return (buckets + 1) * subBucketHalf
}()

// bucketValue is the lowest value counted in bucket index i.
func bucketValue(i int) int64 {
	bucket := i>>subBucketHalfMagnitude - 1
	sub := int64(i&(subBucketHalf-1) + subBucketHalf)
	if bucket < 0 {
		sub -= subBucketHalf
		bucket = 0
	}
	return sub << bucket
}

// bucketIndex is the bucket counting v (histLowest ≤ v ≤ histHighest): the
// inverse of bucketValue. The bucket is the power of two above v beyond the
// first whole 2048 values, the sub-bucket v's top bits within it.
func bucketIndex(v int64) int {
	bucket := bits.Len64(uint64(v)|(2*subBucketHalf-1)) - (subBucketHalfMagnitude + 1)
	return (bucket+1)<<subBucketHalfMagnitude + int(v>>bucket) - subBucketHalf
}

// codecBuffers are the scratch space of one Encode or MergeEncoded.
type codecBuffers struct {
	raw, z bytes.Buffer
	b64    []byte
	counts []bucketCount
}

type bucketCount struct {
	index int
	count int64
}

var (
	codecScratch = sync.Pool{New: func() any { return new(codecBuffers) }}
	zlibWriters  = sync.Pool{New: func() any {
		w, _ := zlib.NewWriterLevel(nil, zlib.BestCompression) // the level is valid
		return w
	}}
	zlibReaders sync.Pool // of io.ReadCloser that are zlib.Resetter
)

// encodeV2 returns counts (indexed by bucket) in V2 compressed, base64 form.
func encodeV2(counts []int64) (string, error) {
	last := len(counts) - 1
	for last >= 0 && counts[last] == 0 {
		last--
	}
	b := codecScratch.Get().(*codecBuffers)
	defer codecScratch.Put(b)
	b.raw.Reset()
	b.raw.Write(make([]byte, v2HeaderSize))
	var n [zigZagMaxBytes]byte
	for i := 0; i <= last; {
		c := counts[i]
		i++
		if c == 0 {
			run := int64(1)
			for i <= last && counts[i] == 0 {
				run++
				i++
			}
			if run > 1 {
				c = -run
			}
		}
		b.raw.Write(n[:putZigZag(n[:], c)])
	}
	raw := b.raw.Bytes()
	be := binary.BigEndian
	be.PutUint32(raw[0:], v2Cookie)
	be.PutUint32(raw[4:], uint32(len(raw)-v2HeaderSize))
	be.PutUint32(raw[8:], 0)
	be.PutUint32(raw[12:], histDigits)
	be.PutUint64(raw[16:], histLowest)
	be.PutUint64(raw[24:], uint64(histHighest))
	be.PutUint64(raw[32:], math.Float64bits(1))

	b.z.Reset()
	b.z.Write(make([]byte, 8))
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&b.z)
	if _, err := zw.Write(raw); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	out := b.z.Bytes()
	be.PutUint32(out[0:], v2CompressedCookie)
	be.PutUint32(out[4:], uint32(len(out)-8))
	return base64.StdEncoding.EncodeToString(out), nil
}

// mergeV2 adds the counts of s to h and reports whether it did: s must be a
// V2 compressed histogram of gauntlet's range and precision, whole and
// sound. Anything else (another range, or something it cannot read) it
// leaves to hdrhistogram-go. It reads all of s before adding anything, so h
// is unchanged when it returns false.
func mergeV2(h *Histogram, s string) bool {
	b := codecScratch.Get().(*codecBuffers)
	defer codecScratch.Put(b)
	var err error
	b.b64, err = base64.StdEncoding.AppendDecode(b.b64[:0], []byte(s))
	dec := b.b64
	if err != nil || len(dec) < 8 {
		return false
	}
	be := binary.BigEndian
	if be.Uint32(dec[0:]) != v2CompressedCookie || int64(be.Uint32(dec[4:])) != int64(len(dec)-8) {
		return false
	}
	zr, err := zlibReader(bytes.NewReader(dec[8:]))
	if err != nil {
		return false
	}
	defer zlibReaders.Put(zr)
	var hdr [v2HeaderSize]byte
	if _, err := io.ReadFull(zr, hdr[:]); err != nil {
		return false
	}
	size := int64(int32(be.Uint32(hdr[4:])))
	if be.Uint32(hdr[0:]) != v2Cookie || be.Uint32(hdr[12:]) != histDigits ||
		int64(be.Uint64(hdr[16:])) != histLowest || int64(be.Uint64(hdr[24:])) != histHighest ||
		size < 0 || size > int64(histCountsLen)*zigZagMaxBytes {
		return false
	}
	b.z.Reset()
	// One byte past the payload: reaching the end of the zlib stream there
	// also checks its checksum.
	if n, err := b.z.ReadFrom(io.LimitReader(zr, size+1)); err != nil || n != size {
		return false
	}
	payload := b.z.Bytes()
	b.counts = b.counts[:0]
	index, total := 0, int64(0)
	for len(payload) > 0 {
		c, n := zigZag(payload)
		if n == 0 {
			return false
		}
		payload = payload[n:]
		switch {
		case c < 0:
			if c == math.MinInt64 || -c > int64(histCountsLen-index) {
				return false
			}
			index += int(-c)
		case index >= histCountsLen || c > math.MaxInt64-total:
			return false
		default:
			if c > 0 {
				b.counts = append(b.counts, bucketCount{index, c})
				total += c
			}
			index++
		}
	}
	for _, bc := range b.counts {
		// The value is in range (index < histCountsLen), so this cannot fail.
		_ = h.h.RecordValues(bucketValue(bc.index), bc.count)
	}
	return true
}

// zlibReader returns a pooled zlib reader reset to read r.
func zlibReader(r io.Reader) (io.ReadCloser, error) {
	if zr, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := zr.(zlib.Resetter).Reset(r, nil); err != nil {
			zlibReaders.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return zlib.NewReader(r)
}

// putZigZag writes v to b as HdrHistogram's ZigZag LEB128 (7 bits a byte,
// the ninth byte whole) and returns the number of bytes written.
func putZigZag(b []byte, v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	for i := range zigZagMaxBytes - 1 {
		if u < 0x80 {
			b[i] = byte(u)
			return i + 1
		}
		b[i] = byte(u) | 0x80
		u >>= 7
	}
	b[zigZagMaxBytes-1] = byte(u)
	return zigZagMaxBytes
}

// zigZag reads a number putZigZag wrote at the start of b and returns it
// and its length in bytes; the length is 0 when b ends inside it.
func zigZag(b []byte) (int64, int) {
	var u uint64
	for i := range zigZagMaxBytes - 1 {
		if i == len(b) {
			return 0, 0
		}
		u |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return int64(u>>1) ^ -int64(u&1), i + 1
		}
	}
	if len(b) < zigZagMaxBytes {
		return 0, 0
	}
	u |= uint64(b[zigZagMaxBytes-1]) << (7 * (zigZagMaxBytes - 1))
	return int64(u>>1) ^ -int64(u&1), zigZagMaxBytes
}
