package snapshot

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/tablepattern"
)

// Streamer is the streaming source Capture hands over to after a snapshot. A Streamer
// that implements Resume([]byte) error is told where to start (the MySQL binlog);
// others keep their position on the server (a Postgres slot).
type Streamer interface {
	Run(ctx context.Context, h event.Handler) error
	Ack(pos event.Position)
}

type resumer interface {
	Resume(text []byte) error
}

// Config tunes a Capture.
type Config struct {
	Mode Mode // default Initial
	// Readers is how many chunks are read at once (default 1).
	Readers int
	// ChunkRows is about how many rows a chunk holds (default 50000).
	ChunkRows int
	// Tables restricts a new snapshot to these "namespace.table" patterns; empty: every
	// captured table.
	Tables []string
	// Only makes Run return after the snapshot phase instead of streaming (the
	// `dovetail snapshot` command); a snapshot is taken in every mode, Never included,
	// when no position is stored.
	Only bool
	// ProgressEvery is how often progress is logged while a snapshot runs (default 10s).
	ProgressEvery time.Duration
	// Signal is the signal table ("namespace.table", Debezium's signalling table with
	// columns id, type, data): inserting an execute-snapshot row into it starts an
	// incremental snapshot of the tables it names. Empty: no incremental snapshots. The
	// Streamer must capture the table; its changes are not handed over.
	Signal string
	// Terminal, when set, shows a progress bar per table (and a total) there, redrawn
	// twice a second, instead of the periodic progress log lines.
	Terminal io.Writer
	Logger   *slog.Logger
}

// Capture is a source that snapshots when its Config says so, then streams. It
// implements the pipeline's Source (Run, Ack) and Resumer (Resume): the positions it
// hands over are the Streamer's, or while snapshotting the snapshot's progress, whose
// text starts with "snapshot ".
type Capture struct {
	cfg    Config
	engine Engine
	stream Streamer
	stored []byte
	// inc is the stored progress of an incremental snapshot, or nil.
	inc *incState
	log *slog.Logger

	stats stats
}

// New returns a Capture of engine's database that streams with stream.
func New(engine Engine, stream Streamer, cfg Config) *Capture {
	if cfg.Mode == "" {
		cfg.Mode = Initial
	}
	cfg.Readers = max(cfg.Readers, 1)
	if cfg.ChunkRows <= 0 {
		cfg.ChunkRows = 50000
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Capture{cfg: cfg, engine: engine, stream: stream, log: cfg.Logger}
}

// Streamer returns the streaming source.
func (c *Capture) Streamer() Streamer { return c.stream }

// Resume makes Run continue from a stored position's text: a snapshot's progress, or a
// position of the Streamer. Call it before Run.
func (c *Capture) Resume(text []byte) error {
	if bytes.HasPrefix(text, []byte(progressPrefix)) {
		if _, err := parseProgress(text); err != nil {
			return err
		}
	}
	if bytes.HasPrefix(text, []byte(incrementalPrefix)) {
		stream, st, err := parseIncremental(text)
		if err != nil {
			return err
		}
		text, c.inc = stream, st
	}
	c.stored = bytes.Clone(text)
	return nil
}

const incrementalPrefix = "incremental "

// parseIncremental splits a stored stream position that carries an incremental
// snapshot's progress.
func parseIncremental(text []byte) ([]byte, *incState, error) {
	var v struct {
		Stream string   `json:"stream"`
		State  incState `json:"incremental"`
	}
	if err := json.Unmarshal(text[len(incrementalPrefix):], &v); err != nil {
		return nil, nil, fmt.Errorf("parse the stored incremental snapshot progress: %w", err)
	}
	return []byte(v.Stream), &v.State, nil
}

// Ack passes the Streamer's positions on to it; a snapshot's progress needs no
// acknowledgement at the server (it is stored in Kafka only).
func (c *Capture) Ack(pos event.Position) {
	switch p := pos.(type) {
	case streamPos:
		c.stream.Ack(p.Position)
	case progressPos:
		if p.stored != nil {
			p.stored()
		}
	}
}

// IsProgress reports whether a stored position's text is a snapshot's progress rather
// than a Streamer's position.
func IsProgress(text []byte) bool { return bytes.HasPrefix(text, []byte(progressPrefix)) }

// Run snapshots if needed, then streams to h until ctx is done (or, with Config.Only,
// returns after the snapshot phase).
func (c *Capture) Run(ctx context.Context, h event.Handler) error {
	stream, err := c.prepare(ctx, h)
	if err != nil || ctx.Err() != nil || c.cfg.Only {
		return err
	}
	if r, ok := c.stream.(resumer); ok && stream != nil {
		if err := r.Resume(stream); err != nil {
			return fmt.Errorf("resume streaming at %s: %w", stream, err)
		}
	}
	sig, ok := c.engine.(Signaler)
	if c.cfg.Signal == "" || !ok {
		return c.stream.Run(ctx, &streamHandler{h: h})
	}
	in := &incremental{c: c, sig: sig, table: c.cfg.Signal, log: c.log, kick: make(chan struct{}, 1)}
	if c.inc != nil {
		// Continued when the stream hands over its first event: the Streamer has then
		// set itself up, and engines may share its catalog state.
		in.state = *c.inc
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return in.run(gctx) })
	g.Go(func() error {
		err := c.stream.Run(gctx, &streamHandler{h: h, in: in})
		if err == nil && ctx.Err() == nil {
			return errStreamEnded
		}
		return err
	})
	if err := g.Wait(); err != nil && err != errStreamEnded {
		return err
	}
	return nil
}

