package mysql

import (
	"context"
	"time"

	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// conn is the pool as sqlapply uses it, with the arguments go-mysql's driver does not
// take turned into ones it does: time.Time (the offsets' applied_at) as UTC DATETIME text.
type conn struct{ db sqlapply.DB }

func args(in []any) []any {
	for i, a := range in {
		if t, ok := a.(time.Time); ok {
			in[i] = t.UTC().Format("2006-01-02 15:04:05.999999")
		}
	}
	return in
}

func (c conn) Exec(ctx context.Context, query string, a ...any) error {
	return c.db.Exec(ctx, query, args(a)...)
}

func (c conn) Query(ctx context.Context, query string, a ...any) (sqlapply.Rows, error) {
	return c.db.Query(ctx, query, args(a)...)
}

func (c conn) Begin(ctx context.Context) (sqlapply.Tx, error) {
	tx, err := c.db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return txConn{tx}, nil
}

type txConn struct{ sqlapply.Tx }

func (t txConn) Exec(ctx context.Context, query string, a ...any) error {
	return t.Tx.Exec(ctx, query, args(a)...)
}

func (t txConn) Query(ctx context.Context, query string, a ...any) (sqlapply.Rows, error) {
	return t.Tx.Query(ctx, query, args(a)...)
}
