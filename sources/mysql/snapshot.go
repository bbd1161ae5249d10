package mysql

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sources/snapshot"
)

// Snapshotter returns the engine that snapshots the source's tables for package
// snapshot. A new snapshot locks the captured tables (FLUSH TABLES ... WITH READ LOCK,
// never a global lock) only while it reads the binlog position and every reader opens
// START TRANSACTION WITH CONSISTENT SNAPSHOT, then unlocks: the readers see exactly the
// rows before that position, from which the source then streams. Readers use the binary
// protocol (prepared statements), whose values are turned into the binlog decoder's
// input and decoded by the streaming path's codecs.
func (s *Source) Snapshotter() snapshot.Engine { return &myEngine{s: s} }

type myEngine struct{ s *Source }

// Resumable reports whether a stored position's binlog file is still on the server.
func (e *myEngine) Resumable(ctx context.Context, stored []byte) (bool, error) {
	if stored == nil {
		return false, nil
	}
	p, err := ParsePosition(string(stored))
	if err != nil {
		return false, fmt.Errorf("mysql source: %w", err)
	}
	if p.File == "" {
		return true, nil // a GTID position: the stream says when it is gone
	}
	c, err := connect(ctx, e.s.conn)
	if err != nil {
		return false, err
	}
	defer c.Close()
	r, err := c.Execute("SHOW BINARY LOGS")
	if err != nil {
		return false, fmt.Errorf("list binary logs (SHOW BINARY LOGS): %w", err)
	}
	for i := range r.RowNumber() {
		if f, _ := r.GetString(i, 0); f == p.File {
			return true, nil
		}
	}
	return false, nil
}

type myTable struct {
	t      *table
	rel    *event.Table
	codecs []codec
	intKey bool
}

type myView struct {
	e        *myEngine
	serverID uint32
	readers  []*client.Conn
	pos      Position
	tables   map[string]*myTable
	order    []string
}

