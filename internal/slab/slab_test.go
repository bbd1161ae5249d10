package slab

import (
	"fmt"
	"math"
	"runtime"
	"testing"
)

// Values read back as the same types and values as Go's own boxing gives, after the
// Boxer moved on to new arrays and the collector ran.
func TestValuesKeepTypeAndValue(t *testing.T) {
	var b Boxer
	var got, want []any
	for i := range 3 * Size {
		n := int64(i)*1_000_003 - 500_000_000
		s := fmt.Sprintf("value %d", i)
		if i%50 == 0 {
			s = ""
		}
		got = append(got, b.Int64(n), b.Int32(int32(n)), b.Float64(float64(n)/3), b.String(s), b.Int64(int64(i%300)))
		want = append(want, n, int32(n), float64(n)/3, s, int64(i%300))
	}
	got = append(got, b.Float64(math.NaN()), b.Int64(math.MinInt64), b.Int32(math.MaxInt32))
	want = append(want, math.NaN(), int64(math.MinInt64), int32(math.MaxInt32))
	b = Boxer{}
	runtime.GC()
	runtime.GC()
	for i := range got {
		g, w := got[i], want[i]
		if f, ok := w.(float64); ok && math.IsNaN(f) {
			if gf, ok := g.(float64); !ok || !math.IsNaN(gf) {
				t.Errorf("value %d = %#v, want NaN", i, g)
			}
			continue
		}
		if g != w {
			t.Errorf("value %d = %#v (%T), want %#v (%T)", i, g, g, w, w)
		}
		if fmt.Sprintf("%T %v", g, g) != fmt.Sprintf("%T %v", w, w) {
			t.Errorf("value %d prints as %T %v, want %T %v", i, g, g, w, w)
		}
	}
}

func TestRowsDoNotOverlap(t *testing.T) {
	var b Boxer
	var rows [][]any
	for i := range 500 {
		n := 1 + i%12
		r := b.Row(n)
		if len(r) != n || cap(r) != n {
			t.Fatalf("Row(%d): len %d cap %d", n, len(r), cap(r))
		}
		for j := range r {
			if r[j] != nil {
				t.Fatalf("Row(%d)[%d] = %v, want nil", n, j, r[j])
			}
			r[j] = b.Int64(int64(i*100 + j + 1000))
		}
		rows = append(rows, r)
	}
	_ = append(rows[0], "appended") // must copy, not write into rows[1]
	for i, r := range rows {
		for j, v := range r {
			if v != int64(i*100+j+1000) {
				t.Fatalf("row %d value %d = %v: rows share memory", i, j, v)
			}
		}
	}
	if r := b.Row(Size + 1); len(r) != Size+1 {
		t.Errorf("Row(%d) has %d values", Size+1, len(r))
	}
}

// The point of the package: boxing allocates once per many values.
func TestAllocations(t *testing.T) {
	var b Boxer
	var row []any
	allocs := testing.AllocsPerRun(10*Size, func() {
		row = b.Row(10)
		row[0], row[1], row[2], row[3] = b.Int64(1<<40), b.Int32(1<<20), b.Float64(1.5), b.String("some text")
	})
	if allocs > 0.1 {
		t.Errorf("%.2f allocations per row of values, want almost none", allocs)
	}
}
