package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/schema/internal/avro"
)

// Reading a writer schema back into event types: the inverse of avsc.go. A Value record's
// fields become event.Columns and the column readers that decode them.

// slot is a field type that may be a ["null", T] (or [T, "null"]) union.
type slot struct {
	typ   *avro.Type // the writer type, to skip it
	inner *avro.Type // T
	null  int64      // index of the null branch, -1 when typ is not a union
}

// newSlot splits a type into its null branch and the other one. Unions other than
// null-and-one-type are not slots.
func newSlot(t *avro.Type) (slot, bool) {
	if t.Kind != avro.Union {
		return slot{typ: t, inner: t, null: -1}, true
	}
	if len(t.Branches) != 2 {
		return slot{}, false
	}
	for i, b := range t.Branches {
		if b.Kind == avro.Null && t.Branches[1-i].Kind != avro.Null {
			return slot{typ: t, inner: t.Branches[1-i], null: int64(i)}, true
		}
	}
	return slot{}, false
}

// present reads the union index of a nullable slot and reports whether a value follows.
func (s *slot) present(r *reader) (bool, error) {
	if s.null < 0 {
		return true, nil
	}
	i, err := r.branch(2)
	if err != nil {
		return false, err
	}
	return i != s.null, nil
}

// colReader reads one field of a Value record.
type colReader struct {
	slot
	val valReader
}

// valReader reads a non-null value of one event type.
type valReader struct {
	kind event.Kind
	// placeholder: read Debezium's unavailable-value placeholder as event.Unavailable
	// (columns, not array elements).
	placeholder bool
	scale       int      // decimal
	pow10       *big.Int // decimal: 10^|scale|
	scaleFirst  bool     // VariableScaleDecimal: scale is the record's first field
	elem        *valReader
	elemSlot    slot // array items
}

// valueColumns rebuilds the columns of a Value record and their readers.
func valueColumns(rec *avro.Type) ([]event.Column, []colReader, error) {
	if rec.Kind != avro.Record {
		return nil, nil, fmt.Errorf("%w: row type is avro %s, not a record", ErrSchema, rec.Kind)
	}
	cols := make([]event.Column, len(rec.Fields))
	readers := make([]colReader, len(rec.Fields))
	for i := range rec.Fields {
		f := &rec.Fields[i]
		s, ok := newSlot(f.Type)
		if !ok {
			return nil, nil, fmt.Errorf("%w: field %q is a union other than [null, T]", ErrSchema, f.Name)
		}
		typ, val, err := eventType(s.inner)
		if err != nil {
			return nil, nil, fmt.Errorf("field %q: %w", f.Name, err)
		}
		val.placeholder = true
		c := event.Column{Name: f.Name, Type: typ, Optional: s.null >= 0}
		if !c.Optional && f.HasDefault && f.Default != nil {
			if c.Default, err = defaultValue(&c.Type, f.Default); err != nil {
				return nil, nil, fmt.Errorf("field %q default %v: %w", f.Name, f.Default, err)
			}
		}
		cols[i] = c
		readers[i] = colReader{slot: s, val: val}
	}
	return cols, readers, nil
}

// eventType maps a (non-union) Avro type and its Connect annotations to an event type.
func eventType(t *avro.Type) (event.Type, valReader, error) {
	var typ event.Type
	var err error
	if typ.Name, err = stringProp(t.Props, "connect.name"); err != nil {
		return typ, valReader{}, err
	}
	if typ.Params, err = connectParams(t.Props); err != nil {
		return typ, valReader{}, err
	}
	switch t.Kind {
	case avro.Boolean:
		typ.Kind = event.KindBoolean
	case avro.Int:
		ct, err := stringProp(t.Props, "connect.type")
		if err != nil {
			return typ, valReader{}, err
		}
		switch ct {
		case "int8":
			typ.Kind = event.KindInt8
		case "int16":
			typ.Kind = event.KindInt16
		default:
			typ.Kind = event.KindInt32
		}
	case avro.Long:
		typ.Kind = event.KindInt64
	case avro.Float:
		typ.Kind = event.KindFloat32
	case avro.Double:
		typ.Kind = event.KindFloat64
	case avro.String:
		typ.Kind = event.KindString
	case avro.Bytes:
		typ.Kind = event.KindBytes
		if lt, _ := t.Props["logicalType"].(string); lt == "decimal" || typ.Name == decimalName {
			return decimalType(t, typ)
		}
	case avro.Record:
		if typ.Name != varDecName && t.Name != varDecName {
			return typ, valReader{}, fmt.Errorf("%w: record %s has no event kind", ErrSchema, t.Name)
		}
		return varDecimalType(t)
	case avro.Array:
		return arrayType(t, typ)
	default:
		return typ, valReader{}, fmt.Errorf("%w: avro %s has no event kind", ErrSchema, t.Kind)
	}
	return typ, valReader{kind: typ.Kind}, nil
}

// decimalType reads Connect's Decimal: scale from the Avro schema (or connect.parameters),
// precision from connect.parameters (Confluent writes Avro precision 64 when Connect has
// none, so that one is not the column's), other parameters left in Params.
func decimalType(t *avro.Type, typ event.Type) (event.Type, valReader, error) {
	typ.Kind, typ.Name = event.KindDecimal, decimalName
	scale, hasScale, err := intProp(t.Props, "scale")
	if err != nil {
		return typ, valReader{}, err
	}
	if p, ok := typ.Params["scale"]; ok && !hasScale {
		if scale, err = strconv.Atoi(p); err != nil {
			return typ, valReader{}, fmt.Errorf("%w: decimal scale %q", ErrSchema, p)
		}
	}
	typ.Scale = scale
	if p, ok := typ.Params["connect.decimal.precision"]; ok {
		if typ.Precision, err = strconv.Atoi(p); err != nil {
			return typ, valReader{}, fmt.Errorf("%w: decimal precision %q", ErrSchema, p)
		}
	} else if _, connect := t.Props["connect.parameters"]; !connect {
		// Not written through Connect: the Avro precision is the column's.
		if typ.Precision, _, err = intProp(t.Props, "precision"); err != nil {
			return typ, valReader{}, err
		}
	}
	delete(typ.Params, "scale")
	delete(typ.Params, "connect.decimal.precision")
	if len(typ.Params) == 0 {
		typ.Params = nil
	}
	return typ, valReader{kind: event.KindDecimal, scale: scale, pow10: pow10(scale)}, nil
}

