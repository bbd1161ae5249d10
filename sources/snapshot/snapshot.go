// Package snapshot copies the rows already in a database's captured tables (op "r"
// records) and hands over to streaming at the point the copy is consistent with. It is
// written once for every engine: a database plugs in through Engine and View (open a
// consistent view and say where streaming continues, list tables, split a table into
// key ranges, read a range), and Capture does the rest: deciding whether to snapshot,
// reading chunks in parallel, marking records as Debezium does, checkpointing per
// chunk so a restart continues where it stopped, and switching to the stream.
//
// It knows nothing of SQL dialects, Kafka or Avro: positions are opaque text, rows are
// event values produced by the engine with its streaming type conversions.
package snapshot

import (
	"context"
	"errors"
	"strconv"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Mode says when Capture snapshots.
type Mode string

// The modes (source.snapshot).
const (
	// Initial snapshots when no position is stored (the first start), then streams.
	Initial Mode = "initial"
	// Never only streams.
	Never Mode = "never"
	// WhenNeeded is Initial, and also snapshots again when the stored position is gone
	// from the server (purged binlog, lost slot) instead of failing.
	WhenNeeded Mode = "when_needed"
)

// ErrPositionGone: the stored position to stream from is no longer on the server.
var ErrPositionGone = errors.New("the stored position is no longer on the server (binlog purged, or replication slot dropped)")

// Now is the stream argument of Engine.Open that asks for views of the current state
// and no position (an incremental snapshot's chunk).
var Now = []byte("now")

// Key is a point of a table's key space: one text value per key column, in a form its
// engine chooses (and reads back). A nil Key is unbounded.
type Key []string

// Table is a captured table as a View sees it.
type Table struct {
	// Table is the shape records of the table carry (the streaming path's shape).
	Table *event.Table
	// Source is the source block of the table's snapshot records (Capture sets its
	// Snapshot field).
	Source event.Source
	// Rows is the catalog's estimate of the table's rows (0: unknown).
	Rows int64
}

// Engine is what a database provides to Capture.
type Engine interface {
	// Resumable reports whether streaming can continue from the stored position text
	// (nil: none stored) without a snapshot: the position is still on the server, or the
	// server keeps one itself (a Postgres slot).
	Resumable(ctx context.Context, stored []byte) (bool, error)
	// Open opens readers consistent views of the captured tables. With stream nil it
	// makes a new starting point (a Postgres slot, a binlog position) and returns its
	// text: streaming from it sees exactly the changes after the views. With stream set
	// (a snapshot resumed after a restart) it opens current views and streaming stays
	// at stream. With stream equal to Now it opens current views for an incremental
	// snapshot's chunk, whose records carry no position.
	Open(ctx context.Context, readers int, stream []byte) (View, []byte, error)
}

// View is a set of readers on consistent views of the database.
type View interface {
	// Tables returns the captured tables.
	Tables(ctx context.Context) ([]Table, error)
	// Split returns the points that split t into ranges of about rows rows each, in key
	// order (none: one range).
	Split(ctx context.Context, t Table, rows int) ([]Key, error)
	// Read hands the rows of t with lo <= key < hi (nil bounds are open) to row, on
	// reader reader (0 <= reader < readers); row's slice is the caller's.
	Read(ctx context.Context, reader int, t Table, lo, hi Key, row func([]any) error) error
	// Close ends the views.
	Close() error
}

// SplitInts returns the points that split integer keys lo..hi, holding about rows rows,
// into ranges of about per rows (equal steps of the key).
func SplitInts(lo, hi, rows int64, per int) []Key {
	n := (rows + int64(per) - 1) / int64(max(per, 1))
	if n <= 1 || hi <= lo {
		return nil
	}
	span := uint64(hi) - uint64(lo) // the distance, even across the whole int64 range
	// step is (span+1)/n, computed without overflowing for the whole int64 range.
	step := span / uint64(n)
	if span%uint64(n)+1 == uint64(n) {
		step++
	}
	step = max(step, 1)
	var out []Key
	for i := uint64(1); i < uint64(n); i++ {
		if i*step > span {
			break
		}
		out = append(out, Key{strconv.FormatInt(int64(uint64(lo)+i*step), 10)})
	}
	return out
}