// Open reads the captured tables' shapes and opens readers consistent with a binlog
// position: a new one read under a short lock of the captured tables (stream nil), or
// the stored stream position (resuming, with views of now).
func (e *myEngine) Open(ctx context.Context, readers int, stream []byte) (snapshot.View, []byte, error) {
	s := e.s
	v := &myView{e: e, tables: map[string]*myTable{}}
	ok := false
	defer func() {
		if !ok {
			v.Close()
		}
	}()
	c, err := connect(ctx, s.conn)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	info, err := queryServer(c, s.cfg.Flavor)
	if err != nil {
		return nil, nil, err
	}
	sch, err := loadSchema(c, &s.cfg, info.flavor, info.charset, newDDLParser())
	if err != nil {
		return nil, nil, err
	}
	// The stream may be running (incremental snapshots): its info and schema stay its own.
	v.serverID = info.serverID
	var missing []string
	for _, p := range s.cfg.Tables {
		if db, name, _ := splitPattern(p); !isGlob(p) && sch.get(db, name) == nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("configured tables do not exist, or the user may not see them: %s", strings.Join(missing, ", "))
	}
	var names []string
	for id, t := range sch.tables {
		if s.cfg.included(t.db, t.name) {
			v.order = append(v.order, id)
		}
	}
	slices.Sort(v.order)
	for _, id := range v.order {
		t := sch.tables[id]
		et, codecs, err := eventTable(t, s.cfg.KeyColumns[id])
		if err != nil {
			return nil, nil, err
		}
		mt := &myTable{t: t, rel: et, codecs: codecs}
		if len(t.pk) == 1 {
			col := t.cols[t.colIndex(t.pk[0])]
			switch col.typ {
			case "tinyint", "smallint", "mediumint", "int", "integer":
				mt.intKey = true
			case "bigint":
				mt.intKey = !col.unsigned
			}
		}
		v.tables[id] = mt
		names = append(names, quoteIdent(t.db)+"."+quoteIdent(t.name))
	}
	for range readers {
		rc, err := connect(ctx, s.conn)
		if err != nil {
			return nil, nil, err
		}
		v.readers = append(v.readers, rc)
		for _, q := range []string{"SET SESSION time_zone = '+00:00'", "SET SESSION character_set_results = binary",
			"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"} {
			if _, err := rc.Execute(q); err != nil {
				return nil, nil, fmt.Errorf("prepare snapshot reader (%s): %w", q, err)
			}
		}
	}
	begin := func() error {
		for _, rc := range v.readers {
			if _, err := rc.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
				return fmt.Errorf("start the snapshot transaction: %w", err)
			}
		}
		return nil
	}
	if bytes.Equal(stream, snapshot.Now) {
		if err := begin(); err != nil {
			return nil, nil, err
		}
	} else if stream != nil {
		if v.pos, err = ParsePosition(string(stream)); err != nil {
			return nil, nil, fmt.Errorf("mysql source: %w", err)
		}
		if err := begin(); err != nil {
			return nil, nil, err
		}
	} else {
		if len(names) > 0 {
			start := time.Now()
			if _, err := c.Execute("FLUSH TABLES " + strings.Join(names, ", ") + " WITH READ LOCK"); err != nil {
				return nil, nil, fmt.Errorf("lock the captured tables for the snapshot (FLUSH TABLES ... WITH READ LOCK needs the RELOAD and LOCK TABLES privileges): %w", err)
			}
			defer func() {
				if _, err := c.Execute("UNLOCK TABLES"); err != nil {
					s.log.Warn("unlock tables after the snapshot started", "err", err)
				}
				s.log.Info("captured tables were locked for the snapshot's start", "ms", time.Since(start).Milliseconds())
			}()
		}
		if v.pos, err = currentPosition(c, info); err != nil {
			return nil, nil, err
		}
		if err := begin(); err != nil {
			return nil, nil, err
		}
	}
	ok = true
	text, _ := v.pos.MarshalText()
	return v, text, nil
}

func (v *myView) Close() error {
	for _, c := range v.readers {
		_ = c.Close()
	}
	return nil
}

func (v *myView) Tables(ctx context.Context) ([]snapshot.Table, error) {
	s := v.e.s
	c := v.readers[0]
	now := time.Now().UTC()
	var out []snapshot.Table
	for _, id := range v.order {
		mt := v.tables[id]
		var est int64
		r, err := c.Execute("SELECT COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", mt.t.db, mt.t.name)
		if err != nil {
			return nil, fmt.Errorf("read the row estimate of %s: %w", id, err)
		}
		if r.RowNumber() > 0 {
			est, _ = r.GetInt(0, 0)
		}
		out = append(out, snapshot.Table{
			Table: mt.rel,
			Rows:  est,
			Source: event.Source{
				Version:   Version,
				Connector: "mysql",
				Name:      s.cfg.Name,
				Commit:    now,
				DB:        mt.t.db,
				Table:     mt.t.name,
				ServerID:  int64(v.serverID),
				File:      v.pos.File,
				Pos:       int64(v.pos.Pos),
			},
		})
	}
	return out, nil
}

func (mt *myTable) name() string { return quoteIdent(mt.t.db) + "." + quoteIdent(mt.t.name) }

