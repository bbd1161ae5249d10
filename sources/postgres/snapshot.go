package postgres

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/slab"
	"github.com/dovetail-cdc/dovetail/sources/snapshot"
)

// Snapshotter returns the engine that snapshots the source's tables for package
// snapshot. A new snapshot creates the slot with an exported snapshot
// (CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT) that every reader imports (SET
// TRANSACTION SNAPSHOT), so the rows read are exactly those before the slot's consistent
// point, from which the source then streams. Readers read with COPY ... TO STDOUT in
// text form and decode with the streaming path's codecs (pgoutput sends the same text).
func (s *Source) Snapshotter() snapshot.Engine { return &pgEngine{s: s} }

type pgEngine struct{ s *Source }

func (e *pgEngine) connConfig() (*pgx.ConnConfig, error) {
	ccfg, err := pgx.ParseConfig(e.s.cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres source: dsn: %w", redactErr(err))
	}
	setSessionParams(ccfg.RuntimeParams)
	ccfg.RuntimeParams["standard_conforming_strings"] = "on"
	return ccfg, nil
}

// readerBuffer is the read buffer of a snapshot reader's connection. pgx reads the
// socket 8 KiB at a time, 30 COPY rows, and a snapshot of 10M rows spent 5% of its CPU
// in those reads; with a larger buffer one read takes whatever the server has queued.
const readerBuffer = 256 << 10

// readerConfig is ccfg with the snapshot readers' larger read buffer.
func readerConfig(ccfg *pgx.ConnConfig) *pgx.ConnConfig {
	c := ccfg.Copy()
	c.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(r, readerBuffer), w)
	}
	return c
}

