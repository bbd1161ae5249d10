package postgres

// numeric and money values. Postgres writes numeric as "-?D+(.D+)?" (or NaN, ±Infinity);
// values of up to 18 digits, nearly all in practice, are scanned from the column's bytes
// straight into machine words, the rest go through math/big's string parsers.

import (
	"fmt"
	"math/big"
	"math/bits"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

func specialNumeric(s string) bool { return s == "NaN" || s == "Infinity" || s == "-Infinity" }

// maxSmallDigits is the most digits scanDecimal takes: 10^18 < 2^63.
const maxSmallDigits = 18

// scanDecimal reads a whole "-?D+(.D+)?" of at most maxSmallDigits digits into its
// magnitude u and scale (u × 10^-scale), trailing fraction zeros removed.
func scanDecimal(b []byte) (u uint64, neg bool, scale int, ok bool) {
	i := 0
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	start := i
	for i < len(b) && b[i]-'0' <= 9 {
		u = u*10 + uint64(b[i]-'0')
		i++
	}
	if i == start || i-start > maxSmallDigits {
		return 0, false, 0, false
	}
	if i == len(b) {
		return u, neg, 0, true
	}
	if b[i] != '.' {
		return 0, false, 0, false
	}
	digits := i - start
	i++
	fracStart := i
	zeros := 0 // fraction zeros not yet in u: dropped if nothing follows them
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		if b[i] == '0' {
			zeros++
			continue
		}
		for ; zeros > 0; zeros-- {
			u *= 10
			scale++
		}
		u = u*10 + uint64(b[i]-'0')
		scale++
	}
	if i == fracStart || i != len(b) || digits+i-fracStart > maxSmallDigits {
		return 0, false, 0, false
	}
	return u, neg, scale, true
}

// pow10u holds 10^0 … 10^maxSmallDigits.
var pow10u = func() (p [maxSmallDigits + 1]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// setWords makes x = v using w as its storage (no allocation); w has room for 2 words.
func setWords(x *big.Int, w []big.Word, v uint64) {
	if bits.UintSize == 64 {
		w[0] = big.Word(v)
		x.SetBits(w[:1:1])
		return
	}
	w[0], w[1] = big.Word(v), big.Word(v>>32)
	x.SetBits(w[:2:2])
}

// ratBox is a big.Rat and the storage of its numerator and denominator, one allocation.
type ratBox struct {
	r big.Rat
	w [4]big.Word
}

// smallRat returns ±u × 10^-scale (scale ≤ maxSmallDigits, u without trailing decimal zeros
// when scale > 0) in lowest terms, as big.Rat.SetString does, but without its GCD: the
// only factors u and 10^scale can share are the 2s or the 5s of u, which are cancelled
// here directly.
func smallRat(u uint64, neg bool, scale int) *big.Rat {
	box := new(ratBox)
	r := &box.r
	if u == 0 {
		return r // the zero Rat is 0/1
	}
	den := pow10u[scale]
	if scale > 0 {
		if u%2 == 0 {
			k := min(bits.TrailingZeros64(u), scale)
			u >>= k
			den >>= k
		} else {
			for i := 0; i < scale && u%5 == 0; i++ {
				u /= 5
				den /= 5
			}
		}
	}
	if den != 1 {
		// The zero Rat's denominator cannot be set through Denom: set it as 1/den, then
		// the numerator.
		setWords(r.Num(), box.w[2:], den)
		r.Inv(r)
	}
	num := r.Num()
	setWords(num, box.w[:2], u)
	if neg {
		num.Neg(num)
	}
	return r
}

// decodeDecimal decodes a numeric(p,s) or other decimal column into a *big.Rat.
func decodeDecimal(b []byte) (any, error) {
	if u, neg, scale, ok := scanDecimal(b); ok {
		return smallRat(u, neg, scale), nil
	}
	s := string(b)
	if specialNumeric(s) {
		return nil, ErrSpecialNumeric
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("numeric %q", s)
	}
	return r, nil
}

// intBox is a big.Int and its storage, one allocation.
type intBox struct {
	i big.Int
	w [2]big.Word
}

// decodeVarDecimal parses a numeric into Debezium's VariableScaleDecimal: trailing
// fraction zeros stripped, scale never negative.
func decodeVarDecimal(b []byte) (any, error) {
	if u, neg, scale, ok := scanDecimal(b); ok {
		box := new(intBox)
		if u != 0 {
			setWords(&box.i, box.w[:], u)
			if neg {
				box.i.Neg(&box.i)
			}
		}
		return event.VarDecimal{Scale: int32(scale), Unscaled: &box.i}, nil
	}
	s := string(b)
	if specialNumeric(s) {
		return nil, ErrSpecialNumeric
	}
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	u, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok || strings.ContainsAny(s, "eE") {
		return nil, fmt.Errorf("numeric %q", s)
	}
	return event.VarDecimal{Scale: int32(len(frac)), Unscaled: u}, nil
}

// decodeMoney parses money's locale-formatted output ($1,234.56, -$1.00, ($1.00)).
func decodeMoney(b []byte) (any, error) {
	s := string(b)
	neg := strings.HasPrefix(s, "-") || strings.HasPrefix(s, "(")
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c == '.' {
			sb.WriteByte(c)
		}
	}
	r, ok := new(big.Rat).SetString(sb.String())
	if !ok {
		return nil, fmt.Errorf("money %q", s)
	}
	if neg {
		r.Neg(r)
	}
	return r, nil
}
