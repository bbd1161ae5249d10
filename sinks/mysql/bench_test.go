package mysql

import (
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// BenchmarkUpsert10k applies batches of 10,000 upserts (a pgbench-like accounts table:
// half the keys new, half updates) in one transaction each.
//
//	go test ./sinks/mysql -run '^$' -bench Upsert10k -benchtime 20x
func BenchmarkUpsert10k(b *testing.B) {
	dsn := testmaria.NewDB(b)
	tg := newTarget(b, dsn, sinks.Options{CreateTables: true})
	tb := sinktest.MySQLTable("accounts", []int{0},
		sinktest.Col("aid", sinktest.Type(event.KindInt64, "", "bigint"), false),
		sinktest.Col("bid", intType, false),
		sinktest.Col("abalance", sinktest.Decimal(12, 2, "decimal(12,2)"), false),
		sinktest.Col("filler", sinktest.Type(event.KindString, "", "varchar(84)"), true),
		sinktest.Col("updated", sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), true))
	sinktest.UpsertAccounts(b, tg, newFeed(), tb)
}