// Resumable reports whether the slot exists: Postgres keeps the position in it.
func (e *pgEngine) Resumable(ctx context.Context, _ []byte) (bool, error) {
	ccfg, err := e.connConfig()
	if err != nil {
		return false, err
	}
	c, err := pgx.ConnectConfig(ctx, ccfg)
	if err != nil {
		return false, fmt.Errorf("connect to %s: %w", ccfg.Database, redactErr(err))
	}
	defer c.Close(context.Background())
	var exists bool
	if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`, e.s.cfg.Slot).Scan(&exists); err != nil {
		return false, fmt.Errorf("read replication slot %s: %w", e.s.cfg.Slot, err)
	}
	return exists, nil
}

// pgTable is what a view knows of a table.
type pgTable struct {
	info   tableInfo
	rel    *relation
	pk     []string // primary key columns, in key order
	intKey bool     // the key is one int2/int4/int8 column
}

type pgView struct {
	e       *pgEngine
	info    serverInfo
	meta    *metaDB
	readers []*pgx.Conn
	lsn     LSN
	tables  map[string]*pgTable
	list    []tableInfo
}

// Open syncs the publication, then creates the slot exporting its snapshot (stream nil)
// or, resuming, opens new views while the slot stays at stream.
func (e *pgEngine) Open(ctx context.Context, readers int, stream []byte) (snapshot.View, []byte, error) {
	s := e.s
	ccfg, err := e.connConfig()
	if err != nil {
		return nil, nil, err
	}
	v := &pgView{e: e, meta: &metaDB{cfg: ccfg}, tables: map[string]*pgTable{}}
	if s.meta == nil {
		// Before Run (an initial snapshot): the relations' catalog lookups use the
		// view's connection. While the stream runs (incremental snapshots) they use its.
		s.meta = v.meta
	}
	ok := false
	defer func() {
		if !ok {
			v.Close()
		}
	}()
	err = v.meta.do(ctx, func(c *pgx.Conn) error {
		info, err := queryServer(ctx, c)
		if err != nil {
			return err
		}
		v.info = info
		if s.info.database == "" {
			s.info = info // before Run; the stream sets its own
		}
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
		v.list = tables
		return syncPublication(ctx, c, s.cfg.Publication, tables)
	})
	if err != nil {
		return nil, nil, err
	}
	rdcfg := readerConfig(ccfg)
	for range readers {
		c, err := pgx.ConnectConfig(ctx, rdcfg)
		if err != nil {
			return nil, nil, fmt.Errorf("connect reader to %s: %w", ccfg.Database, redactErr(err))
		}
		v.readers = append(v.readers, c)
	}
	var snap string
	if stream == nil {
		rcfg, err := pgconn.ParseConfig(s.cfg.DSN)
		if err != nil {
			return nil, nil, fmt.Errorf("dsn: %w", redactErr(err))
		}
		rcfg.RuntimeParams["replication"] = "database"
		setSessionParams(rcfg.RuntimeParams)
		rc, err := pgconn.ConnectConfig(ctx, rcfg)
		if err != nil {
			return nil, nil, fmt.Errorf("replication connection: %w", redactErr(err))
		}
		// The exported snapshot lives until the next command on rc: every reader
		// imports it before rc is closed.
		defer rc.Close(context.Background())
		// A slot left by a snapshot that stopped before it stored its position has no
		// exported snapshot any more: drop it and start over. (Package snapshot asks for
		// a new starting point only when no stored position uses the slot.)
		if err := v.meta.do(ctx, func(c *pgx.Conn) error {
			var exists bool
			err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`, s.cfg.Slot).Scan(&exists)
			if err != nil || !exists {
				return err
			}
			if _, err := c.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, s.cfg.Slot); err != nil {
				return err
			}
			s.log.Warn("replication slot of an unfinished snapshot dropped, to be created again", "slot", s.cfg.Slot)
			return nil
		}); err != nil {
			return nil, nil, fmt.Errorf("drop the unfinished snapshot's slot %s: %w", s.cfg.Slot, err)
		}
		res, err := pglogrepl.CreateReplicationSlot(ctx, rc, s.cfg.Slot, "pgoutput",
			pglogrepl.CreateReplicationSlotOptions{SnapshotAction: "EXPORT_SNAPSHOT"})
		if err != nil {
			return nil, nil, fmt.Errorf("create replication slot %s with an exported snapshot: %w", s.cfg.Slot, err)
		}
		if v.lsn, err = ParseLSN(res.ConsistentPoint); err != nil {
			return nil, nil, err
		}
		snap = res.SnapshotName
		s.log.Info("replication slot created for the snapshot", "lsn", v.lsn.String(), "snapshot", snap)
	} else if !bytes.Equal(stream, snapshot.Now) {
		if v.lsn, err = ParseLSN(string(stream)); err != nil {
			return nil, nil, err
		}
	}
	for i, c := range v.readers {
		if _, err := c.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
			return nil, nil, fmt.Errorf("begin reader transaction: %w", err)
		}
		if snap == "" && i == 0 {
			// Resuming: the readers share a new snapshot of their own.
			if err := c.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snap); err != nil {
				return nil, nil, fmt.Errorf("export the readers' snapshot: %w", err)
			}
			continue
		}
		if _, err := c.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+strings.ReplaceAll(snap, "'", "''")+"'"); err != nil {
			return nil, nil, fmt.Errorf("import snapshot %s: %w", snap, err)
		}
	}
	ok = true
	return v, []byte(v.lsn.String()), nil
}

func (v *pgView) Close() error {
	for _, c := range v.readers {
		_ = c.Close(context.Background())
	}
	v.meta.close()
	return nil
}

