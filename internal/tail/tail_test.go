package tail

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
)

func TestReadable(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"union int", map[string]any{"int": int32(5)}, `5`},
		{"union record", map[string]any{"shop.public.orders.Value": map[string]any{"id": int64(1)}}, `{"id":1}`},
		{"record with one field", map[string]any{"id": int64(1)}, `{"id":1}`},
		{"decimal", big.NewRat(125, 100), `"1.25"`},
		{"decimal integer", big.NewRat(-7, 1), `"-7"`},
		{"decimal thirds", big.NewRat(1, 8), `"0.125"`},
		{"bytes", []byte{0xff, 0x00}, `"/wA="`},
		{"nan", math.NaN(), `"NaN"`},
		{"-inf", float32(math.Inf(-1)), `"-Infinity"`},
		{"array with nulls", []any{map[string]any{"string": "a"}, nil}, `["a",null]`},
		{"null", nil, `null`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(readable(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("readable(%v) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
