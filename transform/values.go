package transform

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// valueStep replaces the values of some columns; the table's shape is fixed at bind.
type valueStep struct {
	out  *event.Table
	cols []int
	f    func(v any, t *event.Type) (any, error)
	// types are the input types of cols.
	types []*event.Type
}

func (s *valueStep) Table() *event.Table { return s.out }
func (s *valueStep) Writes() bool        { return true }

func (s *valueStep) Apply(c *event.Change) (bool, error) {
	for j, i := range s.cols {
		var in, out any // the last value mapped: an update's unchanged string is mapped once
		for _, row := range [2][]any{c.After, c.Before} {
			if row == nil {
				continue
			}
			v := row[i]
			if v == nil || v == event.Unavailable {
				continue // nulls stay null; unsent values stay unsent
			}
			if sv, ok := v.(string); ok && out != nil {
				if si, ok := in.(string); ok && si == sv {
					row[i] = out
					continue
				}
			}
			o, err := s.f(v, s.types[j])
			if err != nil {
				return false, fmt.Errorf("column %s: %w", c.Table.Columns[i].Name, err)
			}
			in, out = v, o
			row[i] = o
		}
	}
	return true, nil
}

// bindValues binds a transform that rewrites the values of the columns cols matches
// in t; toString makes them strings in the output shape, keyOK allows key columns.
func bindValues(t *event.Table, cols columnSet, toString, keyOK bool, what string,
	check func(c *event.Column) error, f func(v any, t *event.Type) (any, error)) (Step, error) {
	hit, err := cols.match(t)
	if err != nil || hit == nil {
		return nil, err
	}
	s := &valueStep{out: t, f: f}
	if toString {
		s.out = derive(t)
	}
	for i, h := range hit {
		if !h {
			continue
		}
		c := &t.Columns[i]
		if !keyOK && isKey(t, i) {
			return nil, fmt.Errorf("column %s is in the table's key: %s it would make different rows one (hash it, or choose other key_columns first)", c.Name, what)
		}
		if check != nil {
			if err := check(c); err != nil {
				return nil, fmt.Errorf("column %s: %w", c.Name, err)
			}
		}
		s.cols = append(s.cols, i)
		s.types = append(s.types, &c.Type)
		if toString {
			oc := &s.out.Columns[i]
			oc.Type = event.Type{Kind: event.KindString}
			if oc.Default != nil {
				if oc.Default, err = f(oc.Default, &c.Type); err != nil {
					return nil, fmt.Errorf("column %s default: %w", c.Name, err)
				}
			}
		}
	}
	return s, nil
}

// Mask replaces the values of the matched columns (namespace.table.column patterns)
// with a fixed string; the columns become strings. Nulls stay null. Key columns cannot
// be masked.
type Mask struct {
	cols columnSet
	with string
}

// NewMask returns a mask with the fixed string with, or, when with is empty, with n
// asterisks (Debezium's column.mask.with.n.chars).
func NewMask(columns []string, with string, n int) (*Mask, error) {
	cols, err := parseColumns(columns)
	if err != nil {
		return nil, err
	}
	switch {
	case with != "" && n != 0:
		return nil, fmt.Errorf("give either with or chars, not both")
	case with == "" && n <= 0:
		return nil, fmt.Errorf("with (a string) or chars (a positive number) is required")
	case with == "":
		with = strings.Repeat("*", n)
	}
	return &Mask{cols: cols, with: with}, nil
}

func (m *Mask) Kind() string { return "mask" }

func (m *Mask) Bind(t *event.Table) (Step, error) {
	with := any(m.with) // boxed once, not per value
	return bindValues(t, m.cols, true, false, "masking", nil, func(any, *event.Type) (any, error) { return with, nil })
}

