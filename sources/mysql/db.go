package mysql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
)

// connectTimeout bounds connecting to the server.
const connectTimeout = 10 * time.Second

// connect opens a normal (non-replication) connection for metadata queries.
func connect(ctx context.Context, c conn) (*client.Conn, error) {
	cn, err := client.ConnectWithContext(ctx, c.host, c.user, c.password, "", connectTimeout)
	if err != nil {
		return nil, fmt.Errorf("connect to %s as %s: %w", c.host, c.user, redactErr(err))
	}
	return cn, nil
}

// serverInfo is what the source needs to know of the server.
type serverInfo struct {
	version      string
	flavor       string
	serverID     uint32
	logBin       bool
	binlogFormat string
	rowImage     string
	rowMetadata  string // binlog_row_metadata; "" where the server lacks it
	gtidMode     string // MySQL: gtid_mode; MariaDB: "ON" (always)
	charset      string // character_set_server
}

// queryServer reads the server's version and binlog settings.
func queryServer(c *client.Conn, flavor string) (serverInfo, error) {
	info := serverInfo{version: c.GetServerVersion()}
	info.flavor = flavor
	if info.flavor == "" {
		info.flavor = FlavorMySQL
		if strings.Contains(strings.ToLower(info.version), "mariadb") {
			info.flavor = FlavorMariaDB
		}
	}
	vars, err := globalVariables(c, "server_id", "log_bin", "binlog_format", "binlog_row_image",
		"binlog_row_metadata", "gtid_mode", "character_set_server")
	if err != nil {
		return info, err
	}
	var id uint64
	fmt.Sscan(vars["server_id"], &id)
	info.serverID = uint32(id)
	info.logBin = strings.EqualFold(vars["log_bin"], "ON") || vars["log_bin"] == "1"
	info.binlogFormat = strings.ToUpper(vars["binlog_format"])
	info.rowImage = strings.ToUpper(vars["binlog_row_image"])
	info.rowMetadata = strings.ToUpper(vars["binlog_row_metadata"])
	info.gtidMode = strings.ToUpper(vars["gtid_mode"])
	if info.flavor == FlavorMariaDB {
		info.gtidMode = "ON"
	}
	info.charset = strings.ToLower(vars["character_set_server"])
	return info, nil
}

// globalVariables reads global variables; missing ones are absent from the map.
func globalVariables(c *client.Conn, names ...string) (map[string]string, error) {
	q := "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('" + strings.Join(names, "','") + "')"
	r, err := c.Execute(q)
	if err != nil {
		return nil, fmt.Errorf("read server variables: %w", err)
	}
	out := map[string]string{}
	for i := range r.RowNumber() {
		k, _ := r.GetString(i, 0)
		v, _ := r.GetString(i, 1)
		out[strings.ToLower(k)] = v
	}
	return out, nil
}

// currentPosition reads the server's binlog position now.
func currentPosition(c *client.Conn, info serverInfo) (Position, error) {
	var p Position
	var r *gmysql.Result
	var err error
	r, err = c.Execute("SHOW MASTER STATUS")
	var me *gmysql.MyError
	if errors.As(err, &me) && me.Code == gmysql.ER_PARSE_ERROR {
		r, err = c.Execute("SHOW BINARY LOG STATUS") // MySQL 8.4 and later
	}
	if err != nil {
		return p, fmt.Errorf("read the binlog position (SHOW MASTER STATUS): %w", err)
	}
	if r.RowNumber() == 0 {
		return p, errors.New("read the binlog position: SHOW MASTER STATUS is empty; is log_bin on?")
	}
	p.File, _ = r.GetString(0, 0)
	pos, _ := r.GetUint(0, 1)
	p.Pos = uint32(pos)
	switch {
	case info.flavor == FlavorMariaDB:
		r, err = c.Execute("SELECT @@GLOBAL.gtid_binlog_pos")
		if err != nil {
			return p, fmt.Errorf("read gtid_binlog_pos: %w", err)
		}
		p.GTID, _ = r.GetString(0, 0)
	case info.gtidMode == "ON":
		r, err = c.Execute("SELECT @@GLOBAL.gtid_executed")
		if err != nil {
			return p, fmt.Errorf("read gtid_executed: %w", err)
		}
		s, _ := r.GetString(0, 0)
		p.GTID = strings.Join(strings.Fields(s), "")
	}
	if p.GTID == "" && info.flavor == FlavorMariaDB {
		// A server that never wrote a GTID: start by file and position.
		return p, nil
	}
	return p, nil
}

