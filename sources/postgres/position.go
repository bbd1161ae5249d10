package postgres

import (
	"fmt"

	"github.com/jackc/pglogrepl"
)

// LSN is a Postgres WAL position; it is the event.Position this source hands out:
// commits at their transaction's end LSN, heartbeats at their message's LSN.
type LSN uint64

// String formats the LSN as Postgres does ("16/B374D848").
func (l LSN) String() string { return pglogrepl.LSN(l).String() }

// ParseLSN parses Postgres' "X/Y" form.
func ParseLSN(s string) (LSN, error) {
	l, err := pglogrepl.ParseLSN(s)
	if err != nil {
		return 0, fmt.Errorf("parse lsn %q: %w", s, err)
	}
	return LSN(l), nil
}
