package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// History stores the schema history: the tracked tables' shapes at the source's start
// and after each DDL statement, with the binlog position the shape holds from. With it a
// restart decodes the binlog after its resume position with the shapes of that time, not
// today's (Debezium's schema history topic). The pipeline keeps it in a Kafka topic.
type History interface {
	// Load returns every stored record, oldest first.
	Load(ctx context.Context) ([][]byte, error)
	// Append stores one record durably (acknowledged by Kafka) before it returns.
	Append(ctx context.Context, record []byte) error
}

// historyVersion is the version of the record format.
const historyVersion = 1

// historyRecord is one entry of the schema history, stored as JSON. A snapshot record
// holds every tracked table (the schema read from information_schema); other records
// hold the tables one statement changed, in their new shape, and the ones it removed.
type historyRecord struct {
	Version  int    `json:"version"`
	Position string `json:"position"`
	TsMs     int64  `json:"ts_ms"`
	Database string `json:"database,omitempty"`
	DDL      string `json:"ddl,omitempty"`
	Snapshot bool   `json:"snapshot,omitempty"`
	// ServerCharset and DBCharsets are the character set defaults new tables get.
	ServerCharset string            `json:"server_charset,omitempty"`
	DBCharsets    map[string]string `json:"db_charsets,omitempty"`
	Tables        []historyTable    `json:"tables,omitempty"`
	Dropped       []string          `json:"dropped,omitempty"` // "db.table"
}

type historyTable struct {
	DB      string          `json:"db"`
	Name    string          `json:"name"`
	Charset string          `json:"charset,omitempty"`
	PK      []string        `json:"pk,omitempty"`
	Columns []historyColumn `json:"columns"`
}

type historyColumn struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Unsigned  bool     `json:"unsigned,omitempty"`
	Length    int      `json:"length,omitempty"`
	Precision int      `json:"precision,omitempty"`
	Scale     int      `json:"scale,omitempty"`
	HasScale  bool     `json:"has_scale,omitempty"`
	FSP       int      `json:"fsp,omitempty"`
	Charset   string   `json:"charset,omitempty"`
	Elems     []string `json:"elems,omitempty"`
	Nullable  bool     `json:"nullable,omitempty"`
	Default   *string  `json:"default,omitempty"`
}

func historyTableOf(t *table) historyTable {
	h := historyTable{DB: t.db, Name: t.name, Charset: t.charset, PK: t.pk, Columns: make([]historyColumn, len(t.cols))}
	for i, c := range t.cols {
		h.Columns[i] = historyColumn{Name: c.name, Type: c.typ, Unsigned: c.unsigned, Length: c.length,
			Precision: c.precision, Scale: c.scale, HasScale: c.hasScale, FSP: c.fsp, Charset: c.charset,
			Elems: c.elems, Nullable: c.nullable, Default: c.def}
	}
	return h
}

func (h historyTable) table() *table {
	t := &table{db: h.DB, name: h.Name, charset: h.Charset, pk: h.PK, cols: make([]column, len(h.Columns))}
	for i, c := range h.Columns {
		t.cols[i] = column{name: c.Name, typ: c.Type, unsigned: c.Unsigned, length: c.Length,
			precision: c.Precision, scale: c.Scale, hasScale: c.HasScale, fsp: c.FSP, charset: c.Charset,
			elems: c.Elems, nullable: c.Nullable, def: c.Default}
	}
	return t
}

// snapshotRecord records every table of s as the schema at pos.
func snapshotRecord(s *schema, pos Position) historyRecord {
	r := historyRecord{Version: historyVersion, Position: pos.String(), TsMs: time.Now().UnixMilli(), Snapshot: true,
		ServerCharset: s.serverCharset, DBCharsets: s.dbCharset}
	ids := make([]string, 0, len(s.tables))
	for id := range s.tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r.Tables = append(r.Tables, historyTableOf(s.tables[id]))
	}
	return r
}

// changeRecord records the shapes of the tables ids (db.table) in s after a statement
// at pos: present ones in Tables, absent ones in Dropped.
func changeRecord(s *schema, pos Position, db, ddl string, ids []string) historyRecord {
	r := historyRecord{Version: historyVersion, Position: pos.String(), TsMs: time.Now().UnixMilli(), Database: db, DDL: ddl,
		ServerCharset: s.serverCharset, DBCharsets: s.dbCharset}
	for _, id := range ids {
		if t := s.tables[id]; t != nil {
			r.Tables = append(r.Tables, historyTableOf(t))
		} else {
			r.Dropped = append(r.Dropped, id)
		}
	}
	return r
}

