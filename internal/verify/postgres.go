package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgReader reads a Postgres database. Every value is selected as text (::text) and
// normalized from that, with the session settings fixed so that text is stable:
// DateStyle ISO, TimeZone UTC (timestamptz as UTC), extra_float_digits 3 (floats
// round-trip exactly), bytea_output hex.
type pgReader struct {
	conn *pgx.Conn
}

func openPostgres(ctx context.Context, dsn string) (Reader, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("verify: postgres dsn: %w", err)
	}
	for k, v := range map[string]string{
		"DateStyle":          "ISO, YMD",
		"TimeZone":           "UTC",
		"extra_float_digits": "3",
		"bytea_output":       "hex",
		"IntervalStyle":      "postgres",
		"application_name":   "dovetail-verify",
	} {
		cfg.RuntimeParams[k] = v
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("verify: connect to postgres %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	return &pgReader{conn: conn}, nil
}

func (r *pgReader) Close() error { return r.conn.Close(context.Background()) }

func (r *pgReader) Table(ctx context.Context, ref TableRef) (*Table, error) {
	var oid uint32
	var schema string
	err := r.conn.QueryRow(ctx, `SELECT c.oid, n.nspname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = COALESCE(NULLIF($1, ''), current_schema()) AND c.relname = $2
		AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`, ref.Schema, ref.Name).Scan(&oid, &schema)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("verify: postgres table %s: %w", ref, ErrNoTable)
	}
	if err != nil {
		return nil, fmt.Errorf("verify: describe postgres table %s: %w", ref, err)
	}
	t := &Table{Ref: TableRef{Schema: schema, Name: ref.Name}}
	rows, err := r.conn.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod),
			format_type(b.oid, NULL), b.typname, b.typtype, b.typcategory, NOT a.attnotnull,
			COALESCE(to_jsonb(a) ->> 'attgenerated', '') <> '' -- attgenerated: Postgres 12+
		FROM pg_attribute a
		JOIN pg_type t ON t.oid = a.atttypid
		JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, oid)
	if err != nil {
		return nil, fmt.Errorf("verify: describe postgres table %s: %w", ref, err)
	}
	for rows.Next() {
		var c Column
		var typname, typtype, category string
		if err := rows.Scan(&c.Name, &c.Type, &c.cast, &typname, &typtype, &category, &c.Nullable, &c.Generated); err != nil {
			return nil, fmt.Errorf("verify: describe postgres table %s: %w", ref, err)
		}
		pgKind(&c, typname, typtype, category)
		switch typname { // casts whose bare name means length 1
		case "bpchar":
			c.cast = "text"
		case "bit":
			c.cast = "bit varying"
		}
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify: describe postgres table %s: %w", ref, err)
	}
	rows, err = r.conn.Query(ctx, `SELECT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = $1 AND i.indisprimary
		ORDER BY array_position(i.indkey::int2[], a.attnum)`, oid)
	if err != nil {
		return nil, fmt.Errorf("verify: primary key of postgres table %s: %w", ref, err)
	}
	t.PrimaryKey, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("verify: primary key of postgres table %s: %w", ref, err)
	}
	return t, nil
}

// pgKind sets how a column of Postgres type typname is normalized.
func pgKind(c *Column, typname, typtype, category string) {
	switch {
	case category == "A":
		// Arrays as JSON arrays: the MySQL and DuckDB sinks write them as JSON (or lists),
		// and JSON compares them across engines.
		c.Kind, c.cast = KindJSON, "array"
		return
	case typtype == "e":
		c.Kind = KindString
		return
	}
	switch typname {
	case "int2", "int4", "int8", "oid", "numeric", "money":
		c.Kind = KindNumber
	case "float4":
		c.Kind, c.FloatBits = KindFloat, 32
	case "float8":
		c.Kind, c.FloatBits = KindFloat, 64
	case "bool":
		c.Kind = KindBool
	case "bytea":
		c.Kind = KindBytes
	case "bpchar":
		c.Kind, c.Padded = KindString, true
	case "date":
		c.Kind = KindDate
	case "timestamp":
		c.Kind = KindTimestamp
	case "timestamptz":
		c.Kind = KindTimestampTZ
	case "time", "interval":
		c.Kind = KindTime // the Postgres sink writes MySQL TIME beyond 24h into interval
	case "json", "jsonb":
		c.Kind = KindJSON
	case "bit", "varbit":
		c.Kind = KindBits
	default:
		c.Kind = KindString // text, varchar, uuid, inet, interval, timetz, xml, ...
	}
}

// pgSelect is the select-list expression of a column: its text form.
func pgSelect(c *Column) string {
	id := pgCol(c)
	switch c.cast {
	case "money":
		return id + "::numeric::text" // money's text has a currency symbol
	case "interval":
		// µs; a month is 30 days, as extract(epoch) counts
		return "(extract(epoch FROM " + id + ") * 1000000)::numeric(30,0)::text"
	case "array":
		return "to_jsonb(" + id + ")::text"
	case "inet":
		// The output form (10.0.0.1), as Debezium and the sinks write it; ::text adds /32.
		return "format('%s', " + id + ")"
	}
	return id + "::text"
}

// pgCol names a column qualified by the table's alias, so that ORDER BY and WHERE
// mean the column and never the select list's output of the same name (its text).
func pgCol(c *Column) string { return "src." + pgx.Identifier{c.Name}.Sanitize() }

