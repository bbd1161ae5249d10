package schema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/linkedin/goavro/v2"
)

// allKindsTable is everyTypeTable plus the array element kinds, named types and
// decimal variants it lacks, and NOT NULL columns with a default of every kind that has
// one.
func allKindsTable() *event.Table {
	tb := everyTypeTable()
	elem := func(k event.Kind) *event.Type { return &event.Type{Kind: k} }
	arr := func(e *event.Type) event.Type { return event.Type{Kind: event.KindArray, Elem: e} }
	date := named(event.KindInt32, "io.debezium.time.Date", nil)
	money := event.Type{Kind: event.KindDecimal, Name: decimalName, Scale: 2, Params: map[string]string{"scale": "2"}, SourceType: "money"}
	tb.Columns = append(tb.Columns,
		event.Column{Name: "i8s", Type: arr(elem(event.KindInt8)), Optional: true},
		event.Column{Name: "i16s", Type: arr(elem(event.KindInt16)), Optional: true},
		event.Column{Name: "i64s", Type: arr(elem(event.KindInt64)), Optional: true},
		event.Column{Name: "blobs", Type: arr(elem(event.KindBytes)), Optional: true},
		event.Column{Name: "flags", Type: arr(elem(event.KindBoolean)), Optional: true},
		event.Column{Name: "f32s", Type: arr(elem(event.KindFloat32)), Optional: true},
		event.Column{Name: "f64s", Type: arr(elem(event.KindFloat64)), Optional: true},
		event.Column{Name: "nums", Type: arr(elem(event.KindVarDecimal)), Optional: true},
		event.Column{Name: "dates", Type: arr(&date), Optional: true},
		event.Column{Name: "cash", Type: money, Optional: true},
		event.Column{Name: "odd_dec", Type: event.Type{Kind: event.KindDecimal, Precision: 5, Scale: 0,
			Params: map[string]string{"x-extra": "1"}}, Optional: true},
		event.Column{Name: "ms_time", Type: named(event.KindInt32, "io.debezium.time.Time", nil), Optional: true},
		event.Column{Name: "dur", Type: named(event.KindInt64, "io.debezium.time.MicroDuration", nil), Optional: true},
		event.Column{Name: "tree", Type: named(event.KindString, "io.debezium.data.Ltree", nil), Optional: true},
		event.Column{Name: "geom", Type: event.Type{Kind: event.KindBytes, SourceType: "geometry"}, Optional: true},
		event.Column{Name: "d_bool", Type: event.Type{Kind: event.KindBoolean}, Default: true},
		event.Column{Name: "d_i8", Type: event.Type{Kind: event.KindInt8}, Default: int32(-3)},
		event.Column{Name: "d_i16", Type: event.Type{Kind: event.KindInt16}, Default: int32(-300)},
		event.Column{Name: "d_i32", Type: date, Default: int32(19000)},
		event.Column{Name: "d_i64", Type: event.Type{Kind: event.KindInt64}, Default: int64(math.MaxInt64)},
		event.Column{Name: "d_f32", Type: event.Type{Kind: event.KindFloat32}, Default: float32(0.1)},
		event.Column{Name: "d_f64", Type: event.Type{Kind: event.KindFloat64}, Default: -1e300},
		event.Column{Name: "d_str", Type: named(event.KindString, "io.debezium.data.Enum", map[string]string{"allowed": "a,b"}), Default: "b"},
		event.Column{Name: "d_bytes", Type: event.Type{Kind: event.KindBytes}, Default: []byte{0, 0x7f, 0x80, 0xff}},
		event.Column{Name: "d_dec", Type: event.Type{Kind: event.KindDecimal, Precision: 20, Scale: 3}, Default: big.NewRat(-123456789, 1000)},
		event.Column{Name: "d_dec0", Type: event.Type{Kind: event.KindDecimal, Precision: 20}, Default: new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 64))},
	)
	return tb
}

