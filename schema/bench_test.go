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
	ctx := context.Background()
	enc := NewEncoder(newMemRegistry(), "dove", WithClock(func() time.Time { return processed }))
	c := tenColumns()
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
