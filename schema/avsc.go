package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Kafka Connect and Debezium logical names the generator writes itself.
const (
	decimalName  = "org.apache.kafka.connect.data.Decimal"
	varDecName   = "io.debezium.data.VariableScaleDecimal"
	varDecDoc    = "Variable scaled decimal"
	envelopeVers = 2 // Debezium's Envelope.SCHEMA_VERSION
)

// ErrSchema reports a table or column that has no Avro schema (an invalid kind, an array
// without element type, field names that collide after sanitizing).
var ErrSchema = errors.New("no avro schema")

// Schemas are the Avro schemas (JSON text) of one table version's records.
type Schemas struct {
	// Key is record "<prefix>.<ns>.<table>.Key", or "" when the table has no key.
	Key string
	// Value is the row record "<prefix>.<ns>.<table>.Value" on its own.
	Value string
	// Envelope is record "<prefix>.<ns>.<table>.Envelope", the schema of the topic's values.
	Envelope string
}

// TableSchemas generates the schemas of a table's records, as Debezium 3.x with
// Confluent's AvroConverter registers them. connector is ConnectorPostgres or
// ConnectorMySQL and selects the source block.
func TableSchemas(prefix, connector string, t *event.Table) (Schemas, error) {
	var s Schemas
	fields, err := fieldNames(t)
	if err != nil {
		return s, err
	}
	ns := AvroFullName(Topic(prefix, t.ID))
	if len(t.Key) > 0 {
		g := newGenerator()
		key, err := g.row(ns, "Key", true, t, fields, t.Key)
		if err != nil {
			return s, err
		}
		if s.Key, err = marshalSchema(key); err != nil {
			return s, fmt.Errorf("render key schema of %s: %w", t.ID, err)
		}
	}
	all := make([]int, len(t.Columns))
	for i := range all {
		all[i] = i
	}
	value, err := newGenerator().row(ns, "Value", true, t, fields, all)
	if err != nil {
		return s, err
	}
	if s.Value, err = marshalSchema(value); err != nil {
		return s, fmt.Errorf("render value schema of %s: %w", t.ID, err)
	}
	env, err := envelope(ns, connector, t, fields, all)
	if err != nil {
		return s, err
	}
	if s.Envelope, err = marshalSchema(env); err != nil {
		return s, fmt.Errorf("render envelope schema of %s: %w", t.ID, err)
	}
	return s, nil
}

// envelope builds the Envelope record of a table.
func envelope(ns, connector string, t *event.Table, fields []string, all []int) (object, error) {
	src, err := sourceSchema(connector)
	if err != nil {
		return nil, err
	}
	value, err := newGenerator().row(ns, "Value", false, t, fields, all)
	if err != nil {
		return nil, err
	}
	return object{
		{"type", "record"},
		{"name", "Envelope"},
		{"namespace", ns},
		{"fields", []any{
			optionalField("before", value),
			optionalField("after", "Value"),
			field("source", src),
			optionalField("transaction", transactionSchema()),
			field("op", "string"),
			optionalField("ts_ms", "long"),
			optionalField("ts_us", "long"),
			optionalField("ts_ns", "long"),
		}},
		{"connect.version", envelopeVers},
		{"connect.name", ns + ".Envelope"},
	}, nil
}

// fieldNames returns the sanitized Avro field name of every column, and an error when two
// collide.
func fieldNames(t *event.Table) ([]string, error) {
	names := make([]string, len(t.Columns))
	seen := make(map[string]string, len(t.Columns))
	for i, c := range t.Columns {
		n := AvroName(c.Name)
		if other, dup := seen[n]; dup {
			return nil, fmt.Errorf("%w: columns %q and %q of %s both map to avro field %q",
				ErrSchema, other, c.Name, t.ID, n)
		}
		seen[n] = c.Name
		names[i] = n
	}
	return names, nil
}

// generator builds one schema document: a named type is defined once, then referenced by
// its full name.
type generator struct {
	defined map[string]bool
}