// allKindsRow is a row of allKindsTable without nulls.
func allKindsRow() []any {
	return append(everyTypeRow(),
		[]any{int32(-128), int32(127)}, []any{int32(-32768), nil}, []any{int64(math.MinInt64), int64(math.MaxInt64)},
		[]any{[]byte{}, nil, []byte("x")}, []any{true, false, nil}, []any{float32(-0.5)}, []any{math.Inf(-1), 0.0},
		[]any{event.VarDecimal{Scale: -2, Unscaled: big.NewInt(5)}, nil}, []any{int32(-1)},
		big.NewRat(-1, 100), big.NewRat(99999, 1), int32(86_399_999), int64(-3_600_000_000), "a.b.c",
		[]byte{1, 1, 0, 0, 0}, false, int32(0), int32(math.MinInt16), int32(math.MinInt32), int64(0),
		float32(-1.25), math.Pi, "a", []byte{}, big.NewRat(1, 1000), new(big.Rat),
	)
}

// nullRow is a row of tb with every optional column null and the others from full.
func nullRow(tb *event.Table, full []any) []any {
	row := make([]any, len(tb.Columns))
	for i, c := range tb.Columns {
		if !c.Optional {
			row[i] = full[i]
		}
	}
	return row
}

// unavailableRow puts event.Unavailable in every column whose type can carry Debezium's
// placeholder: strings and bytes of any logical name, and arrays of strings, bytes and
// integers.
func unavailableRow(tb *event.Table, full []any) []any {
	row := append([]any(nil), full...)
	for i, c := range tb.Columns {
		k := c.Type.Kind
		if k == event.KindArray {
			k = c.Type.Elem.Kind
			if k == event.KindInt8 || k == event.KindInt16 || k == event.KindInt32 || k == event.KindInt64 {
				k = event.KindString
			}
		}
		if k == event.KindString || k == event.KindBytes {
			row[i] = event.Unavailable
		}
	}
	return row
}

func mysqlSource() event.Source {
	thread := int64(42)
	return event.Source{Version: "0.1.0", Connector: ConnectorMySQL, Name: "dove",
		Commit: time.UnixMilli(1_700_000_000_123).UTC(), Snapshot: "last", DB: "shop", Table: "every_type",
		ServerID: 223344, GTID: "0-1-42", File: "binlog.000003", Pos: 1234, Row: 2, Thread: &thread,
		Query: "INSERT INTO every_type VALUES (...)"}
}

func mysqlTable(tb *event.Table) *event.Table {
	tb.ID = event.TableID{Database: "shop", Table: "every_type"}
	return tb
}

// decodedTable is what Change rebuilds of a table: column names as their Avro field
// names, no SourceType, Connect's canonical names and parameters of decimals (Precision
// and Scale carry theirs), and no key for records without one.
func wantTable(tb *event.Table, keyed bool) *event.Table {
	want := &event.Table{ID: tb.ID, Columns: make([]event.Column, len(tb.Columns))}
	for i, c := range tb.Columns {
		c.Name = AvroName(c.Name)
		c.Type = wantType(c.Type)
		want.Columns[i] = c
	}
	if keyed && len(tb.Key) > 0 {
		want.Key = tb.Key
	}
	return want
}

func wantType(t event.Type) event.Type {
	t.SourceType = ""
	switch t.Kind {
	case event.KindDecimal:
		t.Name = decimalName
		t.Params = maps.Clone(t.Params)
		delete(t.Params, "scale")
		delete(t.Params, "connect.decimal.precision")
	case event.KindVarDecimal:
		t.Name = varDecName
	case event.KindArray:
		e := wantType(*t.Elem)
		t.Elem = &e
	}
	if len(t.Params) == 0 {
		t.Params = nil
	}
	return t
}

