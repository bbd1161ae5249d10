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
// rows before that position, from which the source then streams. Readers use the text
// protocol, with chunk bounds written into the query as literals; each value is
// decoded to what the streaming path's codec makes of the binlog's value (see
// fieldDecoder).
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
	fields []fieldDecoder // by column
	text   []int          // the columns whose fieldDecoder uses the row's text
	intKey bool
	// selectCols is the select list of every column; keyCols of the key columns, and
	// orderBy the key columns by name.
	selectCols, keyCols, orderBy string
	keys                         []*column // the key columns, in key order
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
		mt, err := newMyTable(t, et, codecs)
		if err != nil {
			return nil, nil, err
		}
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
		if err := unpadChars(rc); err != nil {
			return nil, nil, err
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
		// The schema the snapshot reads with is the schema at the position streaming
		// continues from: the history starts with it, as when streaming starts afresh,
		// so the stream after the snapshot finds it there.
		if err := s.appendHistory(ctx, snapshotRecord(sch, v.pos), v.pos); err != nil {
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

func newMyTable(t *table, et *event.Table, codecs []codec) (*myTable, error) {
	mt := &myTable{t: t, rel: et, fields: make([]fieldDecoder, len(t.cols))}
	sel := make([]string, len(t.cols))
	for i := range t.cols {
		c := &t.cols[i]
		sel[i] = selectExpr(c)
		f, err := fieldDecoderFor(c, codecs[i])
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", t.id(), c.name, err)
		}
		mt.fields[i] = f
		if usesText(c) {
			mt.text = append(mt.text, i)
		}
	}
	mt.selectCols = strings.Join(sel, ", ")
	var keySel, keyNames []string
	for _, k := range t.pk {
		i := t.colIndex(k)
		if i < 0 {
			return nil, fmt.Errorf("table %s: primary key column %q is not a column", t.id(), k)
		}
		mt.keys = append(mt.keys, &t.cols[i])
		keySel = append(keySel, selectExpr(&t.cols[i]))
		keyNames = append(keyNames, quoteIdent(t.cols[i].name))
	}
	mt.keyCols, mt.orderBy = strings.Join(keySel, ", "), strings.Join(keyNames, ", ")
	return mt, nil
}

func (mt *myTable) name() string { return quoteIdent(mt.t.db) + "." + quoteIdent(mt.t.name) }

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
	var out []snapshot.Key
	var lo snapshot.Key
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q := "SELECT " + mt.keyCols + " FROM " + mt.name()
		if lo != nil {
			cond, err := mt.keyCompare(lo, ">=")
			if err != nil {
				return nil, err
			}
			q += " WHERE " + cond
		}
		q += " ORDER BY " + mt.orderBy + " LIMIT 1 OFFSET " + strconv.Itoa(rows)
		var next snapshot.Key
		if err := query(c, q, func(row []gmysql.FieldValue) error {
			next = encodeKey(row)
			return nil
		}); err != nil {
			return nil, err
		}
		if next == nil {
			return out, nil
		}
		if slices.Equal(next, lo) {
			// Only a bound that does not compare as the key's own values can do this.
			return nil, fmt.Errorf("split %s: the key after %v is %v again", mt.t.id(), lo, next)
		}
		out = append(out, next)
		lo = next
	}
}

// encodeKey writes key values as text that keeps their type: i:<int>, u:<uint>,
// f:<float>, x:<hex bytes> (the value's text or bytes as the server sends it).
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

// keyCompare renders "key op k" (op >= or <) for the key columns: the row comparison
// (c1, c2) >= (v1, v2) written out as c1 > v1 OR (c1 = v1 AND c2 >= v2), which
// MariaDB's (and MySQL's) range optimizer turns into a range of the primary key, where
// a row constructor makes it scan the whole table. Key columns are NOT NULL, so both
// forms select the same rows.
func (mt *myTable) keyCompare(k snapshot.Key, op string) (string, error) {
	if len(k) != len(mt.keys) {
		return "", fmt.Errorf("snapshot chunk key %q of %s: %d values for a key of %d columns", k, mt.t.id(), len(k), len(mt.keys))
	}
	strict := op[:1] // > or <
	var b strings.Builder
	for i, c := range mt.keys {
		cmp := func(op string) (string, error) {
			s, err := keyCondition(c, k[i], op)
			if err != nil {
				return "", fmt.Errorf("snapshot chunk key of %s column %s: %w", mt.t.id(), c.name, err)
			}
			return s, nil
		}
		if i == len(mt.keys)-1 {
			last, err := cmp(op)
			if err != nil {
				return "", err
			}
			b.WriteString(last)
			break
		}
		before, err := cmp(strict)
		if err != nil {
			return "", err
		}
		eq, err := cmp("=")
		if err != nil {
			return "", err
		}
		b.WriteString("(" + before + " OR " + eq + " AND ")
	}
	b.WriteString(strings.Repeat(")", len(mt.keys)-1))
	return b.String(), nil
}