// Tables reads each captured table's columns from the catalog, as a pgoutput Relation
// message would send them, and builds the streaming path's relation of it.
func (v *pgView) Tables(ctx context.Context) ([]snapshot.Table, error) {
	s := v.e.s
	c := v.readers[0]
	var out []snapshot.Table
	now := time.Now().UTC()
	for _, ti := range v.list {
		m := &pglogrepl.RelationMessage{RelationID: ti.oid, Namespace: ti.schema, RelationName: ti.name}
		rows, err := c.Query(ctx, `SELECT attname, atttypid, atttypmod FROM pg_attribute
			WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`, ti.oid)
		if err != nil {
			return nil, fmt.Errorf("read columns of %s: %w", ti, err)
		}
		for rows.Next() {
			var col pglogrepl.RelationMessageColumn
			if err := rows.Scan(&col.Name, &col.DataType, &col.TypeModifier); err != nil {
				return nil, fmt.Errorf("read columns of %s: %w", ti, err)
			}
			m.Columns = append(m.Columns, &col)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read columns of %s: %w", ti, err)
		}
		m.ColumnNum = uint16(len(m.Columns))
		rel, err := s.newRelation(ctx, m)
		if err != nil {
			return nil, err
		}
		pt := &pgTable{info: ti, rel: rel}
		var typ []uint32
		rows, err = c.Query(ctx, `SELECT a.attname, a.atttypid FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`, ti.oid)
		if err != nil {
			return nil, fmt.Errorf("read the primary key of %s: %w", ti, err)
		}
		for rows.Next() {
			var name string
			var oid uint32
			if err := rows.Scan(&name, &oid); err != nil {
				return nil, fmt.Errorf("read the primary key of %s: %w", ti, err)
			}
			pt.pk, typ = append(pt.pk, name), append(typ, oid)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read the primary key of %s: %w", ti, err)
		}
		pt.intKey = len(typ) == 1 && (typ[0] == 20 || typ[0] == 21 || typ[0] == 23)
		var est float64
		if err := c.QueryRow(ctx, `SELECT reltuples::float8 FROM pg_class WHERE oid = $1`, ti.oid).Scan(&est); err != nil {
			return nil, fmt.Errorf("read the row estimate of %s: %w", ti, err)
		}
		v.tables[rel.table.ID.String()] = pt
		out = append(out, snapshot.Table{
			Table: rel.table,
			Rows:  int64(max(est, 0)),
			Source: event.Source{
				Version:   Version,
				Connector: "postgresql",
				Name:      s.cfg.Name,
				Commit:    now,
				DB:        v.info.database,
				Schema:    ti.schema,
				Table:     ti.name,
				LSN:       int64(v.lsn),
				Sequence:  `[null,"` + strconv.FormatUint(uint64(v.lsn), 10) + `"]`,
			},
		})
	}
	return out, nil
}

// quoteLiteral quotes a value's text as an SQL literal of unknown type, which Postgres
// reads with the type of the column it is compared with.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteCols(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// Split splits by primary key: a single integer key in equal steps between its minimum
// and maximum, other keys at every rows-th key (an index walk); tables without a key by
// ctid page ranges.
func (v *pgView) Split(ctx context.Context, t snapshot.Table, rows int) ([]snapshot.Key, error) {
	pt := v.tables[t.Table.ID.String()]
	c := v.readers[0]
	name := pt.info.quoted()
	switch {
	case pt.intKey:
		var lo, hi *int64
		k := pgx.Identifier{pt.pk[0]}.Sanitize()
		if err := c.QueryRow(ctx, "SELECT min("+k+")::int8, max("+k+")::int8 FROM "+name).Scan(&lo, &hi); err != nil {
			return nil, err
		}
		if lo == nil {
			return nil, nil
		}
		est := t.Rows
		if est <= 0 {
			est = *hi - *lo + 1
		}
		return snapshot.SplitInts(*lo, *hi, est, rows), nil
	case len(pt.pk) > 0:
		cols := quoteCols(pt.pk)
		var out []snapshot.Key
		var lo snapshot.Key
		for {
			q := "SELECT " + castText(pt.pk) + " FROM " + name
			if lo != nil {
				q += " WHERE (" + cols + ") >= (" + literals(lo) + ")"
			}
			q += " ORDER BY " + cols + " OFFSET " + strconv.Itoa(rows) + " LIMIT 1"
			vals := make([]string, len(pt.pk))
			dst := make([]any, len(vals))
			for i := range vals {
				dst[i] = &vals[i]
			}
			err := c.QueryRow(ctx, q).Scan(dst...)
			if errors.Is(err, pgx.ErrNoRows) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			lo = vals
			out = append(out, lo)
		}
	default:
		var pages, blockSize int64
		if err := c.QueryRow(ctx, `SELECT pg_relation_size($1::oid), current_setting('block_size')::int8`, pt.info.oid).Scan(&pages, &blockSize); err != nil {
			return nil, err
		}
		pages /= blockSize
		est := t.Rows
		if est <= 0 {
			if err := c.QueryRow(ctx, "SELECT count(*) FROM "+name).Scan(&est); err != nil {
				return nil, err
			}
		}
		if est <= int64(rows) || pages <= 1 {
			return nil, nil
		}
		per := max(1, pages*int64(rows)/est)
		var out []snapshot.Key
		for p := per; p < pages; p += per {
			out = append(out, snapshot.Key{strconv.FormatInt(p, 10)})
		}
		return out, nil
	}
}

