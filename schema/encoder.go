package schema

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/linkedin/goavro/v2"
)

// magic is the first byte of the Confluent wire format.
const magic = 0

// Encoder turns change events into framed Avro keys and values. It registers a table's
// schemas the first time it sees its *event.Table (a new *Table after DDL registers a
// new schema version) and caches them. It is safe for concurrent use.
type Encoder struct {
	reg    Registry
	prefix string
	now    func() time.Time

	mu     sync.RWMutex
	tables map[tableKey]*tableCodec
	// last is the codec found last: changes come in runs of one table (a snapshot's
	// chunks, a transaction's rows), which then skip the lock and the map.
	last  atomic.Pointer[tableCodec]
	fixed map[string]int // subject -> id of heartbeat and message schemas

	regMu sync.Mutex // serializes first-time registrations
	bufs  sync.Pool  // *[]byte scratch buffers
}

// EncoderOption configures an Encoder.
type EncoderOption func(*Encoder)

// WithClock sets the processing-time clock behind the envelope's ts_ms, ts_us and ts_ns
// (time.Now by default).
func WithClock(now func() time.Time) EncoderOption {
	return func(e *Encoder) { e.now = now }
}

// NewEncoder returns an Encoder that registers schemas in reg and names topics and
// records after prefix (Debezium's topic.prefix).
func NewEncoder(reg Registry, prefix string, opts ...EncoderOption) *Encoder {
	e := &Encoder{
		reg:    reg,
		prefix: prefix,
		now:    time.Now,
		tables: map[tableKey]*tableCodec{},
		fixed:  map[string]int{},
	}
	e.bufs.New = func() any { b := make([]byte, 0, 1024); return &b }
	for _, o := range opts {
		o(e)
	}
	return e
}

// Change encodes a row change. key is nil when the table has no key (and for truncates);
// a truncate has null before and after and op "t". The returned slices are the caller's.
func (e *Encoder) Change(ctx context.Context, c *event.Change) (topic string, key, value []byte, err error) {
	tc, err := e.codec(ctx, c)
	if err != nil {
		return "", nil, nil, err
	}
	bp := e.bufs.Get().(*[]byte)
	defer e.putBuf(bp)
	b := (*bp)[:0]

	keyLen := 0
	if row := keyRow(c); row != nil && len(tc.key) > 0 {
		b = frame(b, tc.keyID)
		if b, err = tc.appendKey(b, row); err != nil {
			return "", nil, nil, fmt.Errorf("encode key of %s: %w", tc.name, err)
		}
		keyLen = len(b)
	}
	b = frame(b, tc.valueID)
	if b, err = e.appendEnvelope(b, tc, c); err != nil {
		return "", nil, nil, fmt.Errorf("encode %s change of %s: %w", c.Op, tc.name, err)
	}
	*bp = b
	out := make([]byte, len(b))
	copy(out, b)
	if keyLen > 0 {
		key = out[:keyLen:keyLen]
	}
	return tc.topic, key, out[keyLen:], nil
}

// Tombstone encodes the key that follows a delete with a null value (Kafka compaction's
// delete marker). key is nil when the table has no key.
func (e *Encoder) Tombstone(ctx context.Context, c *event.Change) (topic string, key []byte, err error) {
	tc, err := e.codec(ctx, c)
	if err != nil {
		return "", nil, err
	}
	row := keyRow(c)
	if row == nil || len(tc.key) == 0 {
		return tc.topic, nil, nil
	}
	b := frame(make([]byte, 0, 64), tc.keyID)
	if b, err = tc.appendKey(b, row); err != nil {
		return "", nil, fmt.Errorf("encode tombstone key of %s: %w", tc.name, err)
	}
	return tc.topic, b, nil
}

// Heartbeat encodes a heartbeat record for the prefix at ts.
func (e *Encoder) Heartbeat(ctx context.Context, ts time.Time) (topic string, key, value []byte, err error) {
	topic = HeartbeatTopic(e.prefix)
	keyID, valueID, err := e.fixedIDs(ctx, topic, HeartbeatKeySchema(), HeartbeatValueSchema())
	if err != nil {
		return "", nil, nil, err
	}
	key = appendString(frame(make([]byte, 0, 16+len(e.prefix)), keyID), e.prefix)
	value = appendLong(frame(make([]byte, 0, 16), valueID), ts.UnixMilli())
	return topic, key, value, nil
}