func (mt *myTable) keyCols() string {
	q := make([]string, len(mt.t.pk))
	for i, k := range mt.t.pk {
		q[i] = quoteIdent(k)
	}
	return strings.Join(q, ", ")
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Split splits by primary key: a signed integer key in equal steps between its
// minimum and maximum, other keys at every rows-th key. Tables without a primary key
// are read whole.
func (v *myView) Split(ctx context.Context, t snapshot.Table, rows int) ([]snapshot.Key, error) {
	mt := v.tables[t.Table.ID.String()]
	c := v.readers[0]
	switch {
	case len(mt.t.pk) == 0:
		return nil, nil
	case mt.intKey:
		k := quoteIdent(mt.t.pk[0])
		r, err := c.Execute("SELECT MIN(" + k + "), MAX(" + k + ") FROM " + mt.name())
		if err != nil {
			return nil, err
		}
		if isNull, _ := r.IsNull(0, 0); isNull {
			return nil, nil
		}
		lo, _ := r.GetInt(0, 0)
		hi, _ := r.GetInt(0, 1)
		est := t.Rows
		if est <= 0 {
			est = hi - lo + 1
		}
		splits := snapshot.SplitInts(lo, hi, est, rows)
		for _, k := range splits {
			k[0] = "i:" + k[0]
		}
		return splits, nil
	}
	cols := mt.keyCols()
	var out []snapshot.Key
	var lo snapshot.Key
	for {
		q := "SELECT " + cols + " FROM " + mt.name()
		var args []any
		if lo != nil {
			q += " WHERE (" + cols + ") >= (" + placeholders(len(lo)) + ")"
			var err error
			if args, err = keyArgs(lo); err != nil {
				return nil, err
			}
		}
		q += " ORDER BY " + cols + " LIMIT 1 OFFSET " + strconv.Itoa(rows)
		var next snapshot.Key
		if err := v.query(c, q, args, func(row []gmysql.FieldValue) error {
			next = encodeKey(row)
			return nil
		}); err != nil {
			return nil, err
		}
		if next == nil {
			return out, nil
		}
		out = append(out, next)
		lo = next
	}
}

// encodeKey writes key values as text that keeps their type: i:<int>, u:<uint>,
// f:<float>, x:<hex bytes>.
func encodeKey(row []gmysql.FieldValue) snapshot.Key {
	k := make(snapshot.Key, len(row))
	for i := range row {
		fv := &row[i]
		switch fv.Type {
		case gmysql.FieldValueTypeSigned:
			k[i] = "i:" + strconv.FormatInt(fv.AsInt64(), 10)
		case gmysql.FieldValueTypeUnsigned:
			k[i] = "u:" + strconv.FormatUint(fv.AsUint64(), 10)
		case gmysql.FieldValueTypeFloat:
			k[i] = "f:" + strconv.FormatFloat(fv.AsFloat64(), 'g', -1, 64)
		default:
			k[i] = "x:" + hex.EncodeToString(fv.AsString())
		}
	}
	return k
}

func keyArgs(k snapshot.Key) ([]any, error) {
	out := make([]any, len(k))
	for i, s := range k {
		typ, val, _ := strings.Cut(s, ":")
		var err error
		switch typ {
		case "i":
			out[i], err = strconv.ParseInt(val, 10, 64)
		case "u":
			out[i], err = strconv.ParseUint(val, 10, 64)
		case "f":
			out[i], err = strconv.ParseFloat(val, 64)
		case "x":
			var b []byte
			b, err = hex.DecodeString(val)
			out[i] = string(b)
		default:
			err = fmt.Errorf("unknown key value %q", s)
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot chunk key: %w", err)
		}
	}
	return out, nil
}

// query runs q as a prepared statement (binary protocol) and streams its rows to row.
func (v *myView) query(c *client.Conn, q string, args []any, row func([]gmysql.FieldValue) error) error {
	stmt, err := c.Prepare(q)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", q, err)
	}
	defer stmt.Close()
	var res gmysql.Result
	if err := stmt.ExecuteSelectStreaming(&res, row, nil, args...); err != nil {
		return fmt.Errorf("query %s: %w", q, err)
	}
	return nil
}