// Hash replaces the values of the matched columns with the lowercase hex digest of the
// salt followed by the value's text, as Debezium's column.mask.hash does (its v2 hashing
// strategy: the value's string form); the columns become strings. Nulls stay null. The
// same value always gives the same hash, so hashed key columns keep rows apart.
type Hash struct {
	cols      columnSet
	salt      []byte
	algorithm string
	bufs      sync.Pool // *[]byte: salt and value text, hashed at once
}

// NewHash returns a hash transform; algorithm is sha256 (the default when empty) or
// sha512, and salt must not be empty.
func NewHash(columns []string, algorithm, salt string) (*Hash, error) {
	cols, err := parseColumns(columns)
	if err != nil {
		return nil, err
	}
	switch algorithm {
	case "":
		algorithm = "sha256"
	case "sha256", "sha512":
	default:
		return nil, fmt.Errorf("algorithm %q: want sha256 or sha512", algorithm)
	}
	if salt == "" {
		return nil, fmt.Errorf("salt is required")
	}
	h := &Hash{cols: cols, salt: []byte(salt), algorithm: algorithm}
	h.bufs.New = func() any { b := make([]byte, 0, 256); return &b }
	return h, nil
}

func (h *Hash) Kind() string { return "hash" }

func (h *Hash) Bind(t *event.Table) (Step, error) {
	return bindValues(t, h.cols, true, true, "hashing", nil, h.hash)
}

func (h *Hash) hash(v any, t *event.Type) (any, error) {
	var out [128]byte
	if s, ok := v.(string); ok && len(h.salt)+len(s) <= 256 {
		// The common case, without the pool: salt and value on the stack.
		var buf [256]byte
		n := copy(buf[:], h.salt)
		n += copy(buf[n:], s)
		return h.digest(out[:0], buf[:n]), nil
	}
	bp := h.bufs.Get().(*[]byte)
	b := append((*bp)[:0], h.salt...)
	b, err := appendText(b, v, t)
	if err != nil {
		return nil, err
	}
	r := h.digest(out[:0], b)
	*bp = b
	if cap(b) <= 64<<10 {
		h.bufs.Put(bp)
	}
	return r, nil
}

// digest returns the hex digest of b, using out's room.
func (h *Hash) digest(out []byte, b []byte) string {
	if h.algorithm == "sha512" {
		sum := sha512.Sum512(b)
		return string(hex.AppendEncode(out, sum[:]))
	}
	sum := sha256.Sum256(b)
	return string(hex.AppendEncode(out, sum[:]))
}

// appendText appends the text form of a value of type t: strings as they are, bytes as
// they are, numbers in decimal (decimals with the column's scale), booleans as
// true/false, arrays as [a,b,null].
func appendText(b []byte, v any, t *event.Type) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return append(b, x...), nil
	case []byte:
		return append(b, x...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float32:
		return strconv.AppendFloat(b, float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case *big.Rat:
		scale := 0
		if t != nil {
			scale = t.Scale
		}
		return append(b, x.FloatString(scale)...), nil
	case event.VarDecimal:
		if x.Unscaled == nil {
			return append(b, "null"...), nil
		}
		r := new(big.Rat).SetFrac(x.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(x.Scale, 0))), nil))
		return append(b, r.FloatString(int(max(x.Scale, 0)))...), nil
	case []any:
		var elem *event.Type
		if t != nil {
			elem = t.Elem
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendText(b, e, elem); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	return b, fmt.Errorf("cannot take the text of a %T", v)
}

// Truncate shortens the values of the matched string columns to at most n characters
// (bytes columns to n bytes), as Debezium's column.truncate.to.n.chars. Nulls stay null.
type Truncate struct {
	cols columnSet
	n    int
}

// NewTruncate returns a truncate transform to n characters.
func NewTruncate(columns []string, n int) (*Truncate, error) {
	cols, err := parseColumns(columns)
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("length must be at least 1, got %d", n)
	}
	return &Truncate{cols: cols, n: n}, nil
}

func (tr *Truncate) Kind() string { return "truncate" }

