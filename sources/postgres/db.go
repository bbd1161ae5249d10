package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
)

// metaDB is the source's one normal (non-replication) connection, for catalog queries
// and heartbeats. It connects lazily and again after the connection broke.
type metaDB struct {
	cfg  *pgx.ConnConfig
	mu   sync.Mutex
	conn *pgx.Conn
}

// do runs fn on the connection, serialised with other callers.
func (m *metaDB) do(ctx context.Context, fn func(*pgx.Conn) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn == nil || m.conn.IsClosed() {
		c, err := pgx.ConnectConfig(ctx, m.cfg)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", m.cfg.Database, redactErr(err))
		}
		m.conn = c
	}
	err := fn(m.conn)
	if err != nil && m.conn.IsClosed() {
		m.conn = nil
	}
	return err
}

func (m *metaDB) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn != nil {
		_ = m.conn.Close(context.Background())
		m.conn = nil
	}
}
