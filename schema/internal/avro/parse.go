package avro

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSchema reports schema text that is not a valid Avro schema.
var ErrSchema = errors.New("invalid avro schema")

// Kind is an Avro type.
type Kind string

// The Avro types.
const (
	Null    Kind = "null"
	Boolean Kind = "boolean"
	Int     Kind = "int"
	Long    Kind = "long"
	Float   Kind = "float"
	Double  Kind = "double"
	Bytes   Kind = "bytes"
	String  Kind = "string"
	Record  Kind = "record"
	Enum    Kind = "enum"
	Array   Kind = "array"
	Map     Kind = "map"
	Fixed   Kind = "fixed"
	Union   Kind = "union"
)

// Type is a parsed schema. Named types are shared: a reference is the same *Type, so a
// recursive schema is a cyclic graph.
type Type struct {
	Kind Kind
	// Name is the full name of records, enums and fixed.
	Name    string
	Aliases []string // full names
	Fields  []Field
	Symbols []string
	// EnumDefault is set when an enum has a default symbol.
	EnumDefault bool
	Items       *Type // array
	Values      *Type // map
	Size        int   // fixed
	Branches    []*Type
	// Props is the JSON object the type was written as, with its annotations
	// (connect.name, logicalType, ...; numbers as json.Number), or nil for a type named by
	// a string. A reference to a named type shares the definition's Props.
	Props map[string]any
}

// Field is a record field.
type Field struct {
	Name       string
	Aliases    []string
	Type       *Type
	HasDefault bool
	// Default is the field's default as decoded JSON (numbers as json.Number), when
	// HasDefault.
	Default any
}

// ShortName is the name without its namespace.
func (t *Type) ShortName() string {
	return t.Name[strings.LastIndexByte(t.Name, '.')+1:]
}

// Parse parses schema JSON text.
func Parse(text string) (*Type, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the schema", ErrSchema)
	}
	p := parser{names: map[string]*Type{}}
	return p.parse(v, "")
}

type parser struct {
	names map[string]*Type
}

var primitives = map[string]Kind{"null": Null, "boolean": Boolean, "int": Int, "long": Long,
	"float": Float, "double": Double, "bytes": Bytes, "string": String}

func (p *parser) parse(v any, ns string) (*Type, error) {
	switch x := v.(type) {
	case string:
		return p.named(x, ns)
	case []any:
		t := &Type{Kind: Union}
		for _, b := range x {
			bt, err := p.parse(b, ns)
			if err != nil {
				return nil, err
			}
			if bt.Kind == Union {
				return nil, fmt.Errorf("%w: union inside union", ErrSchema)
			}
			t.Branches = append(t.Branches, bt)
		}
		return t, nil
	case map[string]any:
		return p.object(x, ns)
	}
	return nil, fmt.Errorf("%w: unexpected %T", ErrSchema, v)
}

// named resolves a primitive name or a reference to a defined named type.
func (p *parser) named(name, ns string) (*Type, error) {
	if k, ok := primitives[name]; ok {
		return &Type{Kind: k}, nil
	}
	if !strings.Contains(name, ".") && ns != "" {
		if t, ok := p.names[ns+"."+name]; ok {
			return t, nil
		}
	}
	if t, ok := p.names[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("%w: unknown type %q", ErrSchema, name)
}

func (p *parser) object(o map[string]any, ns string) (*Type, error) {
	typ, ok := o["type"].(string)
	if !ok {
		if inner, has := o["type"]; has {
			return p.parse(inner, ns)
		}
		return nil, fmt.Errorf("%w: object without type", ErrSchema)
	}
	switch typ {
	case "record", "error", "enum", "fixed":
		return p.definition(o, typ, ns)
	case "array":
		items, err := p.parse(o["items"], ns)
		if err != nil {
			return nil, fmt.Errorf("array items: %w", err)
		}
		return &Type{Kind: Array, Items: items, Props: o}, nil
	case "map":
		values, err := p.parse(o["values"], ns)
		if err != nil {
			return nil, fmt.Errorf("map values: %w", err)
		}
		return &Type{Kind: Map, Values: values, Props: o}, nil
	}
	if k, ok := primitives[typ]; ok {
		return &Type{Kind: k, Props: o}, nil
	}
	return p.named(typ, ns)
}

// definition parses a named type and registers it before its body, for recursion.
func (p *parser) definition(o map[string]any, typ, ns string) (*Type, error) {
	name, _ := o["name"].(string)
	if name == "" {
		return nil, fmt.Errorf("%w: %s without name", ErrSchema, typ)
	}
	if n, ok := o["namespace"].(string); ok && !strings.Contains(name, ".") {
		ns = n
	}
	full := name
	if !strings.Contains(name, ".") && ns != "" {
		full = ns + "." + name
	}
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		ns = full[:i]
	} else {
		ns = ""
	}
	if _, dup := p.names[full]; dup {
		return nil, fmt.Errorf("%w: %s defined twice", ErrSchema, full)
	}
	t := &Type{Name: full, Aliases: aliases(o, ns), Props: o}
	p.names[full] = t
	switch typ {
	case "record", "error":
		t.Kind = Record
		fields, ok := o["fields"].([]any)
		if !ok {
			return nil, fmt.Errorf("%w: record %s without fields", ErrSchema, full)
		}
		for _, fv := range fields {
			fo, ok := fv.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: record %s: field is not an object", ErrSchema, full)
			}
			fname, _ := fo["name"].(string)
			ft, err := p.parse(fo["type"], ns)
			if err != nil {
				return nil, fmt.Errorf("record %s field %q: %w", full, fname, err)
			}
			def, hasDefault := fo["default"]
			t.Fields = append(t.Fields, Field{Name: fname, Aliases: aliases(fo, ""), Type: ft,
				HasDefault: hasDefault, Default: def})
		}
	case "enum":
		t.Kind = Enum
		syms, _ := o["symbols"].([]any)
		for _, s := range syms {
			str, _ := s.(string)
			t.Symbols = append(t.Symbols, str)
		}
		_, t.EnumDefault = o["default"]
	case "fixed":
		t.Kind = Fixed
		num, _ := o["size"].(json.Number)
		size, err := strconv.Atoi(string(num))
		if err != nil || size < 0 {
			return nil, fmt.Errorf("%w: fixed %s without size", ErrSchema, full)
		}
		t.Size = size
	}
	return t, nil
}

// aliases reads an "aliases" list, qualifying names with ns when given.
func aliases(o map[string]any, ns string) []string {
	list, _ := o["aliases"].([]any)
	var out []string
	for _, a := range list {
		s, _ := a.(string)
		if ns != "" && !strings.Contains(s, ".") {
			s = ns + "." + s
		}
		out = append(out, s)
	}
	return out
}