// apply makes the record's shapes current in s.
func (r *historyRecord) apply(s *schema) {
	if r.Snapshot {
		clear(s.tables)
	}
	if r.ServerCharset != "" {
		s.serverCharset = r.ServerCharset
	}
	if r.DBCharsets != nil {
		s.dbCharset = maps.Clone(r.DBCharsets)
	}
	for _, id := range r.Dropped {
		delete(s.tables, id)
	}
	for _, ht := range r.Tables {
		s.put(ht.table())
	}
}

func decodeHistory(raw []byte) (historyRecord, Position, error) {
	var r historyRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, Position{}, fmt.Errorf("schema history record %.80q: %w", raw, err)
	}
	if r.Version != historyVersion {
		return r, Position{}, fmt.Errorf("schema history record at %s: version %d, this build reads %d", r.Position, r.Version, historyVersion)
	}
	pos, err := ParsePosition(r.Position)
	if err != nil {
		return r, Position{}, fmt.Errorf("schema history record: %w", err)
	}
	return r, pos, nil
}

// replayHistory builds the schema as of position at from the stored records: every
// record at or before at, in the order stored. It returns nil when no snapshot record
// is at or before at (the history cannot say what the tables looked like then), and the
// position of the newest record.
func replayHistory(records [][]byte, at Position, flavor string) (*schema, *Position, error) {
	var sch *schema
	var last *Position
	for i, raw := range records {
		r, pos, err := decodeHistory(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("record %d: %w", i, err)
		}
		last = &pos
		ok, err := covers(at, pos, flavor)
		if err != nil {
			return nil, nil, fmt.Errorf("record %d: %w", i, err)
		}
		if !ok {
			continue
		}
		if sch == nil {
			if !r.Snapshot {
				continue
			}
			sch = newSchema(r.ServerCharset)
		}
		r.apply(sch)
	}
	return sch, last, nil
}

// covers reports whether position p is at or after q: whether a stream resumed at p has
// seen everything up to q. It compares GTID sets where both have one, else binlog files
// and offsets.
func covers(p, q Position, flavor string) (bool, error) {
	if p.GTID != "" && q.GTID != "" {
		if flavor == FlavorMySQL || strings.Contains(p.GTID, ":") {
			ps, err := gmysql.ParseMysqlGTIDSet(p.GTID)
			if err != nil {
				return false, fmt.Errorf("compare positions: %w", err)
			}
			qs, err := gmysql.ParseMysqlGTIDSet(q.GTID)
			if err != nil {
				return false, fmt.Errorf("compare positions: %w", err)
			}
			return ps.Contain(qs), nil
		}
		pd, err := mariaDomains(p.GTID)
		if err != nil {
			return false, err
		}
		qd, err := mariaDomains(q.GTID)
		if err != nil {
			return false, err
		}
		for dom, seq := range qd {
			if pd[dom] < seq {
				return false, nil
			}
		}
		return true, nil
	}
	if p.File != "" && q.File != "" {
		if c := compareFiles(p.File, q.File); c != 0 {
			return c > 0, nil
		}
		return p.Pos >= q.Pos, nil
	}
	return false, fmt.Errorf("compare positions %s and %s: no GTIDs or binlog files in common", p, q)
}

// mariaDomains maps a MariaDB GTID position's domains to their sequence numbers.
func mariaDomains(text string) (map[uint32]uint64, error) {
	out := map[uint32]uint64{}
	for _, part := range strings.Split(text, ",") {
		g, err := gmysql.ParseMariadbGTID(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("compare positions: MariaDB GTID %q: %w", part, err)
		}
		out[g.DomainID] = max(out[g.DomainID], g.SequenceNumber)
	}
	return out, nil
}

