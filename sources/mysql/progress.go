package mysql

import (
	"context"
	"fmt"
)

// Mark returns the server's current binlog position, as text: once the pipeline has
// stored a position at or past it (Reached), every transaction committed before Mark
// was called is in Kafka.
func (s *Source) Mark(ctx context.Context) (string, error) {
	c, err := connect(ctx, s.conn)
	if err != nil {
		return "", err
	}
	defer c.Close()
	info, err := queryServer(c, s.cfg.Flavor)
	if err != nil {
		return "", err
	}
	p, err := currentPosition(c, info)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// Reached reports whether stored, the pipeline's stored position (Position's text), is
// at or past mark (a Mark). No stored position has reached nothing.
func (s *Source) Reached(_ context.Context, mark string, stored []byte) (bool, error) {
	if len(stored) == 0 {
		return false, nil
	}
	want, err := ParsePosition(mark)
	if err != nil {
		return false, err
	}
	have, err := ParsePosition(string(stored))
	if err != nil {
		return false, fmt.Errorf("stored position: %w", err)
	}
	// A position inside a transaction (Skip) has passed everything before it.
	return covers(have, want, s.cfg.Flavor)
}