// sameValue compares decoded values: decimals by value, floats with NaN equal to NaN,
// everything else deeply.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case *big.Rat:
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0
	case event.VarDecimal:
		y, ok := b.(event.VarDecimal)
		return ok && x.Scale == y.Scale && x.Unscaled.Cmp(y.Unscaled) == 0
	case float32:
		y, ok := b.(float32)
		return ok && (x == y || x != x && y != y)
	case float64:
		y, ok := b.(float64)
		return ok && sameFloat(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func sameRow(t *testing.T, what string, got, want []any, cols []event.Column) {
	t.Helper()
	if (got == nil) != (want == nil) || len(got) != len(want) {
		t.Errorf("%s: %d values (nil %v), want %d (nil %v)", what, len(got), got == nil, len(want), want == nil)
		return
	}
	for i := range want {
		if !sameValue(got[i], want[i]) {
			t.Errorf("%s.%s = %#v (%T), want %#v (%T)", what, cols[i].Name, got[i], got[i], want[i], want[i])
		}
	}
}

func sameTable(t *testing.T, got, want *event.Table) {
	t.Helper()
	if got.ID != want.ID {
		t.Errorf("table id %+v, want %+v", got.ID, want.ID)
	}
	if !reflect.DeepEqual(got.Key, want.Key) {
		t.Errorf("key %v, want %v", got.Key, want.Key)
	}
	if len(got.Columns) != len(want.Columns) {
		t.Fatalf("%d columns, want %d", len(got.Columns), len(want.Columns))
	}
	for i, w := range want.Columns {
		g := got.Columns[i]
		d := w.Default
		g.Default, w.Default = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("column %d:\n got %+v (elem %+v)\nwant %+v (elem %+v)", i, g, g.Type.Elem, w, w.Type.Elem)
		}
		if !sameValue(got.Columns[i].Default, d) {
			t.Errorf("column %s default %#v (%T), want %#v (%T)", w.Name, got.Columns[i].Default, got.Columns[i].Default, d, d)
		}
	}
}

func sameSource(t *testing.T, got, want event.Source) {
	t.Helper()
	if !got.Commit.Equal(want.Commit) {
		t.Errorf("source commit %v, want %v", got.Commit, want.Commit)
	}
	for _, p := range []struct {
		name string
		g, w *int64
	}{{"xmin", got.Xmin, want.Xmin}, {"thread", got.Thread, want.Thread}} {
		if (p.g == nil) != (p.w == nil) || p.g != nil && *p.g != *p.w {
			t.Errorf("source %s %v, want %v", p.name, p.g, p.w)
		}
	}
	got.Commit, want.Commit = time.Time{}, time.Time{}
	got.Xmin, want.Xmin, got.Thread, want.Thread = nil, nil, nil, nil
	if got != want {
		t.Errorf("source\n got %+v\nwant %+v", got, want)
	}
}

