package duckdb

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
)

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// newPath returns the path of a new database file in the test's temp dir.
func newPath(t testing.TB) string { return filepath.Join(t.TempDir(), "replica.duckdb") }

// newTarget opens a target on path; opts.Name defaults to "replica".
func newTarget(t testing.TB, path string, opts sinks.Options, history bool) *Target {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "replica"
	}
	tg, err := New(ctx(t), path, opts, history, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// feed numbers changes as records of one topic partition, in order, across batches.
type feed struct {
	tp   sinks.TopicPartition
	next int64
}

func newFeed() *feed { return &feed{tp: sinks.TopicPartition{Topic: "src.public.t", Partition: 0}} }

// batch plans the changes as the next records of the feed.
func (f *feed) batch(t testing.TB, naming sinks.Naming, changes ...*event.Change) *sinks.Batch {
	t.Helper()
	var recs []sinks.Record
	for _, c := range changes {
		if c.Source.Connector == "" {
			c.Source = event.Source{Connector: "postgresql", LSN: 1000 + f.next,
				Commit: time.Date(2024, 1, 1, 0, 0, int(f.next), 0, time.UTC)}
		}
		recs = append(recs, sinks.Record{Change: c, TopicPartition: f.tp, Offset: f.next})
		f.next++
	}
	b, err := sinks.Plan(recs, naming)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return b
}

// apply plans and applies changes, failing t on error.
func (f *feed) apply(t testing.TB, tg *Target, changes ...*event.Change) {
	t.Helper()
	if err := tg.Apply(ctx(t), f.batch(t, sinks.Naming{}, changes...)); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// query returns the rows of a query on the target's database, each row's columns as
// text joined by "|", NULL as "∅".
func query(t testing.TB, tg *Target, q string, args ...any) []string {
	t.Helper()
	rows, err := tg.file.db.QueryContext(ctx(t), q, args...)
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
	got := query(t, tg, q)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", q, got, want)
	}
}

func exec(t testing.TB, tg *Target, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := tg.file.db.ExecContext(ctx(t), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// Shapes of the tests' source tables.
var (
	intType  = event.Type{Kind: event.KindInt32, SourceType: "int4"}
	textType = event.Type{Kind: event.KindString, SourceType: "text"}
)

func pgTable(name string, key []int, cols ...event.Column) *event.Table {
	return &event.Table{ID: event.TableID{Database: "src", Schema: "public", Table: name}, Columns: cols, Key: key}
}

func col(name string, typ event.Type, optional bool) event.Column {
	return event.Column{Name: name, Type: typ, Optional: optional}
}

func upsert(tb *event.Table, after ...any) *event.Change {
	return &event.Change{Table: tb, Op: event.OpCreate, After: after}
}

func update(tb *event.Table, before, after []any) *event.Change {
	return &event.Change{Table: tb, Op: event.OpUpdate, Before: before, After: after}
}

func del(tb *event.Table, before ...any) *event.Change {
	return &event.Change{Table: tb, Op: event.OpDelete, Before: before}
}

func truncate(tb *event.Table) *event.Change {
	return &event.Change{Table: tb, Op: event.OpTruncate}
}
