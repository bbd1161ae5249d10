package schema

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// tenColumns is a typical 10-column table and one update of it.
func tenColumns() *event.Change {
	str := func(n string, opt bool) event.Column {
		return event.Column{Name: n, Type: event.Type{Kind: event.KindString}, Optional: opt}
	}
	tb := &event.Table{
		ID: event.TableID{Database: "shop", Schema: "public", Table: "orders"},
		Columns: []event.Column{
			{Name: "id", Type: event.Type{Kind: event.KindInt64}},
			{Name: "customer_id", Type: event.Type{Kind: event.KindInt32}},
			str("status", false),
			str("note", true),
			{Name: "total", Type: event.Type{Kind: event.KindDecimal, Precision: 12, Scale: 2}},
			{Name: "weight", Type: event.Type{Kind: event.KindFloat64}, Optional: true},
			{Name: "paid", Type: event.Type{Kind: event.KindBoolean}},
			{Name: "created", Type: named(event.KindInt64, "io.debezium.time.MicroTimestamp", nil)},
			{Name: "updated", Type: named(event.KindString, "io.debezium.time.ZonedTimestamp", nil), Optional: true},
			{Name: "attrs", Type: named(event.KindString, "io.debezium.data.Json", nil), Optional: true},
		},
		Key: []int{0},
	}
	row := func(status string) []any {
		return []any{int64(1234567), int32(42), status, nil, big.NewRat(1999995, 100), 1.25, true,
			int64(1_700_000_000_000_000), "2024-01-02T03:04:05Z", `{"gift":true,"channel":"web"}`}
	}
	return &event.Change{Table: tb, Op: event.OpUpdate, Before: row("new"), After: row("paid"), Source: pgSource(),
		Transaction: &event.Transaction{ID: "555", TotalOrder: 1, DataCollectionOrder: 1}}
}

// Numbers from `go test ./schema -run XXX -bench . -benchmem` (AMD EPYC, 2 CPUs):
//
//	BenchmarkEncodeChange   ~770 ns/op    464 B/op    5 allocs/op
//	BenchmarkDecodeChange   ~7.2 µs/op  10662 B/op  144 allocs/op
//
// BenchmarkEncodeChange measures the hot path: one update of a 10-column row, key and
// value (schemas already registered).
func BenchmarkEncodeChange(b *testing.B) {
	benchEncode(b, tenColumns())
}

// BenchmarkDecodeChange measures decoding the same record with goavro.
func BenchmarkDecodeChange(b *testing.B) {
	ctx := context.Background()
	reg := newMemRegistry()
	_, _, v, err := NewEncoder(reg, "dove").Change(ctx, tenColumns())
	if err != nil {
		b.Fatal(err)
	}
	dec := NewDecoder(reg)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := dec.Decode(ctx, v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChange measures what a sink does per record: the same update, key and value,
// back into an event.Change (schemas and table already cached). From
// `go test ./schema -run XXX -bench 'DecodeChange|Change$' -benchmem -count 5` on a
// shared, noisy 2-CPU Xeon, best of five:
//
//	BenchmarkDecodeChange  ~15.8 µs/op  10618 B/op  144 allocs/op
//	BenchmarkChange         ~4.0 µs/op   1264 B/op   44 allocs/op
//
// The allocations are the values themselves: the change, two rows, each boxed value,
// string bytes and decimals.
func BenchmarkChange(b *testing.B) {
	ctx := context.Background()
	reg := newMemRegistry()
	_, k, v, err := NewEncoder(reg, "dove").Change(ctx, tenColumns())
	if err != nil {
		b.Fatal(err)
	}
	dec := NewDecoder(reg)
	if _, err := dec.Change(ctx, k, v); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := dec.Change(ctx, k, v); err != nil {
			b.Fatal(err)
		}
	}
}

// snapRows is bench/snapshot.sh's Postgres table bench.snap_rows and a snapshot read of
// one of its rows, as the Postgres snapshot hands it over.
func snapRows() *event.Change {
	tb := &event.Table{
		ID: event.TableID{Database: "db", Schema: "bench", Table: "snap_rows"},
		Columns: []event.Column{
			{Name: "id", Type: event.Type{Kind: event.KindInt64}},
			{Name: "qty", Type: event.Type{Kind: event.KindInt32}},
			{Name: "label", Type: event.Type{Kind: event.KindString}},
			{Name: "price", Type: event.Type{Kind: event.KindDecimal, Precision: 12, Scale: 2}, Optional: true},
			{Name: "ts", Type: named(event.KindInt64, "io.debezium.time.MicroTimestamp", nil)},
			{Name: "active", Type: event.Type{Kind: event.KindInt16}, Optional: true},
			{Name: "attrs", Type: named(event.KindString, "io.debezium.data.Json", nil), Optional: true},
			{Name: "ref", Type: event.Type{Kind: event.KindString}, Optional: true},
			{Name: "score", Type: event.Type{Kind: event.KindFloat64}, Optional: true},
			{Name: "code", Type: event.Type{Kind: event.KindString}, Optional: true},
		},
		Key: []int{0},
	}
	row := []any{int64(1234567), int32(567), "customer name 1234567", big.NewRat(46666, 100),
		int64(1_719_836_167_234_567), int32(1), `{"qty": 4, "sku": "A-1234567", "tags": ["x", "y"]}`,
		"fcea920f7412b5da7be0cf42b8c93759    ", 1851850.5, "C34567"}
	src := pgSource()
	src.Snapshot = "true"
	return &event.Change{Table: tb, Op: event.OpRead, After: row, Source: src}
}

// BenchmarkEncodeSnapshotRow measures the snapshot's encoding of a record: a read of
// bench.snap_rows, key and value. From `go test ./schema -run XXX -bench
// 'EncodeSnapshotRow|AppendDecimal' -benchmem` on a shared, noisy 2-CPU machine, best of
// six, before and after decimals were computed with machine integers:
//
//	BenchmarkEncodeSnapshotRow  ~560 -> ~290 ns/op   376 -> 320 B/op   3 -> 1 allocs/op
//	BenchmarkAppendDecimal      ~105 ->  ~14 ns/op    46 ->   0 B/op   1 -> 0 allocs/op
//
// The one allocation left is the record itself (key and value share it).
func BenchmarkEncodeSnapshotRow(b *testing.B) {
	benchEncode(b, snapRows())
}

// BenchmarkAppendDecimal writes numeric(12,2) values as Postgres' decoder makes them.
func BenchmarkAppendDecimal(b *testing.B) {
	vals := []*big.Rat{big.NewRat(46666, 100), big.NewRat(-199, 20), big.NewRat(7, 1), big.NewRat(0, 1),
		big.NewRat(999999999999, 100)}
	p10 := pow10(2)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var err error
		if buf, err = appendDecimal(buf[:0], 2, p10, vals[i%len(vals)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// benchEncode measures encoding c (its schemas registered before the timer starts).
func benchEncode(b *testing.B, c *event.Change) {
	ctx := context.Background()
	enc := NewEncoder(newMemRegistry(), "dove", WithClock(func() time.Time { return processed }))
	if _, _, _, err := enc.Change(ctx, c); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, _, err := enc.Change(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}
