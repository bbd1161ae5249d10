package mysql

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	tmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"

	"github.com/pingcap/tidb/pkg/parser/opcode"
	// The parser needs a value driver; this is the parser module's own light one.
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// DDL handling. Statements from the binlog's query events are parsed with TiDB's MySQL
// parser after a light rewrite of what it does not know (spatial types, SRID, MariaDB's
// CREATE OR REPLACE, collations and character sets TiDB lacks), then applied to the
// in-memory schema. The same path turns information_schema into the starting schema:
// its columns become a CREATE TABLE statement.

// errNotTableDDL marks statements that change no table (or that the parser cannot read
// and that do not look like table DDL).
var errNotTableDDL = errors.New("not table DDL")

// rewritten is a statement prepared for TiDB's parser.
type rewritten struct {
	sql string
	// spatial maps column names declared with a spatial type (rewritten to LONGBLOB) to
	// that type.
	spatial map[string]string
	// charset is the one character set TiDB does not know that the statement names
	// (rewritten to gb18030, which MariaDB lacks and MySQL rarely uses).
	charset string
	// year2 holds the names of columns declared YEAR(2) (rewritten to YEAR, as TiDB
	// refuses YEAR(2); MariaDB still has it).
	year2 map[string]bool
}

const charsetPlaceholder = "gb18030"

var spatialTypes = map[string]bool{"geometry": true, "point": true, "linestring": true, "polygon": true,
	"multipoint": true, "multilinestring": true, "multipolygon": true, "geometrycollection": true,
	"geomcollection": true}

// typeFollowers are the words and symbols that may follow a column type; a spatial type
// name followed by anything else is a column name.
var typeFollowers = map[string]bool{",": true, ")": true, ";": true, "": true, "not": true, "null": true,
	"default": true, "comment": true, "srid": true, "primary": true, "unique": true, "key": true,
	"invisible": true, "visible": true, "after": true, "first": true, "check": true,
	"constraint": true, "ref_system_id": true, "references": true}

type token struct {
	text       string
	start, end int
	word       bool // identifier, keyword, number or quoted identifier
}

// tokenize splits sql into words, quoted strings and symbols, skipping comments and
// white space. Quoted identifiers keep their backquotes.
func tokenize(sql string) []token {
	var toks []token
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == '-' && strings.HasPrefix(sql[i:], "-- "):
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(sql[i:], "/*") && !strings.HasPrefix(sql[i:], "/*!") && !strings.HasPrefix(sql[i:], "/*M!"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				i = len(sql)
			} else {
				i += end + 4
			}
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(sql) {
				if sql[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j+1, len(sql))
			toks = append(toks, token{text: sql[i:j], start: i, end: j, word: c == '`'})
			i = j
		case isWordByte(c):
			j := i
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			toks = append(toks, token{text: sql[i:j], start: i, end: j, word: true})
			i = j
		default:
			toks = append(toks, token{text: sql[i : i+1], start: i, end: i + 1})
			i++
		}
	}
	return toks
}

