package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Mark returns the server's current WAL position, as text: once the slot has confirmed
// it (Reached), every change committed before Mark was called is in Kafka.
func (s *Source) Mark(ctx context.Context) (string, error) {
	conn, err := s.metaConn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var lsn string
	if err := conn.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		return "", fmt.Errorf("read the current WAL position: %w", redactErr(err))
	}
	return lsn, nil
}

// Reached reports whether the slot's confirmed flush position is at or past mark (a
// Mark). The stored position is the slot's own: stored is not used.
func (s *Source) Reached(ctx context.Context, mark string, _ []byte) (bool, error) {
	want, err := ParseLSN(mark)
	if err != nil {
		return false, err
	}
	conn, err := s.metaConn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	var confirmed *string
	err = conn.QueryRow(ctx, `SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1`, s.cfg.Slot).Scan(&confirmed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("%w: slot %s does not exist: has the pipeline run?", ErrSlot, s.cfg.Slot)
	}
	if err != nil {
		return false, fmt.Errorf("read slot %s: %w", s.cfg.Slot, redactErr(err))
	}
	if confirmed == nil {
		return false, nil
	}
	have, err := ParseLSN(*confirmed)
	if err != nil {
		return false, err
	}
	return have >= want, nil
}

func (s *Source) metaConn(ctx context.Context) (*pgx.Conn, error) {
	ccfg, err := pgx.ParseConfig(s.cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("dsn: %w", redactErr(err))
	}
	conn, err := pgx.ConnectConfig(ctx, ccfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database %s on %s: %w", ccfg.Database, ccfg.Host, redactErr(err))
	}
	return conn, nil
}
