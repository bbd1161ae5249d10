package schema

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"
	"slices"
)

// The Avro binary encoding primitives. Every helper appends to b and returns it.

// appendLong writes a zig-zag varint (Avro int and long).
func appendLong(b []byte, v int64) []byte {
	return binary.AppendUvarint(b, uint64((v<<1)^(v>>63)))
}

// appendString writes a length-prefixed string.
func appendString(b []byte, s string) []byte {
	return append(appendLong(b, int64(len(s))), s...)
}

// appendBytes writes length-prefixed bytes.
func appendBytes(b []byte, p []byte) []byte {
	return append(appendLong(b, int64(len(p))), p...)
}

// appendFloat writes an Avro float (IEEE 754, little-endian; NaN and infinities pass).
func appendFloat(b []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
}

// appendDouble writes an Avro double.
func appendDouble(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// appendBool writes an Avro boolean.
func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendOptString writes a ["null","string"] union: null when s is empty.
func appendOptString(b []byte, s string) []byte {
	if s == "" {
		return append(b, 0)
	}
	return appendString(append(b, 2), s)
}

// appendOptLong writes a ["null","long"] union.
func appendOptLong(b []byte, v *int64) []byte {
	if v == nil {
		return append(b, 0)
	}
	return appendLong(append(b, 2), *v)
}

// appendOptNonZero writes a ["null","long"] union: null when v is 0.
func appendOptNonZero(b []byte, v int64) []byte {
	if v == 0 {
		return append(b, 0)
	}
	return appendLong(append(b, 2), v)
}

// appendTwosComplement writes x as length-prefixed big-endian two's complement bytes of
// minimal length (Java's BigInteger.toByteArray, which Avro's decimal and Debezium use).
func appendTwosComplement(b []byte, x *big.Int) []byte {
	if x.IsInt64() {
		return appendTwosComplement64(b, x.Int64())
	}
	if x.Sign() >= 0 {
		n := x.BitLen()/8 + 1
		b = appendLong(b, int64(n))
		start := len(b)
		b = slices.Grow(b, n)[:start+n]
		x.FillBytes(b[start:])
		return b
	}
	m := new(big.Int).Not(x) // -x-1, not negative
	n := m.BitLen()/8 + 1
	b = appendLong(b, int64(n))
	start := len(b)
	b = slices.Grow(b, n)[:start+n]
	m.FillBytes(b[start:])
	for i := start; i < len(b); i++ {
		b[i] = ^b[i]
	}
	return b
}

// appendTwosComplement64 is appendTwosComplement of an int64.
func appendTwosComplement64(b []byte, x int64) []byte {
	m := uint64(x)
	if x < 0 {
		m = ^m // -x-1, the magnitude the sign byte's length depends on
	}
	n := bits.Len64(m)/8 + 1
	b = appendLong(b, int64(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(uint64(x)>>(8*i)))
	}
	return b
}
