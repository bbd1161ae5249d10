package snapshot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Signaler is an Engine that can write a row into the signal table (id, type, data),
// Debezium's signalling table: incremental snapshots write their watermarks there.
type Signaler interface {
	Signal(ctx context.Context, table, id, kind, data string) error
}

// The signal types Dovetail reads, as Debezium names them.
const (
	SignalExecuteSnapshot = "execute-snapshot"
	signalWindowOpen      = "snapshot-window-open"
	signalWindowClose     = "snapshot-window-close"
)

// ExecuteSnapshotData is the data of an execute-snapshot signal for tables.
func ExecuteSnapshotData(tables []string) string {
	b, _ := json.Marshal(map[string]any{"data-collections": tables, "type": "incremental"})
	return string(b)
}

// NewSignalID returns a random signal id.
func NewSignalID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// incremental snapshots tables while the stream runs, as Debezium's incremental
// snapshots do (the DBLog algorithm): for each chunk it writes an open watermark to the
// signal table, reads the chunk, writes a close watermark; the stream, when it meets the
// close watermark, hands over the chunk's rows except those whose key changed between
// the two watermarks (the stream has just handed over their newer change). So a row is
// never sent older than a change of it already sent. No locks, no pause of the stream.
//
// Its progress (tables queued, the table in progress, its chunk bounds and next chunk)
// travels with the stream's positions, so a restart continues it at the first chunk
// not yet handed over before the stored position.
type incremental struct {
	c     *Capture
	sig   Signaler
	table string // the signal table, "namespace.table"
	log   *slog.Logger

	kick    chan struct{} // wakes run when work is queued
	started sync.Once     // the stream handed over its first event

	mu    sync.Mutex
	win   *window // the chunk whose watermarks the stream waits for; nil: none
	state incState
}

// incState is an incremental snapshot's progress.
type incState struct {
	Queue   []string `json:"queue,omitempty"` // tables requested, not started
	Table   string   `json:"table,omitempty"` // the table in progress
	Planned bool     `json:"planned,omitempty"`
	Splits  []Key    `json:"splits,omitempty"`
	Next    int      `json:"next,omitempty"` // its first chunk not handed over
}

func (s *incState) empty() bool { return len(s.Queue) == 0 && s.Table == "" }

// stateText returns the progress as JSON, or "" when there is none.
func (in *incremental) stateText() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state.empty() {
		return ""
	}
	b, _ := json.Marshal(in.state)
	return string(b)
}

// streaming is called with each event of the stream: the first one starts the work a
// restart brought back.
func (in *incremental) streaming() { in.started.Do(in.wake) }

func (in *incremental) wake() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

// window is one chunk between its watermarks.
type window struct {
	id    string
	index int // the chunk's index in the table
	// t is the table as planned (the stream goroutine compares its ID); shape is the
	// one the chunk was read with (set with rows, under incremental.mu).
	t, shape Table
	open     bool
	rows     map[string][]any
	order    []string
	// changed holds the keys of t the stream changed while the window was open.
	changed map[string]bool
	closed  chan struct{}
}

func keyOf(t *event.Table, row []any) string {
	var b strings.Builder
	for i, k := range t.Key {
		if i > 0 {
			b.WriteByte(0)
		}
		fmt.Fprintf(&b, "%v", row[k])
	}
	return b.String()
}

// signal handles a change of the signal table in the stream (it is not handed over).
// It returns the window a close watermark closed: its rows are to be handed over now.
func (in *incremental) signal(c *event.Change) *window {
	if c.Op != event.OpCreate || c.After == nil {
		return nil
	}
	get := func(name string) string {
		if i := c.Table.ColumnIndex(name); i >= 0 && c.After[i] != nil {
			return fmt.Sprint(c.After[i])
		}
		return ""
	}
	id, kind, data := get("id"), get("type"), get("data")
	switch kind {
	case SignalExecuteSnapshot:
		var d struct {
			Tables []string `json:"data-collections"`
		}
		if err := json.Unmarshal([]byte(data), &d); err != nil || len(d.Tables) == 0 {
			in.log.Warn("execute-snapshot signal without data-collections ignored", "id", id, "data", data)
			return nil
		}
		in.log.Info("incremental snapshot requested", "id", id, "tables", strings.Join(d.Tables, ","))
		in.mu.Lock()
		in.state.Queue = append(in.state.Queue, d.Tables...)
		in.mu.Unlock()
		in.wake()
	case signalWindowOpen, signalWindowClose:
		in.mu.Lock()
		w := in.win
		in.mu.Unlock()
		if w == nil || !strings.HasPrefix(id, w.id) {
			return nil
		}
		if kind == signalWindowOpen {
			w.open = true
			return nil
		}
		in.mu.Lock()
		in.win = nil
		in.mu.Unlock()
		return w
	}
	return nil
}

// change notes a streamed change of a table whose chunk window is open.
func (in *incremental) change(c *event.Change) {
	in.mu.Lock()
	w := in.win
	in.mu.Unlock()
	if w == nil || !w.open || c.Table.ID != w.t.Table.ID || len(c.Table.Key) == 0 {
		return
	}
	if c.Before != nil {
		w.changed[keyOf(c.Table, c.Before)] = true
	}
	if c.After != nil {
		w.changed[keyOf(c.Table, c.After)] = true
	}
}

