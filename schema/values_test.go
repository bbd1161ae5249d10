package schema

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// refTwosComplement is appendTwosComplement as it was before its int64 fast path:
// math/big for every value.
func refTwosComplement(b []byte, x *big.Int) []byte {
	if x.Sign() >= 0 {
		n := x.BitLen()/8 + 1
		b = appendLong(b, int64(n))
		start := len(b)
		b = slices.Grow(b, n)[:start+n]
		x.FillBytes(b[start:])
		return b
	}
	m := new(big.Int).Not(x)
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

// refDecimal is appendDecimal as it was before its fast path: math/big for every value.
func refDecimal(scale int, r *big.Rat) ([]byte, error) {
	p10 := pow10(scale)
	n := new(big.Int).Set(r.Num())
	d := r.Denom()
	if scale >= 0 {
		n.Mul(n, p10)
	} else {
		d = new(big.Int).Mul(d, p10)
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		var rem big.Int
		n.QuoRem(n, d, &rem)
		if rem.Sign() != 0 {
			return nil, fmt.Errorf("%w: %s has more digits than scale %d", ErrInvalidValue, r.FloatString(12), scale)
		}
	}
	return refTwosComplement(nil, n), nil
}

// checkDecimal compares appendDecimal (with and without the column's 10^scale) with
// the math/big reference: the same bytes, or the same error.
func checkDecimal(t *testing.T, scale int, r *big.Rat) {
	t.Helper()
	want, wantErr := refDecimal(scale, r)
	for _, p10 := range []*big.Int{nil, pow10(scale)} {
		prefix := []byte{0xaa}
		got, err := appendDecimal(prefix, scale, p10, r)
		switch {
		case (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error():
			t.Fatalf("%s at scale %d: error %v, want %v", r, scale, err, wantErr)
		case err != nil:
			if !bytes.Equal(got, prefix) {
				t.Fatalf("%s at scale %d: failed but wrote % x", r, scale, got)
			}
		case !bytes.Equal(got[1:], want) || got[0] != 0xaa:
			t.Fatalf("%s at scale %d: % x, want % x", r, scale, got[1:], want)
		}
	}
}

// notNormalized returns num/den as a big.Rat left out of lowest terms.
func notNormalized(num, den int64) *big.Rat {
	r := big.NewRat(1, 3)
	r.Denom().SetInt64(den)
	r.Num().SetInt64(num)
	return r
}

func bigRat(num, den string) *big.Rat {
	n, _ := new(big.Int).SetString(num, 10)
	d, _ := new(big.Int).SetString(den, 10)
	return new(big.Rat).SetFrac(n, d)
}

// TestDecimalFastPath: the machine-integer path writes the bytes math/big writes, and
// fails where it fails, with the same error.
func TestDecimalFastPath(t *testing.T) {
	tests := []struct {
		r     *big.Rat
		scale int
	}{
		{new(big.Rat), 2},
		{new(big.Rat), 0},
		{new(big.Rat), -3},
		{big.NewRat(0, 7), 5},
		{big.NewRat(1, 1), 0},
		{big.NewRat(-1, 1), 0},
		{big.NewRat(127, 100), 2},
		{big.NewRat(128, 100), 2},
		{big.NewRat(-128, 100), 2},
		{big.NewRat(-129, 100), 2},
		{big.NewRat(255, 1), 0},
		{big.NewRat(256, 1), 0},
		{big.NewRat(-32768, 1), 0},
		{big.NewRat(-32769, 1), 0},
		{big.NewRat(1, 2), 3},
		{big.NewRat(1, 3), 3},    // inexact
		{big.NewRat(1, 1000), 2}, // more digits than the scale
		{big.NewRat(-1, 1000), 2},
		{big.NewRat(1500, 1), -2},
		{big.NewRat(-1500, 1), -2},
		{big.NewRat(1550, 1), -2}, // inexact at a negative scale
		{big.NewRat(3, 2), -1},
		{big.NewRat(math.MaxInt64, 1), 0},
		{big.NewRat(math.MinInt64, 1), 0},
		{big.NewRat(math.MinInt64+1, 1), 0},
		{big.NewRat(math.MaxInt64, 1), 1},   // overflows int64
		{big.NewRat(math.MinInt64, 1), 1},   // overflows int64
		{big.NewRat(math.MaxInt64, 100), 2}, // exactly MaxInt64
		{big.NewRat(math.MinInt64, 1<<20), 20},
		{big.NewRat(922337203685477580, 1), 1},
		{big.NewRat(-922337203685477580, 1), 1},
		{big.NewRat(-922337203685477581, 1), 1},
		{big.NewRat(1, 1), 18},
		{big.NewRat(9, 1), 18},
		{big.NewRat(10, 1), 18}, // 10^19 overflows int64
		{big.NewRat(1, 1), 19},  // beyond the table
		{big.NewRat(1, 1), 40},
		{big.NewRat(123456789, 1), -18},
		{big.NewRat(1000000000000000000, 1), -18},
		{big.NewRat(1, 1), -19},
		{big.NewRat(7, 1<<62), 62},
		{big.NewRat(999999999999, 100), 2},
		{big.NewRat(-999999999999, 100), 2},
		{notNormalized(2, 4), 1},
		{notNormalized(-6, 4), 1},
		{notNormalized(3, 9), 2},
		{notNormalized(5, 1), 2},
		{bigRat("123456789012345678901234567890", "1"), 2},
		{bigRat("-123456789012345678901234567890", "100"), 2},
		{bigRat("1", "100000000000000000000000"), 23},
		{bigRat("1", "100000000000000000000000"), 22},
		{bigRat("-18446744073709551617", "1"), 0},
	}
	for _, tc := range tests {
		checkDecimal(t, tc.scale, tc.r)
	}
}

// TestDecimalFastPathRandom compares the paths on random decimals: numerators of every
// size, denominators made of 2s and 5s (exact at some scales) or not, every scale.
func TestDecimalFastPathRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	dens := []int64{1, 2, 4, 5, 8, 10, 16, 20, 25, 50, 100, 125, 1000, 1 << 20, 78125, 1e9, 1e18, 3, 7, 12, 300}
	for i := range 200_000 {
		var num int64
		switch i % 4 {
		case 0:
			num = rnd.Int64N(1000) - 500
		case 1:
			num = rnd.Int64N(2e12) - 1e12
		case 2:
			num = int64(rnd.Uint64())
		default:
			num = int64(rnd.Uint64() >> rnd.IntN(64))
			if rnd.IntN(2) == 0 {
				num = -num
			}
		}
		den := dens[rnd.IntN(len(dens))]
		if i%50 == 0 {
			den = rnd.Int64N(math.MaxInt64) + 1
		}
		scale := rnd.IntN(44) - 22
		checkDecimal(t, scale, big.NewRat(num, den))
	}
}

// TestTwosComplement64 compares the int64 two's complement with math/big's.
func TestTwosComplement64(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 5))
	vals := []int64{0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769,
		math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	for range 100_000 {
		vals = append(vals, int64(rnd.Uint64()>>rnd.IntN(64))*int64(1-2*rnd.IntN(2)))
	}
	for _, v := range vals {
		x := big.NewInt(v)
		want := refTwosComplement([]byte{1}, x)
		if got := appendTwosComplement64([]byte{1}, v); !bytes.Equal(got, want) {
			t.Fatalf("%d: % x, want % x", v, got, want)
		}
		if got := appendTwosComplement([]byte{1}, x); !bytes.Equal(got, want) {
			t.Fatalf("big %d: % x, want % x", v, got, want)
		}
	}
	for _, s := range []string{"9223372036854775808", "-9223372036854775809", "18446744073709551615", "-18446744073709551616",
		"340282366920938463463374607431768211456", "-340282366920938463463374607431768211457"} {
		x, _ := new(big.Int).SetString(s, 10)
		if got, want := appendTwosComplement(nil, x), refTwosComplement(nil, x); !bytes.Equal(got, want) {
			t.Fatalf("%s: % x, want % x", s, got, want)
		}
	}
}
