package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"golang.org/x/sync/errgroup"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Timing of the replication protocol; variables so tests can shorten them.
var (
	statusInterval = 10 * time.Second       // standby status updates when nothing else happens
	pollInterval   = 200 * time.Millisecond // how soon an Ack reaches the server
	backoffMin     = 200 * time.Millisecond
	backoffMax     = 30 * time.Second
)

// Source streams one database's changes from a logical replication slot. Create it with
// New; Run it once; Ack may be called from any goroutine.
type Source struct {
	cfg Config
	log *slog.Logger

	// acked is the highest LSN the pipeline acknowledged (0: none yet).
	acked atomic.Uint64
	// streaming is set while a replication session streams (see Ready).
	streaming atomic.Bool

	// Set by Run.
	meta          *metaDB
	info          serverInfo
	types         sync.Map // uint32 -> *pgType
	delivered     LSN      // end LSN of the last transaction handed to Handler.Commit
	slotStart     LSN      // the slot's confirmed_flush_lsn when Run started
	everConnected bool     // prepare succeeded once: later connection losses are retried
	// idleEnd is the WAL end of a keepalive received between transactions, and idleNeeds
	// the position that had to be acknowledged for it: once it is, nothing the server sent
	// before idleEnd is unacknowledged, so the slot may confirm idleEnd (needed for the
	// server to shut down, and to release WAL of other databases while ours is idle).
	idleEnd, idleNeeds atomic.Uint64
}

// New checks cfg and returns a Source. It does not connect.
func New(cfg Config) (*Source, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Source{cfg: cfg, log: cfg.Logger.With("slot", cfg.Slot)}, nil
}

// Slot returns the replication slot's name (configured or default).
func (s *Source) Slot() string { return s.cfg.Slot }

// Publication returns the publication's name (configured or default).
func (s *Source) Publication() string { return s.cfg.Publication }

// Ready reports whether a replication session is streaming: true from the moment the
// server accepted START_REPLICATION until that session ends (connection lost, Run
// stopped), false before, between reconnects and after Run. It says nothing about
// whether there is anything to stream, so an idle database is ready. Safe to call from
// any goroutine.
func (s *Source) Ready() bool { return s.streaming.Load() }

// Ack acknowledges that everything up to pos is durable downstream, so the slot may
// release the WAL before it. pos must be a position this source handed out (an LSN).
// Ack never moves backwards and is safe to call from any goroutine; the flush position
// reaches the server with the next standby status update (within pollInterval).
func (s *Source) Ack(pos event.Position) {
	var l LSN
	switch p := pos.(type) {
	case LSN:
		l = p
	case *LSN:
		if p == nil {
			return
		}
		l = *p
	default:
		s.log.Error("ack with a foreign position ignored", "position", fmt.Sprint(pos))
		return
	}
	for {
		cur := s.acked.Load()
		if uint64(l) <= cur || s.acked.CompareAndSwap(cur, uint64(l)) {
			return
		}
	}
}

