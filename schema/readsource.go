package schema

import (
	"fmt"
	"math"

	"github.com/dovetail-cdc/dovetail/schema/internal/avro"
)

// Reading the fixed records of an envelope (source block, transaction block, Postgres
// message) by field name, so any writer's field order and extra fields are read: fields
// Dovetail does not know are skipped.

// scalarKind is what a known field of a fixed record holds.
type scalarKind int

const (
	scalarString scalarKind = iota
	scalarBytes
	scalarLong
)

func (k scalarKind) String() string {
	switch k {
	case scalarString:
		return "string"
	case scalarBytes:
		return "bytes"
	}
	return "long or int"
}

// scalarField names a known field of a fixed record.
type scalarField struct {
	name string
	kind scalarKind
}

// scalar is one read field: null or absent fields have ok false.
type scalar struct {
	s  string
	b  []byte
	n  int64
	ok bool
}

// Indexes into sourceSpec.
const (
	srcVersion = iota
	srcConnector
	srcName
	srcTsMs
	srcSnapshot
	srcDB
	srcSequence
	srcTsUs
	srcTsNs
	srcSchema
	srcTable
	srcTxID
	srcLSN
	srcXmin
	srcServerID
	srcGTID
	srcFile
	srcPos
	srcRow
	srcThread
	srcQuery
)

// sourceSpec is the fields of both connectors' source blocks (source.go).
var sourceSpec = [...]scalarField{
	srcVersion: {"version", scalarString}, srcConnector: {"connector", scalarString},
	srcName: {"name", scalarString}, srcTsMs: {"ts_ms", scalarLong},
	srcSnapshot: {"snapshot", scalarString}, srcDB: {"db", scalarString},
	srcSequence: {"sequence", scalarString}, srcTsUs: {"ts_us", scalarLong},
	srcTsNs: {"ts_ns", scalarLong}, srcSchema: {"schema", scalarString},
	srcTable: {"table", scalarString}, srcTxID: {"txId", scalarLong}, srcLSN: {"lsn", scalarLong},
	srcXmin: {"xmin", scalarLong}, srcServerID: {"server_id", scalarLong},
	srcGTID: {"gtid", scalarString}, srcFile: {"file", scalarString}, srcPos: {"pos", scalarLong},
	srcRow: {"row", scalarLong}, srcThread: {"thread", scalarLong}, srcQuery: {"query", scalarString},
}

// Indexes into transactionSpec.
const (
	txID = iota
	txTotal
	txCollection
)

// transactionSpec is Debezium's event.block.
var transactionSpec = [...]scalarField{
	txID: {"id", scalarString}, txTotal: {"total_order", scalarLong},
	txCollection: {"data_collection_order", scalarLong},
}

// Indexes into messageSpec.
const (
	msgPrefix = iota
	msgContent
)

// messageSpec is io.debezium.connector.postgresql.Message.
var messageSpec = [...]scalarField{msgPrefix: {"prefix", scalarString}, msgContent: {"content", scalarBytes}}

// scalarPlan reads a fixed record's fields in the writer's order into a []scalar indexed
// like its spec.
type scalarPlan struct {
	fields []planField
}

type planField struct {
	slot
	name   string
	target int // index in the spec, -1 to skip
	kind   scalarKind
	isInt  bool // avro int rather than long
}

// newScalarPlan matches a record's fields with a spec; a known field of another type is
// an error.
func newScalarPlan(rec *avro.Type, spec []scalarField) (*scalarPlan, error) {
	if rec == nil || rec.Kind != avro.Record {
		return nil, fmt.Errorf("%w: not a record", ErrSchema)
	}
	p := &scalarPlan{fields: make([]planField, len(rec.Fields))}
	for i, f := range rec.Fields {
		pf := planField{slot: slot{typ: f.Type}, name: f.Name, target: -1}
		for j, sf := range spec {
			if sf.name != f.Name {
				continue
			}
			s, ok := newSlot(f.Type)
			want := sf.kind.String()
			if !ok {
				return nil, fmt.Errorf("%w: field %s is a union other than [null, %s]", ErrSchema, f.Name, want)
			}
			k := s.inner.Kind
			switch {
			case sf.kind == scalarString && k == avro.String, sf.kind == scalarBytes && k == avro.Bytes,
				sf.kind == scalarLong && (k == avro.Long || k == avro.Int):
			default:
				return nil, fmt.Errorf("%w: field %s is avro %s, want %s", ErrSchema, f.Name, k, want)
			}
			pf = planField{slot: s, name: f.Name, target: j, kind: sf.kind, isInt: k == avro.Int}
			break
		}
		p.fields[i] = pf
	}
	return p, nil
}

// read reads the record into vals (len(spec) long).
func (p *scalarPlan) read(r *reader, vals []scalar) error {
	for i := range p.fields {
		f := &p.fields[i]
		if f.target < 0 {
			if err := r.skip(f.typ); err != nil {
				return err
			}
			continue
		}
		ok, err := f.present(r)
		if err != nil {
			return fmt.Errorf("field %s: %w", f.name, err)
		}
		if !ok {
			continue
		}
		v := &vals[f.target]
		v.ok = true
		switch f.kind {
		case scalarString:
			v.s, err = r.string()
		case scalarBytes:
			v.b, err = r.bytes()
		case scalarLong:
			v.n, err = r.long()
			if err == nil && f.isInt && (v.n < math.MinInt32 || v.n > math.MaxInt32) {
				err = fmt.Errorf("%w: %d overflows an avro int", ErrData, v.n)
			}
		}
		if err != nil {
			return fmt.Errorf("field %s: %w", f.name, err)
		}
	}
	return nil
}
