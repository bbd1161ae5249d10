package sinktest

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
)

// UpsertAccounts benchmarks tg applying batches of 10,000 upserts into tb, a
// pgbench-like accounts table (aid bigint key, bid int, abalance decimal(12,2), filler
// varchar(84), updated MicroTimestamp), half the keys new and half updates, in one
// transaction each. It reports rows/s.
func UpsertAccounts(b *testing.B, tg sinks.Target, f *Feed, tb *event.Table) {
	const rows = 10_000
	changes := func(i int) []*event.Change {
		cs := make([]*event.Change, rows)
		for j := range cs {
			aid := int64(i*rows/2 + j)
			cs[j] = Upsert(tb, aid, int32(aid%100), big.NewRat(aid*7, 100), fmt.Sprintf("filler %d", aid), int64(1_700_000_000_000_000+aid))
		}
		return cs
	}
	batches := make([]*sinks.Batch, 0, b.N)
	for i := 0; i < b.N; i++ {
		batches = append(batches, f.Batch(b, sinks.Naming{}, changes(i)...))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tg.Apply(Ctx(b), batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}
