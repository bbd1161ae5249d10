package verify

import (
	"fmt"
	"strings"
)

// conv maps a side's normalized value into the form it is compared in.
type conv func(Value) Value

func identity(v Value) Value { return v }

// unify decides how a source column and its target column compare, and returns the
// conversion of each side's values into that common form. ok is false when the kinds
// have nothing in common; both sides then compare by their canonical text, which
// differs for any non-NULL value, so every such row is reported as different.
//
// The rules follow the sinks' type mapping (docs/EVENT-FORMAT.md):
//   - same kind: as is; floats at the lower precision of the two (float32 vs double:
//     both rounded to float32); fixed-width CHAR on either side: trailing spaces trimmed
//     on both, as MySQL reads CHAR and Postgres compares bpchar.
//   - number vs float: the number is read as a float of the float's precision.
//   - number vs bool: 0 is false, anything else true (MySQL tinyint(1) vs boolean).
//   - timestamp vs timestamptz: the wall-clock time is taken as UTC, as Debezium's
//     Timestamp is epoch time "as if UTC".
//   - string vs anything: the text is parsed as the other kind (an ISO timestamp kept
//     as text, JSON in MariaDB's longtext); text that does not parse stays text.
//   - string vs bytes: the text's UTF-8 bytes.
func unify(s, t *Column) (cs, ct conv, ok bool) {
	cs, ct, ok = unifyKinds(s, t)
	if s.Padded || t.Padded {
		cs, ct = trimmed(cs), trimmed(ct)
	}
	return cs, ct, ok
}

func unifyKinds(s, t *Column) (conv, conv, bool) {
	if s.Kind == t.Kind {
		if s.Kind == KindFloat && s.FloatBits != t.FloatBits {
			return toFloat(32), toFloat(32), true
		}
		return identity, identity, true
	}
	if c, ok := convertTo(s.Kind, t); ok {
		return c, identity, true
	}
	if c, ok := convertTo(t.Kind, s); ok {
		return identity, c, true
	}
	return asText, asText, false
}

// convertTo returns the conversion of values of kind from into the kind of column to,
// when such a one-sided conversion is a rule of unify.
func convertTo(from Kind, to *Column) (conv, bool) {
	switch {
	case from == KindNumber && to.Kind == KindFloat:
		return toFloat(to.FloatBits), true
	case from == KindNumber && to.Kind == KindBool:
		return func(v Value) Value {
			if v.Kind != KindNumber {
				return v
			}
			if v.S == "0" {
				return Value{KindBool, "false"}
			}
			return Value{KindBool, "true"}
		}, true
	case from == KindTimestamp && to.Kind == KindTimestampTZ:
		return func(v Value) Value {
			if v.Kind == KindTimestamp {
				v.Kind = KindTimestampTZ
			}
			return v
		}, true
	case from == KindString:
		k, bits := to.Kind, to.FloatBits
		return func(v Value) Value {
			if v.Kind != KindString {
				return v
			}
			if p, ok := parseAs(v.S, k, bits); ok {
				return p
			}
			return v
		}, true
	}
	return nil, false
}

func toFloat(bits int) conv {
	return func(v Value) Value {
		if v.Kind != KindFloat && v.Kind != KindNumber {
			return v
		}
		f, ok := parseFloat(v.S)
		if !ok {
			return v
		}
		return Value{KindFloat, float(f, bits)}
	}
}

func asText(v Value) Value {
	if v.Kind == KindNull {
		return v
	}
	return Value{KindString, v.S}
}

func trimmed(c conv) conv {
	return func(v Value) Value {
		v = c(v)
		if v.Kind == KindString {
			v.S = strings.TrimRight(v.S, " ")
		}
		return v
	}
}

// columnPlan pairs the compared columns of a source and a target table.
type columnPlan struct {
	srcKey, dstKey   []string // key columns, by each side's name
	srcCols, dstCols []string // the other compared columns, in the same order
	names            []string // report names (the source's) of key then other columns
	srcConv, dstConv []conv   // per key then other column
	missing, extra   []string // columns only in the source / only in the target
	generated        []string // generated source columns the target lacks (not replicated)
	incompatible     []string // columns whose kinds cannot be compared
}

// planColumns matches the columns of src and dst by name (exactly, else ignoring case;
// then, when targetName is set, by the name it gives) and pairs the key columns. A key
// column missing in the target, or nullable on either side, is an error: range bounds
// never match NULL, so rows with a NULL key would go uncompared.
func planColumns(src, dst *Table, key []string, targetName func(string) string) (*columnPlan, error) {
	p := &columnPlan{}
	byName := map[string]*Column{}
	byFold := map[string]*Column{}
	for i := range dst.Columns {
		c := &dst.Columns[i]
		byName[c.Name] = c
		byFold[strings.ToLower(c.Name)] = c
	}
	match := func(name string) *Column {
		if c := byName[name]; c != nil {
			return c
		}
		if c := byFold[strings.ToLower(name)]; c != nil || targetName == nil {
			return c
		}
		if c := byName[targetName(name)]; c != nil {
			return c
		}
		return byFold[strings.ToLower(targetName(name))]
	}
	used := map[string]bool{}
	add := func(s, t *Column) {
		cs, ct, ok := unify(s, t)
		if !ok {
			p.incompatible = append(p.incompatible, s.Name)
		}
		p.names = append(p.names, s.Name)
		p.srcConv = append(p.srcConv, cs)
		p.dstConv = append(p.dstConv, ct)
		used[t.Name] = true
	}
	isKey := map[string]bool{}
	for _, k := range key {
		s := src.Column(k)
		if s == nil {
			return nil, errNoColumn(src.Ref, k)
		}
		t := match(k)
		if t == nil {
			return nil, errNoColumn(dst.Ref, k)
		}
		if s.Nullable || t.Nullable {
			return nil, fmt.Errorf("key column %q is nullable in %s or %s; rows with a NULL key cannot be compared by key", k, src.Ref, dst.Ref)
		}
		isKey[s.Name] = true
		p.srcKey = append(p.srcKey, s.Name)
		p.dstKey = append(p.dstKey, t.Name)
		add(s, t)
	}
	for i := range src.Columns {
		s := &src.Columns[i]
		if isKey[s.Name] {
			continue
		}
		t := match(s.Name)
		if t == nil && s.Generated {
			p.generated = append(p.generated, s.Name)
			continue
		}
		if t == nil || used[t.Name] {
			p.missing = append(p.missing, s.Name)
			continue
		}
		p.srcCols = append(p.srcCols, s.Name)
		p.dstCols = append(p.dstCols, t.Name)
		add(s, t)
	}
	for _, c := range dst.Columns {
		if !used[c.Name] {
			p.extra = append(p.extra, c.Name)
		}
	}
	return p, nil
}