// Run creates the publication and slot when missing, then streams changes to h until ctx
// is done (it then returns nil) or a fatal error occurs. Lost connections are retried with
// exponential backoff, resuming after the last transaction handed to h. Fatal errors
// (authentication, privileges, wal_level, missing tables, undecodable values, errors of h)
// are returned at once.
func (s *Source) Run(ctx context.Context, h event.Handler) error {
	ccfg, err := pgx.ParseConfig(s.cfg.DSN)
	if err != nil {
		return fmt.Errorf("postgres source: dsn: %w", redactErr(err))
	}
	setSessionParams(ccfg.RuntimeParams)
	s.meta = &metaDB{cfg: ccfg}
	defer s.meta.close()

	for backoff := backoffMin; ; backoff = min(backoff*2, backoffMax) {
		err := s.prepare(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			s.everConnected = true
			break
		}
		// A database that cannot be reached at the first start is a config problem
		// (wrong host or port) more often than an outage: say so at once, as Debezium
		// does. Later losses of the connection are retried.
		var ce *pgconn.ConnectError
		if isFatal(err) || errors.Is(err, ErrWalLevel) || errors.Is(err, ErrMissingTable) || errors.Is(err, ErrSlot) ||
			(errors.As(err, &ce) && !s.everConnected) {
			return fmt.Errorf("postgres source %s: %w", s.cfg.Name, err)
		}
		s.log.Warn("cannot prepare the source; retrying", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	if s.cfg.HeartbeatInterval > 0 {
		g.Go(func() error { s.heartbeats(gctx); return nil })
	}
	g.Go(func() error { return s.stream(gctx, h) })
	err = g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("postgres source %s: %w", s.cfg.Name, err)
	}
	return nil
}

// setSessionParams fixes the settings that shape pgoutput's text values, whatever the
// server, database or role defaults are.
func setSessionParams(p map[string]string) {
	p["TimeZone"] = "UTC"
	p["DateStyle"] = "ISO, MDY"
	p["IntervalStyle"] = "postgres"
	p["extra_float_digits"] = "3"
	p["bytea_output"] = "hex"
	p["lc_monetary"] = "C"
	p["application_name"] = "dovetail"
}

// prepare checks the server, syncs the publication and makes sure the slot exists.
func (s *Source) prepare(ctx context.Context) error {
	return s.meta.do(ctx, func(c *pgx.Conn) error {
		info, err := queryServer(ctx, c)
		if err != nil {
			return err
		}
		s.info = info
		if info.walLevel != "logical" {
			return fmt.Errorf("%w (it is %s): ALTER SYSTEM SET wal_level = logical; then restart Postgres", ErrWalLevel, info.walLevel)
		}
		all, err := listTables(ctx, c, s.cfg.Publication)
		if err != nil {
			return err
		}
		tables, missing := s.cfg.resolveTables(all)
		if len(missing) > 0 {
			return fmt.Errorf("%w: %s", ErrMissingTable, strings.Join(missing, ", "))
		}
		for _, t := range tables {
			if !t.hasPK && t.replIdent != 'f' && t.replIdent != 'i' {
				s.log.Warn("table has no primary key and no REPLICA IDENTITY FULL: Postgres rejects its UPDATEs and DELETEs while it is published",
					"table", t.String(), "fix", "ALTER TABLE "+t.quoted()+" REPLICA IDENTITY FULL;")
			}
		}
		if err := syncPublication(ctx, c, s.cfg.Publication, tables); err != nil {
			return err
		}
		start, err := ensureSlot(ctx, c, s.cfg.Slot, info.database)
		if err != nil {
			return err
		}
		s.slotStart = start
		s.log.Info("postgres source ready", "tables", len(tables), "lsn", start.String())
		return nil
	})
}

// heartbeats writes a heartbeat message every HeartbeatInterval until ctx is done. The
// message carries the slot name, so other pipelines' heartbeats are told apart, and the
// server's clock in microseconds.
func (s *Source) heartbeats(ctx context.Context) {
	t := time.NewTicker(s.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.meta.do(ctx, func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, `SELECT pg_logical_emit_message(false, $1,
				$2 || ' ' || (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text)`,
				HeartbeatPrefix, s.cfg.Slot)
			return err
		})
		if err != nil && ctx.Err() == nil {
			s.log.Warn("heartbeat failed", "err", err)
		}
	}
}

// stream runs replication sessions until ctx is done or one fails fatally.
func (s *Source) stream(ctx context.Context, h event.Handler) error {
	backoff := backoffMin
	for {
		started := time.Now()
		err := s.session(ctx, h)
		if ctx.Err() != nil {
			return nil
		}
		if isFatal(err) {
			return err
		}
		if time.Since(started) > backoffMax {
			backoff = backoffMin
		}
		s.log.Warn("replication connection lost; reconnecting", "err", err, "backoff", backoff,
			"lsn", s.resumeLSN().String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, backoffMax)
	}
}

// fatalError marks errors that retrying cannot fix.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func fatal(err error) error { return &fatalError{err} }

// isFatal reports whether err ends Run rather than causing a reconnect.
func isFatal(err error) bool {
	var f *fatalError
	if errors.As(err, &f) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "28"), // invalid authorization
			pe.Code == "42501", // insufficient privilege
			pe.Code == "42704", // undefined object (slot, publication)
			pe.Code == "3D000", // database does not exist
			pe.Code == "55000": // object not in prerequisite state (wal_level)
			return true
		}
	}
	return false
}

