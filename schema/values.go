package schema

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// ErrInvalidValue reports a column value that cannot be written with its column's schema:
// a Go type other than the one event.Kind documents, a null in a non-nullable column, a
// decimal with more digits after the point than the column's scale, or event.Unavailable
// in a column whose type cannot carry Debezium's placeholder.
var ErrInvalidValue = errors.New("invalid value")

// column is what the encoder needs of one column.
type column struct {
	name     string
	typ      *event.Type
	optional bool
	pow10    *big.Int // 10^scale for decimals, shared read-only
}

func newColumn(c *event.Column) column {
	col := column{name: c.Name, typ: &c.Type, optional: c.Optional}
	if c.Type.Kind == event.KindDecimal {
		col.pow10 = pow10(c.Type.Scale)
	}
	return col
}

func pow10(scale int) *big.Int {
	if scale < 0 {
		scale = -scale
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
}

// appendColumn writes one field of a Key or Value record.
func appendColumn(b []byte, c *column, v any) ([]byte, error) {
	if c.optional {
		if v == nil {
			return append(b, 0), nil
		}
		b = append(b, 2)
	} else if v == nil {
		return b, fmt.Errorf("%w: null in a non-nullable column", ErrInvalidValue)
	}
	if v == event.Unavailable {
		return appendUnavailable(b, c.typ)
	}
	return appendValue(b, c.typ, c.pow10, v)
}

// appendValue writes a non-null value of type t.
func appendValue(b []byte, t *event.Type, p10 *big.Int, v any) ([]byte, error) {
	switch t.Kind {
	case event.KindBoolean:
		if x, ok := v.(bool); ok {
			return appendBool(b, x), nil
		}
	case event.KindInt8, event.KindInt16, event.KindInt32:
		switch x := v.(type) {
		case int32:
			return appendLong(b, int64(x)), nil
		case int:
			if x < math.MinInt32 || x > math.MaxInt32 {
				return b, fmt.Errorf("%w: %d overflows a 32-bit int", ErrInvalidValue, x)
			}
			return appendLong(b, int64(x)), nil
		}
	case event.KindInt64:
		switch x := v.(type) {
		case int64:
			return appendLong(b, x), nil
		case int:
			return appendLong(b, int64(x)), nil
		case uint64:
			if x > math.MaxInt64 {
				return b, fmt.Errorf("%w: %d overflows a signed 64-bit long (use a decimal type)", ErrInvalidValue, x)
			}
			return appendLong(b, int64(x)), nil
		}
	case event.KindFloat32:
		if x, ok := v.(float32); ok {
			return appendFloat(b, x), nil
		}
	case event.KindFloat64:
		if x, ok := v.(float64); ok {
			return appendDouble(b, x), nil
		}
	case event.KindString:
		if x, ok := v.(string); ok {
			return appendString(b, x), nil
		}
	case event.KindBytes:
		if x, ok := v.([]byte); ok {
			return appendBytes(b, x), nil
		}
	case event.KindDecimal:
		if x, ok := v.(*big.Rat); ok && x != nil {
			return appendDecimal(b, t.Scale, p10, x)
		}
	case event.KindVarDecimal:
		switch x := v.(type) {
		case event.VarDecimal:
			return appendVarDecimal(b, x)
		case *event.VarDecimal:
			if x != nil {
				return appendVarDecimal(b, *x)
			}
		}
	case event.KindArray:
		if x, ok := v.([]any); ok {
			return appendArray(b, t.Elem, x)
		}
	}
	return b, fmt.Errorf("%w: %T for a %s column", ErrInvalidValue, v, t.Kind)
}

// appendDecimal writes r at the column's scale as Avro decimal bytes.
func appendDecimal(b []byte, scale int, p10 *big.Int, r *big.Rat) ([]byte, error) {
	if x, ok := unscaled64(scale, r); ok {
		return appendTwosComplement64(b, x), nil
	}
	return appendDecimalBig(b, scale, p10, r)
}

// unscaled64 returns r × 10^scale computed with machine integers, for the common
// decimal whose numerator and denominator fit in 64 bits, as does the result. ok is
// false when it cannot tell: the result overflows, the scale is out of the table, or r
// does not divide exactly (appendDecimalBig then decides, and reports the error).
func unscaled64(scale int, r *big.Rat) (x int64, ok bool) {
	num := r.Num()
	if !num.IsInt64() || scale < -maxPow10 || scale > maxPow10 {
		return 0, false
	}
	x = num.Int64()
	den := uint64(1)
	if !r.IsInt() {
		d := r.Denom() // a reference when r is not an integer: no allocation
		if !d.IsUint64() {
			return 0, false
		}
		den = d.Uint64()
	}
	if scale < 0 {
		p := int64(pow10u[-scale])
		if den != 1 || x%p != 0 {
			return 0, false
		}
		return x / p, true
	}
	p := pow10u[scale]
	if p%den != 0 {
		return 0, false
	}
	mag := uint64(x)
	if x < 0 {
		mag = -mag
	}
	hi, lo := bits.Mul64(mag, p/den)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if x < 0 {
		return -int64(lo), true
	}
	return int64(lo), true
}

// maxPow10 is the largest power of ten in pow10u: 10^18 < 2^63.
const maxPow10 = 18

// pow10u holds 10^0 … 10^maxPow10.
var pow10u = func() (p [maxPow10 + 1]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// appendDecimalBig is appendDecimal with math/big, for any r.
func appendDecimalBig(b []byte, scale int, p10 *big.Int, r *big.Rat) ([]byte, error) {
	if p10 == nil {
		p10 = pow10(scale)
	}
	n := new(big.Int).Set(r.Num())
	d := r.Denom()
	if scale >= 0 {
		n.Mul(n, p10)
	} else {
		d = new(big.Int).Mul(d, p10)
	}
	if d.Cmp(bigOne) != 0 {
		var rem big.Int
		n.QuoRem(n, d, &rem)
		if rem.Sign() != 0 {
			return b, fmt.Errorf("%w: %s has more digits than scale %d", ErrInvalidValue, r.FloatString(12), scale)
		}
	}
	return appendTwosComplement(b, n), nil
}

var bigOne = big.NewInt(1)

// appendVarDecimal writes Debezium's VariableScaleDecimal record.
func appendVarDecimal(b []byte, d event.VarDecimal) ([]byte, error) {
	if d.Unscaled == nil {
		return b, fmt.Errorf("%w: variable scale decimal without unscaled value", ErrInvalidValue)
	}
	b = appendLong(b, int64(d.Scale))
	return appendTwosComplement(b, d.Unscaled), nil
}

// appendArray writes an array of ["null", elem] items in one block.
func appendArray(b []byte, elem *event.Type, items []any) ([]byte, error) {
	if len(items) > 0 {
		b = appendLong(b, int64(len(items)))
		var p10 *big.Int
		if elem.Kind == event.KindDecimal {
			p10 = pow10(elem.Scale)
		}
		for i, it := range items {
			if it == nil {
				b = append(b, 0)
				continue
			}
			var err error
			if b, err = appendValue(append(b, 2), elem, p10, it); err != nil {
				return b, fmt.Errorf("element %d: %w", i, err)
			}
		}
	}
	return append(b, 0), nil
}

// appendUnavailable writes Debezium's placeholder for an unavailable (unchanged TOASTed)
// value, shaped to the type as Debezium's Postgres connector does.
func appendUnavailable(b []byte, t *event.Type) ([]byte, error) {
	const ph = event.UnavailablePlaceholder
	switch t.Kind {
	case event.KindString:
		return appendString(b, ph), nil
	case event.KindBytes:
		return appendString(b, ph), nil // same bytes on the wire
	case event.KindArray:
		switch t.Elem.Kind {
		case event.KindString, event.KindBytes:
			b = appendLong(b, 1)
			return append(appendString(append(b, 2), ph), 0), nil
		case event.KindInt8, event.KindInt16, event.KindInt32, event.KindInt64:
			// Debezium writes the placeholder's bytes as numbers.
			b = appendLong(b, int64(len(ph)))
			for i := 0; i < len(ph); i++ {
				b = appendLong(append(b, 2), int64(int8(ph[i])))
			}
			return append(b, 0), nil
		}
		return b, fmt.Errorf("%w: an array of %s cannot carry the unavailable-value placeholder",
			ErrInvalidValue, t.Elem.Kind)
	}
	return b, fmt.Errorf("%w: a %s column cannot carry the unavailable-value placeholder",
		ErrInvalidValue, t.Kind)
}
