package duckdb

import (
	"fmt"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// BenchmarkUpsert10k applies batches of 10,000 upserts (a pgbench-like accounts table:
// half the keys new, half updates) in one transaction each, without and with history.
//
//	go test ./sinks/duckdb -run '^$' -bench Upsert10k -benchtime 20x
func BenchmarkUpsert10k(b *testing.B) {
	for _, history := range []bool{false, true} {
		b.Run(fmt.Sprintf("history=%v", history), func(b *testing.B) {
			tg := newTarget(b, newPath(b), sinks.Options{CreateTables: true}, history)
			tb := sinktest.PostgresTable("accounts", []int{0},
				sinktest.Col("aid", sinktest.Type(event.KindInt64, "", "int8"), false),
				sinktest.Col("bid", intType, false),
				sinktest.Col("abalance", sinktest.Decimal(12, 2, "numeric(12,2)"), false),
				sinktest.Col("filler", sinktest.Type(event.KindString, "", "varchar(84)"), true),
				sinktest.Col("updated", sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), true))
			sinktest.UpsertAccounts(b, tg, newFeed(), tb)
		})
	}
}