func isNumber(s string) bool {
	_, ok := num(s)
	return ok
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func unquoteIdent(s string) string {
	if len(s) >= 2 && s[0] == '`' && s[len(s)-1] == '`' {
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}

func unquoteName(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return unquoteIdent(s)
}

// rewriteForTiDB rewrites what TiDB's parser rejects; see rewritten.
func rewriteForTiDB(sql string) (rewritten, error) {
	toks := tokenize(sql)
	rw := rewritten{spatial: map[string]string{}, year2: map[string]bool{}}
	type edit struct {
		start, end int
		with       string
	}
	var edits []edit
	lower := func(i int) string {
		if i < 0 || i >= len(toks) {
			return ""
		}
		return strings.ToLower(toks[i].text)
	}
	for i := 0; i < len(toks); i++ {
		w := lower(i)
		switch {
		case i == 0 && w == "create" && lower(1) == "or" && lower(2) == "replace":
			// MariaDB's CREATE OR REPLACE TABLE replaces the table: for the schema that
			// is a CREATE of the new shape.
			edits = append(edits, edit{toks[1].start, toks[2].end, ""})
			i += 2
		case spatialTypes[w] && i > 0 && toks[i-1].word && typeFollowers[lower(i+1)] &&
			!strings.EqualFold(toks[i-1].text, "spatial"):
			rw.spatial[strings.ToLower(unquoteIdent(toks[i-1].text))] = w
			edits = append(edits, edit{toks[i].start, toks[i].end, "LONGBLOB"})
		case w == "year" && i > 0 && toks[i-1].word && lower(i+1) == "(" && lower(i+2) == "2" && lower(i+3) == ")":
			rw.year2[strings.ToLower(unquoteIdent(toks[i-1].text))] = true
			edits = append(edits, edit{toks[i+1].start, toks[i+3].end, ""})
			i += 3
		case w == "srid" || w == "ref_system_id":
			// MySQL's SRID n and MariaDB's REF_SYSTEM_ID = n of spatial columns.
			j := i + 1
			if lower(j) == "=" {
				j++
			}
			if j < len(toks) && isNumber(toks[j].text) {
				edits = append(edits, edit{toks[i].start, toks[j].end, ""})
				i = j
			}
		case w == "collate":
			j := i + 1
			if lower(j) == "=" {
				j++
			}
			if j < len(toks) {
				edits = append(edits, edit{toks[i].start, toks[j].end, ""})
				i = j
			}
		case w == "charset" || w == "character" && lower(i+1) == "set":
			j := i + 1
			if w == "character" {
				j++
			}
			if lower(j) == "=" {
				j++
			}
			if j >= len(toks) {
				break
			}
			name := strings.ToLower(unquoteName(toks[j].text))
			if _, err := charset.GetCharsetInfo(name); err == nil || name == "binary" {
				i = j
				break
			}
			if rw.charset != "" && rw.charset != name {
				return rw, fmt.Errorf("the statement names the character sets %s and %s, which the DDL parser does not know; only one such character set per statement is supported", rw.charset, name)
			}
			rw.charset = name
			edits = append(edits, edit{toks[j].start, toks[j].end, charsetPlaceholder})
			i = j
		}
	}
	if len(edits) == 0 {
		rw.sql = sql
		return rw, nil
	}
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(sql[last:e.start])
		b.WriteString(e.with)
		last = e.end
	}
	b.WriteString(sql[last:])
	rw.sql = b.String()
	return rw, nil
}

// tableDDLPrefixes are the statement starts that change tables; a statement like these
// that cannot be parsed stops the stream when it may concern a captured table.
var tableDDLPrefixes = [][]string{
	{"create", "table"}, {"create", "temporary", "table"}, {"create", "or", "replace", "table"},
	{"alter", "table"}, {"alter", "online", "table"}, {"alter", "ignore", "table"},
	{"drop", "table"}, {"drop", "temporary", "table"}, {"rename", "table"},
	{"create", "database"}, {"create", "schema"}, {"drop", "database"}, {"drop", "schema"},
	{"alter", "database"}, {"alter", "schema"},
}

func looksLikeTableDDL(toks []token) bool {
	for _, p := range tableDDLPrefixes {
		if len(toks) < len(p) {
			continue
		}
		ok := true
		for i, w := range p {
			if !strings.EqualFold(toks[i].text, w) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// ddlParser parses DDL statements. It is not safe for concurrent use.
type ddlParser struct{ p *parser.Parser }

func newDDLParser() *ddlParser { return &ddlParser{p: parser.New()} }

// parse parses one statement. For statements that are not table DDL it returns
// errNotTableDDL.
func (d *ddlParser) parse(sql string) (ast.StmtNode, rewritten, error) {
	toks := tokenize(sql)
	if !looksLikeTableDDL(toks) {
		return nil, rewritten{}, errNotTableDDL
	}
	rw, err := rewriteForTiDB(sql)
	if err != nil {
		return nil, rw, err
	}
	stmts, _, err := d.p.Parse(rw.sql, "", "")
	if err != nil {
		return nil, rw, err
	}
	if len(stmts) != 1 {
		return nil, rw, fmt.Errorf("%d statements in one query event", len(stmts))
	}
	return stmts[0], rw, nil
}

// columnFromDef turns a parsed column definition into a column. defCharset is the
// character set of the table (or database) the column gets when it names none.
func columnFromDef(def *ast.ColumnDef, rw rewritten, defCharset string) (column, error) {
	c := column{name: def.Name.Name.O, nullable: true}
	ft := def.Tp
	if ft == nil {
		return c, fmt.Errorf("column %s has no type", c.name)
	}
	flen, dec := ft.GetFlen(), ft.GetDecimal()
	binaryStr := ft.GetCharset() == charset.CharsetBin || tmysql.HasBinaryFlag(ft.GetFlag()) && ft.GetCharset() == ""
	c.unsigned = tmysql.HasUnsignedFlag(ft.GetFlag())
	switch ft.GetType() {
	case tmysql.TypeTiny:
		c.typ = "tinyint"
	case tmysql.TypeShort:
		c.typ = "smallint"
	case tmysql.TypeInt24:
		c.typ = "mediumint"
	case tmysql.TypeLong:
		c.typ = "int"
	case tmysql.TypeLonglong:
		c.typ = "bigint"
	case tmysql.TypeNewDecimal:
		c.typ = "decimal"
		c.precision, c.scale = flen, dec
		if c.precision == types.UnspecifiedLength {
			c.precision = 10
		}
		if c.scale == types.UnspecifiedLength {
			c.scale = 0
		}
	case tmysql.TypeFloat:
		c.typ = "float"
		if dec != types.UnspecifiedLength {
			c.hasScale, c.precision, c.scale = true, flen, dec
		}
	case tmysql.TypeDouble:
		c.typ = "double"
		if dec != types.UnspecifiedLength {
			c.hasScale, c.precision, c.scale = true, flen, dec
		}
	case tmysql.TypeBit:
		c.typ = "bit"
		c.length = max(flen, 1)
	case tmysql.TypeString:
		c.typ, c.length = "char", max(flen, 1)
		if binaryStr {
			c.typ = "binary"
		}
	case tmysql.TypeVarchar, tmysql.TypeVarString:
		c.typ, c.length = "varchar", flen
		if binaryStr {
			c.typ = "varbinary"
		}
	case tmysql.TypeTinyBlob, tmysql.TypeBlob, tmysql.TypeMediumBlob, tmysql.TypeLongBlob:
		size := map[byte]string{tmysql.TypeTinyBlob: "tiny", tmysql.TypeBlob: "", tmysql.TypeMediumBlob: "medium", tmysql.TypeLongBlob: "long"}[ft.GetType()]
		if sp, ok := rw.spatial[strings.ToLower(c.name)]; ok && ft.GetType() == tmysql.TypeLongBlob {
			c.typ = sp
		} else if binaryStr {
			c.typ = size + "blob"
		} else {
			c.typ = size + "text"
		}
	case tmysql.TypeDate:
		c.typ = "date"
	case tmysql.TypeDuration:
		c.typ, c.fsp = "time", max(dec, 0)
	case tmysql.TypeDatetime:
		c.typ, c.fsp = "datetime", max(dec, 0)
	case tmysql.TypeTimestamp:
		c.typ, c.fsp = "timestamp", max(dec, 0)
	case tmysql.TypeYear:
		c.typ = "year"
		if rw.year2[strings.ToLower(c.name)] {
			c.length = 2 // YEAR(2): queries show two digits
		}
	case tmysql.TypeEnum:
		c.typ, c.elems = "enum", slices.Clone(ft.GetElems())
	case tmysql.TypeSet:
		c.typ, c.elems = "set", slices.Clone(ft.GetElems())
	case tmysql.TypeJSON:
		c.typ = "json"
	default:
		return c, fmt.Errorf("column %s: type %s is not supported", c.name, ft.String())
	}
	switch c.typ {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		c.charset = strings.ToLower(ft.GetCharset())
		if c.charset == charsetPlaceholder && rw.charset != "" {
			c.charset = rw.charset
		}
		if c.charset == "" {
			c.charset = defCharset
		}
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		c.charset = "binary"
	}
	for _, o := range def.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull, ast.ColumnOptionPrimaryKey:
			c.nullable = false
		case ast.ColumnOptionNull:
			c.nullable = true
		case ast.ColumnOptionDefaultValue:
			c.def = literalDefault(o.Expr)
		case ast.ColumnOptionCheck:
			// MariaDB's JSON is LONGTEXT CHECK (json_valid(`c`)).
			if fc, ok := o.Expr.(*ast.FuncCallExpr); ok && fc.FnName.L == "json_valid" && len(fc.Args) == 1 {
				if cn, ok := fc.Args[0].(*ast.ColumnNameExpr); ok && strings.EqualFold(cn.Name.Name.O, c.name) &&
					strings.HasSuffix(c.typ, "text") {
					c.typ = "json"
				}
			}
		}
	}
	if c.typ == "timestamp" && !hasNullOption(def) {
		// A TIMESTAMP without NULL is NOT NULL unless explicit_defaults_for_timestamp is
		// on; information_schema, from which the starting schema comes, says NULL or NOT NULL
		// explicitly, and binlog DDL keeps what the client wrote. Assume the modern
		// default (explicit_defaults_for_timestamp=ON: nullable).
		c.nullable = true
	}
	return c, nil
}

// literalDefault returns the text of a DEFAULT that is a constant (a number or a
// string), or nil for NULL, expressions and other literals.
func literalDefault(e ast.ExprNode) *string {
	neg := false
	if u, ok := e.(*ast.UnaryOperationExpr); ok {
		switch u.Op {
		case opcode.Minus:
			neg = true
		case opcode.Plus:
		default:
			return nil
		}
		e = u.V
	}
	v, ok := e.(*test_driver.ValueExpr)
	if !ok {
		return nil
	}
	var s string
	switch v.Kind() {
	case test_driver.KindInt64:
		s = strconv.FormatInt(v.GetInt64(), 10)
	case test_driver.KindUint64:
		s = strconv.FormatUint(v.GetUint64(), 10)
	case test_driver.KindFloat32:
		s = strconv.FormatFloat(float64(v.GetFloat32()), 'g', -1, 32)
	case test_driver.KindFloat64:
		s = strconv.FormatFloat(v.GetFloat64(), 'g', -1, 64)
	case test_driver.KindMysqlDecimal:
		s = v.GetMysqlDecimal().String()
	case test_driver.KindString, test_driver.KindBytes:
		if neg {
			return nil
		}
		s = v.GetString()
	default:
		return nil
	}
	if neg {
		if t, ok := strings.CutPrefix(s, "-"); ok {
			s = t
		} else {
			s = "-" + s
		}
	}
	return &s
}

func hasNullOption(def *ast.ColumnDef) bool {
	for _, o := range def.Options {
		if o.Tp == ast.ColumnOptionNull || o.Tp == ast.ColumnOptionNotNull || o.Tp == ast.ColumnOptionPrimaryKey {
			return true
		}
	}
	return false
}

func tableCharset(opts []*ast.TableOption, rw rewritten) string {
	for _, o := range opts {
		if o.Tp == ast.TableOptionCharset && o.StrValue != "" {
			cs := strings.ToLower(o.StrValue)
			if cs == charsetPlaceholder && rw.charset != "" {
				cs = rw.charset
			}
			return cs
		}
	}
	return ""
}

func dbCharset(opts []*ast.DatabaseOption, rw rewritten) string {
	for _, o := range opts {
		if o.Tp == ast.DatabaseOptionCharset && o.Value != "" {
			cs := strings.ToLower(o.Value)
			if cs == charsetPlaceholder && rw.charset != "" {
				cs = rw.charset
			}
			return cs
		}
	}
	return ""
}

func pkFromConstraint(c *ast.Constraint) []string {
	var pk []string
	for _, k := range c.Keys {
		if k.Column != nil {
			pk = append(pk, k.Column.Name.O)
		}
	}
	return pk
}

// tableRef is a table a statement names, resolved against the statement's database.
func tableRef(n *ast.TableName, defaultDB string) (db, name string) {
	db = n.Schema.O
	if db == "" {
		db = defaultDB
	}
	return db, n.Name.O
}

// applyDDL applies one parsed statement to s and returns the "db.table" names whose
// shape changed or that were dropped (dropped ones are no longer in s).
func (s *schema) applyDDL(stmt ast.StmtNode, rw rewritten, defaultDB string) ([]string, error) {
	switch n := stmt.(type) {
	case *ast.CreateDatabaseStmt:
		if cs := dbCharset(n.Options, rw); cs != "" {
			s.dbCharset[n.Name.O] = cs
		}
		return nil, nil
	case *ast.AlterDatabaseStmt:
		db := n.Name.O
		if db == "" {
			db = defaultDB
		}
		if cs := dbCharset(n.Options, rw); cs != "" {
			s.dbCharset[db] = cs
		}
		return nil, nil
	case *ast.DropDatabaseStmt:
		var gone []string
		for id, t := range s.tables {
			if t.db == n.Name.O {
				delete(s.tables, id)
				gone = append(gone, id)
			}
		}
		delete(s.dbCharset, n.Name.O)
		slices.Sort(gone)
		return gone, nil
	case *ast.CreateTableStmt:
		if n.TemporaryKeyword != ast.TemporaryNone {
			return nil, nil
		}
		db, name := tableRef(n.Table, defaultDB)
		if n.IfNotExists && s.get(db, name) != nil {
			return nil, nil
		}
		if n.ReferTable != nil {
			rdb, rname := tableRef(n.ReferTable, defaultDB)
			src := s.get(rdb, rname)
			if src == nil {
				s.drop(db, name)
				return []string{db + "." + name}, fmt.Errorf("CREATE TABLE %s.%s LIKE %s.%s: the schema of %s.%s is not known", db, name, rdb, rname, rdb, rname)
			}
			t := src.clone()
			t.db, t.name = db, name
			s.put(t)
			return []string{t.id()}, nil
		}
		t := &table{db: db, name: name, charset: tableCharset(n.Options, rw)}
		if t.charset == "" {
			t.charset = s.defaultCharset(db)
		}
		for _, def := range n.Cols {
			c, err := columnFromDef(def, rw, t.charset)
			if err != nil {
				return []string{t.id()}, fmt.Errorf("table %s: %w", t.id(), err)
			}
			t.cols = append(t.cols, c)
			for _, o := range def.Options {
				if o.Tp == ast.ColumnOptionPrimaryKey {
					t.pk = []string{c.name}
				}
			}
		}
		for _, con := range n.Constraints {
			if con.Tp == ast.ConstraintPrimaryKey {
				t.pk = pkFromConstraint(con)
			}
		}
		markPKNotNull(t)
		s.put(t)
		return []string{t.id()}, nil
	case *ast.DropTableStmt:
		if n.IsView || n.TemporaryKeyword != ast.TemporaryNone {
			return nil, nil
		}
		var gone []string
		for _, tn := range n.Tables {
			db, name := tableRef(tn, defaultDB)
			if s.get(db, name) != nil {
				s.drop(db, name)
				gone = append(gone, db+"."+name)
			}
		}
		return gone, nil
	case *ast.RenameTableStmt:
		var changed []string
		for _, tt := range n.TableToTables {
			odb, oname := tableRef(tt.OldTable, defaultDB)
			ndb, nname := tableRef(tt.NewTable, defaultDB)
			changed = append(changed, odb+"."+oname, ndb+"."+nname)
			t := s.get(odb, oname)
			s.drop(odb, oname)
			if t == nil {
				s.drop(ndb, nname)
				continue
			}
			t = t.clone()
			t.db, t.name = ndb, nname
			s.put(t)
		}
		return changed, nil
	case *ast.AlterTableStmt:
		db, name := tableRef(n.Table, defaultDB)
		old := s.get(db, name)
		if old == nil {
			return []string{db + "." + name}, nil
		}
		t := old.clone()
		changed := []string{t.id()}
		for _, spec := range n.Specs {
			if err := alterTable(t, spec, rw, defaultDB); err != nil {
				return changed, fmt.Errorf("ALTER TABLE %s: %w", t.id(), err)
			}
		}
		markPKNotNull(t)
		if t.db != db || t.name != name {
			s.drop(db, name)
			changed = append(changed, t.id())
		}
		s.put(t)
		return changed, nil
	}
	return nil, nil
}

func markPKNotNull(t *table) {
	for _, k := range t.pk {
		if i := t.colIndex(k); i >= 0 {
			t.cols[i].nullable = false
		}
	}
}

func insertColumn(t *table, c column, pos *ast.ColumnPosition) error {
	at := len(t.cols)
	if pos != nil {
		switch pos.Tp {
		case ast.ColumnPositionFirst:
			at = 0
		case ast.ColumnPositionAfter:
			i := t.colIndex(pos.RelativeColumn.Name.O)
			if i < 0 {
				return fmt.Errorf("no column %s to add %s after", pos.RelativeColumn.Name.O, c.name)
			}
			at = i + 1
		}
	}
	t.cols = slices.Insert(t.cols, at, c)
	return nil
}

func renameInPK(t *table, from, to string) {
	for i, k := range t.pk {
		if strings.EqualFold(k, from) {
			t.pk[i] = to
		}
	}
}

func alterTable(t *table, spec *ast.AlterTableSpec, rw rewritten, defaultDB string) error {
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		for _, def := range spec.NewColumns {
			if spec.IfNotExists && t.colIndex(def.Name.Name.O) >= 0 {
				continue
			}
			if t.colIndex(def.Name.Name.O) >= 0 {
				return fmt.Errorf("column %s exists already", def.Name.Name.O)
			}
			c, err := columnFromDef(def, rw, t.charset)
			if err != nil {
				return err
			}
			if err := insertColumn(t, c, spec.Position); err != nil {
				return err
			}
			for _, o := range def.Options {
				if o.Tp == ast.ColumnOptionPrimaryKey {
					t.pk = []string{c.name}
				}
			}
		}
		for _, con := range spec.NewConstraints {
			if con.Tp == ast.ConstraintPrimaryKey {
				t.pk = pkFromConstraint(con)
			}
		}
	case ast.AlterTableDropColumn:
		i := t.colIndex(spec.OldColumnName.Name.O)
		if i < 0 {
			if spec.IfExists {
				return nil
			}
			return fmt.Errorf("no column %s to drop", spec.OldColumnName.Name.O)
		}
		t.cols = slices.Delete(t.cols, i, i+1)
		t.pk = slices.DeleteFunc(t.pk, func(k string) bool { return strings.EqualFold(k, spec.OldColumnName.Name.O) })
	case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
		from := ""
		if spec.Tp == ast.AlterTableChangeColumn {
			from = spec.OldColumnName.Name.O
		} else {
			from = spec.NewColumns[0].Name.Name.O
		}
		i := t.colIndex(from)
		if i < 0 {
			if spec.IfExists {
				return nil
			}
			return fmt.Errorf("no column %s to change", from)
		}
		c, err := columnFromDef(spec.NewColumns[0], rw, t.charset)
		if err != nil {
			return err
		}
		t.cols = slices.Delete(t.cols, i, i+1)
		if spec.Position != nil && spec.Position.Tp != ast.ColumnPositionNone {
			if err := insertColumn(t, c, spec.Position); err != nil {
				return err
			}
		} else {
			t.cols = slices.Insert(t.cols, i, c)
		}
		renameInPK(t, from, c.name)
	case ast.AlterTableAlterColumn:
		// ALTER COLUMN c SET DEFAULT x | DROP DEFAULT.
		def := spec.NewColumns[0]
		i := t.colIndex(def.Name.Name.O)
		if i < 0 {
			return fmt.Errorf("no column %s to alter", def.Name.Name.O)
		}
		t.cols[i].def = nil
		for _, o := range def.Options {
			if o.Expr != nil {
				t.cols[i].def = literalDefault(o.Expr)
			}
		}
	case ast.AlterTableRenameColumn:
		i := t.colIndex(spec.OldColumnName.Name.O)
		if i < 0 {
			return fmt.Errorf("no column %s to rename", spec.OldColumnName.Name.O)
		}
		t.cols[i].name = spec.NewColumnName.Name.O
		renameInPK(t, spec.OldColumnName.Name.O, spec.NewColumnName.Name.O)
	case ast.AlterTableRenameTable:
		t.db, t.name = tableRef(spec.NewTable, defaultDB)
	case ast.AlterTableAddConstraint:
		if spec.Constraint != nil && spec.Constraint.Tp == ast.ConstraintPrimaryKey {
			t.pk = pkFromConstraint(spec.Constraint)
		}
	case ast.AlterTableDropPrimaryKey:
		t.pk = nil
	case ast.AlterTableOption:
		for _, o := range spec.Options {
			if o.Tp != ast.TableOptionCharset {
				continue
			}
			cs := strings.ToLower(o.StrValue)
			if cs == charsetPlaceholder && rw.charset != "" {
				cs = rw.charset
			}
			t.charset = cs
			if o.UintValue == ast.TableOptionCharsetWithConvertTo {
				for i := range t.cols {
					c := &t.cols[i]
					if c.charset != "" && c.charset != "binary" {
						c.charset = cs
					}
				}
			}
		}
	}
	return nil
}