func TestChangeRoundTrip(t *testing.T) {
	ctx := context.Background()
	pg, my := allKindsTable(), mysqlTable(allKindsTable())
	keyless := allKindsTable()
	keyless.Key = nil
	reordered := allKindsTable()
	reordered.Key = []int{2, 0} // small, id: not in column order
	full := allKindsRow()
	nulls := nullRow(pg, full)
	unavail := unavailableRow(pg, full)
	tx := &event.Transaction{ID: "555:200", TotalOrder: 3, DataCollectionOrder: 2}
	var nan []any = append([]any(nil), full...)
	nan[4], nan[5] = float32(math.NaN()), math.Inf(1)

	type tc struct {
		table         *event.Table
		op            event.Op
		before, after []any
		source        event.Source
		tx            *event.Transaction
	}
	cases := map[string]tc{}
	for _, conn := range []struct {
		name string
		tb   *event.Table
		src  event.Source
	}{{"pg", pg, pgSource()}, {"mysql", my, mysqlSource()}} {
		for name, rows := range map[string][2][]any{"full": {full, full}, "nulls": {nulls, nulls}, "nan": {nan, nulls}} {
			cases[conn.name+"/create/"+name] = tc{conn.tb, event.OpCreate, nil, rows[0], conn.src, nil}
			cases[conn.name+"/read/"+name] = tc{conn.tb, event.OpRead, nil, rows[0], conn.src, tx}
			cases[conn.name+"/update/"+name] = tc{conn.tb, event.OpUpdate, rows[1], rows[0], conn.src, tx}
			cases[conn.name+"/delete/"+name] = tc{conn.tb, event.OpDelete, rows[0], nil, conn.src, nil}
		}
		cases[conn.name+"/update/unavailable"] = tc{conn.tb, event.OpUpdate, nil, unavail, conn.src, nil}
		cases[conn.name+"/truncate"] = tc{conn.tb, event.OpTruncate, nil, nil, conn.src, tx}
	}
	cases["pg/create/keyless"] = tc{keyless, event.OpCreate, nil, full, pgSource(), nil}
	cases["pg/delete/keyless"] = tc{keyless, event.OpDelete, nulls, nil, pgSource(), nil}
	cases["pg/update/reordered key"] = tc{reordered, event.OpUpdate, full, nulls, pgSource(), tx}
	cases["pg/delete/reordered key"] = tc{reordered, event.OpDelete, unavail, nil, pgSource(), nil}
	zeroSrc := pgSource()
	zeroSrc.Commit, zeroSrc.TxID, zeroSrc.LSN, zeroSrc.Xmin, zeroSrc.Sequence = time.Time{}, 0, 0, nil, ""
	cases["pg/create/zero source"] = tc{pg, event.OpCreate, nil, full, zeroSrc, nil}
	epoch := mysqlSource()
	epoch.Commit, epoch.Table, epoch.GTID, epoch.Thread, epoch.Query = time.Unix(0, 0).UTC(), "every_type", "", nil, ""
	cases["mysql/create/epoch source"] = tc{my, event.OpCreate, nil, full, epoch, nil}

	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove", fixedClock(processed))
	dec := NewDecoder(reg)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := &event.Change{Table: c.table, Op: c.op, Before: c.before, After: c.after, Source: c.source, Transaction: c.tx}
			_, k, v, err := enc.Change(ctx, in)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			rec, err := dec.Change(ctx, k, v)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if rec.Kind != RecordChange || rec.Message != nil || rec.Change == nil {
				t.Fatalf("record %+v, want a change", rec)
			}
			got := rec.Change
			if got.Op != c.op {
				t.Errorf("op %q, want %q", got.Op, c.op)
			}
			sameTable(t, got.Table, wantTable(c.table, c.op != event.OpTruncate))
			sameRow(t, "before", got.Before, c.before, c.table.Columns)
			sameRow(t, "after", got.After, c.after, c.table.Columns)
			sameSource(t, got.Source, c.source)
			if !reflect.DeepEqual(got.Transaction, c.tx) {
				t.Errorf("transaction %+v, want %+v", got.Transaction, c.tx)
			}
			if want := in.Key(); c.op != event.OpTruncate && !reflect.DeepEqual(fmt.Sprint(got.Key()), fmt.Sprint(want)) {
				t.Errorf("key values %v, want %v", got.Key(), want)
			}
		})
	}
}