// compareFiles orders binlog file names by their numeric extension (mysql-bin.000010
// after mysql-bin.000009, and after mysql-bin.999999 comes mysql-bin.1000000).
func compareFiles(a, b string) int {
	ai, aerr := strconv.ParseUint(a[strings.LastIndexByte(a, '.')+1:], 10, 64)
	bi, berr := strconv.ParseUint(b[strings.LastIndexByte(b, '.')+1:], 10, 64)
	if aerr == nil && berr == nil && ai != bi {
		if ai < bi {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// tableChange describes table t (nil: dropped) as Debezium's schema change events do.
func tableChange(typ string, db, name string, t *table) event.TableChange {
	tc := event.TableChange{Type: typ, ID: event.TableID{Database: db, Table: name}}
	if t == nil {
		return tc
	}
	tc.Charset, tc.PrimaryKey = t.charset, slices.Clone(t.pk)
	for i := range t.cols {
		tc.Columns = append(tc.Columns, columnDef(&t.cols[i], i))
	}
	return tc
}

// columnDef describes c, the column at index i.
func columnDef(c *column, i int) event.ColumnDef {
	name := strings.ToUpper(c.typ)
	if c.unsigned {
		name += " UNSIGNED"
	}
	d := event.ColumnDef{Name: c.name, JDBCType: jdbcType(c), TypeName: name, TypeExpression: strings.ToUpper(c.sourceType()),
		Position: int32(i + 1), Optional: c.nullable}
	if c.charset != "" && c.charset != "binary" {
		d.Charset = c.charset
	}
	if c.def != nil {
		d.Default = *c.def
	}
	n := func(v int) *int32 { x := int32(v); return &x }
	switch c.typ {
	case "decimal":
		d.Length, d.Scale = n(c.precision), n(c.scale)
	case "float", "double":
		if c.hasScale {
			d.Length, d.Scale = n(c.precision), n(c.scale)
		}
	case "char", "varchar", "binary", "varbinary", "bit":
		d.Length = n(c.length)
	case "time", "datetime", "timestamp":
		d.Length = n(c.fsp)
	case "enum", "set":
		d.EnumValues = slices.Clone(c.elems)
	}
	return d
}

// jdbcType is the java.sql.Types code Debezium's MySQL DDL parser gives a column type.
func jdbcType(c *column) int32 {
	switch c.typ {
	case "bit":
		return -7
	case "bool", "boolean":
		return 16
	case "tinyint":
		return -6
	case "smallint":
		return 5
	case "mediumint", "int", "integer", "year":
		return 4
	case "bigint":
		return -5
	case "float":
		return 6
	case "double", "real":
		return 8
	case "decimal", "numeric":
		return 3
	case "char", "enum", "set":
		return 1
	case "varchar", "tinytext", "text", "mediumtext", "longtext":
		return 12
	case "binary":
		return -2
	case "varbinary":
		return -3
	case "tinyblob", "blob", "mediumblob", "longblob":
		return 2004
	case "date":
		return 91
	case "time":
		return 92
	case "datetime":
		return 93
	case "timestamp":
		return 2014
	}
	return 1111 // OTHER: json, geometry and the spatial types
}

// prepareHistory returns the schema to start streaming with, given cur, the schema read
// from information_schema at position pos. Resuming, it is the history's schema at the
// resume position; starting afresh, it is cur, recorded in the history as the schema at
// pos.
func (s *Source) prepareHistory(ctx context.Context, cur *schema, pos Position) (*schema, error) {
	h := s.cfg.History
	if s.start == nil {
		if err := s.appendHistory(ctx, snapshotRecord(cur, pos), pos); err != nil {
			return nil, err
		}
		return cur, nil
	}
	at := *s.start
	records, err := h.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load schema history: %w", err)
	}
	sch, last, err := replayHistory(records, at, s.info.flavor)
	if err != nil {
		return nil, fatal(fmt.Errorf("%w: replay schema history: %v", ErrSchema, err))
	}
	s.histPos = last
	if sch == nil {
		if len(records) > 0 {
			return nil, fatal(fmt.Errorf("%w: the schema history (%d records) has no schema at or before the resume position %s: it was written for another position or server; to start over from the server's current position, delete the pipeline's offsets and schema history topics",
				ErrSchema, len(records), at))
		}
		// A pipeline that ran before the history existed, or whose history was deleted.
		s.log.Warn("no schema history: taking today's schema from information_schema as the schema at the resume position; rows written before a later DDL may not decode",
			"position", at.String())
		if err := s.appendHistory(ctx, snapshotRecord(cur, at), at); err != nil {
			return nil, err
		}
		return cur, nil
	}
	// Tables the history does not know (the tables setting was widened since) are
	// taken as they are today.
	var added []string
	for id, t := range cur.tables {
		if sch.tables[id] == nil && s.cfg.included(t.db, t.name) {
			sch.put(t)
			added = append(added, id)
		}
	}
	if len(added) > 0 {
		slices.Sort(added)
		s.log.Warn("captured tables not in the schema history: taking their shape from information_schema", "tables", strings.Join(added, ","))
		if err := s.appendHistory(ctx, changeRecord(sch, at, "", "", added), at); err != nil {
			return nil, err
		}
	}
	s.log.Info("schema history replayed", "records", len(records), "position", at.String(), "tables", len(sch.tables))
	return sch, nil
}

// appendHistory stores r, the record at pos, unless the history has a record at or
// after pos already (a statement read again after a restart).
func (s *Source) appendHistory(ctx context.Context, r historyRecord, pos Position) error {
	if s.cfg.History == nil {
		return nil
	}
	if s.histPos != nil && !r.Snapshot && len(r.Tables)+len(r.Dropped) > 0 && r.DDL != "" {
		if done, err := covers(*s.histPos, pos, s.info.flavor); err == nil && done {
			return nil
		}
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return fatal(fmt.Errorf("encode schema history record at %s: %w", pos, err))
	}
	if err := s.cfg.History.Append(ctx, raw); err != nil {
		return fatal(fmt.Errorf("store schema history record at %s: %w", pos, err))
	}
	s.histPos = &pos
	return nil
}