func newGenerator() *generator { return &generator{defined: map[string]bool{}} }

// row builds the record of the columns at idx. withNamespace writes the namespace (false
// when the record is nested in a record of the same namespace).
func (g *generator) row(ns, name string, withNamespace bool, t *event.Table, fields []string, idx []int) (object, error) {
	fs := make([]any, 0, len(idx))
	for _, i := range idx {
		if i < 0 || i >= len(t.Columns) {
			return nil, fmt.Errorf("%w: key index %d out of range in %s", ErrSchema, i, t.ID)
		}
		c := &t.Columns[i]
		typ, err := g.typ(&c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s.%s: %w", t.ID, c.Name, err)
		}
		f := object{{"name", fields[i]}}
		if c.Optional {
			f = append(f, member{"type", []any{"null", typ}})
		} else {
			f = append(f, member{"type", typ})
		}
		if c.Type.Kind == event.KindVarDecimal {
			f = append(f, member{"doc", varDecDoc})
		}
		if c.Optional {
			f = append(f, member{"default", nil})
		} else if c.Default != nil {
			d, err := avroDefault(&c.Type, c.Default)
			if err != nil {
				return nil, fmt.Errorf("column %s.%s default %v: %w", t.ID, c.Name, c.Default, err)
			}
			f = append(f, member{"default", d})
		}
		fs = append(fs, f)
	}
	r := object{{"type", "record"}, {"name", name}}
	if withNamespace {
		r = append(r, member{"namespace", ns})
	}
	return append(r, member{"fields", fs}, member{"connect.name", ns + "." + name}), nil
}

// typ maps a column type to its Avro schema.
func (g *generator) typ(t *event.Type) (any, error) {
	switch t.Kind {
	case event.KindBoolean:
		return annotate("boolean", t, ""), nil
	case event.KindInt8:
		return annotate("int", t, "int8"), nil
	case event.KindInt16:
		return annotate("int", t, "int16"), nil
	case event.KindInt32:
		return annotate("int", t, ""), nil
	case event.KindInt64:
		return annotate("long", t, ""), nil
	case event.KindFloat32:
		return annotate("float", t, ""), nil
	case event.KindFloat64:
		return annotate("double", t, ""), nil
	case event.KindString:
		return annotate("string", t, ""), nil
	case event.KindBytes:
		return annotate("bytes", t, ""), nil
	case event.KindDecimal:
		return decimalSchema(t), nil
	case event.KindVarDecimal:
		if g.defined[varDecName] {
			return varDecName, nil
		}
		g.defined[varDecName] = true
		return object{
			{"type", "record"},
			{"name", "VariableScaleDecimal"},
			{"namespace", "io.debezium.data"},
			{"fields", []any{field("scale", "int"), field("value", "bytes")}},
			{"connect.doc", varDecDoc},
			{"connect.version", 1},
			{"connect.name", varDecName},
		}, nil
	case event.KindArray:
		if t.Elem == nil {
			return nil, fmt.Errorf("%w: array without element type", ErrSchema)
		}
		if t.Elem.Kind == event.KindArray {
			return nil, fmt.Errorf("%w: arrays of arrays are not supported", ErrSchema)
		}
		elem, err := g.typ(t.Elem)
		if err != nil {
			return nil, fmt.Errorf("array element: %w", err)
		}
		a := object{{"type", "array"}, {"items", []any{"null", elem}}}
		return append(a, connectProps(t, "")...), nil
	default:
		return nil, fmt.Errorf("%w: kind %s", ErrSchema, t.Kind)
	}
}

// annotate returns a primitive schema, as an object with Connect's annotations when the
// type has a logical name, parameters or a Connect integer width.
func annotate(prim string, t *event.Type, connectType string) any {
	props := connectProps(t, connectType)
	if len(props) == 0 {
		return prim
	}
	return append(object{{"type", prim}}, props...)
}

