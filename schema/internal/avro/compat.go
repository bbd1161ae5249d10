package avro

import (
	"fmt"
	"slices"
)

// CanRead reports whether data written with writer can be read with reader under Avro's
// schema resolution rules (what Confluent's compatibility levels check). It returns nil
// when it can, or an error saying where it cannot. Logical types are not compared.
func CanRead(reader, writer *Type) error {
	r := resolver{seen: map[[2]*Type]bool{}}
	return r.canRead(reader, writer, "")
}

type resolver struct {
	seen map[[2]*Type]bool // pairs assumed compatible while being checked (recursion)
}

func (r *resolver) canRead(rd, wr *Type, path string) error {
	if wr.Kind == Union {
		for i, b := range wr.Branches {
			if err := r.canRead(rd, b, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if rd.Kind == Union {
		for _, b := range rd.Branches {
			if r.canRead(b, wr, path) == nil {
				return nil
			}
		}
		return fmt.Errorf("%s: reader union has no branch for writer type %s", at(path), describe(wr))
	}
	if promotes(wr.Kind, rd.Kind) {
		return nil
	}
	if rd.Kind != wr.Kind {
		return fmt.Errorf("%s: reader type %s cannot read writer type %s", at(path), describe(rd), describe(wr))
	}
	switch rd.Kind {
	case Array:
		return r.canRead(rd.Items, wr.Items, path+"[]")
	case Map:
		return r.canRead(rd.Values, wr.Values, path+"{}")
	case Fixed:
		if !sameName(rd, wr) || rd.Size != wr.Size {
			return fmt.Errorf("%s: fixed %s(%d) cannot read fixed %s(%d)", at(path), rd.Name, rd.Size, wr.Name, wr.Size)
		}
	case Enum:
		if !sameName(rd, wr) {
			return fmt.Errorf("%s: enum %s cannot read enum %s", at(path), rd.Name, wr.Name)
		}
		if !rd.EnumDefault {
			for _, s := range wr.Symbols {
				if !slices.Contains(rd.Symbols, s) {
					return fmt.Errorf("%s: reader enum %s lacks symbol %q", at(path), rd.Name, s)
				}
			}
		}
	case Record:
		if !sameName(rd, wr) {
			return fmt.Errorf("%s: record %s cannot read record %s", at(path), rd.Name, wr.Name)
		}
		pair := [2]*Type{rd, wr}
		if r.seen[pair] {
			return nil
		}
		r.seen[pair] = true
		for _, f := range rd.Fields {
			wf := writerField(wr, &f)
			if wf == nil {
				if !f.HasDefault {
					return fmt.Errorf("%s: reader field %q has no default and is missing in the writer", at(path+"."+f.Name), f.Name)
				}
				continue
			}
			if err := r.canRead(f.Type, wf.Type, path+"."+f.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// promotes reports Avro's allowed promotions of a writer primitive to a reader one.
func promotes(w, r Kind) bool {
	switch w {
	case Int:
		return r == Long || r == Float || r == Double
	case Long:
		return r == Float || r == Double
	case Float:
		return r == Double
	case String:
		return r == Bytes
	case Bytes:
		return r == String
	}
	return false
}

// sameName compares unqualified names, or a reader alias with the writer's full name, as
// Avro's SchemaCompatibility does.
func sameName(rd, wr *Type) bool {
	return rd.ShortName() == wr.ShortName() || slices.Contains(rd.Aliases, wr.Name)
}

func writerField(wr *Type, f *Field) *Field {
	for i := range wr.Fields {
		if wr.Fields[i].Name == f.Name {
			return &wr.Fields[i]
		}
	}
	for i := range wr.Fields {
		if slices.Contains(f.Aliases, wr.Fields[i].Name) {
			return &wr.Fields[i]
		}
	}
	return nil
}

func describe(t *Type) string {
	if t.Name != "" {
		return string(t.Kind) + " " + t.Name
	}
	return string(t.Kind)
}

func at(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "at " + path
}