// Read selects the rows of a key range and decodes each value as the binlog decoder
// would have.
func (v *myView) Read(ctx context.Context, reader int, t snapshot.Table, lo, hi snapshot.Key, row func([]any) error) error {
	mt := v.tables[t.Table.ID.String()]
	cols := make([]string, len(mt.t.cols))
	for i := range mt.t.cols {
		cols[i] = quoteIdent(mt.t.cols[i].name)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + mt.name()
	var where []string
	var args []any
	for _, b := range []struct {
		k  snapshot.Key
		op string
	}{{lo, ">="}, {hi, "<"}} {
		if b.k == nil {
			continue
		}
		a, err := keyArgs(b.k)
		if err != nil {
			return err
		}
		where = append(where, "("+mt.keyCols()+") "+b.op+" ("+placeholders(len(a))+")")
		args = append(args, a...)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return v.query(v.readers[reader], q, args, func(fvs []gmysql.FieldValue) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		out := make([]any, len(fvs))
		for i := range fvs {
			if fvs[i].Type == gmysql.FieldValueTypeNull {
				continue
			}
			col := &mt.t.cols[i]
			raw, err := binlogValue(col, &fvs[i])
			if err != nil {
				return fmt.Errorf("snapshot of %s column %s (%s): %w", mt.t.id(), col.name, col.sourceType(), err)
			}
			x, err := mt.codecs[i].decode(raw)
			if err != nil {
				return fmt.Errorf("decode %s column %s (%s) in the snapshot: %w", mt.t.id(), col.name, col.sourceType(), err)
			}
			out[i] = x
		}
		return row(out)
	})
}

// binlogValue turns a binary protocol value into what go-mysql's binlog row decoder
// gives for the column, the input of the column's codec.
func binlogValue(c *column, fv *gmysql.FieldValue) (any, error) {
	switch c.typ {
	case "tinyint", "smallint", "mediumint", "int", "integer", "year":
		if c.unsigned {
			return int32(uint32(fv.AsUint64())), nil
		}
		return int32(fv.AsInt64()), nil
	case "bigint":
		if c.unsigned {
			return int64(fv.AsUint64()), nil
		}
		return fv.AsInt64(), nil
	case "float":
		if c.hasScale {
			return fv.AsFloat64(), nil
		}
		return float32(fv.AsFloat64()), nil
	case "double", "real":
		return fv.AsFloat64(), nil
	case "decimal", "numeric", "date", "datetime", "timestamp":
		return string(fv.AsString()), nil
	case "time":
		// go-mysql writes the sign of a positive TIME as a NUL byte.
		return strings.TrimPrefix(string(fv.AsString()), "\x00"), nil
	case "bit":
		var x int64
		for _, b := range fv.AsString() {
			x = x<<8 | int64(b)
		}
		return x, nil
	case "enum":
		s := string(fv.AsString())
		if s == "" {
			return int64(0), nil
		}
		i := slices.Index(c.elems, s)
		if i < 0 {
			return nil, fmt.Errorf("enum value %q is not one of %d values", s, len(c.elems))
		}
		return int64(i + 1), nil
	case "set":
		var bits int64
		if s := string(fv.AsString()); s != "" {
			for _, part := range strings.Split(s, ",") {
				i := slices.Index(c.elems, part)
				if i < 0 {
					return nil, fmt.Errorf("set value %q is not one of its values", part)
				}
				bits |= 1 << i
			}
		}
		return bits, nil
	}
	return append([]byte(nil), fv.AsString()...), nil
}

// Signal inserts a row into the signal table ("database.table": id, type, data).
func (e *myEngine) Signal(ctx context.Context, table, id, kind, data string) error {
	db, name, err := splitPattern(table)
	if err != nil {
		return err
	}
	c, err := connect(ctx, e.s.conn)
	if err != nil {
		return err
	}
	defer c.Close()
	var d any
	if data != "" {
		d = data
	}
	if _, err := c.Execute("INSERT INTO "+quoteIdent(db)+"."+quoteIdent(name)+" (id, type, data) VALUES (?, ?, ?)", id, kind, d); err != nil {
		return fmt.Errorf("write signal %s to %s: %w", kind, table, err)
	}
	return nil
}