// pgValue normalizes a column's text; text that does not parse as the column's kind
// (infinity, BC dates) is kept as it is.
func pgValue(c *Column, raw []byte) Value {
	if raw == nil {
		return Null
	}
	s := string(raw)
	switch c.Kind {
	case KindBool:
		if s == "t" || s == "true" {
			return Value{KindBool, "true"}
		}
		return Value{KindBool, "false"}
	case KindBytes:
		if b, err := hex.DecodeString(strings.TrimPrefix(s, `\x`)); err == nil {
			return Value{KindBytes, string(b)}
		}
	case KindString:
		return Value{KindString, s}
	case KindTime:
		if c.cast == "interval" {
			if us, err := strconv.ParseInt(s, 10, 64); err == nil {
				return Value{KindTime, formatMicros(us)}
			}
		}
	}
	if v, ok := parseAs(s, c.Kind, c.FloatBits); ok {
		return v
	}
	return Value{c.Kind, s}
}

// pgOrderExpr is how a key column is compared: text in the C collation (UTF-8 byte
// order), like the other engines' binary comparison.
func pgOrderExpr(c *Column) string {
	id := pgCol(c)
	if c.Kind == KindString && (c.cast == "text" || strings.HasPrefix(c.cast, "character") || c.cast == "name") {
		return id + ` COLLATE "C"`
	}
	return id
}

// pgParam binds a key value to parameter n as the column's type.
func pgParam(c *Column, v Value, n int, args *[]any) string {
	p := "$" + strconv.Itoa(n)
	switch {
	case v.Kind == KindNull:
		*args = append(*args, nil)
		return p + "::text::" + c.cast
	case c.Kind == KindBytes:
		*args = append(*args, []byte(v.S))
		return p + "::bytea"
	case c.Kind == KindTimestampTZ:
		*args = append(*args, v.S+"+00")
	default:
		*args = append(*args, v.S)
	}
	expr := p + "::text::" + c.cast
	if strings.HasSuffix(pgOrderExpr(c), `COLLATE "C"`) {
		expr += ` COLLATE "C"`
	}
	return expr
}

type pgQuery struct {
	cols  []*Column
	from  string
	where string
	order string
	args  []any
}

func (r *pgReader) query(s Scan, withColumns bool) (*pgQuery, error) {
	q := &pgQuery{from: pgx.Identifier{s.Table.Ref.Schema, s.Table.Ref.Name}.Sanitize() + " AS src"}
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
	var order []string
	for _, c := range keyCols {
		order = append(order, pgOrderExpr(c))
	}
	tuple := func(vals Key) string {
		ps := make([]string, len(vals))
		for i, v := range vals {
			ps[i] = pgParam(keyCols[i], v, len(q.args)+1, &q.args)
		}
		return "ROW(" + strings.Join(ps, ", ") + ")"
	}
	var conds []string
	if s.Range.After != nil {
		conds = append(conds, "ROW("+strings.Join(order, ", ")+") > "+tuple(s.Range.After))
	}
	if s.Range.Through != nil {
		conds = append(conds, "ROW("+strings.Join(order, ", ")+") <= "+tuple(s.Range.Through))
	}
	if len(conds) > 0 {
		q.where = " WHERE " + strings.Join(conds, " AND ")
	}
	if len(order) > 0 {
		q.order = " ORDER BY " + strings.Join(order, ", ")
	}
	return q, nil
}

func (q *pgQuery) selectList() string {
	sel := make([]string, len(q.cols))
	for i, c := range q.cols {
		sel[i] = pgSelect(c)
	}
	if len(sel) == 0 {
		return "1"
	}
	return strings.Join(sel, ", ")
}

func (r *pgReader) KeyAt(ctx context.Context, s Scan, offset int64) (Key, bool, error) {
	q, err := r.query(s, false)
	if err != nil {
		return nil, false, err
	}
	sql := "SELECT " + q.selectList() + " FROM " + q.from + q.where + q.order +
		" LIMIT 1 OFFSET " + strconv.FormatInt(offset, 10)
	rows, err := r.conn.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, false, fmt.Errorf("verify: key at %d of postgres table %s: %w", offset, s.Table.Ref, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, false, fmt.Errorf("verify: key at %d of postgres table %s: %w", offset, s.Table.Ref, err)
		}
		return nil, false, nil
	}
	raw := rows.RawValues()
	k := make(Key, len(q.cols))
	for i, c := range q.cols {
		k[i] = pgValue(c, raw[i])
	}
	rows.Close()
	return k, true, rows.Err()
}

func (r *pgReader) Rows(ctx context.Context, s Scan, fn func([]Value) error) error {
	q, err := r.query(s, true)
	if err != nil {
		return err
	}
	rows, err := r.conn.Query(ctx, "SELECT "+q.selectList()+" FROM "+q.from+q.where+q.order, q.args...)
	if err != nil {
		return fmt.Errorf("verify: read postgres table %s: %w", s.Table.Ref, err)
	}
	defer rows.Close()
	row := make([]Value, len(q.cols))
	for rows.Next() {
		raw := rows.RawValues()
		for i, c := range q.cols {
			row[i] = pgValue(c, raw[i])
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("verify: read postgres table %s: %w", s.Table.Ref, err)
	}
	return nil
}
