package kafka

import (
	"encoding/binary"
	"testing"
)

func TestVarintSize(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 127, 128, 8191, 8192, 1 << 20, 1<<31 - 1} {
		if got, want := varintSize(n), int64(len(binary.AppendVarint(nil, int64(n)))); got != want {
			t.Errorf("varintSize(%d) = %d, want %d", n, got, want)
		}
	}
}