// resumeLSN is where a new session starts: after everything acknowledged or handed over.
func (s *Source) resumeLSN() LSN {
	return max(LSN(s.acked.Load()), s.delivered, s.slotStart)
}

// flushLSN is the flush position reported to the server: only what was acknowledged
// (or what the slot had already confirmed, or an idle WAL end past everything acknowledged).
func (s *Source) flushLSN() LSN {
	acked := LSN(s.acked.Load())
	f := max(acked, s.slotStart)
	if end := LSN(s.idleEnd.Load()); end > f && acked >= LSN(s.idleNeeds.Load()) {
		f = end
	}
	return f
}

// session is one replication connection's life.
func (s *Source) session(ctx context.Context, h event.Handler) error {
	rcfg, err := pgconn.ParseConfig(s.cfg.DSN)
	if err != nil {
		return fatal(fmt.Errorf("dsn: %w", redactErr(err)))
	}
	rcfg.RuntimeParams["replication"] = "database"
	setSessionParams(rcfg.RuntimeParams)
	conn, err := pgconn.ConnectConfig(ctx, rcfg)
	if err != nil {
		return fmt.Errorf("replication connection: %w", redactErr(err))
	}
	defer conn.Close(context.Background())

	start := s.resumeLSN()
	proto := "1"
	if s.info.version >= 140000 {
		proto = "2"
	}
	args := []string{
		"proto_version '" + proto + "'",
		"publication_names '" + strings.ReplaceAll(s.cfg.Publication, "'", "''") + "'",
		"messages 'true'",
	}
	if err := pglogrepl.StartReplication(ctx, conn, s.cfg.Slot, pglogrepl.LSN(start),
		pglogrepl.StartReplicationOptions{PluginArgs: args}); err != nil {
		return fmt.Errorf("start replication on slot %s at %s: %w", s.cfg.Slot, start, err)
	}
	s.streaming.Store(true)
	defer s.streaming.Store(false)
	s.log.Info("streaming", "lsn", start.String())

	// Receiving uses no context: pgconn would watch one per call (an AfterFunc and a
	// channel per message). The wait is bounded by read deadlines on the connection
	// instead: one per poll window, which ends in a timeout that leaves the connection
	// usable (pgconn's context handling uses the same deadlines), and one in the past
	// when ctx is cancelled.
	nc := conn.Conn()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	d := &decoder{src: s, h: h, rels: map[uint32]*relation{}}
	var sentFlush LSN
	nextStatus := time.Now().Add(statusInterval)
	statusDue, windowOpen := false, false
	for {
		if !windowOpen {
			now := time.Now()
			statusDue = statusDue || now.After(nextStatus)
			if err := nc.SetReadDeadline(now.Add(pollInterval)); err != nil {
				return fmt.Errorf("receive from slot %s: set read deadline: %w", s.cfg.Slot, err)
			}
			windowOpen = true
		}
		if flush := s.flushLSN(); flush != sentFlush || statusDue {
			if err := sendStatus(ctx, conn, flush); err != nil {
				return err
			}
			sentFlush, statusDue = flush, false
			nextStatus = time.Now().Add(statusInterval)
		}
		raw, err := conn.ReceiveMessage(context.Background())
		if err != nil {
			if pgconn.Timeout(err) && ctx.Err() == nil && !conn.IsClosed() {
				windowOpen = false
				continue
			}
			if ctx.Err() != nil && !conn.IsClosed() {
				// Stopping: the pipeline acknowledged what it drained before it cancelled
				// ctx, so tell the server now rather than leave it to the next start.
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				if err := sendStatus(sctx, conn, s.flushLSN()); err != nil {
					s.log.Warn("last standby status not sent", "err", err)
				}
				cancel()
				return nil
			}
			return fmt.Errorf("receive from slot %s: %w", s.cfg.Slot, err)
		}
		switch msg := raw.(type) {
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("replication on slot %s: %w", s.cfg.Slot, pgconn.ErrorResponseToPgError(msg))
		case *pgproto3.CopyData:
			// msg.Data is the connection's read buffer, valid until the next receive.
			if len(msg.Data) == 0 {
				continue
			}
			switch msg.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(msg.Data[1:])
				if err != nil {
					return fmt.Errorf("parse keepalive: %w", err)
				}
				if !d.inTx {
					s.idleNeeds.Store(uint64(s.delivered))
					s.idleEnd.Store(uint64(ka.ServerWALEnd))
				}
				if ka.ReplyRequested {
					statusDue = true
				}
			case pglogrepl.XLogDataByteID:
				xld, err := pglogrepl.ParseXLogData(msg.Data[1:])
				if err != nil {
					return fmt.Errorf("parse xlogdata: %w", err)
				}
				if err := d.handle(ctx, xld); err != nil {
					return err
				}
			}
		default:
			// CopyDone, notices: nothing to do.
		}
	}
}

