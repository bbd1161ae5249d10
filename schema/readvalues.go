package schema

import (
	"fmt"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Reading column values: the inverse of values.go. Every kind reads as the Go type
// event.Kind documents, and Debezium's unavailable-value placeholder, in the shapes
// appendUnavailable writes, reads as event.Unavailable.

// readRow reads a Value record into one value per column.
func readRow(r *reader, cols []colReader, names []event.Column) ([]any, error) {
	row := make([]any, len(cols))
	for i := range cols {
		c := &cols[i]
		ok, err := c.present(r)
		if err == nil && ok {
			row[i], err = c.val.read(r)
		}
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", names[i].Name, err)
		}
	}
	return row, nil
}

// read reads a non-null value.
func (v *valReader) read(r *reader) (any, error) {
	switch v.kind {
	case event.KindBoolean:
		return r.boolean()
	case event.KindInt8, event.KindInt16, event.KindInt32:
		return r.int()
	case event.KindInt64:
		return r.long()
	case event.KindFloat32:
		return r.float()
	case event.KindFloat64:
		return r.double()
	case event.KindString:
		p, err := r.raw()
		if err != nil {
			return nil, err
		}
		if v.placeholder && string(p) == event.UnavailablePlaceholder {
			return event.Unavailable, nil
		}
		return string(p), nil
	case event.KindBytes:
		p, err := r.raw()
		if err != nil {
			return nil, err
		}
		if v.placeholder && string(p) == event.UnavailablePlaceholder {
			return event.Unavailable, nil
		}
		return append(make([]byte, 0, len(p)), p...), nil
	case event.KindDecimal:
		p, err := r.raw()
		if err != nil {
			return nil, err
		}
		return decimalRat(p, v.scale, v.pow10), nil
	case event.KindVarDecimal:
		return v.readVarDecimal(r)
	case event.KindArray:
		return v.readArray(r)
	}
	return nil, fmt.Errorf("%w: no reader for kind %s", ErrSchema, v.kind) // unreachable: plans only hold the kinds above
}

// readVarDecimal reads Debezium's VariableScaleDecimal record.
func (v *valReader) readVarDecimal(r *reader) (any, error) {
	var d event.VarDecimal
	var err error
	if v.scaleFirst {
		if d.Scale, err = r.int(); err == nil {
			d.Unscaled, err = r.twosComplement()
		}
	} else if d.Unscaled, err = r.twosComplement(); err == nil {
		d.Scale, err = r.int()
	}
	if err != nil {
		return nil, fmt.Errorf("variable scale decimal: %w", err)
	}
	return d, nil
}

// readArray reads an array of (nullable) elements.
func (v *valReader) readArray(r *reader) (any, error) {
	var items []any
	minItem := 1
	if v.elemSlot.null < 0 && v.elem.kind == event.KindFloat32 {
		minItem = 4
	} else if v.elemSlot.null < 0 && v.elem.kind == event.KindFloat64 {
		minItem = 8
	}
	for {
		n, err := r.blockCount(minItem)
		if err != nil {
			return nil, fmt.Errorf("array: %w", err)
		}
		if n == 0 {
			break
		}
		if items == nil {
			items = make([]any, 0, n)
		}
		for ; n > 0; n-- {
			ok, err := v.elemSlot.present(r)
			var x any
			if err == nil && ok {
				x, err = v.elem.read(r)
			}
			if err != nil {
				return nil, fmt.Errorf("array element %d: %w", len(items), err)
			}
			items = append(items, x)
		}
	}
	if items == nil {
		items = []any{}
	}
	if v.placeholder && unavailableArray(v.elem.kind, items) {
		return event.Unavailable, nil
	}
	return items, nil
}

// unavailableArray reports whether items are the placeholder as appendUnavailable shapes
// it for arrays: one string (or bytes) element, or the placeholder's bytes as integers.
func unavailableArray(elem event.Kind, items []any) bool {
	const ph = event.UnavailablePlaceholder
	switch elem {
	case event.KindString:
		return len(items) == 1 && items[0] == ph
	case event.KindBytes:
		if len(items) != 1 {
			return false
		}
		b, ok := items[0].([]byte)
		return ok && string(b) == ph
	case event.KindInt8, event.KindInt16, event.KindInt32, event.KindInt64:
		if len(items) != len(ph) {
			return false
		}
		for i, it := range items {
			var n int64
			switch x := it.(type) {
			case int32:
				n = int64(x)
			case int64:
				n = x
			default:
				return false
			}
			if n != int64(int8(ph[i])) {
				return false
			}
		}
		return true
	}
	return false
}