// connectProps are the connect.* properties of a type, in the order AvroConverter writes
// them.
func connectProps(t *event.Type, connectType string) object {
	var o object
	if t.Name != "" {
		o = append(o, member{"connect.version", 1})
	}
	if len(t.Params) > 0 {
		o = append(o, member{"connect.parameters", params(nil, t.Params)})
	}
	if t.Name != "" {
		o = append(o, member{"connect.name", t.Name})
	}
	if connectType != "" {
		o = append(o, member{"connect.type", connectType})
	}
	return o
}

// params appends a type's parameters to o in key order.
func params(o object, p map[string]string) object {
	for _, k := range slices.Sorted(maps.Keys(p)) {
		o = append(o, member{k, p[k]})
	}
	return o
}

// decimalSchema is Connect's Decimal: bytes with logicalType decimal. Without a precision
// the logical type is left out (Avro requires one) and readers use connect.parameters.
func decimalSchema(t *event.Type) object {
	p := object{{"scale", strconv.Itoa(t.Scale)}}
	if t.Precision > 0 {
		p = append(p, member{"connect.decimal.precision", strconv.Itoa(t.Precision)})
	}
	extra := maps.Clone(t.Params)
	delete(extra, "scale")
	delete(extra, "connect.decimal.precision")
	p = params(p, extra)
	// Confluent's AvroConverter writes precision 64 (its default) when the Connect schema
	// gives none, as Debezium's money does; the logical type is always there.
	precision := t.Precision
	if precision <= 0 {
		precision = defaultDecimalPrecision
	}
	return append(object{{"type", "bytes"}, {"scale", t.Scale}, {"precision", precision}},
		member{"connect.version", 1},
		member{"connect.parameters", p},
		member{"connect.name", decimalName},
		member{"logicalType", "decimal"})
}

// defaultDecimalPrecision is Confluent AvroData's CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT.
const defaultDecimalPrecision = 64

// field is a required record field.
func field(name string, typ any) object { return object{{"name", name}, {"type", typ}} }

// optionalField is a ["null", T] field with default null.
func optionalField(name string, typ any) object {
	return object{{"name", name}, {"type", []any{"null", typ}}, {"default", nil}}
}

// transactionSchema is Debezium's event.block.
func transactionSchema() object {
	return object{
		{"type", "record"},
		{"name", "block"},
		{"namespace", "event"},
		{"fields", []any{
			field("id", "string"),
			field("total_order", "long"),
			field("data_collection_order", "long"),
		}},
		{"connect.version", 1},
		{"connect.name", "event.block"},
	}
}

// avroDefault is a column default in the JSON form an Avro field default takes for the
// column's type: numbers, strings, booleans, and bytes (decimals too) as a string of
// code points 0-255.
func avroDefault(t *event.Type, v any) (any, error) {
	switch t.Kind {
	case event.KindBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case event.KindInt8, event.KindInt16, event.KindInt32:
		if n, ok := v.(int32); ok {
			return n, nil
		}
	case event.KindInt64:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case event.KindFloat32:
		if f, ok := v.(float32); ok {
			return f, nil
		}
	case event.KindFloat64:
		if f, ok := v.(float64); ok {
			return f, nil
		}
	case event.KindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case event.KindBytes:
		if b, ok := v.([]byte); ok {
			return latin1(b), nil
		}
	case event.KindDecimal:
		if r, ok := v.(*big.Rat); ok {
			u := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale)), nil)))
			if !u.IsInt() {
				return nil, fmt.Errorf("%w: more than %d decimal places", ErrSchema, t.Scale)
			}
			enc := appendTwosComplement(nil, u.Num())
			n, k := binary.Varint(enc)
			return latin1(enc[k : k+int(n)]), nil
		}
	}
	return nil, fmt.Errorf("%w: %T is not a default of kind %s", ErrSchema, v, t.Kind)
}

// latin1 maps bytes to the code points of the same values, as Avro's JSON encoding of
// bytes does.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