func sendStatus(ctx context.Context, conn *pgconn.PgConn, flush LSN) error {
	l := pglogrepl.LSN(flush)
	err := pglogrepl.SendStandbyStatusUpdate(ctx, conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: l, WALFlushPosition: l, WALApplyPosition: l})
	if err != nil {
		return fmt.Errorf("send standby status at %s: %w", flush, err)
	}
	return nil
}

// lookupType reads a non-built-in type from the catalog (cached).
func (s *Source) lookupType(ctx context.Context, oid uint32) (*pgType, error) {
	if t, ok := s.types.Load(oid); ok {
		return t.(*pgType), nil
	}
	t := &pgType{OID: oid}
	err := s.meta.do(ctx, func(c *pgx.Conn) error {
		var typtype, delim string
		err := c.QueryRow(ctx, `SELECT n.nspname, t.typname, t.typtype::text,
				CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END, t.typbasetype, t.typtypmod, t.typdelim::text,
				COALESCE((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '{}')
			FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1`, oid).
			Scan(&t.Schema, &t.Name, &typtype, &t.Elem, &t.Base, &t.BaseMod, &delim, &t.EnumVals)
		if err != nil {
			return err
		}
		t.Type, t.Delim = typtype[0], delim[0]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up type %d: %w", oid, err)
	}
	s.types.Store(oid, t)
	return t, nil
}

// columnInfo is what the catalog adds to a Relation message's column.
type columnInfo struct {
	notNull bool
	pkPos   int // 1-based position in the primary key, 0 if not in it
}

func (s *Source) lookupColumns(ctx context.Context, relid uint32) (map[string]columnInfo, error) {
	out := map[string]columnInfo{}
	err := s.meta.do(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT a.attname, a.attnotnull,
				COALESCE((SELECT k.ord FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, ord) WHERE k.att = a.attnum), 0)::int
			FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
			WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped`, relid)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name string
			var ci columnInfo
			if err := rows.Scan(&name, &ci.notNull, &ci.pkPos); err != nil {
				return err
			}
			out[name] = ci
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("look up columns of relation %d: %w", relid, err)
	}
	return out, nil
}

// relation is a published table's current shape and decoders.
type relation struct {
	table    *event.Table
	codecs   []codec
	included bool
	// identity marks the replica identity columns (sent in key-only old tuples).
	identity []bool
}

func (s *Source) newRelation(ctx context.Context, m *pglogrepl.RelationMessage) (*relation, error) {
	id := event.TableID{Database: s.info.database, Schema: m.Namespace, Table: m.RelationName}
	rel := &relation{included: s.cfg.included(m.Namespace, m.RelationName)}
	if !rel.included {
		return rel, nil
	}
	cols, err := s.lookupColumns(ctx, m.RelationID)
	if err != nil {
		return nil, err
	}
	t := &event.Table{ID: id}
	type pk struct{ pos, idx int }
	var pks []pk
	for i, c := range m.Columns {
		cd, err := codecFor(c.DataType, c.TypeModifier, func(oid uint32) (*pgType, error) { return s.lookupType(ctx, oid) })
		if err != nil {
			return nil, fmt.Errorf("relation %s column %s: %w", id, c.Name, err)
		}
		if cd.typ.Kind == event.KindString && cd.typ.Name == "" && !knownTextType(c.DataType) {
			s.log.Debug("unknown column type captured as text", "table", id.String(), "column", c.Name,
				"type", cd.typ.SourceType)
		}
		ci, known := cols[c.Name]
		t.Columns = append(t.Columns, event.Column{Name: c.Name, Type: cd.typ, Optional: !known || !ci.notNull})
		rel.codecs = append(rel.codecs, cd)
		rel.identity = append(rel.identity, c.Flags&1 != 0)
		if ci.pkPos > 0 {
			pks = append(pks, pk{ci.pkPos, i})
		}
	}
	if keys, ok := s.cfg.KeyColumns[id.String()]; ok {
		for _, k := range keys {
			i := t.ColumnIndex(k)
			if i < 0 {
				return nil, fatal(fmt.Errorf("key_columns of %s: no column %q", id, k))
			}
			t.Key = append(t.Key, i)
		}
	} else {
		for p := 1; p <= len(pks); p++ {
			for _, k := range pks {
				if k.pos == p {
					t.Key = append(t.Key, k.idx)
				}
			}
		}
	}
	rel.table = t
	return rel, nil
}

func knownTextType(oid uint32) bool {
	_, ok := builtinCodec(oid, -1)
	return ok
}

// decodeTuple decodes the pgoutput TupleData at the start of b into one value per column
// and returns the bytes after it. keyOnly marks a key tuple ('K'), whose non-identity
// columns are absent. Values are decoded from b in place; b may be reused once it returns.
func (r *relation) decodeTuple(b []byte, keyOnly bool, lsn LSN) ([]any, []byte, error) {
	if len(b) < 2 {
		return nil, nil, fmt.Errorf("decode %s at %s: truncated tuple", r.table.ID, lsn)
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if n != len(r.codecs) {
		return nil, nil, fmt.Errorf("decode %s at %s: tuple has %d columns, relation %d", r.table.ID, lsn, n, len(r.codecs))
	}
	row := make([]any, n)
	for i := range row {
		col := &r.table.Columns[i]
		if len(b) == 0 {
			return nil, nil, fmt.Errorf("decode %s column %s at %s: truncated tuple", r.table.ID, col.Name, lsn)
		}
		kind := b[0]
		b = b[1:]
		switch kind {
		case pglogrepl.TupleDataTypeNull:
			if !col.Optional && (keyOnly && !r.identity[i]) {
				row[i] = r.codecs[i].zero // Debezium's fallback for a required column it did not get
			}
		case pglogrepl.TupleDataTypeToast:
			row[i] = event.Unavailable
		case pglogrepl.TupleDataTypeText:
			if len(b) < 4 || uint64(binary.BigEndian.Uint32(b)) > uint64(len(b)-4) {
				return nil, nil, fmt.Errorf("decode %s column %s at %s: truncated tuple", r.table.ID, col.Name, lsn)
			}
			l := int(binary.BigEndian.Uint32(b))
			v, err := r.codecs[i].decode(b[4 : 4+l : 4+l])
			if err != nil {
				return nil, nil, fmt.Errorf("decode %s column %s (%s) at %s: %w", r.table.ID, col.Name, col.Type.SourceType, lsn, err)
			}
			row[i] = v
			b = b[4+l:]
		default:
			return nil, nil, fmt.Errorf("decode %s column %s at %s: tuple data type %q", r.table.ID, col.Name, lsn, kind)
		}
	}
	return row, b, nil
}

// decoder turns one session's pgoutput messages into Handler calls.
type decoder struct {
	src  *Source
	h    event.Handler
	rels map[uint32]*relation

	inTx      bool
	xid       uint32
	commitLSN LSN
	commitTS  time.Time

	// seq is `["<seqLSN>","`, the start of Sequence for changes after commit LSN seqLSN,
	// and seqBuf the buffer Sequence is built in.
	seq, seqBuf []byte
	seqLSN      LSN
}

// sequence returns Debezium's Sequence of a change at lsn: ["<commit LSN>","<lsn>"].
func (d *decoder) sequence(lsn LSN) string {
	if d.seq == nil || d.seqLSN != d.commitLSN {
		d.seq = strconv.AppendUint(append(d.seq[:0], `["`...), uint64(d.commitLSN), 10)
		d.seq = append(d.seq, `","`...)
		d.seqLSN = d.commitLSN
	}
	d.seqBuf = strconv.AppendUint(append(d.seqBuf[:0], d.seq...), uint64(lsn), 10)
	d.seqBuf = append(d.seqBuf, `"]`...)
	return string(d.seqBuf)
}

func (d *decoder) source(rel *relation, lsn LSN) event.Source {
	src := event.Source{
		Version:   Version,
		Connector: "postgresql",
		Name:      d.src.cfg.Name,
		Commit:    d.commitTS,
		Snapshot:  "false",
		DB:        d.src.info.database,
		TxID:      int64(d.xid),
		LSN:       int64(lsn),
		Sequence:  d.sequence(lsn),
	}
	if rel != nil {
		src.Schema, src.Table = rel.table.ID.Schema, rel.table.ID.Table
	}
	return src
}

// handle decodes one pgoutput message. xld.WALData is only valid during the call.
func (d *decoder) handle(ctx context.Context, xld pglogrepl.XLogData) error {
	if len(xld.WALData) == 0 {
		return nil
	}
	lsn := LSN(xld.WALStart)
	switch xld.WALData[0] {
	case 'I', 'U', 'D':
		return d.rowChange(ctx, xld.WALData, lsn)
	}
	msg, err := pglogrepl.Parse(xld.WALData)
	if err != nil {
		return fatal(fmt.Errorf("parse pgoutput message %q at %s: %w", xld.WALData[0], lsn, err))
	}
	switch m := msg.(type) {
	case *pglogrepl.BeginMessage:
		d.inTx, d.xid, d.commitLSN, d.commitTS = true, m.Xid, LSN(m.FinalLSN), m.CommitTime
	case *pglogrepl.CommitMessage:
		d.inTx = false
		end := LSN(m.TransactionEndLSN)
		if err := d.h.Commit(ctx, end); err != nil {
			return fatal(fmt.Errorf("commit at %s: %w", end, err))
		}
		d.src.delivered = end
	case *pglogrepl.RelationMessage:
		rel, err := d.src.newRelation(ctx, m)
		if err != nil {
			return err
		}
		d.rels[m.RelationID] = rel
	case *pglogrepl.TypeMessage, *pglogrepl.OriginMessage:
		// Types are read from the catalog; origins are not recorded.
	case *pglogrepl.TruncateMessage:
		for _, id := range m.RelationIDs {
			rel, err := d.rel(id, lsn)
			if err != nil {
				return err
			}
			if rel == nil {
				continue
			}
			if err := d.change(ctx, &event.Change{Table: rel.table, Op: event.OpTruncate, Source: d.source(rel, lsn)}); err != nil {
				return err
			}
		}
	case *pglogrepl.LogicalDecodingMessage:
		return d.message(ctx, m, lsn, xld.ServerTime)
	default:
		return fatal(fmt.Errorf("unexpected pgoutput message %q at %s (streaming is not enabled)", xld.WALData[0], lsn))
	}
	return nil
}

// rowChange decodes an Insert, Update or Delete message (protocol 1 layout, no streaming
// xid) straight from the message bytes: pglogrepl.Parse would copy every column first.
//
//	I relid:int32 'N' tuple
//	U relid:int32 [('K'|'O') tuple] 'N' tuple
//	D relid:int32 ('K'|'O') tuple
func (d *decoder) rowChange(ctx context.Context, msg []byte, lsn LSN) error {
	kind := msg[0]
	if len(msg) < 6 {
		return fatal(fmt.Errorf("parse pgoutput message %q at %s: %d bytes", kind, lsn, len(msg)))
	}
	rel, err := d.rel(binary.BigEndian.Uint32(msg[1:5]), lsn)
	if err != nil || rel == nil {
		return err
	}
	tupleType, b := msg[5], msg[6:]
	var before, after []any
	switch {
	case kind == 'I' && tupleType == 'N':
		after, _, err = rel.decodeTuple(b, false, lsn)
	case kind == 'U' && (tupleType == 'K' || tupleType == 'O'):
		before, b, err = rel.decodeTuple(b, tupleType == 'K', lsn)
		if err != nil {
			break
		}
		if len(b) == 0 || b[0] != 'N' {
			return fatal(fmt.Errorf("parse pgoutput message %q at %s: no new tuple", kind, lsn))
		}
		b = b[1:]
		fallthrough
	case kind == 'U' && tupleType == 'N':
		after, _, err = rel.decodeTuple(b, false, lsn)
	case kind == 'D' && (tupleType == 'K' || tupleType == 'O'):
		before, _, err = rel.decodeTuple(b, tupleType == 'K', lsn)
	default:
		return fatal(fmt.Errorf("parse pgoutput message %q at %s: tuple type %q", kind, lsn, tupleType))
	}
	if err != nil {
		return fatal(err)
	}
	switch kind {
	case 'I':
		return d.change(ctx, &event.Change{Table: rel.table, Op: event.OpCreate, After: after, Source: d.source(rel, lsn)})
	case 'D':
		return d.change(ctx, &event.Change{Table: rel.table, Op: event.OpDelete, Before: before, Source: d.source(rel, lsn)})
	}
	if before != nil && len(rel.table.Key) > 0 && !sameKey(rel.table.Key, before, after) {
		// Debezium turns a key change into a delete of the old key and a create of the
		// new; both carry the UPDATE's position, so consumers must not deduplicate by
		// position alone within one LSN.
		if err := d.change(ctx, &event.Change{Table: rel.table, Op: event.OpDelete, Before: before, Source: d.source(rel, lsn)}); err != nil {
			return err
		}
		return d.change(ctx, &event.Change{Table: rel.table, Op: event.OpCreate, After: after, Source: d.source(rel, lsn)})
	}
	return d.change(ctx, &event.Change{Table: rel.table, Op: event.OpUpdate, Before: before, After: after, Source: d.source(rel, lsn)})
}

// rel returns the relation of a change, or nil when the table is not captured.
func (d *decoder) rel(id uint32, lsn LSN) (*relation, error) {
	rel, ok := d.rels[id]
	if !ok {
		return nil, fatal(fmt.Errorf("change of relation %d at %s before its Relation message", id, lsn))
	}
	if !rel.included {
		return nil, nil
	}
	return rel, nil
}

func (d *decoder) change(ctx context.Context, c *event.Change) error {
	if err := d.h.Change(ctx, c); err != nil {
		return fatal(fmt.Errorf("hand over %s change of %s at %d: %w", c.Op, c.Table.ID, c.Source.LSN, err))
	}
	return nil
}

func (d *decoder) message(ctx context.Context, m *pglogrepl.LogicalDecodingMessage, lsn LSN, serverTime time.Time) error {
	if m.Prefix == HeartbeatPrefix {
		slot, micros, ok := strings.Cut(string(m.Content), " ")
		if !ok || slot != d.src.cfg.Slot {
			return nil // another pipeline's heartbeat
		}
		us, err := strconv.ParseInt(micros, 10, 64)
		if err != nil {
			return nil
		}
		if m.Transactional || d.inTx {
			return nil // not written by us
		}
		if err := d.h.Heartbeat(ctx, time.UnixMicro(us).UTC(), LSN(m.LSN)); err != nil {
			return fatal(fmt.Errorf("heartbeat at %s: %w", LSN(m.LSN), err))
		}
		return nil
	}
	src := d.source(nil, LSN(m.LSN))
	if !m.Transactional {
		src.Commit, src.TxID = serverTime, 0
		src.Sequence = `[null,"` + strconv.FormatUint(uint64(m.LSN), 10) + `"]`
	}
	msg := &event.Message{Prefix: m.Prefix, Content: append([]byte(nil), m.Content...),
		Transactional: m.Transactional, Source: src}
	if err := d.h.Message(ctx, msg); err != nil {
		return fatal(fmt.Errorf("hand over message %q at %s: %w", m.Prefix, LSN(m.LSN), err))
	}
	return nil
}

// sameKey reports whether two rows have equal key values.
func sameKey(key []int, a, b []any) bool {
	for _, i := range key {
		if !equalValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func equalValue(a, b any) bool {
	switch x := a.(type) {
	case *big.Rat:
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0
	case event.VarDecimal:
		y, ok := b.(event.VarDecimal)
		return ok && x.Scale == y.Scale && x.Unscaled.Cmp(y.Unscaled) == 0
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if b == event.Unavailable || a == event.Unavailable {
		return true // an unchanged TOASTed key column is unchanged
	}
	return a == b
}
