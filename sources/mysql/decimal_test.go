package mysql

import (
	"math/big"
	"testing"
)

// The fast DECIMAL path must give exactly what big.Rat's parser gives.
func TestDecimalDecoderMatchesRatParser(t *testing.T) {
	for _, s := range []string{
		"0", "0.00", "-0.00", "1", "-1", "12345.67", "-12345.67", "0.99", "-0.01", "10.50",
		"1000.00", "999999999999999999", "-999999999999999999", "0.000000000000000001",
		"1234567890.12345678", "12345678901234567890.5", "0.0000000000000000001",
		"99999999999999999999999999999999999.999999999999999999999999999999",
	} {
		checkDecimal(t, s)
	}
}

func FuzzDecimalDecoder(f *testing.F) {
	for _, s := range []string{"0", "-12.50", "1e5", "", ".", "-", "1.2.3", "007.100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDecimal(t, s) })
}

func checkDecimal(t *testing.T, s string) {
	t.Helper()
	want, wantOK := new(big.Rat).SetString(s)
	got, err := decimalDecoder(s)
	if !wantOK {
		if _, _, ok := smallDecimal(s); ok && err == nil {
			t.Errorf("%q: big.Rat rejects it, the fast path reads %v", s, got)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	r := got.(*big.Rat)
	if r.Cmp(want) != 0 || r.Num().Cmp(want.Num()) != 0 || r.Denom().Cmp(want.Denom()) != 0 {
		t.Errorf("%q: got %s, want %s", s, r, want)
	}
}