// keyCondition renders "c op v" (op >, >=, <, or =) for a key value v of column c.
// An ENUM sorts by its labels' indexes, and MariaDB reads a comparison of one with a
// number by scanning the whole table: its ranges are lists of the labels in them.
func keyCondition(c *column, v, op string) (string, error) {
	col := quoteIdent(c.name)
	if c.typ != "enum" || op == "=" {
		lit, err := keyLiteral(c, v)
		if err != nil {
			return "", err
		}
		return col + " " + op + " " + lit, nil
	}
	typ, val, _ := strings.Cut(v, ":")
	b, err := hex.DecodeString(val)
	if typ != "x" || err != nil {
		return "", fmt.Errorf("enum key value %q", v)
	}
	enumIndex, err := enumIndexer(c)
	if err != nil {
		return "", err
	}
	at, err := enumIndex(b)
	if err != nil {
		return "", fmt.Errorf("enum key value: %w", err)
	}
	var lits []string
	zero := "" // the rows of index 0 (an invalid value, shown as ''), which sort first
	if op == "<" && at > 0 {
		if slices.Contains(c.elems, "") {
			zero = col + " = 0" // '' would match the label '' too
		} else {
			lits = append(lits, textLiteral(c, nil))
		}
	}
	for i := 1; i <= len(c.elems); i++ {
		if op == ">" && i > at || op == ">=" && i >= at || op == "<" && i < at {
			lit, err := labelLiteral(c, c.elems[i-1])
			if err != nil {
				return "", err
			}
			lits = append(lits, lit)
		}
	}
	switch {
	case len(lits) == 0 && zero == "":
		return "FALSE", nil
	case len(lits) == 0:
		return zero, nil
	case zero != "":
		return "(" + col + " IN (" + strings.Join(lits, ", ") + ") OR " + zero + ")", nil
	}
	return col + " IN (" + strings.Join(lits, ", ") + ")", nil
}

// labelLiteral is an ENUM label (UTF-8) as a literal of c's character set and
// collation.
func labelLiteral(c *column, label string) (string, error) {
	b := []byte(label)
	if c.charset != "" && c.charset != "binary" {
		enc, err := charsetEncoding(c.charset)
		if err != nil {
			return "", err
		}
		if enc != nil {
			if b, err = enc.NewEncoder().Bytes(b); err != nil {
				return "", fmt.Errorf("enum label %q in %s: %w", label, c.charset, err)
			}
		}
	}
	return textLiteral(c, b), nil
}

// textLiteral is b, bytes in c's character set, as a literal compared under c's
// collation (for a binary string, as bytes).
func textLiteral(c *column, b []byte) string {
	if c.charset == "" || c.charset == "binary" {
		return "X'" + hex.EncodeToString(b) + "'"
	}
	return "CONVERT(X'" + hex.EncodeToString(b) + "' USING " + c.charset + ") COLLATE " + c.collation
}

// keyLiteral writes a key value of column c (see encodeKey) as an SQL literal that
// compares with the column as the column's own values do, whatever the session's
// character set and sql_mode: integers and doubles as numbers, text as its bytes
// converted to the column's character set under the column's collation (explicitly,
// so it is the comparison's collation), binary strings as bytes, DECIMAL as its number,
// temporal values as their text (read in the reader's time zone, UTC, like the values
// were written), BIT as its unsigned number.
func keyLiteral(c *column, v string) (string, error) {
	typ, val, _ := strings.Cut(v, ":")
	switch typ {
	case "i":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return "", fmt.Errorf("key value %q: %w", v, err)
		}
		return strconv.FormatInt(n, 10), nil
	case "u":
		n, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			return "", fmt.Errorf("key value %q: %w", v, err)
		}
		return strconv.FormatUint(n, 10), nil
	case "f":
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return "", fmt.Errorf("key value %q: %w", v, err)
		}
		// An exponent makes the literal a double, not a DECIMAL.
		return strconv.FormatFloat(f, 'e', -1, 64), nil
	case "x":
	default:
		return "", fmt.Errorf("unknown key value %q", v)
	}
	b, err := hex.DecodeString(val)
	if err != nil {
		return "", fmt.Errorf("key value %q: %w", v, err)
	}
	switch c.typ {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json":
		if c.charset == "" || c.charset == "binary" {
			break
		}
		if c.collation == "" || !isName(c.charset) || !isName(c.collation) {
			return "", fmt.Errorf("text key column of character set %q, collation %q", c.charset, c.collation)
		}
		return textLiteral(c, b), nil
	case "decimal", "numeric":
		if !onlyBytes(b, "0123456789.-") {
			return "", fmt.Errorf("decimal key value %q", b)
		}
		return string(b), nil
	case "date", "datetime", "timestamp", "time":
		if !onlyBytes(b, "0123456789.-: ") {
			return "", fmt.Errorf("temporal key value %q", b)
		}
		return "'" + string(b) + "'", nil
	case "bit":
		if len(b) > 8 {
			return "", fmt.Errorf("bit key value of %d bytes", len(b))
		}
		var x uint64
		for _, c := range b {
			x = x<<8 | uint64(c)
		}
		return strconv.FormatUint(x, 10), nil
	}
	return "X'" + hex.EncodeToString(b) + "'", nil
}

