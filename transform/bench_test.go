package transform

import (
	"math/big"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// BenchmarkChain5 runs a chain of five transforms (mask, hash, drop_columns, rename,
// filter) on events of a 10-column table: an insert (after image only) and an update
// (both images through every step; the masked and hashed columns unchanged, as in most
// updates). Compare ns/op with the end-to-end cost per change in BENCHMARKS.md.
func BenchmarkChain5(b *testing.B) {
	t := &event.Table{
		ID: event.TableID{Database: "shop", Schema: "public", Table: "customers"},
		Columns: []event.Column{
			{Name: "id", Type: event.Type{Kind: event.KindInt64}},
			{Name: "email", Type: event.Type{Kind: event.KindString}, Optional: true},
			{Name: "phone", Type: event.Type{Kind: event.KindString}, Optional: true},
			{Name: "name", Type: event.Type{Kind: event.KindString}},
			{Name: "notes", Type: event.Type{Kind: event.KindString}, Optional: true},
			{Name: "status", Type: event.Type{Kind: event.KindString}},
			{Name: "balance", Type: event.Type{Kind: event.KindDecimal, Precision: 12, Scale: 2}},
			{Name: "visits", Type: event.Type{Kind: event.KindInt32}},
			{Name: "active", Type: event.Type{Kind: event.KindBoolean}},
			{Name: "created", Type: event.Type{Kind: event.KindInt64, Name: "io.debezium.time.MicroTimestamp"}},
		},
		Key: []int{0},
	}
	row := func(visits int32) []any {
		return []any{int64(12345), "someone@example.com", "+1 555 0100", "Some One", "a long note about the customer",
			"active", big.NewRat(123456, 100), visits, true, int64(1_700_000_000_000_000)}
	}
	chain := NewChain("transforms",
		mustB(NewMask([]string{"public.customers.email"}, "****", 0)),
		mustB(NewHash([]string{"public.customers.phone"}, "sha256", "pepper")),
		mustB(NewColumns("drop_columns", nil, []string{"public.customers.notes"})),
		mustB(NewRenameTable("public.customers", "clients")),
		mustB(NewFilter([]string{"public.customers"}, "row.status != 'draft' && row.visits >= 0")),
	)
	for _, bc := range []struct {
		name string
		c    *event.Change
	}{
		{"insert", &event.Change{Table: t, Op: event.OpCreate, After: row(1), Source: event.Source{Connector: "postgresql", Commit: time.Now()}}},
		{"update", &event.Change{Table: t, Op: event.OpUpdate, Before: row(1), After: row(2), Source: event.Source{Connector: "postgresql", Commit: time.Now()}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, keep, err := chain.Apply(bc.c)
				if err != nil || !keep || out.Table.ID.Table != "clients" {
					b.Fatal(keep, err)
				}
			}
		})
	}
}

func mustB[T Transform](tr T, err error) Transform {
	if err != nil {
		panic(err)
	}
	return tr
}
