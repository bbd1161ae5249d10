package schema

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

var processed = time.Date(2025, 1, 2, 3, 4, 5, 600700800, time.UTC)

func encodeDecode(t *testing.T, c *event.Change) (key, value map[string]any) {
	t.Helper()
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove", fixedClock(processed))
	topic, k, v, err := enc.Change(ctx, c)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if want := Topic("dove", c.Table.ID); topic != want {
		t.Errorf("topic %q, want %q", topic, want)
	}
	dec := NewDecoder(reg)
	if k != nil {
		kn, _, err := dec.Decode(ctx, k)
		if err != nil {
			t.Fatalf("decode key: %v", err)
		}
		key = kn.(map[string]any)
	}
	vn, _, err := dec.Decode(ctx, v)
	if err != nil {
		t.Fatalf("decode value: %v", err)
	}
	return key, vn.(map[string]any)
}

// twos decodes big-endian two's complement bytes.
func twos(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x
}

func TestRoundTripEveryKind(t *testing.T) {
	tb := everyTypeTable()
	row := everyTypeRow()
	c := &event.Change{Table: tb, Op: event.OpCreate, After: row, Source: pgSource(),
		Transaction: &event.Transaction{ID: "555:200", TotalOrder: 3, DataCollectionOrder: 2}}
	key, v := encodeDecode(t, c)

	if got := get(t, key, "id"); got != int32(7) {
		t.Errorf("key id %v", got)
	}
	if v["before"] != nil {
		t.Errorf("before %v, want null", v["before"])
	}
	after := opt(v["after"]).(map[string]any)
	col := func(name string) any { return opt(after[name]) }
	checks := map[string]any{
		"id": int32(7), "tiny": int32(-8), "small": int32(300), "big": int64(-1 << 40),
		"real": float32(1.5), "dbl": 2.25, "flag": true, "name": "héllo",
		"born": int32(19000), "at": int64(3_600_000_000), "ts": int64(1_700_000_000_000),
		"ts_micro": int64(1_700_000_000_000_001), "tstz": "2024-01-02T03:04:05.123456Z",
		"timetz": "10:11:12Z", "doc": `{"a":1}`, "uid": "0b8c1b4e-59b1-4b8e-8e5c-3f1d1a1e2b3c",
		"mood": "ok", "perms": "r,w", "x": "<a/>", "span": 1.5e6, "yr": int32(2024), "weird_name": "odd",
	}
	for name, want := range checks {
		if got := col(name); got != want {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	if got := col("blob").([]byte); !bytes.Equal(got, []byte{0, 1, 0xff}) {
		t.Errorf("blob %v", got)
	}
	if got := col("bits").([]byte); !bytes.Equal(got, []byte{0xa5}) {
		t.Errorf("bits %v", got)
	}
	if got := col("price").(*big.Rat); got.Cmp(big.NewRat(-12345, 100)) != 0 {
		t.Errorf("price %v", got)
	}
	for name, want := range map[string]event.VarDecimal{"num": row[10].(event.VarDecimal), "num2": row[11].(event.VarDecimal)} {
		r := col(name).(map[string]any)
		if r["scale"] != want.Scale || twos(r["value"].([]byte)).Cmp(want.Unscaled) != 0 {
			t.Errorf("%s = %v, want %v", name, r, want)
		}
	}
	tags := col("tags").([]any)
	if len(tags) != 3 || opt(tags[0]) != "a" || tags[1] != nil || opt(tags[2]) != "c" {
		t.Errorf("tags %v", tags)
	}
	ints := col("ints").([]any)
	if len(ints) != 3 || opt(ints[0]) != int32(1) || ints[1] != nil || opt(ints[2]) != int32(-3) {
		t.Errorf("ints %v", ints)
	}
	amounts := col("amounts").([]any)
	if len(amounts) != 2 || opt(amounts[0]).(*big.Rat).Cmp(big.NewRat(1, 8)) != 0 || amounts[1] != nil {
		t.Errorf("amounts %v", amounts)
	}

	if get(t, v, "op") != "c" {
		t.Errorf("op %v", v["op"])
	}
	for f, want := range map[string]int64{"ts_ms": processed.UnixMilli(), "ts_us": processed.UnixMicro(), "ts_ns": processed.UnixNano()} {
		if got := opt(v[f]); got != want {
			t.Errorf("%s = %v, want %d", f, got, want)
		}
	}
	tx := opt(v["transaction"]).(map[string]any)
	if tx["id"] != "555:200" || tx["total_order"] != int64(3) || tx["data_collection_order"] != int64(2) {
		t.Errorf("transaction %v", tx)
	}
	src := v["source"].(map[string]any)
	s := pgSource()
	for f, want := range map[string]any{
		"version": "0.1.0", "connector": "postgresql", "name": "dove", "ts_ms": s.Commit.UnixMilli(),
		"snapshot": "false", "db": "shop", "sequence": `["100","200"]`, "ts_us": s.Commit.UnixMicro(),
		"ts_ns": s.Commit.UnixNano(), "schema": "public", "table": "every_type", "txId": int64(555),
		"lsn": int64(200), "xmin": int64(99),
	} {
		if got := opt(src[f]); got != want {
			t.Errorf("source.%s = %#v, want %#v", f, got, want)
		}
	}
}

func TestRoundTripNullsAndSpecialFloats(t *testing.T) {
	tb := everyTypeTable()
	row := make([]any, len(tb.Columns))
	for i, c := range tb.Columns {
		if !c.Optional {
			row[i] = everyTypeRow()[i]
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		row[4], row[5] = float32(f), f
		_, v := encodeDecode(t, &event.Change{Table: tb, Op: event.OpUpdate, Before: row, After: row, Source: pgSource()})
		for _, side := range []string{"before", "after"} {
			rec := opt(v[side]).(map[string]any)
			for i, c := range tb.Columns {
				name := AvroName(c.Name)
				switch {
				case i == 4:
					if got := float64(opt(rec[name]).(float32)); !sameFloat(got, f) {
						t.Errorf("%s.real = %v, want %v", side, got, f)
					}
				case i == 5:
					if got := opt(rec[name]).(float64); !sameFloat(got, f) {
						t.Errorf("%s.dbl = %v, want %v", side, got, f)
					}
				case c.Optional && rec[name] != nil:
					t.Errorf("%s.%s = %v, want null", side, name, rec[name])
				}
			}
		}
	}
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func TestUnavailablePlaceholders(t *testing.T) {
	tb := everyTypeTable()
	row := everyTypeRow()
	for _, i := range []int{7, 8, 12, 13, 21} { // name, blob, tags, ints, doc
		row[i] = event.Unavailable
	}
	_, v := encodeDecode(t, &event.Change{Table: tb, Op: event.OpUpdate, After: row, Source: pgSource()})
	after := opt(v["after"]).(map[string]any)
	ph := event.UnavailablePlaceholder
	if got := opt(after["name"]); got != ph {
		t.Errorf("string placeholder %v", got)
	}
	if got := opt(after["doc"]); got != ph {
		t.Errorf("json placeholder %v", got)
	}
	if got := opt(after["blob"]).([]byte); string(got) != ph {
		t.Errorf("bytes placeholder %q", got)
	}
	if got := opt(after["tags"]).([]any); len(got) != 1 || opt(got[0]) != ph {
		t.Errorf("text array placeholder %v", got)
	}
	ints := opt(after["ints"]).([]any)
	if len(ints) != len(ph) {
		t.Fatalf("int array placeholder has %d elements", len(ints))
	}
	for i, x := range ints {
		if opt(x) != int32(ph[i]) {
			t.Errorf("int array placeholder[%d] = %v", i, x)
		}
	}

	row = everyTypeRow()
	row[9] = event.Unavailable
	_, _, _, err := NewEncoder(newMemRegistry(), "dove").Change(context.Background(),
		&event.Change{Table: tb, Op: event.OpUpdate, After: row, Source: pgSource()})
	if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "public.every_type.price") {
		t.Errorf("unavailable decimal: err %v, want ErrInvalidValue naming public.every_type.price", err)
	}
}

func TestInvalidValues(t *testing.T) {
	for name, tc := range map[string]struct {
		col int
		v   any
		msg string
	}{
		"decimal scale":  {9, big.NewRat(1, 1000), "price"},
		"wrong type":     {3, int32(1), "big"},
		"null required":  {2, nil, "small"},
		"int32 overflow": {0, math.MaxInt32 + 1, "id"},
		"uint64 wraps":   {3, uint64(math.MaxUint64), "big"},
		"array elem":     {13, []any{"x"}, "ints"},
	} {
		row := everyTypeRow()
		row[tc.col] = tc.v
		_, _, _, err := NewEncoder(newMemRegistry(), "dove").Change(context.Background(),
			&event.Change{Table: everyTypeTable(), Op: event.OpCreate, After: row, Source: pgSource()})
		if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "public.every_type."+tc.msg) {
			t.Errorf("%s: err %v, want ErrInvalidValue naming the column", name, err)
		}
	}
}

func TestDecimalEncoding(t *testing.T) {
	for _, tc := range []struct {
		r     *big.Rat
		scale int
		want  []byte
	}{
		{big.NewRat(0, 1), 2, []byte{0}},
		{big.NewRat(127, 100), 2, []byte{127}},
		{big.NewRat(128, 100), 2, []byte{0, 128}},
		{big.NewRat(-1, 100), 2, []byte{0xff}},
		{big.NewRat(-128, 100), 2, []byte{0x80}},
		{big.NewRat(-129, 100), 2, []byte{0xff, 0x7f}},
		{big.NewRat(1, 2), 3, []byte{0x01, 0xf4}},
		{big.NewRat(1500, 1), -2, []byte{15}},
	} {
		b, err := appendDecimal(nil, tc.scale, nil, tc.r)
		if err != nil {
			t.Fatal(err)
		}
		if want := appendBytes(nil, tc.want); !bytes.Equal(b, want) {
			t.Errorf("%s at scale %d: % x, want % x", tc.r, tc.scale, b, want)
		}
	}
}

func TestFramingAndRegistration(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove")
	tb := everyTypeTable()
	c := &event.Change{Table: tb, Op: event.OpRead, After: everyTypeRow(), Source: pgSource()}
	_, k, v, err := enc.Change(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	keyID := reg.ids[mustSchemas(t, tb).Key]
	valueID := reg.ids[mustSchemas(t, tb).Envelope]
	if k[0] != 0 || binary.BigEndian.Uint32(k[1:5]) != uint32(keyID) ||
		v[0] != 0 || binary.BigEndian.Uint32(v[1:5]) != uint32(valueID) {
		t.Errorf("framing: key % x, value % x; ids %d, %d", k[:5], v[:5], keyID, valueID)
	}
	if got := reg.subjects["dove.public.every_type-key"]; len(got) != 1 || got[0] != keyID {
		t.Errorf("key subject versions %v", got)
	}
	calls := reg.calls
	if _, _, _, err := enc.Change(ctx, c); err != nil || reg.calls != calls {
		t.Errorf("second change registered again (%d calls, err %v)", reg.calls-calls, err)
	}

	// A new table version registers a new value schema version under the same subject.
	tb2 := everyTypeTable()
	tb2.Columns = append(tb2.Columns, event.Column{Name: "added", Type: event.Type{Kind: event.KindString}, Optional: true})
	row := append(everyTypeRow(), "new")
	if _, _, _, err := enc.Change(ctx, &event.Change{Table: tb2, Op: event.OpCreate, After: row, Source: pgSource()}); err != nil {
		t.Fatal(err)
	}
	if got := reg.subjects["dove.public.every_type-value"]; len(got) != 2 {
		t.Errorf("value subject versions %v, want 2", got)
	}
}

func mustSchemas(t *testing.T, tb *event.Table) Schemas {
	t.Helper()
	s, err := TableSchemas("dove", ConnectorPostgres, tb)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTruncateDeleteTombstone(t *testing.T) {
	ctx := context.Background()
	tb := everyTypeTable()
	key, v := encodeDecode(t, &event.Change{Table: tb, Op: event.OpTruncate, Source: pgSource()})
	if key != nil || v["before"] != nil || v["after"] != nil || v["op"] != "t" {
		t.Errorf("truncate: key %v, value %v", key, v)
	}

	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove")
	del := &event.Change{Table: tb, Op: event.OpDelete, Before: everyTypeRow(), Source: pgSource()}
	topic, k, _, err := enc.Change(ctx, del)
	if err != nil {
		t.Fatal(err)
	}
	ttopic, tk, err := enc.Tombstone(ctx, del)
	if err != nil || ttopic != topic || !bytes.Equal(tk, k) {
		t.Errorf("tombstone %q % x (err %v), want %q % x", ttopic, tk, err, topic, k)
	}
	kn, _, err := NewDecoder(reg).Decode(ctx, k)
	if err != nil || get(t, kn, "id") != int32(7) {
		t.Errorf("delete key %v, err %v", kn, err)
	}

	nokey := everyTypeTable()
	nokey.Key = nil
	_, k, _, err = enc.Change(ctx, &event.Change{Table: nokey, Op: event.OpCreate, After: everyTypeRow(), Source: pgSource()})
	if err != nil || k != nil {
		t.Errorf("keyless table: key % x, err %v", k, err)
	}
}

func TestMySQLSource(t *testing.T) {
	tb := everyTypeTable()
	tb.ID = event.TableID{Database: "shop", Table: "every_type"}
	thread := int64(42)
	src := event.Source{Version: "0.1.0", Connector: ConnectorMySQL, Name: "dove", Commit: time.UnixMilli(1_700_000_000_123),
		Snapshot: "last", DB: "shop", Table: "every_type", ServerID: 223344, GTID: "uuid:1-5",
		File: "binlog.000003", Pos: 1234, Row: 2, Thread: &thread}
	_, v := encodeDecode(t, &event.Change{Table: tb, Op: event.OpCreate, After: everyTypeRow(), Source: src})
	got := v["source"].(map[string]any)
	for f, want := range map[string]any{
		"connector": "mysql", "snapshot": "last", "table": "every_type", "server_id": int64(223344),
		"gtid": "uuid:1-5", "file": "binlog.000003", "pos": int64(1234), "row": int32(2),
		"thread": int64(42), "query": nil, "sequence": nil, "ts_ms": int64(1_700_000_000_123),
	} {
		if g := opt(got[f]); g != want {
			t.Errorf("source.%s = %#v, want %#v", f, g, want)
		}
	}
}

func TestHeartbeatAndMessage(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove", fixedClock(processed))
	dec := NewDecoder(reg)

	topic, k, v, err := enc.Heartbeat(ctx, processed)
	if err != nil || topic != "__debezium-heartbeat.dove" {
		t.Fatalf("heartbeat topic %q, err %v", topic, err)
	}
	kn, _, _ := dec.Decode(ctx, k)
	vn, _, _ := dec.Decode(ctx, v)
	if get(t, kn, "serverName") != "dove" || get(t, vn, "ts_ms") != processed.UnixMilli() {
		t.Errorf("heartbeat %v %v", kn, vn)
	}

	m := &event.Message{Prefix: "audit", Content: []byte("hello"), Transactional: true, Source: pgSource()}
	topic, k, v, err = enc.Message(ctx, m)
	if err != nil || topic != "dove.message" {
		t.Fatalf("message topic %q, err %v", topic, err)
	}
	kn, _, err = dec.Decode(ctx, k)
	if err != nil || opt(get(t, kn, "prefix")) != "audit" {
		t.Errorf("message key %v, err %v", kn, err)
	}
	vn, _, err = dec.Decode(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	msg := get(t, vn, "message").(map[string]any)
	if get(t, vn, "op") != "m" || opt(msg["prefix"]) != "audit" || string(opt(msg["content"]).([]byte)) != "hello" ||
		opt(get(t, vn, "ts_ms")) != processed.UnixMilli() || opt(get(t, vn, "source", "lsn")) != int64(200) {
		t.Errorf("message value %v", vn)
	}
}

func TestDecodeErrors(t *testing.T) {
	ctx := context.Background()
	dec := NewDecoder(newMemRegistry())
	if v, id, err := dec.Decode(ctx, nil); v != nil || id != 0 || err != nil {
		t.Errorf("tombstone: %v %d %v", v, id, err)
	}
	for _, b := range [][]byte{{1}, {1, 0, 0, 0, 1, 2}, {0, 0, 0}} {
		if _, _, err := dec.Decode(ctx, b); !errors.Is(err, ErrNotFramed) {
			t.Errorf("% x: err %v, want ErrNotFramed", b, err)
		}
	}
	if _, _, err := dec.Decode(ctx, []byte{0, 0, 0, 0, 9, 0}); err == nil {
		t.Error("unknown schema id decoded")
	}
}

// A change's Processed time, when set, is the envelope's ts_ms/ts_us/ts_ns instead of
// the encoder's clock.
func TestProcessedTime(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 30, 0, 123456789, time.UTC)
	c := &event.Change{Table: everyTypeTable(), Op: event.OpRead, After: everyTypeRow(), Source: pgSource(), Processed: at}
	_, v := encodeDecode(t, c)
	for f, want := range map[string]int64{"ts_ms": at.UnixMilli(), "ts_us": at.UnixMicro(), "ts_ns": at.UnixNano()} {
		if got := opt(v[f]); got != want {
			t.Errorf("%s = %v, want %d (Processed)", f, got, want)
		}
	}
}