// varDecimalType checks Debezium's VariableScaleDecimal record {scale int, value bytes}.
func varDecimalType(t *avro.Type) (event.Type, valReader, error) {
	typ := event.Type{Kind: event.KindVarDecimal, Name: varDecName}
	if len(t.Fields) == 2 {
		a, b := t.Fields[0], t.Fields[1]
		if a.Name == "value" {
			a, b = b, a
		}
		if a.Name == "scale" && a.Type.Kind == avro.Int && b.Name == "value" && b.Type.Kind == avro.Bytes {
			return typ, valReader{kind: event.KindVarDecimal, scaleFirst: t.Fields[0].Name == "scale"}, nil
		}
	}
	return typ, valReader{}, fmt.Errorf("%w: record %s is not {scale int, value bytes}", ErrSchema, t.Name)
}

// arrayType reads an array of (nullable) elements; arrays of arrays have no event type.
func arrayType(t *avro.Type, typ event.Type) (event.Type, valReader, error) {
	typ.Kind = event.KindArray
	s, ok := newSlot(t.Items)
	if !ok {
		return typ, valReader{}, fmt.Errorf("%w: array items are a union other than [null, T]", ErrSchema)
	}
	if s.inner.Kind == avro.Array {
		return typ, valReader{}, fmt.Errorf("%w: arrays of arrays have no event kind", ErrSchema)
	}
	elem, ev, err := eventType(s.inner)
	if err != nil {
		return typ, valReader{}, fmt.Errorf("array items: %w", err)
	}
	typ.Elem = &elem
	return typ, valReader{kind: event.KindArray, elem: &ev, elemSlot: s}, nil
}

// stringProp is a string annotation, "" when absent.
func stringProp(props map[string]any, k string) (string, error) {
	v, ok := props[k]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: %s is %T, not a string", ErrSchema, k, v)
	}
	return s, nil
}

// intProp is an integer annotation.
func intProp(props map[string]any, k string) (int, bool, error) {
	v, ok := props[k]
	if !ok {
		return 0, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, false, fmt.Errorf("%w: %s is %T, not a number", ErrSchema, k, v)
	}
	i, err := strconv.Atoi(string(n))
	if err != nil {
		return 0, false, fmt.Errorf("%w: %s %s is not an int", ErrSchema, k, n)
	}
	return i, true, nil
}

// connectParams reads connect.parameters, nil when absent or empty.
func connectParams(props map[string]any) (map[string]string, error) {
	v, ok := props["connect.parameters"]
	if !ok {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: connect.parameters is %T, not an object", ErrSchema, v)
	}
	if len(m) == 0 {
		return nil, nil
	}
	p := make(map[string]string, len(m))
	for k, x := range m {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%w: connect.parameters %s is %T, not a string", ErrSchema, k, x)
		}
		p[k] = s
	}
	return p, nil
}

// defaultValue converts a field default (decoded JSON) to the Go value of the column's
// kind: the inverse of avroDefault.
func defaultValue(t *event.Type, v any) (any, error) {
	switch t.Kind {
	case event.KindBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case event.KindInt8, event.KindInt16, event.KindInt32:
		if n, ok := v.(json.Number); ok {
			i, err := strconv.ParseInt(string(n), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrSchema, err)
			}
			return int32(i), nil
		}
	case event.KindInt64:
		if n, ok := v.(json.Number); ok {
			i, err := strconv.ParseInt(string(n), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrSchema, err)
			}
			return i, nil
		}
	case event.KindFloat32:
		if n, ok := v.(json.Number); ok {
			f, err := strconv.ParseFloat(string(n), 32)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrSchema, err)
			}
			return float32(f), nil
		}
	case event.KindFloat64:
		if n, ok := v.(json.Number); ok {
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrSchema, err)
			}
			return f, nil
		}
	case event.KindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case event.KindBytes, event.KindDecimal:
		if s, ok := v.(string); ok {
			b, err := fromLatin1(s)
			if err != nil {
				return nil, err
			}
			if t.Kind == event.KindBytes {
				return b, nil
			}
			return decimalRat(b, t.Scale, pow10(t.Scale)), nil
		}
	}
	return nil, fmt.Errorf("%w: %T is not a default of kind %s", ErrSchema, v, t.Kind)
}

// fromLatin1 is the inverse of latin1: code points 0-255 back to bytes.
func fromLatin1(s string) ([]byte, error) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("%w: bytes default has code point %U above 0xFF", ErrSchema, r)
		}
		b = append(b, byte(r))
	}
	return b, nil
}

// decimalRat is the two's complement unscaled value p × 10^-scale (p10 is 10^|scale|).
func decimalRat(p []byte, scale int, p10 *big.Int) *big.Rat {
	r := new(big.Rat)
	n := setTwosComplement(r.Num(), p) // the numerator in place: no copy
	switch {
	case scale < 0:
		n.Mul(n, p10)
	case scale > 0 && n.Sign() != 0:
		r.SetFrac(n, p10) // normalizes
	}
	return r
}
