package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
)

// myReader reads a MySQL or MariaDB database. Rows are read with prepared statements,
// whose binary protocol carries floats exactly (FLOAT as its 4 bytes) and integers as
// integers; the session's time_zone is UTC, so TIMESTAMP columns read as UTC.
type myReader struct {
	conn    *client.Conn
	db      string // the DSN's database
	mariadb bool
}

// myDSN is the part of a MySQL DSN the reader uses.
type myDSN struct {
	user, password, addr, db string
}

// parseMySQLDSN reads "user[:password]@tcp(host:port)/db[?params]" or
// "mysql://user:password@host:port/db". Errors never quote the password.
func parseMySQLDSN(dsn string) (myDSN, error) {
	var d myDSN
	if strings.HasPrefix(dsn, "mysql://") || strings.HasPrefix(dsn, "mariadb://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return d, errors.New("verify: mysql dsn is not a valid URL")
		}
		if u.User != nil {
			d.user = u.User.Username()
			d.password, _ = u.User.Password()
		}
		d.addr, d.db = u.Host, strings.TrimPrefix(u.Path, "/")
	} else {
		at := strings.LastIndex(dsn, "@")
		if at < 0 {
			return d, errors.New(`verify: mysql dsn: want "user:password@tcp(host:port)/db" or "mysql://user:password@host:port/db"`)
		}
		d.user, d.password, _ = strings.Cut(dsn[:at], ":")
		rest, ok := strings.CutPrefix(dsn[at+1:], "tcp(")
		end := strings.Index(rest, ")")
		if !ok || end < 0 {
			return d, errors.New("verify: mysql dsn: want a tcp(host:port) address")
		}
		d.addr = rest[:end]
		d.db, _, _ = strings.Cut(strings.TrimPrefix(rest[end+1:], "/"), "?")
	}
	if d.user == "" || d.addr == "" {
		return d, errors.New("verify: mysql dsn: no user or no host")
	}
	if _, _, err := net.SplitHostPort(d.addr); err != nil {
		d.addr = net.JoinHostPort(d.addr, "3306")
	}
	return d, nil
}

func openMySQL(ctx context.Context, dsn string) (Reader, error) {
	d, err := parseMySQLDSN(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := client.ConnectWithContext(ctx, d.addr, d.user, d.password, d.db, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("verify: connect to mysql %s as %s: %w", d.addr, d.user, err)
	}
	for _, q := range []string{"SET NAMES utf8mb4", "SET time_zone = '+00:00'"} {
		if _, err := conn.Execute(q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("verify: mysql %s: %s: %w", d.addr, q, err)
		}
	}
	return &myReader{conn: conn, db: d.db,
		mariadb: strings.Contains(strings.ToLower(conn.GetServerVersion()), "mariadb")}, nil
}

func (r *myReader) Close() error { return r.conn.Close() }

// resultString is res's text at row i, column j, copied: go-mysql's strings share the
// result's buffer, which res.Close gives back to a pool for the next query to overwrite.
func resultString(res *gmysql.Result, i, j int) string {
	s, _ := res.GetString(i, j)
	return strings.Clone(s)
}

// guard ends a blocked call on the connection when ctx ends (go-mysql takes no context
// per statement) by putting its deadline in the past: unlike Close, that is safe while
// another goroutine uses the connection. The returned func stops the guard.
func (r *myReader) guard(ctx context.Context) func() bool {
	return context.AfterFunc(ctx, func() { _ = r.conn.SetDeadline(time.Now()) })
}

func (r *myReader) execute(ctx context.Context, q string, args ...any) (*gmysql.Result, error) {
	defer r.guard(ctx)()
	res, err := r.conn.Execute(q, args...)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return res, err
}

var jsonCheck = regexp.MustCompile("(?i)^json_valid\\(`((?:[^`]|``)+)`\\)$")

func (r *myReader) Table(ctx context.Context, ref TableRef) (*Table, error) {
	db := ref.Schema
	if db == "" {
		db = r.db
	}
	t := &Table{Ref: TableRef{Schema: db, Name: ref.Name}}
	res, err := r.execute(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
		ORDER BY ORDINAL_POSITION`, db, ref.Name)
	if err != nil {
		return nil, fmt.Errorf("verify: describe mysql table %s: %w", t.Ref, err)
	}
	defer res.Close()
	if res.RowNumber() == 0 {
		return nil, fmt.Errorf("verify: mysql table %s: %w", t.Ref, ErrNoTable)
	}
	for i := range res.RowNumber() {
		var c Column
		c.Name = resultString(res, i, 0)
		dataType := resultString(res, i, 1)
		c.Type = resultString(res, i, 2)
		nullable := resultString(res, i, 3)
		c.Nullable = nullable == "YES"
		myKind(&c, strings.ToLower(dataType), strings.ToLower(c.Type))
		t.Columns = append(t.Columns, c)
	}
	if r.mariadb {
		// MariaDB's JSON is longtext with a json_valid check.
		res, err := r.execute(ctx, `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
			WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, db, ref.Name)
		if err != nil {
			return nil, fmt.Errorf("verify: check constraints of mysql table %s: %w", t.Ref, err)
		}
		for i := range res.RowNumber() {
			clause := resultString(res, i, 0)
			if m := jsonCheck.FindStringSubmatch(strings.TrimSpace(clause)); m != nil {
				if c := t.Column(strings.ReplaceAll(m[1], "``", "`")); c != nil && c.Kind == KindString {
					c.Kind = KindJSON
				}
			}
		}
		res.Close()
	}
	res, err = r.execute(ctx, `SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'
		ORDER BY ORDINAL_POSITION`, db, ref.Name)
	if err != nil {
		return nil, fmt.Errorf("verify: primary key of mysql table %s: %w", t.Ref, err)
	}
	defer res.Close()
	for i := range res.RowNumber() {
		k := resultString(res, i, 0)
		t.PrimaryKey = append(t.PrimaryKey, k)
	}
	return t, nil
}