// errStreamEnded stops the incremental snapshots when the stream ends by itself.
var errStreamEnded = errors.New("stream ended")

// prepare decides whether to snapshot, snapshots, and returns where streaming starts
// (nil: where the Streamer itself is, or would start).
func (c *Capture) prepare(ctx context.Context, h event.Handler) ([]byte, error) {
	stored := c.stored
	if stored != nil && IsProgress(stored) {
		p, err := parseProgress(stored)
		if err != nil {
			return nil, err
		}
		switch {
		case p.Done:
			stored = []byte(p.Stream)
		case p.Stream == "":
			c.log.Warn("a snapshot was starting when the pipeline stopped: starting it again")
			return c.snapshot(ctx, h, nil)
		default:
			ok, err := c.engine.Resumable(ctx, []byte(p.Stream))
			if err != nil {
				return nil, err
			}
			if ok {
				c.log.Info("continuing the snapshot", "position", p.Stream, "chunks_done", p.chunksDone(), "chunks", p.chunks())
				return c.snapshot(ctx, h, p)
			}
			c.log.Warn("the unfinished snapshot's position is gone from the server: starting the snapshot again", "position", p.Stream)
			return c.snapshot(ctx, h, nil)
		}
	}
	ok, err := c.engine.Resumable(ctx, stored)
	if err != nil {
		return nil, err
	}
	switch {
	case stored == nil && c.cfg.Mode == Never && !c.cfg.Only:
		c.log.Info("snapshot: never; streaming only")
		return nil, nil
	case stored == nil && ok:
		c.log.Info("no stored position, but the server keeps one for this pipeline: streaming from it without a snapshot")
		return nil, nil
	case stored == nil:
		return c.snapshot(ctx, h, nil)
	case ok:
		if c.cfg.Only {
			c.log.Info("a position is stored: the snapshot is done; nothing to do", "position", string(stored))
		}
		return stored, nil
	case c.cfg.Mode == WhenNeeded:
		c.log.Warn("the stored position is gone from the server: snapshotting again (snapshot: when_needed)", "position", string(stored))
		return c.snapshot(ctx, h, nil)
	}
	return nil, fmt.Errorf("%w: %s; set source.snapshot: when_needed to snapshot the tables again, or start a new pipeline", ErrPositionGone, stored)
}

