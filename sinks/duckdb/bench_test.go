package duckdb

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// BenchmarkUpsert10k applies batches of 10,000 upserts (a pgbench-like accounts table:
// half the keys new, half updates) in one transaction each, without and with history.
//
//	go test ./sinks/duckdb -run '^$' -bench Upsert10k -benchtime 20x
func BenchmarkUpsert10k(b *testing.B) {
	for _, history := range []bool{false, true} {
		b.Run(fmt.Sprintf("history=%v", history), func(b *testing.B) {
			const rows = 10_000
			tg := newTarget(b, newPath(b), sinks.Options{CreateTables: true}, history)
			tb := pgTable("accounts", []int{0},
				col("aid", ty(event.KindInt64, "", "int8"), false),
				col("bid", intType, false),
				col("abalance", decimalType(12, 2, "numeric(12,2)"), false),
				col("filler", ty(event.KindString, "", "varchar(84)"), true),
				col("updated", ty(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), true))
			changes := func(i int) []*event.Change {
				cs := make([]*event.Change, rows)
				for j := range cs {
					aid := int64(i*rows/2 + j)
					cs[j] = upsert(tb, aid, int32(aid%100), big.NewRat(aid*7, 100), fmt.Sprintf("filler %d", aid), int64(1_700_000_000_000_000+aid))
				}
				return cs
			}
			f := newFeed()
			batches := make([]*sinks.Batch, 0, b.N)
			for i := 0; i < b.N; i++ {
				batches = append(batches, f.batch(b, sinks.Naming{}, changes(i)...))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := tg.Apply(ctx(b), batches[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
