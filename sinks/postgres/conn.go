package postgres

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// pool is a small pgx connection pool (sqlapply.DB): idle connections are reused, and a
// new one is dialed when none is idle. Concurrency is bounded by the callers (the sink's
// parallelism), so the pool has no limit of its own.
type pool struct {
	cfg *pgx.ConnConfig

	mu     sync.Mutex
	idle   []*pgx.Conn
	closed bool
}

var errClosed = errors.New("postgres sink is closed")

func (p *pool) get(ctx context.Context) (*pgx.Conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	return pgx.ConnectConfig(ctx, p.cfg)
}

// put returns a connection; broken ones, and ones left inside a transaction, are closed.
func (p *pool) put(c *pgx.Conn) {
	p.mu.Lock()
	if !p.closed && !c.IsClosed() && c.PgConn().TxStatus() == 'I' {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	_ = c.Close(context.Background())
}

func (p *pool) Close() error {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	var errs []error
	for _, c := range idle {
		errs = append(errs, c.Close(context.Background()))
	}
	return errors.Join(errs...)
}

func (p *pool) Exec(ctx context.Context, query string, args ...any) error {
	c, err := p.get(ctx)
	if err != nil {
		return err
	}
	defer p.put(c)
	_, err = c.Exec(ctx, query, args...)
	return err
}

func (p *pool) Query(ctx context.Context, query string, args ...any) (sqlapply.Rows, error) {
	c, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		p.put(c)
		return nil, err
	}
	return &poolRows{Rows: rows, release: func() { p.put(c) }}, nil
}

func (p *pool) Begin(ctx context.Context) (sqlapply.Tx, error) {
	c, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		p.put(c)
		return nil, err
	}
	return &poolTx{tx: tx, release: func() { p.put(c) }}, nil
}

// poolRows gives the connection back when closed.
type poolRows struct {
	pgx.Rows
	release func()
}

func (r *poolRows) Close() {
	r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
}

// poolTx gives the connection back when it ends.
type poolTx struct {
	tx      pgx.Tx
	release func()
}

func (t *poolTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.Exec(ctx, query, args...)
	return err
}

func (t *poolTx) Query(ctx context.Context, query string, args ...any) (sqlapply.Rows, error) {
	return t.tx.Query(ctx, query, args...)
}

func (t *poolTx) Commit(ctx context.Context) error {
	defer t.done()
	return t.tx.Commit(ctx)
}

func (t *poolTx) Rollback(ctx context.Context) error {
	defer t.done()
	return t.tx.Rollback(ctx)
}

func (t *poolTx) done() {
	if t.release != nil {
		t.release()
		t.release = nil
	}
}
