package duckdb

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
)

// newPath returns the path of a new database file in the test's temp dir.
func newPath(t testing.TB) string { return filepath.Join(t.TempDir(), "replica.duckdb") }

// newTarget opens a target on path; opts.Name defaults to "replica".
func newTarget(t testing.TB, path string, opts sinks.Options, history bool) *Target {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "replica"
	}
	tg, err := New(sinktest.Ctx(t), path, opts, history, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// query returns the rows of a query on the target's database, each row's columns as
// text joined by "|", NULL as "∅".
func query(t testing.TB, tg *Target, q string, args ...any) []string {
	t.Helper()
	rows, err := tg.file.db.QueryContext(sinktest.Ctx(t), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, v := range vals {
			switch x := v.(type) {
			case nil:
				s = append(s, "∅")
			case time.Time:
				s = append(s, x.UTC().Format("2006-01-02 15:04:05.999999"))
			default:
				s = append(s, fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(s, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func wantRows(t testing.TB, tg *Target, q string, want ...string) {
	t.Helper()
	sinktest.WantRows(t, q, query(t, tg, q), want...)
}

func exec(t testing.TB, tg *Target, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := tg.file.db.ExecContext(sinktest.Ctx(t), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// Shapes of the tests' source tables.
var (
	intType  = event.Type{Kind: event.KindInt32, SourceType: "int4"}
	textType = event.Type{Kind: event.KindString, SourceType: "text"}
)

// sourceAt is the source position of the change at offset n of a feed.
func sourceAt(n int64) event.Source {
	return event.Source{Connector: "postgresql", LSN: 1000 + n,
		Commit: time.Date(2024, 1, 1, 0, 0, int(n), 0, time.UTC)}
}

// newFeed is a feed of topic src.public.t, partition 0.
func newFeed() *sinktest.Feed {
	return &sinktest.Feed{TP: sinks.TopicPartition{Topic: "src.public.t", Partition: 0}, Source: sourceAt}
}