func (tr *Truncate) Bind(t *event.Table) (Step, error) {
	check := func(c *event.Column) error {
		// KindInvalid: a shape known by its names only (validate's check of the catalog).
		if c.Type.Kind != event.KindString && c.Type.Kind != event.KindBytes && c.Type.Kind != event.KindInvalid {
			return fmt.Errorf("is %s, not a string or bytes column", c.Type.Kind)
		}
		return nil
	}
	return bindValues(t, tr.cols, false, false, "truncating", check, tr.truncate)
}

func (tr *Truncate) truncate(v any, _ *event.Type) (any, error) {
	switch x := v.(type) {
	case string:
		if len(x) <= tr.n {
			return x, nil // fewer bytes than n: fewer characters too
		}
		n := 0
		for i := range x {
			if n == tr.n {
				return x[:i], nil
			}
			n++
		}
		return x, nil
	case []byte:
		if len(x) > tr.n {
			return x[:tr.n:tr.n], nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("cannot truncate a %T", v)
}

// Columns keeps or drops columns: with Include, the tables an include pattern names
// keep only the included columns (other tables keep all); Exclude drops the matched
// columns (drop_columns). Key columns cannot be dropped.
type Columns struct {
	kind             string
	include, exclude columnSet
}

// NewColumns returns a column include/exclude transform; kind is its config name.
func NewColumns(kind string, include, exclude []string) (*Columns, error) {
	c := &Columns{kind: kind}
	var err error
	if len(include) == 0 && len(exclude) == 0 {
		return nil, fmt.Errorf("include or exclude columns are required")
	}
	if len(include) > 0 {
		if c.include, err = parseColumns(include); err != nil {
			return nil, err
		}
	}
	if len(exclude) > 0 {
		if c.exclude, err = parseColumns(exclude); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Columns) Kind() string { return c.kind }

func (c *Columns) Bind(t *event.Table) (Step, error) {
	keep := make([]bool, len(t.Columns))
	for i := range keep {
		keep[i] = true
	}
	changed := false
	if c.include != nil {
		named := false
		for _, p := range c.include {
			named = named || p.matches(t.ID)
		}
		if named {
			hit, err := c.include.match(t)
			if err != nil {
				return nil, err
			}
			for i := range keep {
				keep[i] = hit != nil && hit[i]
				changed = changed || !keep[i]
			}
		}
	}
	if c.exclude != nil {
		hit, err := c.exclude.match(t)
		if err != nil {
			return nil, err
		}
		for i := range hit {
			if hit[i] {
				keep[i] = false
				changed = true
			}
		}
	}
	if !changed {
		return nil, nil
	}
	s := &dropStep{out: &event.Table{ID: t.ID}}
	newIndex := make([]int, len(t.Columns))
	for i, k := range keep {
		newIndex[i] = -1
		if !k {
			if isKey(t, i) {
				return nil, fmt.Errorf("column %s is in the table's key and cannot be dropped (choose other key_columns first)", t.Columns[i].Name)
			}
			continue
		}
		newIndex[i] = len(s.out.Columns)
		s.keep = append(s.keep, i)
		s.out.Columns = append(s.out.Columns, t.Columns[i])
	}
	for _, k := range t.Key {
		s.out.Key = append(s.out.Key, newIndex[k])
	}
	return s, nil
}

// dropStep keeps the columns keep of each row, compacting the chain's own rows.
type dropStep struct {
	out  *event.Table
	keep []int // input indexes, ascending
}

func (s *dropStep) Table() *event.Table { return s.out }
func (s *dropStep) Writes() bool        { return true }

func (s *dropStep) Apply(c *event.Change) (bool, error) {
	if c.Before != nil {
		c.Before = s.compact(c.Before)
	}
	if c.After != nil {
		c.After = s.compact(c.After)
	}
	return true, nil
}

func (s *dropStep) compact(row []any) []any {
	for j, i := range s.keep {
		row[j] = row[i]
	}
	clear(row[len(s.keep):])
	return row[:len(s.keep):len(s.keep)]
}
