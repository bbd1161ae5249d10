package transform

import (
	"math/big"
	"syscall"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// benchTable is a 10-column table like bench/'s.
var benchTable = &event.Table{
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

func benchRow(visits int32) []any {
	return []any{int64(12345), "someone@example.com", "+1 555 0100", "Some One", "a long note about the customer",
		"active", big.NewRat(123456, 100), visits, true, int64(1_700_000_000_000_000)}
}

var benchChanges = []struct {
	name string
	c    *event.Change
}{
	{"insert", &event.Change{Table: benchTable, Op: event.OpCreate, After: benchRow(1), Source: event.Source{Connector: "postgresql", Commit: time.Now()}}},
	{"update", &event.Change{Table: benchTable, Op: event.OpUpdate, Before: benchRow(1), After: benchRow(2), Source: event.Source{Connector: "postgresql", Commit: time.Now()}}},
}

// BenchmarkChain5 runs a chain of five transforms (filter, mask, hash, drop_columns,
// rename) on events of a 10-column table: an insert (after image only) and an update
// (both images through every step; the masked and hashed columns unchanged, as in most
// updates). "owned" is how the pipeline runs it (Chain.ApplyOwned, in place); the
// others copy the change (Chain.Apply). Compare cpu-ns/op with the end-to-end CPU per
// change in BENCHMARKS.md.
func BenchmarkChain5(b *testing.B) {
	chain := NewChain("transforms",
		mustB(NewFilter([]string{"public.customers"}, "row.status != 'draft' && row.visits >= 0")),
		mustB(NewMask([]string{"public.customers.email"}, "****", 0)),
		mustB(NewHash([]string{"public.customers.phone"}, "sha256", "pepper")),
		mustB(NewColumns("drop_columns", nil, []string{"public.customers.notes"})),
		mustB(NewRenameTable("public.customers", "clients")),
	)
	if out, _ := chain.Table(benchTable); len(chain.plan(benchTable).steps) != 5 || out.ID.Table != "clients" {
		b.Fatal("not every transform acts on the table")
	}
	check := func(out *event.Change, keep bool, err error) {
		if err != nil || !keep || out.Table.ID.Table != "clients" {
			b.Fatal(keep, err)
		}
	}
	for _, bc := range benchChanges {
		b.Run(bc.name, func(b *testing.B) {
			measure(b, func() { check(chain.Apply(bc.c)) })
		})
		b.Run(bc.name+"/owned", func(b *testing.B) {
			owned(b, bc.c, func(c *event.Change) { check(chain.ApplyOwned(c)) })
		})
	}
}

// BenchmarkEach runs each transform alone, as the pipeline does (in place), on the
// update of BenchmarkChain5; "none" is the cost of the loop itself.
func BenchmarkEach(b *testing.B) {
	for _, tc := range []struct {
		name string
		t    Transform
	}{
		{"none", nil},
		{"skip_ops", mustB(NewSkipOps([]string{"d"}))},
		{"mask", mustB(NewMask([]string{"public.customers.email"}, "****", 0))},
		{"hash", mustB(NewHash([]string{"public.customers.phone"}, "sha256", "pepper"))},
		{"truncate", mustB(NewTruncate([]string{"public.customers.notes"}, 10))},
		{"drop_columns", mustB(NewColumns("drop_columns", nil, []string{"public.customers.notes"}))},
		{"rename", mustB(NewRenameTable("public.customers", "clients"))},
		{"route", mustB(NewRoute("shop", `shop\.public\.cust.*`, "shop.public.all", DefaultKeyField))},
		{"key_columns", mustB(NewKeyColumns(map[string][]string{"public.customers": {"email"}}))},
		{"filter", mustB(NewFilter(nil, "row.status != 'draft' && row.visits >= 0"))},
		{"unwrap", mustB(NewUnwrap([]string{"op", "source.ts_ms"}, DeleteRewrite))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			chain := NewChain("transforms")
			if tc.t != nil {
				chain = NewChain("transforms", tc.t)
			}
			owned(b, benchChanges[1].c, func(c *event.Change) {
				if _, _, err := chain.ApplyOwned(c); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// owned measures f on fresh copies of src: each call first refills one of a ring of
// changes from src (a copy of its row values, no allocation), counted in the time.
func owned(b *testing.B, src *event.Change, f func(c *event.Change)) {
	ring := make([]event.Change, 256)
	rows := make([][2][]any, len(ring))
	for i := range ring {
		rows[i] = [2][]any{make([]any, len(src.Before), len(src.Before)+4), make([]any, len(src.After), len(src.After)+4)}
	}
	i := 0
	measure(b, func() {
		c, r := &ring[i], &rows[i]
		i = (i + 1) % len(ring)
		*c = *src
		if src.Before != nil {
			c.Before = r[0][:copy(r[0][:len(src.Before)], src.Before)]
		}
		c.After = r[1][:copy(r[1][:len(src.After)], src.After)]
		f(c)
	})
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
