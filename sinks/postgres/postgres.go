package postgres

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// Target is a Postgres follower.
type Target struct {
	*sqlapply.Target
	pool *pool
}

var _ sinks.Target = (*Target)(nil)

// New connects to the Postgres database dsn (a URL or key=value DSN, as libpq takes) and
// creates the offsets table (sqlapply.OffsetsTable, in the first schema of the search
// path) if it is missing. logger may be nil.
func New(ctx context.Context, dsn string, opts sinks.Options, logger *slog.Logger) (*Target, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres sink %s: %w", opts.Name, err)
	}
	p := &pool{cfg: cfg}
	c, err := p.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres sink %s: connect to %s@%s:%d/%s: %w", opts.Name, cfg.User, cfg.Host, cfg.Port, cfg.Database, err)
	}
	p.put(c)
	t, err := sqlapply.New(ctx, p, Dialect{}, opts, logger)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("postgres sink %s: %w", opts.Name, err)
	}
	return &Target{Target: t, pool: p}, nil
}

// Close closes the connections.
func (t *Target) Close() error { return t.pool.Close() }
