package mysql

import (
	"fmt"
	"strconv"
	"strings"
)

// Position is a binlog position between two transactions; it is the event.Position this
// source hands out (Handler.Commit after each transaction with captured changes,
// Handler.Heartbeat while the captured tables are idle) and takes back (Ack,
// Config.Start).
//
// GTID is the set of transactions executed up to the position: MariaDB's
// gtid_binlog_pos form ("0-1-42,1-2-7") or MySQL's gtid_executed form
// ("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"); empty when the server has no GTIDs
// (MySQL with gtid_mode=OFF). File and Pos are the binlog coordinates of the same point
// (the next event's offset). A resume uses GTID when it is set, else File and Pos.
//
// Skip makes a position point inside a transaction: GTID, File and Pos are then the
// point before the transaction, and Skip counts the changes of it already handed over
// (rows of its rows events, in order). A resume re-reads the transaction and hands over
// only the changes after the first Skip, so a restart in the middle of a large
// transaction repeats nothing that was acknowledged (Debezium's event and row offsets).
// The source hands such positions to Handler.Commit every CheckpointEvery changes of a
// large transaction.
type Position struct {
	GTID string
	File string
	Pos  uint32
	Skip int64
}

// String is the text form, "gtid=0-1-42 file=mysql-bin.000003 pos=1234 skip=5000" (parts
// that are empty or zero are left out); ParsePosition reads it back.
func (p Position) String() string {
	var b strings.Builder
	if p.GTID != "" {
		b.WriteString("gtid=")
		b.WriteString(p.GTID)
	}
	if p.File != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("file=")
		b.WriteString(p.File)
		b.WriteString(" pos=")
		b.WriteString(strconv.FormatUint(uint64(p.Pos), 10))
	}
	if p.Skip > 0 {
		b.WriteString(" skip=")
		b.WriteString(strconv.FormatInt(p.Skip, 10))
	}
	return b.String()
}

// MarshalText returns String's form.
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses String's form.
func (p *Position) UnmarshalText(b []byte) error {
	q, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// ParsePosition parses String's form.
func ParsePosition(s string) (Position, error) {
	var p Position
	var havePos bool
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return Position{}, fmt.Errorf("parse binlog position %q: %q is not key=value", s, f)
		}
		switch k {
		case "gtid":
			p.GTID = v
		case "file":
			p.File = v
		case "pos":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return Position{}, fmt.Errorf("parse binlog position %q: pos: %w", s, err)
			}
			p.Pos, havePos = uint32(n), true
		case "skip":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return Position{}, fmt.Errorf("parse binlog position %q: skip: not a count of changes", s)
			}
			p.Skip = n
		default:
			return Position{}, fmt.Errorf("parse binlog position %q: unknown key %q", s, k)
		}
	}
	if p.GTID == "" && p.File == "" {
		return Position{}, fmt.Errorf("parse binlog position %q: neither gtid nor file", s)
	}
	if (p.File != "") != havePos {
		return Position{}, fmt.Errorf("parse binlog position %q: file and pos go together", s)
	}
	return p, nil
}