func castText(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pgx.Identifier{c}.Sanitize() + "::text"
	}
	return strings.Join(q, ", ")
}

func literals(k snapshot.Key) string {
	q := make([]string, len(k))
	for i, s := range k {
		q[i] = quoteLiteral(s)
	}
	return strings.Join(q, ", ")
}

// Read copies a range with COPY (SELECT ...) TO STDOUT and decodes each field with the
// column's codec.
func (v *pgView) Read(ctx context.Context, reader int, t snapshot.Table, lo, hi snapshot.Key, row func([]any) error) error {
	pt := v.tables[t.Table.ID.String()]
	cols := make([]string, len(pt.rel.table.Columns))
	for i, c := range pt.rel.table.Columns {
		cols[i] = c.Name
	}
	var where []string
	if len(pt.pk) > 0 {
		k := "(" + quoteCols(pt.pk) + ")"
		if lo != nil {
			where = append(where, k+" >= ("+literals(lo)+")")
		}
		if hi != nil {
			where = append(where, k+" < ("+literals(hi)+")")
		}
	} else {
		if lo != nil {
			where = append(where, "ctid >= '("+lo[0]+",0)'::tid")
		}
		if hi != nil {
			where = append(where, "ctid < '("+hi[0]+",0)'::tid")
		}
	}
	q := "SELECT " + quoteCols(cols) + " FROM " + pt.info.quoted()
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	w := &copyReader{rel: pt.rel, row: row, lsn: v.lsn}
	if _, err := v.readers[reader].PgConn().CopyTo(ctx, w, "COPY ("+q+") TO STDOUT"); err != nil {
		if w.err != nil {
			return w.err
		}
		return err
	}
	if len(w.buf) > 0 {
		return fmt.Errorf("copy of %s ended inside a row", pt.info)
	}
	return w.err
}

// copyReader decodes COPY's text format: rows end in \n, fields are separated by \t,
// \N is NULL, and backslash escapes stand for \, newline, tab and other control bytes.
type copyReader struct {
	rel *relation
	row func([]any) error
	lsn LSN
	buf []byte
	err error
	// texts (the fields of text columns, pointing into the row being decoded) and
	// scratch (an unescaped field) are reused from row to row.
	texts   []textField
	scratch []byte
	// box makes the rows and the values of text and word columns.
	box slab.Boxer
}

type textField struct {
	col int
	raw []byte
}

func (r *copyReader) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	data := p
	if len(r.buf) > 0 {
		r.buf = append(r.buf, p...)
		data = r.buf
	}
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		if err := r.line(data[:i]); err != nil {
			r.err = err
			return 0, err
		}
		data = data[i+1:]
	}
	r.buf = append(r.buf[:0], data...)
	return len(p), nil
}

