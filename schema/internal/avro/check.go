package avro

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrData reports binary data that does not fit its schema.
var ErrData = errors.New("invalid avro data")

// maxDepth bounds nesting while checking data against a recursive schema.
const maxDepth = 256

// Check walks one datum of t at the start of data without allocating and returns the
// number of bytes it takes. It fails on truncated data, out-of-range union and enum
// indexes, and block counts or lengths larger than the bytes left, so a decoder that
// preallocates from those counts stays bounded by the input size.
func (t *Type) Check(data []byte) (int, error) {
	rest, err := skip(t, data, 0)
	if err != nil {
		return 0, err
	}
	return len(data) - len(rest), nil
}

func readLong(b []byte) (int64, []byte, error) {
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: bad varint", ErrData)
	}
	return int64(u>>1) ^ -int64(u&1), b[n:], nil
}

func need(b []byte, n int64) ([]byte, error) {
	if n < 0 || n > int64(len(b)) {
		return nil, fmt.Errorf("%w: length %d with %d bytes left", ErrData, n, len(b))
	}
	return b[n:], nil
}

func skip(t *Type, b []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrData, maxDepth)
	}
	switch t.Kind {
	case Null:
		return b, nil
	case Boolean:
		return need(b, 1)
	case Int, Long:
		_, b, err := readLong(b)
		return b, err
	case Float:
		return need(b, 4)
	case Double:
		return need(b, 8)
	case Bytes, String:
		n, b, err := readLong(b)
		if err != nil {
			return nil, err
		}
		return need(b, n)
	case Fixed:
		return need(b, int64(t.Size))
	case Enum:
		i, b, err := readLong(b)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= int64(len(t.Symbols)) {
			return nil, fmt.Errorf("%w: enum index %d of %d", ErrData, i, len(t.Symbols))
		}
		return b, nil
	case Union:
		i, b, err := readLong(b)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= int64(len(t.Branches)) {
			return nil, fmt.Errorf("%w: union index %d of %d", ErrData, i, len(t.Branches))
		}
		return skip(t.Branches[i], b, depth+1)
	case Record:
		var err error
		for i := range t.Fields {
			if b, err = skip(t.Fields[i].Type, b, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case Array, Map:
		for {
			n, rest, err := readLong(b)
			if err != nil {
				return nil, err
			}
			b = rest
			if n == 0 {
				return b, nil
			}
			if n < 0 {
				if n == math.MinInt64 {
					return nil, fmt.Errorf("%w: block count overflow", ErrData)
				}
				n = -n
				if _, b, err = readLong(b); err != nil { // block size in bytes
					return nil, err
				}
			}
			if n > int64(len(b)) {
				return nil, fmt.Errorf("%w: block of %d items with %d bytes left", ErrData, n, len(b))
			}
			for ; n > 0; n-- {
				if t.Kind == Map {
					k, rest, err := readLong(b)
					if err != nil {
						return nil, err
					}
					if b, err = need(rest, k); err != nil {
						return nil, err
					}
					if b, err = skip(t.Values, b, depth+1); err != nil {
						return nil, err
					}
				} else if b, err = skip(t.Items, b, depth+1); err != nil {
					return nil, err
				}
			}
		}
	}
	return nil, fmt.Errorf("%w: unknown kind %q", ErrData, t.Kind)
}