// myKind sets how a column of MySQL type dataType (COLUMN_TYPE colType) is normalized.
func myKind(c *Column, dataType, colType string) {
	switch dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "year":
		c.Kind = KindNumber
	case "float":
		c.Kind, c.FloatBits = KindFloat, 32
	case "double", "real", "double precision":
		c.Kind, c.FloatBits = KindFloat, 64
	case "bit":
		n := 1
		if _, after, ok := strings.Cut(colType, "("); ok {
			n, _ = strconv.Atoi(strings.TrimSuffix(after, ")"))
		}
		if n <= 1 {
			c.Kind = KindBool
		} else {
			c.Kind, c.bits = KindBits, n
		}
	case "char":
		c.Kind, c.Padded = KindString, true
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "vector":
		c.Kind = KindBytes
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		c.Kind, c.geo = KindBytes, true
	case "date":
		c.Kind, c.zero = KindDate, true
	case "datetime":
		c.Kind, c.zero = KindTimestamp, true
	case "timestamp":
		c.Kind, c.zero = KindTimestampTZ, true
	case "time":
		c.Kind = KindTime
	case "json":
		c.Kind = KindJSON
	default:
		c.Kind = KindString // varchar, text, enum, set, uuid, inet4/6
	}
}

// myValue normalizes a value of the binary protocol. Zero dates become what the sinks
// write for them: NULL in a nullable column, the epoch in a NOT NULL one.
func myValue(c *Column, f *gmysql.FieldValue) Value {
	switch f.Type {
	case gmysql.FieldValueTypeNull:
		return Null
	case gmysql.FieldValueTypeSigned:
		n := strconv.FormatInt(f.AsInt64(), 10)
		if c.Kind == KindFloat {
			return Value{KindFloat, n}
		}
		return Value{KindNumber, n}
	case gmysql.FieldValueTypeUnsigned:
		return Value{KindNumber, strconv.FormatUint(f.AsUint64(), 10)}
	case gmysql.FieldValueTypeFloat:
		return Value{KindFloat, float(f.AsFloat64(), c.FloatBits)}
	}
	b := f.AsString()
	switch c.Kind {
	case KindString:
		return Value{KindString, string(b)}
	case KindBytes:
		if c.geo && len(b) >= 4 {
			b = b[4:] // the SRID in front of the WKB
		}
		return Value{KindBytes, string(b)}
	case KindBool:
		for _, x := range b {
			if x != 0 {
				return Value{KindBool, "true"}
			}
		}
		return Value{KindBool, "false"}
	case KindBits:
		return Value{KindBits, bitString(b, c.bits)}
	case KindDate, KindTimestamp, KindTimestampTZ:
		s := string(b)
		var zero, ok bool
		if c.Kind == KindDate {
			s, zero, ok = dateText(s)
		} else {
			s, zero, _, ok = timestampText(s)
		}
		switch {
		case !ok:
			return Value{c.Kind, string(b)}
		case zero && c.Nullable:
			return Null
		case zero && c.Kind == KindDate:
			return Value{c.Kind, "1970-01-01"}
		case zero:
			return Value{c.Kind, "1970-01-01 00:00:00.000000"}
		}
		return Value{c.Kind, s}
	}
	if v, ok := parseAs(string(b), c.Kind, c.FloatBits); ok {
		return v
	}
	return Value{c.Kind, string(b)}
}

// myOrderExpr is how a key column is compared: text as its bytes (BINARY), like the
// C collation of Postgres. Such a comparison cannot use the column's index unless
// the collation is binary already; correctness wins over speed here.
func myOrderExpr(c *Column) string {
	id := "src." + quoteMyIdent(c.Name)
	if c.Kind == KindString || c.Kind == KindJSON {
		return "CAST(" + id + " AS BINARY)"
	}
	return id
}

