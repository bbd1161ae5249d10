// Package slab boxes decoded column values into interfaces from shared backing arrays.
//
// A row decoder that stores an int64 or a string in an `any` makes the runtime allocate
// the value (8 or 16 bytes) for each field, and a []any for each row: in a snapshot of
// ten million rows these small allocations, and the garbage collection they cause, were
// about a seventh of Dovetail's CPU. A Boxer hands out the same values with their data in
// arrays of many values, so a row costs a few allocations per hundreds of rows.
//
// The values are ordinary interface values (type switches, ==, reflection all work) and
// immutable, as Go's are: a Boxer never writes an array element again once it was
// handed out. An array stays alive while any value in it does, so a value kept for long
// keeps its neighbours' memory too (at most Size values).
package slab

import "unsafe"

// Size is how many values one backing array holds.
const Size = 256

// Boxer boxes values; the zero value is ready. It is not safe for concurrent use.
type Boxer struct {
	ints   []int64
	int32s []int32
	floats []float64
	strs   []string
	anys   []any
}

// eface is the runtime's layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// withData returns x, an interface holding a zero value of some type, with its data
// pointing at p, a value of that type that is never written again.
func withData(x any, p unsafe.Pointer) any {
	(*eface)(unsafe.Pointer(&x)).data = p
	return x
}

// next returns the next unused element of *arr, starting a new array of Size elements
// when it is used up.
func next[T any](arr *[]T) *T {
	if len(*arr) == 0 {
		*arr = make([]T, Size)
	}
	p := &(*arr)[0]
	*arr = (*arr)[1:]
	return p
}

// Int64 returns v as an any.
func (b *Boxer) Int64(v int64) any {
	if uint64(v) < 256 {
		return v // the runtime boxes small values without allocating
	}
	p := next(&b.ints)
	*p = v
	return withData(int64(0), unsafe.Pointer(p))
}

// Int32 returns v as an any.
func (b *Boxer) Int32(v int32) any {
	if uint32(v) < 256 {
		return v
	}
	p := next(&b.int32s)
	*p = v
	return withData(int32(0), unsafe.Pointer(p))
}

// Float64 returns v as an any.
func (b *Boxer) Float64(v float64) any {
	p := next(&b.floats)
	*p = v
	return withData(float64(0), unsafe.Pointer(p))
}

// String returns v as an any.
func (b *Boxer) String(v string) any {
	if v == "" {
		return v
	}
	p := next(&b.strs)
	*p = v
	return withData("", unsafe.Pointer(p))
}

// Row returns a row of n nil values, with no room to append past n (an append copies
// instead of writing into the next row).
func (b *Boxer) Row(n int) []any {
	if n > Size {
		return make([]any, n)
	}
	if len(b.anys) < n {
		b.anys = make([]any, Size*n/4) // rows of n values, Size/4 of them
	}
	row := b.anys[:n:n]
	b.anys = b.anys[n:]
	return row
}