// line decodes a row. Values of text columns are the field's text: their strings share
// one allocation per row. Other fields are decoded in place (unescaped into scratch
// first when they hold a backslash).
func (r *copyReader) line(l []byte) error {
	codecs := r.rel.codecs
	n := len(codecs)
	out := r.box.Row(n)
	texts := r.texts[:0]
	size := 0 // of the text fields, an upper bound once unescaped
	// Rows rarely hold a backslash: one look at the whole row saves one per field.
	escaped := bytes.IndexByte(l, '\\') >= 0
	for i := range n {
		j := bytes.IndexByte(l, '\t')
		if j < 0 {
			if i != n-1 {
				return fmt.Errorf("snapshot of %s: a row has %d fields, the table %d columns", r.rel.table.ID, i+1, n)
			}
			j = len(l)
		}
		raw := l[:j]
		if j < len(l) {
			l = l[j+1:]
		} else {
			l = nil
		}
		if string(raw) == `\N` {
			continue
		}
		if codecs[i].text {
			texts = append(texts, textField{col: i, raw: raw})
			size += len(raw)
			continue
		}
		field := raw
		if escaped && bytes.IndexByte(raw, '\\') >= 0 {
			r.scratch = unescapeCopy(r.scratch[:0], raw)
			field = r.scratch
		}
		var v any
		var err error
		if w := codecs[i].word; w != notWord {
			v, err = r.parseWord(w, field)
		} else {
			v, err = codecs[i].decode(field)
		}
		if err != nil {
			col := &r.rel.table.Columns[i]
			return fmt.Errorf("decode %s column %s (%s) in the snapshot at %s: %w", r.rel.table.ID, col.Name, col.Type.SourceType, r.lsn, err)
		}
		out[i] = v
	}
	r.texts = texts
	// Unescaping only shortens a field: the row's text fits without growing, so the
	// bytes under a string are never written again.
	var all []byte
	if size > 0 {
		all = make([]byte, 0, size)
	}
	for _, t := range texts {
		start := len(all)
		if escaped {
			all = unescapeCopy(all, t.raw)
		} else {
			all = append(all, t.raw...)
		}
		if len(all) > start {
			out[t.col] = r.box.String(unsafe.String(&all[start], len(all)-start))
		} else {
			out[t.col] = ""
		}
	}
	clear(r.texts) // keep no reference to the connection's buffer
	return r.row(out)
}

// parseWord parses a word column's field into the value its codec's decode returns.
func (r *copyReader) parseWord(w wordKind, b []byte) (any, error) {
	switch w {
	case wordInt32:
		v, err := parseInt(b, 32)
		if err != nil {
			return nil, err
		}
		return r.box.Int32(int32(v)), nil
	case wordInt64:
		v, err := parseInt(b, 64)
		if err != nil {
			return nil, err
		}
		return r.box.Int64(v), nil
	case wordFloat64:
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return nil, err
		}
		return r.box.Float64(v), nil
	case wordTimestampMicros:
		v, err := timestampOrInfinity(b)
		if err != nil {
			return nil, err
		}
		return r.box.Int64(v), nil
	}
	return nil, fmt.Errorf("no parser for word kind %d", w)
}

func unescapeCopy(dst, src []byte) []byte {
	if bytes.IndexByte(src, '\\') < 0 {
		return append(dst, src...)
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 == len(src) {
			dst = append(dst, c)
			continue
		}
		i++
		switch src[i] {
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'r':
			dst = append(dst, '\r')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'v':
			dst = append(dst, '\v')
		default:
			dst = append(dst, src[i])
		}
	}
	return dst
}

// Signal inserts a row into the signal table ("schema.table": id, type, data).
func (e *pgEngine) Signal(ctx context.Context, table, id, kind, data string) error {
	ns, name, err := splitPattern(table)
	if err != nil {
		return err
	}
	ccfg, err := e.connConfig()
	if err != nil {
		return err
	}
	c, err := pgx.ConnectConfig(ctx, ccfg)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", ccfg.Database, redactErr(err))
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "INSERT INTO "+pgx.Identifier{ns, name}.Sanitize()+" (id, type, data) VALUES ($1, $2, NULLIF($3, ''))", id, kind, data); err != nil {
		return fmt.Errorf("write signal %s to %s: %w", kind, table, err)
	}
	return nil
}