// Message encodes a Postgres logical decoding message (op "m") for "<prefix>.message".
func (e *Encoder) Message(ctx context.Context, m *event.Message) (topic string, key, value []byte, err error) {
	topic = MessageTopic(e.prefix)
	keyID, valueID, err := e.fixedIDs(ctx, topic, MessageKeySchema(), MessageValueSchema())
	if err != nil {
		return "", nil, nil, err
	}
	key = appendString(append(frame(nil, keyID), 2), m.Prefix)
	b := frame(make([]byte, 0, 128+len(m.Content)), valueID)
	b = appendString(b, string(event.OpMessage))
	b = appendLong(append(b, 2), e.now().UnixMilli())
	b = appendSource(b, ConnectorPostgres, e.prefix, &m.Source)
	b = appendString(append(b, 2), m.Prefix)
	if m.Content == nil {
		b = append(b, 0)
	} else {
		b = appendBytes(append(b, 2), m.Content)
	}
	return topic, key, b, nil
}

// appendEnvelope writes the Envelope record of a change.
func (e *Encoder) appendEnvelope(b []byte, tc *tableCodec, c *event.Change) ([]byte, error) {
	var err error
	switch c.Op {
	case event.OpRead, event.OpCreate, event.OpUpdate, event.OpDelete, event.OpTruncate:
	default:
		return b, fmt.Errorf("%w: op %q", ErrInvalidValue, c.Op)
	}
	for _, row := range [2][]any{c.Before, c.After} {
		if row == nil || c.Op == event.OpTruncate {
			b = append(b, 0)
			continue
		}
		if b, err = tc.appendRow(append(b, 2), row); err != nil {
			return b, err
		}
	}
	b = appendSource(b, tc.connector, e.prefix, &c.Source)
	if t := c.Transaction; t == nil {
		b = append(b, 0)
	} else {
		b = appendString(append(b, 2), t.ID)
		b = appendLong(b, t.TotalOrder)
		b = appendLong(b, t.DataCollectionOrder)
	}
	b = appendString(b, string(c.Op))
	now := c.Processed
	if now.IsZero() {
		now = e.now()
	}
	b = appendLong(append(b, 2), now.UnixMilli())
	b = appendLong(append(b, 2), now.UnixMicro())
	return appendLong(append(b, 2), now.UnixNano()), nil
}

// keyRow is the row the key is taken from: after, or before for deletes; nil for
// truncates.
func keyRow(c *event.Change) []any {
	if c.Op == event.OpTruncate {
		return nil
	}
	if c.After != nil {
		return c.After
	}
	return c.Before
}

// frame appends the Confluent wire format header.
func frame(b []byte, id int) []byte {
	return binary.BigEndian.AppendUint32(append(b, magic), uint32(id))
}

func (e *Encoder) putBuf(bp *[]byte) {
	if cap(*bp) <= 1<<20 { // let outsized buffers go
		e.bufs.Put(bp)
	}
}

// codec returns the cached codec of a change's table, registering its schemas first.
func (e *Encoder) codec(ctx context.Context, c *event.Change) (*tableCodec, error) {
	if c.Table == nil {
		return nil, fmt.Errorf("%w: change without table", ErrInvalidValue)
	}
	k := tableKey{c.Table, c.Source.Connector}
	if tc := e.last.Load(); tc != nil && tc.id == k {
		return tc, nil
	}
	e.mu.RLock()
	tc := e.tables[k]
	e.mu.RUnlock()
	if tc != nil {
		e.last.Store(tc)
		return tc, nil
	}

	e.regMu.Lock()
	defer e.regMu.Unlock()
	e.mu.RLock()
	tc = e.tables[k]
	e.mu.RUnlock()
	if tc != nil {
		return tc, nil
	}
	tc, err := newTableCodec(e.prefix, connectorOf(c), c.Table)
	if err != nil {
		return nil, err
	}
	tc.id = k
	if tc.schemas.Key != "" {
		if tc.keyID, err = e.reg.Register(ctx, KeySubject(tc.topic), tc.schemas.Key); err != nil {
			return nil, fmt.Errorf("register key schema of %s: %w", tc.name, err)
		}
	}
	if tc.valueID, err = e.reg.Register(ctx, ValueSubject(tc.topic), tc.schemas.Envelope); err != nil {
		var inc interface{ Incompatible() bool }
		if errors.As(err, &inc) && inc.Incompatible() {
			return nil, fmt.Errorf("register value schema of %s: %w (the table's new shape cannot read its earlier records: "+
				"give an added NOT NULL column a DEFAULT, or relax the compatibility of subject %s in the registry, e.g. "+
				`PUT /config/%s {"compatibility":"NONE"}, then restart)`, tc.name, err, ValueSubject(tc.topic), ValueSubject(tc.topic))
		}
		return nil, fmt.Errorf("register value schema of %s: %w", tc.name, err)
	}
	e.mu.Lock()
	e.tables[k] = tc
	e.mu.Unlock()
	return tc, nil
}

