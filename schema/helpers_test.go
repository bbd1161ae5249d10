package schema

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// memRegistry is an in-memory Registry for tests.
type memRegistry struct {
	mu       sync.Mutex
	ids      map[string]int
	schemas  map[int]string
	subjects map[string][]int
	calls    int
}

func newMemRegistry() *memRegistry {
	return &memRegistry{ids: map[string]int{}, schemas: map[int]string{}, subjects: map[string][]int{}}
}

func (r *memRegistry) Register(_ context.Context, subject, schema string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	id, ok := r.ids[schema]
	if !ok {
		id = len(r.ids) + 1
		r.ids[schema] = id
		r.schemas[id] = schema
	}
	for _, v := range r.subjects[subject] {
		if v == id {
			return id, nil
		}
	}
	r.subjects[subject] = append(r.subjects[subject], id)
	return id, nil
}

func (r *memRegistry) Schema(_ context.Context, id int) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.schemas[id]
	if !ok {
		return "", fmt.Errorf("schema %d not found", id)
	}
	return s, nil
}

func named(k event.Kind, name string, params map[string]string) event.Type {
	return event.Type{Kind: k, Name: name, Params: params}
}

// everyTypeTable is a Postgres table with a column of every kind and the common logical
// types.
func everyTypeTable() *event.Table {
	str := event.Type{Kind: event.KindString}
	i32 := event.Type{Kind: event.KindInt32}
	dec := event.Type{Kind: event.KindDecimal, Precision: 12, Scale: 4}
	return &event.Table{
		ID: event.TableID{Database: "shop", Schema: "public", Table: "every_type"},
		Columns: []event.Column{
			{Name: "id", Type: event.Type{Kind: event.KindInt32, SourceType: "int4"}},
			{Name: "tiny", Type: event.Type{Kind: event.KindInt8}, Optional: true},
			{Name: "small", Type: event.Type{Kind: event.KindInt16}},
			{Name: "big", Type: event.Type{Kind: event.KindInt64}, Optional: true},
			{Name: "real", Type: event.Type{Kind: event.KindFloat32}, Optional: true},
			{Name: "dbl", Type: event.Type{Kind: event.KindFloat64}, Optional: true},
			{Name: "flag", Type: event.Type{Kind: event.KindBoolean}, Optional: true},
			{Name: "name", Type: str, Optional: true},
			{Name: "blob", Type: event.Type{Kind: event.KindBytes}, Optional: true},
			{Name: "price", Type: event.Type{Kind: event.KindDecimal, Precision: 10, Scale: 2}, Optional: true},
			{Name: "num", Type: event.Type{Kind: event.KindVarDecimal}, Optional: true},
			{Name: "num2", Type: event.Type{Kind: event.KindVarDecimal}},
			{Name: "tags", Type: event.Type{Kind: event.KindArray, Elem: &str}, Optional: true},
			{Name: "ints", Type: event.Type{Kind: event.KindArray, Elem: &i32}, Optional: true},
			{Name: "amounts", Type: event.Type{Kind: event.KindArray, Elem: &dec}, Optional: true},
			{Name: "born", Type: named(event.KindInt32, "io.debezium.time.Date", nil), Optional: true},
			{Name: "at", Type: named(event.KindInt64, "io.debezium.time.MicroTime", nil), Optional: true},
			{Name: "ts", Type: named(event.KindInt64, "io.debezium.time.Timestamp", nil), Optional: true},
			{Name: "ts_micro", Type: named(event.KindInt64, "io.debezium.time.MicroTimestamp", nil), Optional: true},
			{Name: "tstz", Type: named(event.KindString, "io.debezium.time.ZonedTimestamp", nil), Optional: true},
			{Name: "timetz", Type: named(event.KindString, "io.debezium.time.ZonedTime", nil), Optional: true},
			{Name: "doc", Type: named(event.KindString, "io.debezium.data.Json", nil), Optional: true},
			{Name: "uid", Type: named(event.KindString, "io.debezium.data.Uuid", nil), Optional: true},
			{Name: "mood", Type: named(event.KindString, "io.debezium.data.Enum", map[string]string{"allowed": "sad,ok,happy"}), Optional: true},
			{Name: "perms", Type: named(event.KindString, "io.debezium.data.EnumSet", map[string]string{"allowed": "r,w,x"}), Optional: true},
			{Name: "bits", Type: named(event.KindBytes, "io.debezium.data.Bits", map[string]string{"length": "8"}), Optional: true},
			{Name: "x", Type: named(event.KindString, "io.debezium.data.Xml", nil), Optional: true},
			{Name: "span", Type: named(event.KindFloat64, "io.debezium.time.MicroDuration", nil), Optional: true},
			{Name: "yr", Type: named(event.KindInt32, "io.debezium.time.Year", nil), Optional: true},
			{Name: "weird-name", Type: str, Optional: true},
		},
		Key: []int{0},
	}
}

// everyTypeRow is a row of everyTypeTable without nulls.
func everyTypeRow() []any {
	return []any{
		int32(7), int32(-8), int32(300), int64(-1 << 40), float32(1.5), 2.25, true, "héllo",
		[]byte{0, 1, 0xff}, big.NewRat(-12345, 100),
		event.VarDecimal{Scale: 3, Unscaled: big.NewInt(-1234567)},
		event.VarDecimal{Scale: 0, Unscaled: new(big.Int).Lsh(big.NewInt(1), 100)},
		[]any{"a", nil, "c"}, []any{int32(1), nil, int32(-3)}, []any{big.NewRat(1, 8), nil},
		int32(19000), int64(3_600_000_000), int64(1_700_000_000_000), int64(1_700_000_000_000_001),
		"2024-01-02T03:04:05.123456Z", "10:11:12Z", `{"a":1}`, "0b8c1b4e-59b1-4b8e-8e5c-3f1d1a1e2b3c",
		"ok", "r,w", []byte{0xa5}, "<a/>", 1.5e6, int32(2024), "odd",
	}
}

func pgSource() event.Source {
	xmin := int64(99)
	return event.Source{
		Version: "0.1.0", Connector: ConnectorPostgres, Name: "dove",
		Commit:   time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC),
		Snapshot: "false", DB: "shop", Sequence: `["100","200"]`,
		Schema: "public", Table: "every_type", TxID: 555, LSN: 200, Xmin: &xmin,
	}
}

// fixedClock is a WithClock option at a fixed time.
func fixedClock(t time.Time) EncoderOption { return WithClock(func() time.Time { return t }) }

// field returns a record field of a decoded native value.
func get(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %q: %T is not a record", p, v)
		}
		if v, ok = m[p]; !ok {
			t.Fatalf("no field %q in %v", p, m)
		}
	}
	return v
}

// opt unwraps a decoded union value: nil stays nil, {branch: v} becomes v.
func opt(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}