// isName reports whether s is a character set or collation name.
func isName(s string) bool {
	return s != "" && onlyBytes([]byte(s), "abcdefghijklmnopqrstuvwxyz0123456789_")
}

func onlyBytes(b []byte, allowed string) bool {
	for _, c := range b {
		if !strings.ContainsRune(allowed, rune(c)) {
			return false
		}
	}
	return true
}

// query runs q with the text protocol and streams its rows to row, whose values are
// valid only during the call.
func query(c *client.Conn, q string, row func([]gmysql.FieldValue) error) error {
	var res gmysql.Result
	if err := c.ExecuteSelectStreaming(q, &res, row, nil); err != nil {
		return fmt.Errorf("query %s: %w", q, err)
	}
	return nil
}

// rangeQuery is the query of the rows with lo <= key < hi (nil bounds are open).
func (mt *myTable) rangeQuery(lo, hi snapshot.Key) (string, error) {
	q := "SELECT " + mt.selectCols + " FROM " + mt.name()
	var where []string
	for _, b := range []struct {
		k  snapshot.Key
		op string
	}{{lo, ">="}, {hi, "<"}} {
		if b.k == nil {
			continue
		}
		cond, err := mt.keyCompare(b.k, b.op)
		if err != nil {
			return "", err
		}
		where = append(where, "("+cond+")")
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q, nil
}

// unpadChars takes PAD_CHAR_TO_FULL_LENGTH out of a reader's sql_mode: with it, the
// server pads CHAR values with spaces to the column's length when it reads them, while
// the binlog, and so the stream, has them as stored, without the trailing spaces.
func unpadChars(c *client.Conn) error {
	r, err := c.Execute("SELECT @@SESSION.sql_mode")
	if err != nil {
		return fmt.Errorf("read the snapshot reader's sql_mode: %w", err)
	}
	mode, _ := r.GetString(0, 0)
	modes := strings.Split(mode, ",")
	kept := slices.DeleteFunc(slices.Clone(modes), func(m string) bool { return strings.EqualFold(m, "PAD_CHAR_TO_FULL_LENGTH") })
	if len(kept) == len(modes) {
		return nil
	}
	if _, err := c.Execute("SET SESSION sql_mode = ?", strings.Join(kept, ",")); err != nil {
		return fmt.Errorf("take PAD_CHAR_TO_FULL_LENGTH out of the snapshot reader's sql_mode: %w", err)
	}
	return nil
}

// Read selects the rows of a key range and decodes each value as the streaming path
// would have decoded the binlog's.
func (v *myView) Read(ctx context.Context, reader int, t snapshot.Table, lo, hi snapshot.Key, row func([]any) error) error {
	mt := v.tables[t.Table.ID.String()]
	q, err := mt.rangeQuery(lo, hi)
	if err != nil {
		return err
	}
	n := len(mt.t.cols)
	var rs rowState
	rows := 0
	return query(v.readers[reader], q, func(fvs []gmysql.FieldValue) error {
		if rows++; rows%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if len(fvs) != n {
			return fmt.Errorf("snapshot of %s: %d values in a row of %d columns", mt.t.id(), len(fvs), n)
		}
		out := rs.box.Row(n)
		size := 0
		for _, i := range mt.text {
			if fvs[i].Type == gmysql.FieldValueTypeString {
				size += len(fvs[i].AsString())
			}
		}
		rs.text.Reset()
		rs.text.Grow(size)
		for i := range fvs {
			if fvs[i].Type == gmysql.FieldValueTypeNull {
				continue
			}
			x, err := mt.fields[i](&fvs[i], &rs)
			if err != nil {
				col := &mt.t.cols[i]
				return fmt.Errorf("decode %s column %s (%s) in the snapshot: %w", mt.t.id(), col.name, col.sourceType(), err)
			}
			out[i] = x
		}
		return row(out)
	})
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