// loadSchema reads the tables of the databases cfg may capture from information_schema
// into a schema, by turning each table's columns into a CREATE TABLE statement for the
// same code that applies DDL from the binlog. It sets c's session character set to
// utf8mb4 first: information_schema's names, types and defaults (ENUM labels among
// them) come in the session's character set, and a server whose default is latin1
// would send 'Mü' as latin1 bytes and '😀' as '?'.
func loadSchema(c *client.Conn, cfg *Config, flavor, serverCharset string, p *ddlParser) (*schema, error) {
	if _, err := c.Execute("SET NAMES utf8mb4"); err != nil {
		return nil, fmt.Errorf("set the session's character set to utf8mb4: %w", err)
	}
	s := newSchema(serverCharset)
	r, err := c.Execute(`SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA`)
	if err != nil {
		return nil, fmt.Errorf("read databases: %w", err)
	}
	var dbs []string
	for i := range r.RowNumber() {
		db, _ := r.GetString(i, 0)
		cs, _ := r.GetString(i, 1)
		if systemDatabase(db) || !cfg.mayInclude(db) {
			continue
		}
		s.dbCharset[db] = strings.ToLower(cs)
		dbs = append(dbs, db)
	}
	if len(dbs) == 0 {
		return s, nil
	}
	in := "("
	for i, db := range dbs {
		if i > 0 {
			in += ","
		}
		in += quoteString(db)
	}
	in += ")"

	type tinfo struct {
		db, name, charset string
		cols              []string // column definitions
		defaults          []string // their DEFAULT clauses ("" for none)
		colCharsets       []string
		colCollations     []string
		json              map[string]bool
		pk                []string
	}
	tables := map[string]*tinfo{}
	var order []string
	r, err = c.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_COLLATION, '') FROM information_schema.TABLES
		WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA IN ` + in)
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	for i := range r.RowNumber() {
		db, _ := r.GetString(i, 0)
		name, _ := r.GetString(i, 1)
		coll, _ := r.GetString(i, 2)
		cs, _, _ := strings.Cut(strings.ToLower(coll), "_")
		id := db + "." + name
		tables[id] = &tinfo{db: db, name: name, charset: cs, json: map[string]bool{}}
		order = append(order, id)
	}
	r, err = c.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE,
			COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLUMN_DEFAULT, ''), COLUMN_DEFAULT IS NULL, EXTRA,
			COALESCE(COLLATION_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ` + in + `
		ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	for i := range r.RowNumber() {
		db, _ := r.GetString(i, 0)
		name, _ := r.GetString(i, 1)
		t := tables[db+"."+name]
		if t == nil {
			continue // a view
		}
		col, _ := r.GetString(i, 2)
		typ, _ := r.GetString(i, 3)
		nullable, _ := r.GetString(i, 4)
		cs, _ := r.GetString(i, 5)
		def := quoteIdent(col) + " " + typ
		if nullable == "NO" {
			def += " NOT NULL"
		} else {
			def += " NULL"
		}
		t.cols = append(t.cols, def)
		t.defaults = append(t.defaults, defaultClause(r, i, flavor, typ))
		t.colCharsets = append(t.colCharsets, strings.ToLower(cs))
		coll, _ := r.GetString(i, 9)
		t.colCollations = append(t.colCollations, strings.ToLower(coll))
	}
	r, err = c.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		WHERE CONSTRAINT_NAME = 'PRIMARY' AND TABLE_SCHEMA IN ` + in + `
		ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`)
	if err != nil {
		return nil, fmt.Errorf("read primary keys: %w", err)
	}
	for i := range r.RowNumber() {
		db, _ := r.GetString(i, 0)
		name, _ := r.GetString(i, 1)
		col, _ := r.GetString(i, 2)
		if t := tables[db+"."+name]; t != nil {
			t.pk = append(t.pk, col)
		}
	}
	// MariaDB's JSON is LONGTEXT with a CHECK (json_valid(`c`)) constraint. Servers
	// without CHECK_CONSTRAINTS (MySQL before 8.0.16) have a real JSON type.
	if r, err = c.Execute(`SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA IN ` + in); err == nil {
		for i := range r.RowNumber() {
			db, _ := r.GetString(i, 0)
			name, _ := r.GetString(i, 1)
			clause, _ := r.GetString(i, 2)
			t := tables[db+"."+name]
			if t == nil {
				continue
			}
			if col, ok := strings.CutPrefix(clause, "json_valid("); ok {
				if col, ok = strings.CutSuffix(col, ")"); ok {
					t.json[unquoteIdent(col)] = true
				}
			}
		}
	}
	for _, id := range order {
		ti := tables[id]
		if len(ti.cols) == 0 {
			continue
		}
		create := func(withDefaults bool) (string, error) {
			defs := slices.Clone(ti.cols)
			if withDefaults {
				for i, d := range ti.defaults {
					defs[i] += d
				}
			}
			if len(ti.pk) > 0 {
				var ks []string
				for _, k := range ti.pk {
					ks = append(ks, quoteIdent(k))
				}
				defs = append(defs, "PRIMARY KEY ("+strings.Join(ks, ", ")+")")
			}
			sql := "CREATE TABLE " + quoteIdent(ti.db) + "." + quoteIdent(ti.name) + " (" + strings.Join(defs, ", ") + ")"
			stmt, rw, err := p.parse(sql)
			if err == nil {
				_, err = s.applyDDL(stmt, rw, ti.db)
			}
			return sql, err
		}
		sql, err := create(true)
		if err != nil {
			// A default the parser does not read (an expression of the server's dialect)
			// must not cost the table: defaults only refine its schema.
			sql, err = create(false)
		}
		if err != nil {
			if !cfg.included(ti.db, ti.name) {
				s.drop(ti.db, ti.name) // not captured: its shape does not matter
				continue
			}
			return nil, fmt.Errorf("table %s: read its columns from information_schema: %w (as %s)", id, err, sql)
		}
		t := s.get(ti.db, ti.name)
		t.charset = ti.charset
		if t.charset == "" {
			t.charset = s.defaultCharset(ti.db)
		}
		for i := range t.cols {
			c := &t.cols[i]
			if cs := ti.colCharsets[i]; cs != "" && c.charset != "binary" {
				c.charset = cs
				c.collation = ti.colCollations[i]
			}
			if ti.json[c.name] && strings.HasSuffix(c.typ, "text") {
				c.typ = "json"
			}
		}
	}
	return s, nil
}

// defaultClause renders row i's COLUMN_DEFAULT (column 6; 7 tells NULL; 8 is EXTRA) as a
// DEFAULT clause for the generated CREATE TABLE. MariaDB gives the default as an SQL
// expression ('abc', 5, NULL, current_timestamp()); MySQL gives constants as raw text
// and marks expressions DEFAULT_GENERATED.
func defaultClause(r *gmysql.Result, i int, flavor, typ string) string {
	text, _ := r.GetString(i, 6)
	isNull, _ := r.GetInt(i, 7)
	extra, _ := r.GetString(i, 8)
	if isNull == 1 {
		return ""
	}
	if flavor == FlavorMariaDB {
		return " DEFAULT " + text
	}
	if strings.Contains(strings.ToUpper(extra), "DEFAULT_GENERATED") || strings.HasPrefix(strings.ToLower(typ), "bit") {
		return ""
	}
	return " DEFAULT " + quoteString(text)
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}