// chunk is one key range of a table.
type chunk struct {
	t      *Table
	tp     *tableProgress
	index  int
	lo, hi Key
	stat   *tableStat
}

// batch is what a reader sends the emitter: rows of one chunk, in key order, and
// whether the chunk ends with them. Readers send rows in batches of up to batchRows so
// that the channel is crossed once per batch rather than once per row.
type batch struct {
	ch   *chunk
	rows [][]any
	end  bool
}

// batchRows is the most rows in a batch, and batchQueue the batches queued for the
// emitter: the rows held in memory are bounded by (readers + batchQueue + 1) ×
// batchRows, whatever the tables' sizes.
const (
	batchRows  = 512
	batchQueue = 4
)

// snapshot copies the tables (continuing p when it is set) and returns the position
// streaming continues from.
func (c *Capture) snapshot(ctx context.Context, h event.Handler, p *progress) ([]byte, error) {
	var stream []byte
	if p != nil {
		stream = []byte(p.Stream)
	}
	started := time.Now()
	if stream == nil {
		// Say that a snapshot starts, and wait until that is stored, before the engine
		// makes a new starting point (a Postgres slot): a crash in between then starts
		// the snapshot again rather than streaming from a point no snapshot ever read.
		stored := make(chan struct{})
		var once sync.Once
		mark := (&progress{}).position()
		mark.stored = func() { once.Do(func() { close(stored) }) }
		if err := h.Commit(ctx, mark); err != nil {
			return nil, err
		}
		select {
		case <-stored:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	view, pos, err := c.engine.Open(ctx, c.cfg.Readers, stream)
	if err != nil {
		return nil, fmt.Errorf("open the snapshot: %w", err)
	}
	defer view.Close()
	if p == nil {
		p = &progress{Stream: string(pos), Tables: map[string]*tableProgress{}}
	}
	all, err := view.Tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the tables to snapshot: %w", err)
	}
	byID := map[string]*Table{}
	for i := range all {
		byID[all[i].Table.ID.String()] = &all[i]
	}
	if p.Order == nil {
		for _, t := range all {
			id := t.Table.ID
			if len(c.cfg.Tables) > 0 && !tablepattern.Included(c.cfg.Tables, nil, id.Namespace(), id.Table, false) {
				continue
			}
			if id.String() == c.cfg.Signal {
				continue // the signal table's rows are not records
			}
			p.Order = append(p.Order, id.String())
		}
	}
	for _, id := range p.Order {
		t := byID[id]
		if t == nil || p.Tables[id] != nil {
			continue
		}
		splits, err := view.Split(ctx, *t, c.cfg.ChunkRows)
		if err != nil {
			return nil, fmt.Errorf("split %s into chunks: %w", id, err)
		}
		p.Tables[id] = &tableProgress{Splits: splits, Done: make([]bool, len(splits)+1)}
	}
	var chunks []*chunk
	c.stats.reset()
	for _, id := range p.Order {
		t, tp := byID[id], p.Tables[id]
		if t == nil {
			c.log.Warn("a table of the snapshot is gone; skipped", "table", id)
			continue
		}
		if tp.Finished {
			continue
		}
		c.stats.estimated.Add(t.Rows)
		ts := &tableStat{id: id, estimated: t.Rows}
		c.stats.tables = append(c.stats.tables, ts)
		for i, done := range tp.Done {
			c.stats.chunksTotal.Add(1)
			if done {
				c.stats.chunksDone.Add(1)
				continue
			}
			var lo, hi Key
			if i > 0 {
				lo = tp.Splits[i-1]
			}
			if i < len(tp.Splits) {
				hi = tp.Splits[i]
			}
			chunks = append(chunks, &chunk{t: t, tp: tp, index: i, lo: lo, hi: hi, stat: ts})
		}
	}
	c.log.Info("snapshot started", "position", p.Stream, "tables", len(p.Order), "chunks", len(chunks),
		"readers", c.cfg.Readers, "estimated_rows", c.stats.estimated.Load())
	c.stats.running.Store(true)
	defer c.stats.running.Store(false)
	// Store the stream position and the plan before any row, so a restart continues
	// this snapshot.
	if err := h.Commit(ctx, p.position()); err != nil {
		return nil, err
	}
	if err := c.copyChunks(ctx, h, view, p, chunks); err != nil {
		return nil, err
	}
	// Done: what is stored from now on is the position streaming continues from.
	if err := h.Commit(ctx, textPos(p.Stream)); err != nil {
		return nil, err
	}
	secs := time.Since(started).Seconds()
	c.log.Info("snapshot done", "rows", c.stats.rows.Load(), "seconds", fmt.Sprintf("%.1f", secs),
		"rows_per_second", int64(float64(c.stats.rows.Load())/max(secs, 0.001)), "position", p.Stream)
	return []byte(p.Stream), nil
}

// copyChunks reads chunks with the view's readers and hands their rows to h in one
// goroutine, committing the progress after each chunk.
func (c *Capture) copyChunks(ctx context.Context, h event.Handler, view View, p *progress, chunks []*chunk) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *chunk)
	batches := make(chan batch, batchQueue)
	// free holds the emptied row slices of batches the emitter is done with, for the
	// readers to fill again.
	free := make(chan [][]any, batchQueue+c.cfg.Readers+1)
	g, gctx := errgroup.WithContext(rctx)
	g.Go(func() error {
		defer close(work)
		for _, ch := range chunks {
			select {
			case work <- ch:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	take := func() [][]any {
		select {
		case rows := <-free:
			return rows
		default:
			return make([][]any, 0, batchRows)
		}
	}
	for r := range c.cfg.Readers {
		g.Go(func() error {
			for ch := range work {
				rows := take()
				send := func(end bool) error {
					select {
					case batches <- batch{ch: ch, rows: rows, end: end}:
					case <-gctx.Done():
						return gctx.Err()
					}
					rows = nil
					if !end {
						rows = take()
					}
					return nil
				}
				err := view.Read(gctx, r, *ch.t, ch.lo, ch.hi, func(row []any) error {
					rows = append(rows, row)
					if len(rows) < batchRows {
						return nil
					}
					return send(false)
				})
				if err != nil {
					if gctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("read %s chunk %d: %w", ch.t.Table.ID, ch.index, err)
				}
				if err := send(true); err != nil {
					return nil
				}
			}
			return nil
		})
	}
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		readErr = g.Wait()
		close(batches)
	}()
	stopLog := c.logProgress(rctx)
	defer stopLog()
	e := newEmitter(h, p, c.log)
	var emitErr error
	for bt := range batches {
		if emitErr != nil {
			continue // drain until the readers stop
		}
		if len(bt.rows) > 0 {
			emitErr = e.rows(ctx, bt.ch, bt.rows)
			c.stats.rows.Add(int64(len(bt.rows)))
			bt.ch.stat.rows.Add(int64(len(bt.rows)))
		}
		if bt.end && emitErr == nil {
			emitErr = e.chunkDone(ctx, bt.ch)
			c.stats.chunksDone.Add(1)
		}
		if emitErr != nil {
			cancel()
		}
		if cap(bt.rows) > 0 {
			clear(bt.rows) // the rows are the handler's now
			select {
			case free <- bt.rows[:0]:
			default:
			}
		}
	}
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	if readErr != nil {
		return readErr
	}
	return ctx.Err()
}

// emitter hands snapshot rows over, each marked as Debezium marks them: "first" for
// the snapshot's first record, "first_in_data_collection" for each other table's first,
// "last_in_data_collection" for a table's last, "last" for the snapshot's last, "true"
// otherwise. It holds back one row per table to know which one is last.
type emitter struct {
	h        event.Handler
	p        *progress
	sentAny  bool
	started  map[string]bool
	held     map[string]*event.Change
	tablesIn int // tables with chunks left
	left     map[string]int
	done     int // chunks done, of this run and before
	log      *slog.Logger
}

func newEmitter(h event.Handler, p *progress, log *slog.Logger) *emitter {
	e := &emitter{h: h, p: p, started: map[string]bool{}, held: map[string]*event.Change{}, left: map[string]int{},
		done: p.chunksDone(), log: log}
	for id, tp := range p.Tables {
		n := 0
		for _, d := range tp.Done {
			if !d {
				n++
			}
		}
		if n > 0 && !tp.Finished {
			e.left[id] = n
			e.tablesIn++
		}
	}
	return e
}

// rows hands over the held row of ch's table and rows (in key order) but the last, which
// it holds back.
func (e *emitter) rows(ctx context.Context, ch *chunk, rows [][]any) error {
	id := ch.t.Table.ID.String()
	held, started := e.held[id], e.started[id]
	var slab []event.Change
	now := time.Now() // the rows of a batch were read within microseconds
	for _, row := range rows {
		if held != nil {
			if held.Source.Snapshot == "" {
				held.Source.Snapshot = "true"
			}
			if err := e.h.Change(ctx, held); err != nil {
				return err
			}
		}
		// Changes are allocated a slab at a time; each is still the handler's own.
		if len(slab) == 0 {
			slab = make([]event.Change, changeSlab)
		}
		held, slab = &slab[0], slab[1:]
		held.Table, held.Op, held.After, held.Source, held.Processed = ch.t.Table, event.OpRead, row, ch.t.Source, now
		switch {
		case !e.sentAny:
			held.Source.Snapshot = "first"
		case !started:
			held.Source.Snapshot = "first_in_data_collection"
		default:
			held.Source.Snapshot = ""
		}
		e.sentAny, started = true, true
	}
	e.held[id], e.started[id] = held, started
	return nil
}

// changeSlab is how many Changes the emitter allocates at once: few enough that a slab
// is a small object (a Change is about 350 bytes), and that one Change a handler keeps
// holds little memory alive.
const changeSlab = 64

func (e *emitter) chunkDone(ctx context.Context, ch *chunk) error {
	id := ch.t.Table.ID.String()
	e.left[id]--
	tableDone := e.left[id] == 0
	if tableDone {
		e.tablesIn--
	}
	if held := e.held[id]; held != nil {
		if held.Source.Snapshot == "" {
			switch {
			case tableDone && e.tablesIn == 0:
				held.Source.Snapshot = "last"
			case tableDone:
				held.Source.Snapshot = "last_in_data_collection"
			default:
				held.Source.Snapshot = "true"
			}
		}
		if err := e.h.Change(ctx, held); err != nil {
			return err
		}
		delete(e.held, id)
	}
	ch.tp.Done[ch.index] = true
	if tableDone {
		ch.stat.done.Store(true)
		ch.tp.Finished, ch.tp.Splits, ch.tp.Done = true, nil, nil
	}
	e.done++
	e.log.Debug("snapshot chunk done", "table", id, "chunk", ch.index, "chunks_done", e.done)
	return e.h.Commit(ctx, e.p.position())
}

// stats count a running snapshot's progress.
type stats struct {
	running                 atomic.Bool
	rows, estimated         atomic.Int64
	chunksDone, chunksTotal atomic.Int64
	// tables is set before the readers start and not changed while they run.
	tables []*tableStat
	// incremental snapshots: chunks and tables done.
	incChunks, incTables atomic.Int64
}

func (s *stats) reset() {
	s.rows.Store(0)
	s.estimated.Store(0)
	s.chunksDone.Store(0)
	s.chunksTotal.Store(0)
	s.tables = nil
}

// Stats is a snapshot's progress.
type Stats struct {
	Running bool
	// Rows were read by this run; EstimatedRows is the catalog's estimate of the rows
	// left to read when it started.
	Rows, EstimatedRows     int64
	ChunksDone, ChunksTotal int64
	// IncrementalChunks and IncrementalTables count the chunks and tables incremental
	// snapshots finished since the process started.
	IncrementalChunks, IncrementalTables int64
}

// Stats returns the progress of the running (or last) snapshot. Safe from any
// goroutine.
func (c *Capture) Stats() Stats {
	return Stats{Running: c.stats.running.Load(), Rows: c.stats.rows.Load(), EstimatedRows: c.stats.estimated.Load(),
		ChunksDone: c.stats.chunksDone.Load(), ChunksTotal: c.stats.chunksTotal.Load(),
		IncrementalChunks: c.stats.incChunks.Load(), IncrementalTables: c.stats.incTables.Load()}
}

// logProgress logs a progress line every ProgressEvery until the returned func is
// called.
func (c *Capture) logProgress(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c.cfg.Terminal != nil {
			term := &terminal{w: c.cfg.Terminal}
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					term.draw(c.stats.tables, &c.stats, time.Now())
					return
				case now := <-t.C:
					term.draw(c.stats.tables, &c.stats, now)
				}
			}
		}
		t := time.NewTicker(c.cfg.ProgressEvery)
		defer t.Stop()
		start, last, lastRows := time.Now(), time.Now(), int64(0)
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s := c.Stats()
				rate := float64(s.Rows-lastRows) / now.Sub(last).Seconds()
				attrs := []any{"rows", s.Rows, "estimated_rows", s.EstimatedRows, "rows_per_second", int64(rate),
					"chunks_done", s.ChunksDone, "chunks", s.ChunksTotal}
				if s.EstimatedRows > 0 && s.Rows > 0 && s.Rows < s.EstimatedRows {
					eta := time.Duration(float64(now.Sub(start)) * float64(s.EstimatedRows-s.Rows) / float64(s.Rows))
					attrs = append(attrs, "eta", eta.Round(time.Second).String())
				}
				c.log.Info("snapshot progress", attrs...)
				last, lastRows = now, s.Rows
			}
		}
	}()
	return func() { cancel(); <-done }
}