func TestChangeTableCache(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove")
	dec := NewDecoder(reg)
	decode := func(c *event.Change) *event.Table {
		t.Helper()
		_, k, v, err := enc.Change(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := dec.Change(ctx, k, v)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Change.Table
	}
	tb := everyTypeTable()
	a := decode(&event.Change{Table: tb, Op: event.OpCreate, After: everyTypeRow(), Source: pgSource()})
	b := decode(&event.Change{Table: tb, Op: event.OpDelete, Before: everyTypeRow(), Source: pgSource()})
	if a != b {
		t.Error("two records of one schema pair got two tables")
	}
	if tr := decode(&event.Change{Table: tb, Op: event.OpTruncate, Source: pgSource()}); tr == a || tr.Key != nil {
		t.Errorf("truncate (null key) shares the keyed table or has key %v", tr.Key)
	}
	tb2 := everyTypeTable()
	tb2.Columns = append(tb2.Columns, event.Column{Name: "added", Type: event.Type{Kind: event.KindString}, Optional: true})
	if c := decode(&event.Change{Table: tb2, Op: event.OpCreate, After: append(everyTypeRow(), "x"), Source: pgSource()}); c == a || len(c.Columns) != len(a.Columns)+1 {
		t.Error("a new table version got the old table")
	}
	// Tables whose names sanitize alike share schemas, not tables.
	dash, under := everyTypeTable(), everyTypeTable()
	dash.ID.Table, under.ID.Table = "a-b", "a_b"
	srcDash, srcUnder := pgSource(), pgSource()
	srcDash.Table, srcUnder.Table = "a-b", "a_b"
	x := decode(&event.Change{Table: dash, Op: event.OpCreate, After: everyTypeRow(), Source: srcDash})
	y := decode(&event.Change{Table: under, Op: event.OpCreate, After: everyTypeRow(), Source: srcUnder})
	if x == y || x.ID.Table != "a-b" || y.ID.Table != "a_b" {
		t.Errorf("tables %v and %v", x.ID, y.ID)
	}
}

func TestChangeOtherRecords(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove", fixedClock(processed))
	dec := NewDecoder(reg)

	for _, v := range [][]byte{nil, {}} {
		rec, err := dec.Change(ctx, []byte{0, 0, 0, 0, 1, 2}, v)
		if err != nil || rec.Kind != RecordTombstone || rec.Change != nil || rec.Message != nil {
			t.Errorf("tombstone: %+v, %v", rec, err)
		}
	}

	_, k, v, err := enc.Heartbeat(ctx, processed)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := dec.Change(ctx, k, v); err != nil || rec.Kind != RecordHeartbeat {
		t.Errorf("heartbeat: %+v, %v", rec, err)
	}

	_, k, v, err = enc.SchemaChange(ctx, &event.SchemaChange{Database: "shop", DDL: "CREATE TABLE t (a int)", Source: mysqlSource()})
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := dec.Change(ctx, k, v); err != nil || rec.Kind != RecordSchemaChange {
		t.Errorf("schema change: %+v, %v", rec, err)
	}

	for _, transactional := range []bool{true, false} {
		src := pgSource()
		src.Schema, src.Table = "", ""
		if !transactional {
			src.TxID = 0
		}
		m := &event.Message{Prefix: "audit", Content: []byte{0, 'x'}, Transactional: transactional, Source: src}
		_, k, v, err = enc.Message(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := dec.Change(ctx, k, v)
		if err != nil || rec.Kind != RecordMessage || rec.Change != nil {
			t.Fatalf("message: %+v, %v", rec, err)
		}
		got := rec.Message
		if got.Prefix != m.Prefix || !bytes.Equal(got.Content, m.Content) || got.Transactional != transactional {
			t.Errorf("message %+v, want %+v", got, m)
		}
		sameSource(t, got.Source, src)
	}
	if got := RecordSchemaChange.String(); got != "schema_change" {
		t.Errorf("kind name %q", got)
	}
}

// A writer schema Dovetail did not generate: Debezium-like, with the envelope and source
// fields in another order, fields Dovetail does not know, [T, "null"] unions, a plain
// Avro decimal and a VariableScaleDecimal written value first.
func TestChangeForeignWriterSchema(t *testing.T) {
	const schemaText = `{"type":"record","name":"Envelope","namespace":"srv.inv.items","fields":[
	  {"name":"op","type":"string"},
	  {"name":"after","type":["null",{"type":"record","name":"Value","fields":[
	    {"name":"id","type":{"type":"int","connect.type":"int16"}},
	    {"name":"qty","type":["long","null"]},
	    {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":3},"default":"\u0001"},
	    {"name":"n","type":{"type":"record","name":"VariableScaleDecimal","namespace":"io.debezium.data","fields":[{"name":"value","type":"bytes"},{"name":"scale","type":"int"}]}}
	  ]}],"default":null},
	  {"name":"source","type":{"type":"record","name":"Source","namespace":"io.debezium.connector.mysql","fields":[
	    {"name":"connector","type":"string"},{"name":"extra","type":{"type":"map","values":"long"}},
	    {"name":"db","type":"string"},{"name":"table","type":["null","string"]},{"name":"ts_ms","type":"long"},
	    {"name":"row","type":"int"},{"name":"pos","type":"long"}]}},
	  {"name":"before","type":["null","Value"],"default":null},
	  {"name":"ts_ms","type":["null","long"],"default":null}]}`
	ctx := context.Background()
	reg := newMemRegistry()
	id, err := reg.Register(ctx, "srv.inv.items-value", schemaText)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(schemaText)
	if err != nil {
		t.Fatal(err)
	}
	native := map[string]any{
		"op": "u",
		"after": goavro.Union("srv.inv.items.Value", map[string]any{
			"id": int32(-7), "qty": nil, "price": big.NewRat(12345, 1000),
			"n": map[string]any{"value": []byte{0xff}, "scale": int32(1)},
		}),
		"source": map[string]any{"connector": "mysql", "extra": map[string]any{"k": int64(1)}, "db": "inv",
			"table": goavro.Union("string", "items"), "ts_ms": int64(1_700_000_000_123), "row": int32(4), "pos": int64(99)},
		"before": nil, "ts_ms": nil,
	}
	v, err := codec.BinaryFromNative(frame(nil, id), native)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewDecoder(reg).Change(ctx, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	c := rec.Change
	want := &event.Table{ID: event.TableID{Database: "inv", Table: "items"}, Columns: []event.Column{
		{Name: "id", Type: event.Type{Kind: event.KindInt16}},
		{Name: "qty", Type: event.Type{Kind: event.KindInt64}, Optional: true},
		{Name: "price", Type: event.Type{Kind: event.KindDecimal, Name: decimalName, Precision: 9, Scale: 3}, Default: big.NewRat(1, 1000)},
		{Name: "n", Type: event.Type{Kind: event.KindVarDecimal, Name: varDecName}},
	}}
	sameTable(t, c.Table, want)
	sameRow(t, "after", c.After, []any{int32(-7), nil, big.NewRat(12345, 1000), event.VarDecimal{Scale: 1, Unscaled: big.NewInt(-1)}}, want.Columns)
	if c.Op != event.OpUpdate || c.Before != nil || c.Source.Row != 4 || c.Source.Pos != 99 ||
		!c.Source.Commit.Equal(time.UnixMilli(1_700_000_000_123)) {
		t.Errorf("change %+v", c)
	}
}

func TestChangeErrors(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove")
	_, k, v, err := enc.Change(ctx, &event.Change{Table: everyTypeTable(), Op: event.OpCreate, After: everyTypeRow(), Source: pgSource()})
	if err != nil {
		t.Fatal(err)
	}
	valueID, _ := SchemaID(v)
	register := func(text string) []byte {
		id, err := reg.Register(ctx, "x-value", text)
		if err != nil {
			t.Fatal(err)
		}
		return append(frame(nil, id), 0, 0, 0, 0)
	}
	badType := register(`{"type":"record","name":"Envelope","fields":[{"name":"op","type":"string"},{"name":"source","type":{"type":"record","name":"S","fields":[]}},` +
		`{"name":"after","type":["null",{"type":"record","name":"Value","fields":[{"name":"m","type":{"type":"map","values":"int"}}]}]}]}`)
	notChange := register(`{"type":"record","name":"Other","namespace":"x","fields":[{"name":"a","type":"int"}]}`)
	otherKey := register(`{"type":"record","name":"Key","fields":[{"name":"nope","type":"int"}]}`)[:5]
	otherKey = appendLong(otherKey, 1)

	noTable := pgSource()
	noTable.Table = ""
	_, _, noTableV, err := enc.Change(ctx, &event.Change{Table: everyTypeTable(), Op: event.OpCreate, After: everyTypeRow(), Source: noTable})
	if err != nil {
		t.Fatal(err)
	}
	badOp := append([]byte(nil), v...)
	if i := bytes.LastIndex(badOp, []byte{2, 'c'}); i < 0 {
		t.Fatal("no op in the value")
	} else {
		badOp[i+1] = 'x'
	}

	for name, tc := range map[string]struct {
		key, value []byte
		is         error
		msg        string
	}{
		"not framed":      {nil, []byte{1, 2, 3, 4, 5}, ErrNotFramed, ""},
		"unknown id":      {nil, []byte{0, 0, 0, 0x10, 0, 0}, nil, "schema 4096"},
		"truncated":       {k, v[:len(v)-3], ErrData, fmt.Sprintf("schema %d", valueID)},
		"trailing":        {k, append(append([]byte(nil), v...), 0), ErrData, "trailing"},
		"bad key":         {k[:len(k)-1], v, ErrData, "key"},
		"key not framed":  {[]byte{9}, v, ErrNotFramed, "key"},
		"key field":       {otherKey, v, ErrSchema, `"nope"`},
		"no event kind":   {nil, badType, ErrSchema, `field "m"`},
		"not a change":    {nil, notChange, ErrNotChangeRecord, "x.Other"},
		"no source table": {nil, noTableV, ErrData, "without table"},
		"bad op":          {k, badOp, ErrData, `op "x"`},
	} {
		rec, err := NewDecoder(reg).Change(ctx, tc.key, tc.value)
		if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err %v, want %v naming %q", name, err, tc.is, tc.msg)
		}
		if rec.Kind != 0 || rec.Change != nil {
			t.Errorf("%s: record %+v with the error", name, rec)
		}
	}
}

func TestDecimalDecoding(t *testing.T) {
	big1 := new(big.Int).Lsh(big.NewInt(1), 300)
	for _, tc := range []struct {
		r     *big.Rat
		scale int
	}{
		{big.NewRat(0, 1), 2}, {big.NewRat(127, 100), 2}, {big.NewRat(128, 100), 2}, {big.NewRat(-1, 100), 2},
		{big.NewRat(-128, 100), 2}, {big.NewRat(-129, 100), 2}, {big.NewRat(1, 2), 3}, {big.NewRat(-7, 1), 0},
		{big.NewRat(1500, 1), -2}, {big.NewRat(-1500, 1), -2},
		{new(big.Rat).SetInt(big1), 0}, {new(big.Rat).SetFrac(new(big.Int).Neg(big1), big.NewInt(1000)), 3},
	} {
		b, err := appendDecimal(nil, tc.scale, nil, tc.r)
		if err != nil {
			t.Fatal(err)
		}
		r := reader{b: b}
		p, err := r.raw()
		if err != nil {
			t.Fatal(err)
		}
		if got := decimalRat(p, tc.scale, pow10(tc.scale)); got.Cmp(tc.r) != 0 {
			t.Errorf("% x at scale %d: %s, want %s", p, tc.scale, got, tc.r)
		}
	}
}

func TestChangeConcurrent(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	_, k, v, err := NewEncoder(reg, "dove").Change(ctx, &event.Change{Table: allKindsTable(), Op: event.OpCreate,
		After: allKindsRow(), Source: pgSource()})
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(reg)
	tables := make(chan *event.Table, 8)
	for range cap(tables) {
		go func() {
			var last *event.Table
			for range 50 {
				rec, err := dec.Change(ctx, k, v)
				if err != nil {
					t.Error(err)
					break
				}
				last = rec.Change.Table
			}
			tables <- last
		}()
	}
	first := <-tables
	for range cap(tables) - 1 {
		if tb := <-tables; tb != first {
			t.Errorf("concurrent decodes got tables %p and %p", first, tb)
		}
	}
}