// flush hands over the rows of a closed window that the stream did not change, in the
// stream's goroutine (at the close watermark, before its transaction's commit).
func (in *incremental) flush(ctx context.Context, h event.Handler, w *window) error {
	in.mu.Lock()
	if in.state.Table == w.t.Table.ID.String() && in.state.Next == w.index {
		in.state.Next++ // stored with the stream's next position
		if in.state.Next > len(in.state.Splits) {
			in.state.Table, in.state.Planned, in.state.Splits, in.state.Next = "", false, nil, 0
		}
	}
	in.mu.Unlock()
	for _, k := range w.order {
		if w.changed[k] {
			continue
		}
		src := w.shape.Source
		src.Snapshot = "incremental"
		if err := h.Change(ctx, &event.Change{Table: w.shape.Table, Op: event.OpRead, After: w.rows[k], Source: src}); err != nil {
			return err
		}
	}
	return nil
}

// run snapshots the queued tables one chunk at a time until ctx ends. It starts after
// the stream's first event.
func (in *incremental) run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-in.kick:
	}
	for {
		in.mu.Lock()
		if in.state.Table == "" && len(in.state.Queue) > 0 {
			in.state.Table, in.state.Queue = in.state.Queue[0], in.state.Queue[1:]
			in.state.Planned, in.state.Splits, in.state.Next = false, nil, 0
		}
		name := in.state.Table
		in.mu.Unlock()
		if name == "" {
			select {
			case <-ctx.Done():
				return nil
			case <-in.kick:
				continue
			}
		}
		if err := in.snapshotTable(ctx, name); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			in.log.Error("incremental snapshot failed; the table is skipped", "table", name, "err", err)
			in.mu.Lock()
			if in.state.Table == name {
				in.state.Table, in.state.Planned, in.state.Splits, in.state.Next = "", false, nil, 0
			}
			in.mu.Unlock()
		}
	}
}

func (in *incremental) snapshotTable(ctx context.Context, name string) error {
	t, splits, err := in.plan(ctx, name)
	if err != nil {
		return err
	}
	if len(t.Table.Key) == 0 {
		return fmt.Errorf("table %s has no key: incremental snapshots need one to reconcile chunks with the stream", name)
	}
	in.mu.Lock()
	if in.state.Planned {
		splits = in.state.Splits // resumed: the bounds the stored progress counts in
	} else {
		in.state.Planned, in.state.Splits = true, splits
	}
	next := in.state.Next
	in.mu.Unlock()
	if next > 0 {
		in.log.Info("continuing an incremental snapshot", "table", name, "chunk", next, "chunks", len(splits)+1)
	}
	rows := 0
	for i := next; i <= len(splits); i++ {
		var lo, hi Key
		if i > 0 {
			lo = splits[i-1]
		}
		if i < len(splits) {
			hi = splits[i]
		}
		n, err := in.chunk(ctx, t, i, lo, hi)
		if err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		rows += n
		in.c.stats.incChunks.Add(1)
	}
	in.c.stats.incTables.Add(1)
	in.log.Info("incremental snapshot of a table done", "table", name, "chunks", len(splits)+1, "rows_read", rows)
	return nil
}

// plan finds the table and its chunk bounds.
func (in *incremental) plan(ctx context.Context, name string) (Table, []Key, error) {
	view, _, err := in.c.engine.Open(ctx, 1, Now)
	if err != nil {
		return Table{}, nil, err
	}
	defer view.Close()
	tables, err := view.Tables(ctx)
	if err != nil {
		return Table{}, nil, err
	}
	for _, t := range tables {
		if t.Table.ID.String() == name {
			splits, err := view.Split(ctx, t, in.c.cfg.ChunkRows)
			return t, splits, err
		}
	}
	return Table{}, nil, fmt.Errorf("table %s is not captured", name)
}

// chunk reads one chunk between its watermarks and waits until the stream handed it
// over.
func (in *incremental) chunk(ctx context.Context, t Table, index int, lo, hi Key) (int, error) {
	w := &window{id: NewSignalID(), index: index, t: t, rows: map[string][]any{}, changed: map[string]bool{}, closed: make(chan struct{})}
	in.mu.Lock()
	in.win = w
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		if in.win == w {
			in.win = nil
		}
		in.mu.Unlock()
	}()
	if err := in.sig.Signal(ctx, in.table, w.id+"-open", signalWindowOpen, ""); err != nil {
		return 0, fmt.Errorf("write the open watermark: %w", err)
	}
	// A view of now: opened after the open watermark is committed.
	view, _, err := in.c.engine.Open(ctx, 1, Now)
	if err != nil {
		return 0, err
	}
	defer view.Close()
	tables, err := view.Tables(ctx)
	if err != nil {
		return 0, err
	}
	var shape *Table
	for i := range tables {
		if tables[i].Table.ID == t.Table.ID {
			shape = &tables[i] // today's shape
		}
	}
	if shape == nil {
		return 0, fmt.Errorf("table %s is gone", t.Table.ID)
	}
	t = *shape
	var rows map[string][]any
	var order []string
	err = view.Read(ctx, 0, t, lo, hi, func(row []any) error {
		if rows == nil {
			rows = map[string][]any{}
		}
		k := keyOf(t.Table, row)
		if _, dup := rows[k]; !dup {
			order = append(order, k)
		}
		rows[k] = row
		return nil
	})
	if err != nil {
		return 0, err
	}
	in.mu.Lock()
	w.rows, w.order, w.shape = rows, order, t
	in.mu.Unlock()
	if err := in.sig.Signal(ctx, in.table, w.id+"-close", signalWindowClose, ""); err != nil {
		return 0, fmt.Errorf("write the close watermark: %w", err)
	}
	for {
		select {
		case <-w.closed:
			return len(order), nil
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Minute):
			in.log.Warn("the stream has not reached the chunk's close watermark after a minute; is the signal table captured (in the publication, in an included database)?",
				"table", t.Table.ID.String(), "signal_table", in.table, "watermark", w.id+"-close")
		}
	}
}
