package mysql

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// BenchmarkUpsert10k applies batches of 10,000 upserts (a pgbench-like accounts table:
// half the keys new, half updates) in one transaction each.
//
//	go test ./sinks/mysql -run '^$' -bench Upsert10k -benchtime 20x
func BenchmarkUpsert10k(b *testing.B) {
	const rows = 10_000
	dsn := testmaria.NewDB(b)
	tg := newTarget(b, dsn, sinks.Options{CreateTables: true})
	tb := myTable("accounts", []int{0},
		col("aid", ty(event.KindInt64, "", "bigint"), false),
		col("bid", intType, false),
		col("abalance", decimalType(12, 2, "decimal(12,2)"), false),
		col("filler", ty(event.KindString, "", "varchar(84)"), true),
		col("updated", ty(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), true))
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
}
