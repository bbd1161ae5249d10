package mysql

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
)

func TestMain(m *testing.M) { testmaria.Main(m) }

// newTarget opens a target on dsn; opts.Name defaults to "replica".
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
	rows, err := db.QueryContext(sinktest.Ctx(t), q)
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
	sinktest.WantRows(t, q, query(t, dsn, q), want...)
}

// Shapes of the tests' source tables.
var (
	intType  = event.Type{Kind: event.KindInt32, SourceType: "int"}
	textType = event.Type{Kind: event.KindString, SourceType: "varchar(100)"}
)

// sourceAt is the source position of the change at offset n of a feed.
func sourceAt(n int64) event.Source {
	return event.Source{Connector: "mysql", File: "binlog.000001", Pos: 1000 + n}
}

// newFeed is a feed of topic src.shop.t, partition 0.
func newFeed() *sinktest.Feed {
	return &sinktest.Feed{TP: sinks.TopicPartition{Topic: "src.shop.t", Partition: 0}, Source: sourceAt}
}