// myParam binds a key value as a parameter of the column's type.
func myParam(c *Column, v Value, args *[]any) string {
	switch {
	case v.Kind == KindNull:
		*args = append(*args, nil)
	case c.Kind == KindNumber:
		if n, err := strconv.ParseInt(v.S, 10, 64); err == nil {
			*args = append(*args, n)
		} else if u, err := strconv.ParseUint(v.S, 10, 64); err == nil {
			*args = append(*args, u)
		} else {
			*args = append(*args, v.S)
			return "CAST(? AS DECIMAL(65,30))"
		}
	case c.Kind == KindFloat:
		f, _ := parseFloat(v.S)
		*args = append(*args, f)
	case c.Kind == KindBool:
		n := int64(0)
		if v.S == "true" || v.S == "1" {
			n = 1
		}
		*args = append(*args, n)
	case c.Kind == KindBytes || c.Kind == KindString || c.Kind == KindJSON:
		*args = append(*args, []byte(v.S))
	default:
		*args = append(*args, v.S)
	}
	return "?"
}

func quoteMyIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

type myQuery struct {
	cols  []*Column
	from  string
	where string
	order string
	args  []any
}

func (r *myReader) query(s Scan, withColumns bool) (*myQuery, error) {
	q := &myQuery{from: quoteMyIdent(s.Table.Ref.Schema) + "." + quoteMyIdent(s.Table.Ref.Name) + " AS src"}
	names := s.Key
	if withColumns {
		names = append(append([]string(nil), s.Key...), s.Columns...)
	}
	for _, n := range names {
		c := s.Table.Column(n)
		if c == nil {
			return nil, errNoColumn(s.Table.Ref, n)
		}
		q.cols = append(q.cols, c)
	}
	keyCols := q.cols[:len(s.Key)]
	order := make([]string, len(keyCols))
	for i, c := range keyCols {
		order[i] = myOrderExpr(c)
	}
	// (a, b) > (x, y) as a > x OR (a = x AND b > y), which the range optimizer reads.
	var cmp func(i int, vals Key, last string) string
	cmp = func(i int, vals Key, last string) string {
		op := strings.TrimSuffix(last, "=")
		if i == len(vals)-1 {
			return order[i] + " " + last + " " + myParam(keyCols[i], vals[i], &q.args)
		}
		lt := order[i] + " " + op + " " + myParam(keyCols[i], vals[i], &q.args)
		eq := order[i] + " = " + myParam(keyCols[i], vals[i], &q.args)
		return "(" + lt + " OR (" + eq + " AND " + cmp(i+1, vals, last) + "))"
	}
	var conds []string
	if s.Range.After != nil {
		conds = append(conds, cmp(0, s.Range.After, ">"))
	}
	if s.Range.Through != nil {
		conds = append(conds, cmp(0, s.Range.Through, "<="))
	}
	if len(conds) > 0 {
		q.where = " WHERE " + strings.Join(conds, " AND ")
	}
	if len(order) > 0 {
		q.order = " ORDER BY " + strings.Join(order, ", ")
	}
	return q, nil
}

func (q *myQuery) selectList() string {
	sel := make([]string, len(q.cols))
	for i, c := range q.cols {
		sel[i] = "src." + quoteMyIdent(c.Name)
	}
	if len(sel) == 0 {
		return "1"
	}
	return strings.Join(sel, ", ")
}

// stream runs a prepared statement and calls fn with each row.
func (r *myReader) stream(ctx context.Context, sql string, args []any, fn func([]gmysql.FieldValue) error) error {
	defer r.guard(ctx)()
	st, err := r.conn.Prepare(sql)
	if err != nil {
		return err
	}
	defer st.Close()
	var res gmysql.Result
	err = st.ExecuteSelectStreaming(&res, fn, nil, args...)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (r *myReader) KeyAt(ctx context.Context, s Scan, offset int64) (Key, bool, error) {
	q, err := r.query(s, false)
	if err != nil {
		return nil, false, err
	}
	sql := "SELECT " + q.selectList() + " FROM " + q.from + q.where + q.order +
		" LIMIT 1 OFFSET " + strconv.FormatInt(offset, 10)
	var k Key
	err = r.stream(ctx, sql, q.args, func(row []gmysql.FieldValue) error {
		k = make(Key, len(q.cols))
		for i, c := range q.cols {
			k[i] = myValue(c, &row[i])
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("verify: key at %d of mysql table %s: %w", offset, s.Table.Ref, err)
	}
	return k, k != nil, nil
}

func (r *myReader) Rows(ctx context.Context, s Scan, fn func([]Value) error) error {
	q, err := r.query(s, true)
	if err != nil {
		return err
	}
	row := make([]Value, len(q.cols))
	var fnErr error
	err = r.stream(ctx, "SELECT "+q.selectList()+" FROM "+q.from+q.where+q.order, q.args,
		func(raw []gmysql.FieldValue) error {
			if fnErr != nil {
				return nil // drain the result; the connection stays usable
			}
			for i, c := range q.cols {
				row[i] = myValue(c, &raw[i])
			}
			fnErr = fn(row)
			return nil
		})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("verify: read mysql table %s: %w", s.Table.Ref, err)
	}
	return nil
}