// streamHandler passes a Streamer's output on, its positions wrapped so the pipeline
// can store them as text; with incremental snapshots it also reads the signal table's
// changes and reconciles chunks with the stream.
type streamHandler struct {
	h  event.Handler
	in *incremental
}

func (s *streamHandler) Change(ctx context.Context, ch *event.Change) error {
	if s.in != nil {
		s.in.streaming()
		if ch.Table.ID.String() == s.in.table {
			if w := s.in.signal(ch); w != nil {
				err := s.in.flush(ctx, s.h, w)
				close(w.closed)
				return err
			}
			return nil
		}
		s.in.change(ch)
	}
	return s.h.Change(ctx, ch)
}
func (s *streamHandler) Message(ctx context.Context, m *event.Message) error {
	return s.h.Message(ctx, m)
}
func (s *streamHandler) Commit(ctx context.Context, pos event.Position) error {
	return s.h.Commit(ctx, s.position(pos))
}
func (s *streamHandler) Heartbeat(ctx context.Context, ts time.Time, pos event.Position) error {
	return s.h.Heartbeat(ctx, ts, s.position(pos))
}

// position wraps a Streamer's position with the incremental snapshot's progress at it.
func (s *streamHandler) position(pos event.Position) streamPos {
	if s.in == nil {
		return streamPos{Position: pos}
	}
	s.in.streaming()
	return streamPos{Position: pos, inc: s.in.stateText()}
}
func (s *streamHandler) SchemaChange(ctx context.Context, sc *event.SchemaChange) error {
	if sh, ok := s.h.(event.SchemaChangeHandler); ok {
		return sh.SchemaChange(ctx, sc)
	}
	return nil
}

