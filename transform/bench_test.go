package transform

import (
	"math/big"
	"syscall"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// BenchmarkChain5 runs a chain of five transforms (filter, mask, hash, drop_columns,
// rename) on events of a 10-column table: an insert (after image only) and an update
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
		mustB(NewFilter([]string{"public.customers"}, "row.status != 'draft' && row.visits >= 0")),
		mustB(NewMask([]string{"public.customers.email"}, "****", 0)),
		mustB(NewHash([]string{"public.customers.phone"}, "sha256", "pepper")),
		mustB(NewColumns("drop_columns", nil, []string{"public.customers.notes"})),
		mustB(NewRenameTable("public.customers", "clients")),
	)
	if out, _ := chain.Table(t); len(chain.plan(t).steps) != 5 || out.ID.Table != "clients" {
		b.Fatal("not every transform acts on the table")
	}
	for _, bc := range []struct {
		name string
		c    *event.Change
	}{
		{"insert", &event.Change{Table: t, Op: event.OpCreate, After: row(1), Source: event.Source{Connector: "postgresql", Commit: time.Now()}}},
		{"update", &event.Change{Table: t, Op: event.OpUpdate, Before: row(1), After: row(2), Source: event.Source{Connector: "postgresql", Commit: time.Now()}}},
	} {
		// Apply: the caller's change is copied.
		b.Run(bc.name, func(b *testing.B) {
			measure(b, func() {
				out, keep, err := chain.Apply(bc.c)
				if err != nil || !keep || out.Table.ID.Table != "clients" {
					b.Fatal(keep, err)
				}
			})
		})
		// ApplyOwned, as the pipeline runs it: the change is changed in place. Each
		// iteration first refills one of a ring of changes from the template (a copy of
		// its row values, no allocation), which is counted in the time.
		b.Run(bc.name+"/owned", func(b *testing.B) {
			ring := make([]event.Change, 256)
			rows := make([][2][]any, len(ring))
			for i := range ring {
				rows[i] = [2][]any{make([]any, len(bc.c.Before)), make([]any, len(bc.c.After))}
			}
			i := 0
			measure(b, func() {
				c, r := &ring[i], &rows[i]
				i = (i + 1) % len(ring)
				*c = *bc.c
				if bc.c.Before != nil {
					c.Before = r[0][:copy(r[0][:cap(r[0])], bc.c.Before)]
				}
				c.After = r[1][:copy(r[1][:cap(r[1])], bc.c.After)]
				out, keep, err := chain.ApplyOwned(c)
				if err != nil || !keep || out.Table.ID.Table != "clients" {
					b.Fatal(keep, err)
				}
			})
		})
	}
}

// measure runs f b.N times and reports allocations and the process's CPU time (GC
// workers included) per call: what BENCHMARKS.md's end-to-end CPU per change compares
// with, and less sensitive than ns/op to other processes on a shared machine.
func measure(b *testing.B, f func()) {
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mustB[T Transform](tr T, err error) Transform {
	if err != nil {
		panic(err)
	}
	return tr
}
