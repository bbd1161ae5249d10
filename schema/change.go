package schema

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/schema/internal/avro"
)

// ErrNotChangeRecord reports a value whose writer schema is none of the records Change
// knows: not a change Envelope, a Postgres message, a heartbeat or a schema change.
var ErrNotChangeRecord = errors.New("not a change record")

// RecordKind says what a record decoded by Decoder.Change holds.
type RecordKind int

// The kinds of records on the topics Dovetail writes.
const (
	// RecordChange is a row change (op r, c, u or d) or a truncate (op t, no rows) of a
	// table topic: ChangeRecord.Change is set.
	RecordChange RecordKind = iota + 1
	// RecordMessage is a Postgres logical decoding message (op m) of the "<prefix>.message"
	// topic: ChangeRecord.Message is set.
	RecordMessage
	// RecordTombstone is a null value: Kafka compaction's delete marker that follows a
	// delete. It carries nothing to apply (the delete before it did); its key is not
	// decoded.
	RecordTombstone
	// RecordHeartbeat is a record of the heartbeat topic; nothing is decoded.
	RecordHeartbeat
	// RecordSchemaChange is a record of a MySQL source's schema change topic; nothing is
	// decoded (a table's new shape reaches sinks as the value schema of its next change).
	RecordSchemaChange
)

var recordKindNames = [...]string{"invalid", "change", "message", "tombstone", "heartbeat", "schema_change"}

func (k RecordKind) String() string {
	if k >= 0 && int(k) < len(recordKindNames) {
		return recordKindNames[k]
	}
	return fmt.Sprintf("record_kind(%d)", int(k))
}

// ChangeRecord is a record decoded back into the event model.
type ChangeRecord struct {
	Kind RecordKind
	// Change is the row change or truncate of a RecordChange, nil otherwise.
	Change *event.Change
	// Message is the logical decoding message of a RecordMessage, nil otherwise.
	Message *event.Message
}

// Change decodes a record's key and value (Confluent framed, any writer schema id, the
// key nil or empty when the record has none) back into the event model.
//
// For a change Envelope the Change's Table is rebuilt from the writer schemas: columns
// (named by their Avro field names), types from the Avro types and their connect.*
// annotations (the inverse of TableSchemas), Optional for ["null", T] fields, Default
// from a required field's default, Key from the key schema's fields (nil for a null key,
// which truncates and keyless tables have), and ID from the source block (Postgres:
// db/schema/table; MySQL: db/table). One *event.Table is built per value schema id, key
// schema id and table ID, and every later record of them gets the same pointer. Before
// and After hold the Go types event.Kind documents (VarDecimal as event.VarDecimal,
// empty arrays as []any{}), and Debezium's unavailable-value placeholder, in each shape
// the Encoder writes it, reads as event.Unavailable. Values never alias key or value.
//
// A nil or empty value is a RecordTombstone and no error; heartbeat and schema change
// records are RecordHeartbeat and RecordSchemaChange (nothing decoded, no error); other
// records are ErrNotChangeRecord. Errors name the schema id and the field; bytes that do
// not fit their schema are ErrData, schemas without an event mapping ErrSchema, and a
// failed registry fetch is neither (it may succeed when retried).
func (d *Decoder) Change(ctx context.Context, key, value []byte) (ChangeRecord, error) {
	if len(value) == 0 {
		return ChangeRecord{Kind: RecordTombstone}, nil
	}
	id, err := SchemaID(value)
	if err != nil {
		return ChangeRecord{}, fmt.Errorf("decode change value: %w", err)
	}
	p, err := d.valuePlan(ctx, id)
	if err != nil {
		return ChangeRecord{}, err
	}
	r := reader{b: value[5:]}
	var rec ChangeRecord
	switch p.kind {
	case RecordHeartbeat, RecordSchemaChange:
		return ChangeRecord{Kind: p.kind}, nil
	case RecordMessage:
		m, err := p.message.read(&r)
		if err != nil {
			return ChangeRecord{}, fmt.Errorf("decode message with schema %d (%s): %w", id, p.name, err)
		}
		rec = ChangeRecord{Kind: RecordMessage, Message: m}
	case RecordChange:
		c, err := p.envelope.read(&r)
		if err != nil {
			return ChangeRecord{}, fmt.Errorf("decode change with schema %d (%s): %w", id, p.name, err)
		}
		if c.Table, err = d.tableOf(ctx, id, p, c, key); err != nil {
			return ChangeRecord{}, err
		}
		rec = ChangeRecord{Kind: RecordChange, Change: c}
	}
	if len(r.b) != 0 {
		return ChangeRecord{}, fmt.Errorf("decode value with schema %d (%s): %w: %d trailing bytes", id, p.name, ErrData, len(r.b))
	}
	return rec, nil
}

