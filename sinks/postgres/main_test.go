package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// newTarget opens a target on dsn; opts.Name defaults to "replica" and CreateTables is
// what the test sets.
func newTarget(t testing.TB, dsn string, opts sinks.Options) *Target {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "replica"
	}
	tg, err := New(sinktest.Ctx(t), dsn, opts, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// query returns the rows of a query, each row's columns as text joined by "|", NULL as
// "∅".
func query(t testing.TB, dsn, q string, args ...any) []string {
	t.Helper()
	c := sinktest.Ctx(t)
	conn, err := pgx.Connect(c, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(c)
	rows, err := conn.Query(c, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for _, v := range vals {
			if v == nil {
				cols = append(cols, "∅")
			} else {
				cols = append(cols, fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(cols, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func queryOne(t testing.TB, dsn, q string, args ...any) string {
	t.Helper()
	rows := query(t, dsn, q, args...)
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows, want 1: %q", q, len(rows), rows)
	}
	return rows[0]
}

func wantRows(t testing.TB, dsn, q string, want ...string) {
	t.Helper()
	sinktest.WantRows(t, q, query(t, dsn, q), want...)
}

// Shapes of the tests' source tables.
var (
	intType  = event.Type{Kind: event.KindInt32, SourceType: "int4"}
	textType = event.Type{Kind: event.KindString, SourceType: "text"}
)

// sourceAt is the source position of the change at offset n of a feed.
func sourceAt(n int64) event.Source {
	return event.Source{Connector: "postgresql", LSN: 1000 + n}
}

// newFeed is a feed of topic src.public.t, partition 0.
func newFeed() *sinktest.Feed {
	return &sinktest.Feed{TP: sinks.TopicPartition{Topic: "src.public.t", Partition: 0}, Source: sourceAt}
}
