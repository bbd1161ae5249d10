package mysql

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sinks"
)

func TestMain(m *testing.M) { testmaria.Main(m) }

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// newTarget opens a target on dsn; opts.Name defaults to "replica".
func newTarget(t testing.TB, dsn string, opts sinks.Options) *Target {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "replica"
	}
	tg, err := New(ctx(t), dsn, opts, nil)
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

func newFeed() *feed { return &feed{tp: sinks.TopicPartition{Topic: "src.shop.t", Partition: 0}} }

func (f *feed) batch(t testing.TB, naming sinks.Naming, changes ...*event.Change) *sinks.Batch {
	t.Helper()
	var recs []sinks.Record
	for _, c := range changes {
		if c.Source.Connector == "" {
			c.Source = event.Source{Connector: "mysql", File: "binlog.000001", Pos: 1000 + f.next}
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

func (f *feed) apply(t testing.TB, tg *Target, changes ...*event.Change) {
	t.Helper()
	if err := tg.Apply(ctx(t), f.batch(t, sinks.Naming{}, changes...)); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// query returns the rows of a query (text protocol, UTC session), each row's columns
// joined by "|", NULL as "∅".
func query(t testing.TB, dsn, q string) []string {
	t.Helper()
	c, err := parseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := open(c)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx(t), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, v := range vals {
			if v.Valid {
				s = append(s, v.String)
			} else {
				s = append(s, "∅")
			}
		}
		out = append(out, strings.Join(s, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func wantRows(t testing.TB, dsn, q string, want ...string) {
	t.Helper()
	got := query(t, dsn, q)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", q, got, want)
	}
}

// Shapes of the tests' source tables.
var (
	intType  = event.Type{Kind: event.KindInt32, SourceType: "int"}
	textType = event.Type{Kind: event.KindString, SourceType: "varchar(100)"}
)

func myTable(name string, key []int, cols ...event.Column) *event.Table {
	return &event.Table{ID: event.TableID{Database: "shop", Table: name}, Columns: cols, Key: key}
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