// fixedIDs registers (once) a topic's fixed key and value schemas.
func (e *Encoder) fixedIDs(ctx context.Context, topic, keySchema, valueSchema string) (keyID, valueID int, err error) {
	ks, vs := KeySubject(topic), ValueSubject(topic)
	e.mu.RLock()
	keyID, kok := e.fixed[ks]
	valueID, vok := e.fixed[vs]
	e.mu.RUnlock()
	if kok && vok {
		return keyID, valueID, nil
	}
	if keyID, err = e.reg.Register(ctx, ks, keySchema); err != nil {
		return 0, 0, fmt.Errorf("register schema of %s: %w", ks, err)
	}
	if valueID, err = e.reg.Register(ctx, vs, valueSchema); err != nil {
		return 0, 0, fmt.Errorf("register schema of %s: %w", vs, err)
	}
	e.mu.Lock()
	e.fixed[ks], e.fixed[vs] = keyID, valueID
	e.mu.Unlock()
	return keyID, valueID, nil
}

// connectorOf is the change's connector, or the one its table ID implies (Postgres fills
// TableID.Schema, MySQL does not).
func connectorOf(c *event.Change) string {
	if c.Source.Connector != "" {
		return c.Source.Connector
	}
	if c.Table.ID.Schema != "" {
		return ConnectorPostgres
	}
	return ConnectorMySQL
}

// tableKey identifies a cached table codec.
type tableKey struct {
	table     *event.Table
	connector string
}

// tableCodec is one table version's schemas, registry ids and column plan.
type tableCodec struct {
	id             tableKey // what the Encoder caches it under
	name           string   // namespace.table, for errors
	topic          string
	connector      string
	schemas        Schemas
	keyID, valueID int
	cols           []column
	key            []int
}

// newTableCodec generates a table's schemas and checks that goavro compiles them.
func newTableCodec(prefix, connector string, t *event.Table) (*tableCodec, error) {
	s, err := TableSchemas(prefix, connector, t)
	if err != nil {
		return nil, fmt.Errorf("generate schemas of %s: %w", t.ID, err)
	}
	for _, text := range []string{s.Key, s.Envelope} {
		if text == "" {
			continue
		}
		if _, err := goavro.NewCodec(text); err != nil {
			return nil, fmt.Errorf("%w: generated schema of %s does not compile: %v", ErrSchema, t.ID, err)
		}
	}
	tc := &tableCodec{
		name:      t.ID.String(),
		topic:     Topic(prefix, t.ID),
		connector: connector,
		schemas:   s,
		cols:      make([]column, len(t.Columns)),
		key:       t.Key,
	}
	for i := range t.Columns {
		tc.cols[i] = newColumn(&t.Columns[i])
	}
	return tc, nil
}

// appendRow writes a Value record.
func (tc *tableCodec) appendRow(b []byte, row []any) ([]byte, error) {
	if len(row) != len(tc.cols) {
		return b, fmt.Errorf("%w: row has %d values for %d columns", ErrInvalidValue, len(row), len(tc.cols))
	}
	var err error
	for i := range tc.cols {
		if b, err = appendColumn(b, &tc.cols[i], row[i]); err != nil {
			return b, fmt.Errorf("column %s.%s: %w", tc.name, tc.cols[i].name, err)
		}
	}
	return b, nil
}

// appendKey writes a Key record from a row.
func (tc *tableCodec) appendKey(b []byte, row []any) ([]byte, error) {
	if len(row) != len(tc.cols) {
		return b, fmt.Errorf("%w: row has %d values for %d columns", ErrInvalidValue, len(row), len(tc.cols))
	}
	var err error
	for _, i := range tc.key {
		if b, err = appendColumn(b, &tc.cols[i], row[i]); err != nil {
			return b, fmt.Errorf("column %s.%s: %w", tc.name, tc.cols[i].name, err)
		}
	}
	return b, nil
}
