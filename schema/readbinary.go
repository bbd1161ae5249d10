package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/dovetail-cdc/dovetail/schema/internal/avro"
)

// ErrData reports Avro bytes that do not fit their writer schema: truncated data, a bad
// varint, an out-of-range union index, an int out of its range, or trailing bytes.
var ErrData = errors.New("invalid avro data")

// reader reads the Avro binary encoding, the inverse of binary.go. Every method checks
// lengths against the bytes left, so outside bytes never make it allocate more than
// their own size.
type reader struct {
	b []byte
}

func (r *reader) long() (int64, error) {
	u, n := binary.Uvarint(r.b)
	if n <= 0 || n > 10 {
		return 0, fmt.Errorf("%w: bad varint", ErrData)
	}
	r.b = r.b[n:]
	return int64(u>>1) ^ -int64(u&1), nil
}

func (r *reader) int() (int32, error) {
	v, err := r.long()
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %d overflows an avro int", ErrData, v)
	}
	return int32(v), nil
}

func (r *reader) boolean() (bool, error) {
	if len(r.b) < 1 {
		return false, fmt.Errorf("%w: truncated boolean", ErrData)
	}
	c := r.b[0]
	r.b = r.b[1:]
	switch c {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("%w: boolean byte %#x", ErrData, c)
}

func (r *reader) float() (float32, error) {
	if len(r.b) < 4 {
		return 0, fmt.Errorf("%w: truncated float", ErrData)
	}
	f := math.Float32frombits(binary.LittleEndian.Uint32(r.b))
	r.b = r.b[4:]
	return f, nil
}

func (r *reader) double() (float64, error) {
	if len(r.b) < 8 {
		return 0, fmt.Errorf("%w: truncated double", ErrData)
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f, nil
}

// raw returns the next length-prefixed bytes without copying them.
func (r *reader) raw() ([]byte, error) {
	n, err := r.long()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > int64(len(r.b)) {
		return nil, fmt.Errorf("%w: length %d with %d bytes left", ErrData, n, len(r.b))
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p, nil
}

// bytes returns a copy of the next length-prefixed bytes.
func (r *reader) bytes() ([]byte, error) {
	p, err := r.raw()
	if err != nil {
		return nil, err
	}
	return append(make([]byte, 0, len(p)), p...), nil
}

func (r *reader) string() (string, error) {
	p, err := r.raw()
	return string(p), err
}

// twosComplement reads length-prefixed big-endian two's complement bytes (Avro decimal,
// VariableScaleDecimal's value).
func (r *reader) twosComplement() (*big.Int, error) {
	p, err := r.raw()
	if err != nil {
		return nil, err
	}
	return setTwosComplement(new(big.Int), p), nil
}

// setTwosComplement sets x to the big-endian two's complement p, the inverse of
// appendTwosComplement's payload.
func setTwosComplement(x *big.Int, p []byte) *big.Int {
	if len(p) == 0 || p[0]&0x80 == 0 {
		return x.SetBytes(p)
	}
	var buf [32]byte
	m := buf[:0]
	if len(p) > len(buf) {
		m = make([]byte, 0, len(p))
	}
	for _, c := range p {
		m = append(m, ^c) // ^v = -v-1
	}
	x.SetBytes(m)
	x.Add(x, bigOne)
	return x.Neg(x)
}

// branch reads a union index and checks it against the union's size.
func (r *reader) branch(n int) (int64, error) {
	i, err := r.long()
	if err != nil {
		return 0, err
	}
	if i < 0 || i >= int64(n) {
		return 0, fmt.Errorf("%w: union index %d of %d", ErrData, i, n)
	}
	return i, nil
}

// skip passes over one datum of t.
func (r *reader) skip(t *avro.Type) error {
	n, err := t.Check(r.b)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrData, err)
	}
	r.b = r.b[n:]
	return nil
}

// blockCount reads an array block's item count (0 ends the array). A negative count is
// followed by the block's size in bytes, which is skipped. Each item takes at least
// minItem bytes, so the count is checked against the bytes left.
func (r *reader) blockCount(minItem int) (int, error) {
	n, err := r.long()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		if n == math.MinInt64 {
			return 0, fmt.Errorf("%w: block count overflow", ErrData)
		}
		n = -n
		if _, err := r.long(); err != nil {
			return 0, err
		}
	}
	if minItem < 1 {
		minItem = 1
	}
	if n > int64(len(r.b)/minItem) {
		return 0, fmt.Errorf("%w: block of %d items with %d bytes left", ErrData, n, len(r.b))
	}
	return int(n), nil
}
