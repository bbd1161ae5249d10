package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// bulkDB is the file's pool as sqlapply.DB. Its transactions run on one connection of
// their own, so that they can load rows through DuckDB's query appender (bulkTx): a
// batch's upserts become one columnar load and one INSERT ... SELECT, not hundreds of
// multi-row statements whose parameters DuckDB binds one by one.
//
// The transactions of every sink on the file run one at a time (writes): DuckDB writes
// a file from one process with optimistic concurrency, so concurrent transactions on a
// table only conflict and retry, and concurrent appender loads, DDL and commits on one
// table crashed DuckDB (duckdb-go-bindings v0.10506.0: SIGSEGV in COMMIT) under the race
// detector.
type bulkDB struct {
	sqlapply.DB
	pool   *sql.DB
	writes *sync.Mutex
}

func newBulkDB(pool *sql.DB, writes *sync.Mutex) bulkDB {
	return bulkDB{DB: sqlapply.SQLDB(pool), pool: pool, writes: writes}
}

func (d bulkDB) Begin(ctx context.Context) (sqlapply.Tx, error) {
	d.writes.Lock()
	c, err := d.pool.Conn(ctx)
	if err != nil {
		d.writes.Unlock()
		return nil, err
	}
	if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		discard(c)
		d.writes.Unlock()
		return nil, err
	}
	return &bulkTx{c: c, writes: d.writes}, nil
}

// bulkTx is a transaction begun with BEGIN on a connection it holds until it ends, with
// the file's write turn.
type bulkTx struct {
	c      *sql.Conn
	writes *sync.Mutex
	ended  bool
}

// end gives the connection back (or discards it) and the write turn, once.
func (t *bulkTx) end(bad bool) {
	if t.ended {
		return
	}
	t.ended = true
	if bad {
		discard(t.c)
	} else {
		_ = t.c.Close()
	}
	t.writes.Unlock()
}

var _ sqlapply.BulkTx = (*bulkTx)(nil)

func (t *bulkTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.c.ExecContext(ctx, query, args...)
	return err
}

func (t *bulkTx) Query(ctx context.Context, query string, args ...any) (sqlapply.Rows, error) {
	rows, err := t.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlapply.SQLRows(rows), nil
}

// Commit commits; a commit DuckDB refuses (a conflict) has rolled the transaction back.
// Whatever state a failed commit left, the connection does not go back to the pool.
func (t *bulkTx) Commit(ctx context.Context) error {
	if t.ended {
		return sql.ErrTxDone
	}
	_, err := t.c.ExecContext(ctx, "COMMIT")
	t.end(err != nil)
	return err
}

func (t *bulkTx) Rollback(ctx context.Context) error {
	if t.ended {
		return sql.ErrTxDone
	}
	_, err := t.c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	t.end(err != nil)
	return err
}

// discard closes c and keeps the pool from reusing its connection.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

// stageTable names the appended rows in the load's query.
const stageTable = "dovetail_rows"

// InsertRows loads rows through a query appender whose query inserts them into table.
// Every column's values must be of one Go type the appender takes (see appendType),
// or nil; otherwise it returns sqlapply.ErrNoBulk.
func (t *bulkTx) InsertRows(ctx context.Context, table string, cols []string, rows [][]any, suffix string) error {
	types := make([]duckdb.TypeInfo, len(cols))
	stage := make([]string, len(cols))
	for j := range cols {
		stage[j] = "c" + strconv.Itoa(j+1)
		var kind any
		for _, row := range rows {
			v := row[j]
			if v == nil {
				continue
			}
			if kind == nil {
				kind = v
				continue
			}
			if reflect.TypeOf(v) != reflect.TypeOf(kind) {
				return sqlapply.ErrNoBulk
			}
		}
		ti, err := appendType(kind)
		if err != nil {
			return err
		}
		types[j] = ti
	}
	query := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") SELECT " +
		strings.Join(stage, ", ") + " FROM " + stageTable + suffix
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.c.Raw(func(dc any) error {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return sqlapply.ErrNoBulk
		}
		a, err := duckdb.NewQueryAppender(conn, query, stageTable, types, stage)
		if err != nil {
			return fmt.Errorf("query appender: %w", err)
		}
		vals := make([]driver.Value, len(cols))
		for _, row := range rows {
			for j, v := range row {
				vals[j] = v
			}
			if err := a.AppendRow(vals...); err != nil {
				_ = a.Close()
				return fmt.Errorf("append row: %w", err)
			}
		}
		return a.Close()
	})
}

// appendType is the staged column's type for values like v (nil: a column of nulls). The
// INSERT casts staged values to the target column's type as it casts parameters: the
// converters send decimals, dates, times, JSON, lists and the like as text.
func appendType(v any) (duckdb.TypeInfo, error) {
	var t duckdb.Type
	switch v.(type) {
	case nil, string:
		t = duckdb.TYPE_VARCHAR
	case bool:
		t = duckdb.TYPE_BOOLEAN
	case int8:
		t = duckdb.TYPE_TINYINT
	case int16:
		t = duckdb.TYPE_SMALLINT
	case int32:
		t = duckdb.TYPE_INTEGER
	case int64, int:
		t = duckdb.TYPE_BIGINT
	case uint8:
		t = duckdb.TYPE_UTINYINT
	case uint16:
		t = duckdb.TYPE_USMALLINT
	case uint32:
		t = duckdb.TYPE_UINTEGER
	case uint64:
		t = duckdb.TYPE_UBIGINT
	case float32:
		t = duckdb.TYPE_FLOAT
	case float64:
		t = duckdb.TYPE_DOUBLE
	case []byte:
		t = duckdb.TYPE_BLOB
	case time.Time:
		t = duckdb.TYPE_TIMESTAMP_TZ
	default:
		return nil, sqlapply.ErrNoBulk
	}
	ti, err := duckdb.NewTypeInfo(t)
	if err != nil {
		return nil, errors.Join(sqlapply.ErrNoBulk, err)
	}
	return ti, nil
}