// streamPos is a Streamer's position, written as its own text (MarshalText, else
// String), or with an incremental snapshot in progress as "incremental " and JSON
// {stream, incremental}.
type streamPos struct {
	event.Position
	inc string // incState JSON; "" for none
}

func (p streamPos) MarshalText() ([]byte, error) {
	var text []byte
	if tm, ok := p.Position.(encoding.TextMarshaler); ok {
		var err error
		if text, err = tm.MarshalText(); err != nil {
			return nil, err
		}
	} else {
		text = []byte(p.Position.String())
	}
	if p.inc == "" {
		return text, nil
	}
	b, err := json.Marshal(map[string]any{"stream": string(text), "incremental": json.RawMessage(p.inc)})
	return append([]byte(incrementalPrefix), b...), err
}

const progressPrefix = "snapshot "

// progress is a snapshot's state as stored with the positions: where streaming
// continues, the tables in order, and each table's chunks and which are done.
type progress struct {
	Stream string                    `json:"stream"`
	Done   bool                      `json:"done,omitempty"`
	Order  []string                  `json:"order,omitempty"`
	Tables map[string]*tableProgress `json:"tables,omitempty"`
}

type tableProgress struct {
	Finished bool   `json:"finished,omitempty"`
	Splits   []Key  `json:"splits,omitempty"`
	Done     []bool `json:"done,omitempty"`
}

