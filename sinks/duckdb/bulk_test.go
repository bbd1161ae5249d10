package duckdb

import (
	"errors"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// TestBulkInsert loads rows through the query appender inside a transaction: typed
// columns, a column of nulls, text cast to the target's types, an upsert clause, and
// a rollback that leaves nothing; values it cannot stage are refused with ErrNoBulk
// before anything is written.
func TestBulkInsert(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, newPath(t), sinks.Options{}, false)
	exec(t, tg, `CREATE TABLE b (id BIGINT PRIMARY KEY, n INTEGER, d DECIMAL(12,2), ts TIMESTAMPTZ, t_at TIMESTAMPTZ, raw BLOB, note VARCHAR, tags VARCHAR[])`)
	db := newBulkDB(tg.file.db, &tg.file.writes)
	ctx := sinktest.Ctx(t)
	at := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	insert := func(commit bool, suffix string, rows ...[]any) error {
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bt := tx.(sqlapply.BulkTx)
		err = bt.InsertRows(ctx, "b", []string{"id", "n", "d", "ts", "t_at", "raw", "note", "tags"}, rows, suffix)
		if err != nil || !commit {
			if rerr := tx.Rollback(ctx); rerr != nil {
				t.Fatal(rerr)
			}
			return err
		}
		return tx.Commit(ctx)
	}
	if err := insert(true, "",
		[]any{int64(1), int32(7), "12.34", "2024-07-01 12:00:00+00", at, []byte{0, 1}, nil, "[a, b]"},
		[]any{int64(2), nil, nil, nil, nil, nil, nil, nil},
		[]any{int64(3), int32(-1), "-0.01", "2024-07-01 14:30:00+02", at.Add(time.Hour), []byte{}, nil, "[]"}); err != nil {
		t.Fatal(err)
	}
	if err := insert(false, "", []any{int64(4), int32(4), nil, nil, nil, nil, nil, nil}, []any{int64(5), int32(5), nil, nil, nil, nil, nil, nil}); err != nil {
		t.Fatal(err)
	}
	if err := insert(true, " ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note",
		[]any{int64(3), int32(0), nil, nil, nil, nil, "updated", nil}, []any{int64(6), int32(6), nil, nil, nil, nil, "new", nil}); err != nil {
		t.Fatal(err)
	}
	// A column of two Go types, and a type the appender does not take.
	for _, rows := range [][][]any{
		{{int64(7), int32(1), nil, nil, nil, nil, nil, nil}, {int64(8), int64(1), nil, nil, nil, nil, nil, nil}},
		{{int64(7), int32(1), nil, nil, nil, nil, struct{}{}, nil}, {int64(8), int32(1), nil, nil, nil, nil, nil, nil}},
	} {
		if err := insert(true, "", rows...); !errors.Is(err, sqlapply.ErrNoBulk) {
			t.Errorf("InsertRows of %v: %v, want ErrNoBulk", rows, err)
		}
	}
	wantRows(t, tg, `SELECT id, coalesce(n::text, '-'), coalesce(d::text, '-'), coalesce(epoch(ts)::bigint::text, '-'), coalesce(epoch(t_at)::bigint::text, '-'),
		coalesce(hex(raw), '-'), coalesce(note, '-'), coalesce(tags::text, '-') FROM b ORDER BY id`,
		"1|7|12.34|1719835200|1719835200|0001|-|[a, b]",
		"2|-|-|-|-|-|-|-",
		"3|-1|-0.01|1719837000|1719838800||updated|[]",
		"6|6|-|-|-|-|new|-")
}