// decodedTable identifies a table Change built: the same writer schemas can serve two
// tables whose names sanitize alike, so the table ID is part of it.
type decodedTable struct {
	value, key int
	id         event.TableID
}

// tableOf returns the cached table of a change's value schema, key schema and table ID,
// building it on first use.
func (d *Decoder) tableOf(ctx context.Context, valueID int, p *valuePlan, c *event.Change, key []byte) (*event.Table, error) {
	id, err := tableID(&c.Source)
	if err != nil {
		return nil, fmt.Errorf("decode change with schema %d (%s): %w", valueID, p.name, err)
	}
	k := decodedTable{value: valueID, id: id}
	var fields []string
	if len(key) > 0 {
		if k.key, fields, err = d.keyFields(ctx, key); err != nil {
			return nil, err
		}
	}
	d.mu.RLock()
	t := d.tables[k]
	d.mu.RUnlock()
	if t != nil {
		return t, nil
	}
	t = &event.Table{ID: id, Columns: p.envelope.cols}
	for _, f := range fields {
		i := t.ColumnIndex(f)
		if i < 0 {
			return nil, fmt.Errorf("%w: key schema %d field %q is not a field of value schema %d (%s)",
				ErrSchema, k.key, f, valueID, p.name)
		}
		t.Key = append(t.Key, i)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if prev := d.tables[k]; prev != nil {
		return prev, nil
	}
	d.tables[k] = t
	return t, nil
}

// tableID is the table a source block names, filled as the sources fill it.
func tableID(s *event.Source) (event.TableID, error) {
	var id event.TableID
	switch s.Connector {
	case ConnectorPostgres:
		id = event.TableID{Database: s.DB, Schema: s.Schema, Table: s.Table}
		if id.Schema == "" {
			return id, fmt.Errorf("%w: postgresql source block without schema", ErrData)
		}
	case ConnectorMySQL:
		id = event.TableID{Database: s.DB, Table: s.Table}
	default:
		return id, fmt.Errorf("%w: source connector %q is neither %s nor %s", ErrData, s.Connector, ConnectorPostgres, ConnectorMySQL)
	}
	if id.Table == "" {
		return id, fmt.Errorf("%w: %s source block without table", ErrData, s.Connector)
	}
	return id, nil
}

// keyFields checks a framed key against its writer schema and returns the schema id and
// its record's field names.
func (d *Decoder) keyFields(ctx context.Context, key []byte) (int, []string, error) {
	id, err := SchemaID(key)
	if err != nil {
		return 0, nil, fmt.Errorf("decode change key: %w", err)
	}
	ws, err := d.writer(ctx, id)
	if err != nil {
		return id, nil, err
	}
	ws.keyOnce.Do(func() {
		if ws.tree.Kind != avro.Record {
			ws.keyErr = fmt.Errorf("%w: key schema %d is avro %s, not a record", ErrSchema, id, ws.tree.Kind)
			return
		}
		for _, f := range ws.tree.Fields {
			ws.keyFields = append(ws.keyFields, f.Name)
		}
	})
	if ws.keyErr != nil {
		return id, nil, ws.keyErr
	}
	n, err := ws.tree.Check(key[5:])
	if err != nil {
		return id, nil, fmt.Errorf("decode key with schema %d: %w: %v", id, ErrData, err)
	}
	if n != len(key)-5 {
		return id, nil, fmt.Errorf("decode key with schema %d: %w: %d trailing bytes", id, ErrData, len(key)-5-n)
	}
	return id, ws.keyFields, nil
}

// valuePlan is what Change reads a value schema with.
type valuePlan struct {
	name     string // the writer record's full name, for errors
	kind     RecordKind
	envelope *envelopePlan
	message  *messagePlan
}

// Full names of the fixed records Change recognizes without decoding.
const (
	heartbeatName    = "io.debezium.connector.common.Heartbeat"
	schemaChangeName = "io.debezium.connector.mysql.SchemaChangeValue"
)

// valuePlan returns the plan of a value schema id, building it on first use.
func (d *Decoder) valuePlan(ctx context.Context, id int) (*valuePlan, error) {
	ws, err := d.writer(ctx, id)
	if err != nil {
		return nil, err
	}
	ws.valueOnce.Do(func() {
		ws.value, ws.valueErr = newValuePlan(ws.tree)
		if ws.valueErr != nil {
			ws.valueErr = fmt.Errorf("value schema %d: %w", id, ws.valueErr)
		}
	})
	return ws.value, ws.valueErr
}

func newValuePlan(t *avro.Type) (*valuePlan, error) {
	if t.Kind != avro.Record {
		return nil, fmt.Errorf("%w: avro %s", ErrNotChangeRecord, t.Kind)
	}
	p := &valuePlan{name: t.Name}
	has := func(name string) bool {
		for _, f := range t.Fields {
			if f.Name == name {
				return true
			}
		}
		return false
	}
	var err error
	switch {
	case t.Name == heartbeatName:
		p.kind = RecordHeartbeat
	case t.Name == schemaChangeName:
		p.kind = RecordSchemaChange
	case has("op") && has("source") && has("message"):
		p.kind = RecordMessage
		p.message, err = newMessagePlan(t)
	case has("op") && has("source") && (has("before") || has("after")):
		p.kind = RecordChange
		p.envelope, err = newEnvelopePlan(t)
	default:
		return nil, fmt.Errorf("%w: record %s", ErrNotChangeRecord, t.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", t.Name, err)
	}
	return p, nil
}

// envelopePlan reads an Envelope record's fields in the writer's order.
type envelopePlan struct {
	fields []envField
	cols   []event.Column // of the Value record
	row    []colReader
}

type envField struct {
	slot
	name string
	what int // one of the env* constants
	rec  *scalarPlan
}

const (
	envSkip = iota
	envBefore
	envAfter
	envSource
	envTransaction
	envOp
)

func newEnvelopePlan(t *avro.Type) (*envelopePlan, error) {
	p := &envelopePlan{}
	var value *avro.Type
	for _, f := range t.Fields {
		s, ok := newSlot(f.Type)
		s.typ = f.Type
		ef := envField{slot: s, name: f.Name}
		switch f.Name {
		case "before", "after":
			if !ok || s.inner.Kind != avro.Record {
				return nil, fmt.Errorf("%w: field %s is not an optional record", ErrSchema, f.Name)
			}
			if value != nil && value != s.inner {
				return nil, fmt.Errorf("%w: before and after are different records", ErrSchema)
			}
			value = s.inner
			ef.what = envBefore
			if f.Name == "after" {
				ef.what = envAfter
			}
		case "source", "transaction":
			spec, what := sourceSpec[:], envSource
			if f.Name == "transaction" {
				spec, what = transactionSpec[:], envTransaction
			}
			if !ok {
				return nil, fmt.Errorf("%w: field %s is a union other than [null, T]", ErrSchema, f.Name)
			}
			rec, err := newScalarPlan(s.inner, spec)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
			ef.what, ef.rec = what, rec
		case "op":
			if !ok || s.null >= 0 || s.inner.Kind != avro.String {
				return nil, fmt.Errorf("%w: field op is not a string", ErrSchema)
			}
			ef.what = envOp
		}
		p.fields = append(p.fields, ef)
	}
	var err error
	if p.cols, p.row, err = valueColumns(value); err != nil {
		return nil, fmt.Errorf("record %s: %w", value.Name, err)
	}
	return p, nil
}

// read reads an Envelope into a change without its table.
func (p *envelopePlan) read(r *reader) (*event.Change, error) {
	c := &event.Change{}
	var vals [len(sourceSpec)]scalar
	for i := range p.fields {
		f := &p.fields[i]
		if f.what == envSkip {
			if err := r.skip(f.typ); err != nil {
				return nil, fmt.Errorf("field %s: %w", f.name, err)
			}
			continue
		}
		ok, err := f.present(r)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.name, err)
		}
		if !ok {
			continue
		}
		switch f.what {
		case envBefore:
			if c.Before, err = readRow(r, p.row, p.cols); err != nil {
				return nil, fmt.Errorf("before: %w", err)
			}
		case envAfter:
			if c.After, err = readRow(r, p.row, p.cols); err != nil {
				return nil, fmt.Errorf("after: %w", err)
			}
		case envSource:
			if err := f.rec.read(r, vals[:]); err != nil {
				return nil, fmt.Errorf("source: %w", err)
			}
			c.Source = sourceOf(vals[:])
		case envTransaction:
			var tx [len(transactionSpec)]scalar
			if err := f.rec.read(r, tx[:]); err != nil {
				return nil, fmt.Errorf("transaction: %w", err)
			}
			c.Transaction = &event.Transaction{ID: tx[txID].s, TotalOrder: tx[txTotal].n, DataCollectionOrder: tx[txCollection].n}
		case envOp:
			op, err := r.string()
			if err != nil {
				return nil, fmt.Errorf("op: %w", err)
			}
			c.Op = event.Op(op)
		}
	}
	switch c.Op {
	case event.OpRead, event.OpCreate, event.OpUpdate, event.OpDelete:
	case event.OpTruncate:
		c.Before, c.After = nil, nil
	default:
		return nil, fmt.Errorf("%w: op %q in a change envelope", ErrData, c.Op)
	}
	return c, nil
}