func parseProgress(text []byte) (*progress, error) {
	var p progress
	if err := json.Unmarshal(text[len(progressPrefix):], &p); err != nil {
		return nil, fmt.Errorf("parse the stored snapshot progress: %w", err)
	}
	if p.Tables == nil {
		p.Tables = map[string]*tableProgress{}
	}
	for id, tp := range p.Tables {
		if !tp.Finished && len(tp.Done) != len(tp.Splits)+1 {
			return nil, fmt.Errorf("parse the stored snapshot progress: table %s has %d chunks and %d done flags", id, len(tp.Splits)+1, len(tp.Done))
		}
	}
	return &p, nil
}

func (p *progress) chunks() (n int) {
	for _, tp := range p.Tables {
		n += len(tp.Done)
	}
	return n
}

func (p *progress) chunksDone() (n int) {
	for _, tp := range p.Tables {
		for _, d := range tp.Done {
			if d {
				n++
			}
		}
	}
	return n
}

// position freezes the progress as a position: its text is taken now.
func (p *progress) position() progressPos {
	b, _ := json.Marshal(p)
	return progressPos{text: progressPrefix + string(b)}
}

// textPos is a Streamer's position as text (where a finished snapshot continues).
type textPos string

func (p textPos) String() string { return string(p) }

// MarshalText returns the position as stored.
func (p textPos) MarshalText() ([]byte, error) { return []byte(p), nil }

// progressPos is a snapshot's progress as a position.
type progressPos struct {
	text string
	// stored, when set, is called once the pipeline stored the position.
	stored func()
}

func (p progressPos) String() string {
	if len(p.text) > 200 {
		return p.text[:200] + "..."
	}
	return p.text
}

// MarshalText returns the progress as stored.
func (p progressPos) MarshalText() ([]byte, error) { return []byte(p.text), nil }

// StoreNow asks the pipeline to store the progress at once rather than throttled, so a
// crash re-sends only the chunks in flight.
func (p progressPos) StoreNow() bool { return true }

// StreamOf returns the Streamer position in a stored position's text: the text itself,
// or a finished snapshot's stream position. ok is false for an unfinished snapshot.
func StreamOf(stored []byte) (stream []byte, ok bool) {
	if bytes.HasPrefix(stored, []byte(incrementalPrefix)) {
		s, _, err := parseIncremental(stored)
		return s, err == nil
	}
	if !IsProgress(stored) {
		return stored, true
	}
	p, err := parseProgress(stored)
	if err != nil || !p.Done {
		return nil, false
	}
	return []byte(p.Stream), true
}