// messagePlan reads Debezium's Postgres MessageValue {op, ts_ms, source, message}.
type messagePlan struct {
	fields []envField // what: envSource, envOp, msgMessage or envSkip
}

const msgMessage = envOp + 1

func newMessagePlan(t *avro.Type) (*messagePlan, error) {
	p := &messagePlan{}
	for _, f := range t.Fields {
		s, ok := newSlot(f.Type)
		s.typ = f.Type
		ef := envField{slot: s, name: f.Name}
		var err error
		if !ok && (f.Name == "source" || f.Name == "message" || f.Name == "op") {
			return nil, fmt.Errorf("%w: field %s is a union other than [null, T]", ErrSchema, f.Name)
		}
		switch f.Name {
		case "source":
			ef.what = envSource
			ef.rec, err = newScalarPlan(s.inner, sourceSpec[:])
		case "message":
			ef.what = msgMessage
			ef.rec, err = newScalarPlan(s.inner, messageSpec[:])
		case "op":
			if s.inner.Kind != avro.String {
				err = fmt.Errorf("%w: op is avro %s", ErrSchema, s.inner.Kind)
			}
			ef.what = envOp
		}
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		p.fields = append(p.fields, ef)
	}
	return p, nil
}

func (p *messagePlan) read(r *reader) (*event.Message, error) {
	m := &event.Message{}
	var op string
	for i := range p.fields {
		f := &p.fields[i]
		if f.what == envSkip {
			if err := r.skip(f.typ); err != nil {
				return nil, fmt.Errorf("field %s: %w", f.name, err)
			}
			continue
		}
		ok, err := f.present(r)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.name, err)
		}
		if !ok {
			continue
		}
		switch f.what {
		case envSource:
			var vals [len(sourceSpec)]scalar
			if err := f.rec.read(r, vals[:]); err != nil {
				return nil, fmt.Errorf("source: %w", err)
			}
			m.Source = sourceOf(vals[:])
		case msgMessage:
			var vals [len(messageSpec)]scalar
			if err := f.rec.read(r, vals[:]); err != nil {
				return nil, fmt.Errorf("message: %w", err)
			}
			m.Prefix, m.Content = vals[msgPrefix].s, vals[msgContent].b
		case envOp:
			if op, err = r.string(); err != nil {
				return nil, fmt.Errorf("op: %w", err)
			}
		}
	}
	if op != string(event.OpMessage) {
		return nil, fmt.Errorf("%w: op %q in a message record", ErrData, op)
	}
	// Dovetail's Postgres source writes a txId for transactional messages only.
	m.Transactional = m.Source.TxID != 0
	return m, nil
}

// sourceOf builds the source block from its fields. Commit is rebuilt from the most
// precise of ts_ns, ts_us and ts_ms that agree, in UTC, and stays zero when ts_ms is 0
// without ts_us (as the Encoder writes a zero Commit).
func sourceOf(v []scalar) event.Source {
	s := event.Source{
		Version:   v[srcVersion].s,
		Connector: v[srcConnector].s,
		Name:      v[srcName].s,
		Snapshot:  v[srcSnapshot].s,
		DB:        v[srcDB].s,
		Sequence:  v[srcSequence].s,
		Schema:    v[srcSchema].s,
		Table:     v[srcTable].s,
		TxID:      v[srcTxID].n,
		LSN:       v[srcLSN].n,
		ServerID:  v[srcServerID].n,
		GTID:      v[srcGTID].s,
		File:      v[srcFile].s,
		Pos:       v[srcPos].n,
		Row:       int32(v[srcRow].n),
		Query:     v[srcQuery].s,
	}
	if v[srcXmin].ok {
		x := v[srcXmin].n
		s.Xmin = &x
	}
	if v[srcThread].ok {
		x := v[srcThread].n
		s.Thread = &x
	}
	ms, us, ns := v[srcTsMs], v[srcTsUs], v[srcTsNs]
	switch {
	case ns.ok && us.ok && time.Unix(0, ns.n).UnixMicro() == us.n:
		s.Commit = time.Unix(0, ns.n).UTC()
	case us.ok:
		s.Commit = time.UnixMicro(us.n).UTC()
	case ms.n != 0:
		s.Commit = time.UnixMilli(ms.n).UTC()
	}
	return s
}
