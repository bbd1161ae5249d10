package duckdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/verify"
)

// VerifyOpener connects a verify.Reader to the DuckDB file at path (a sink's dsn), so
// that `dovetail verify` compares a source with a DuckDB sink's tables; it is a
// verify.Opener.
//
// When a sink of this process has the file open, the reader shares its database
// instance (DuckDB allows one per file and process). Otherwise it opens the file
// read-only; a sink of this process that opens the file meanwhile waits (New fails with
// a retryable error) until the reader is closed. When another process holds the file
// (a `dovetail run` with the sink), DuckDB refuses it, and the error says so.
func VerifyOpener(ctx context.Context, path string) (verify.Reader, error) {
	f, err := openFile(ctx, path, true)
	if err != nil {
		var de interface{ SQLState() string }
		if errors.As(classify(err), &de) && de.SQLState() == "55P03" {
			return nil, fmt.Errorf("verify: duckdb file %s is held by another process (a `dovetail run` with this sink?): "+
				"stop that worker, or run it with --role source, while verifying: %w", path, err)
		}
		return nil, fmt.Errorf("verify: open duckdb file %s: %w", path, err)
	}
	return &reader{f: f}, nil
}

var _ verify.Opener = VerifyOpener

// reader is the verify.Reader of a DuckDB file. Values are selected as text where
// DuckDB's text is exact (integers, decimals, dates, uuids, bit strings, JSON), as
// microseconds for timestamps and intervals, and natively for floats, blobs and lists;
// each is normalized to the form internal/verify documents.
type reader struct {
	f *file
}

func (r *reader) Close() error { return r.f.release() }

// scanCol is what the reader knows about a column beyond verify.Column: the DuckDB type.
type scanCol struct {
	*verify.Column
	base string // upper-case type without modifiers: DECIMAL, TIMESTAMP WITH TIME ZONE, LIST
	elem string // LIST: the element's type
}

func (r *reader) Table(ctx context.Context, ref verify.TableRef) (*verify.Table, error) {
	const where = ` WHERE database_name = current_database() AND schema_name = coalesce(nullif($1, ''), current_schema()) AND table_name = $2`
	rows, err := r.f.db.QueryContext(ctx, `SELECT schema_name, column_name, data_type, is_nullable FROM duckdb_columns()`+where+` ORDER BY column_index`, ref.Schema, ref.Name)
	if err != nil {
		return nil, fmt.Errorf("verify: describe duckdb table %s: %w", ref, err)
	}
	t := &verify.Table{Ref: ref}
	for rows.Next() {
		var c verify.Column
		if err := rows.Scan(&t.Ref.Schema, &c.Name, &c.Type, &c.Nullable); err != nil {
			rows.Close()
			return nil, fmt.Errorf("verify: describe duckdb table %s: %w", ref, err)
		}
		c.Kind, c.FloatBits = kindOf(c.Type)
		t.Columns = append(t.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify: describe duckdb table %s: %w", ref, err)
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("verify: duckdb table %s: %w", ref, verify.ErrNoTable)
	}
	// The primary key, else the first UNIQUE constraint (what the sink takes for the key).
	rows, err = r.f.db.QueryContext(ctx, `SELECT to_json(constraint_column_names)::VARCHAR FROM duckdb_constraints()`+where+
		` AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY constraint_type = 'PRIMARY KEY' DESC, constraint_index LIMIT 1`, t.Ref.Schema, ref.Name)
	if err != nil {
		return nil, fmt.Errorf("verify: primary key of duckdb table %s: %w", ref, err)
	}
	defer rows.Close()
	for rows.Next() {
		var js string
		if err := rows.Scan(&js); err != nil {
			return nil, fmt.Errorf("verify: primary key of duckdb table %s: %w", ref, err)
		}
		if err := json.Unmarshal([]byte(js), &t.PrimaryKey); err != nil {
			return nil, fmt.Errorf("verify: primary key of duckdb table %s: %s: %w", ref, js, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify: primary key of duckdb table %s: %w", ref, err)
	}
	for _, k := range t.PrimaryKey {
		if c := t.Column(k); c != nil {
			c.Nullable = false // a key is NOT NULL whether or not the catalog says so
		}
	}
	return t, nil
}

// splitType returns a DuckDB type's base (upper case, without modifiers) and, for a
// list, its element type.
func splitType(typ string) (base, elem string) {
	typ = strings.ToUpper(strings.TrimSpace(typ))
	if e, ok := strings.CutSuffix(typ, "[]"); ok {
		return "LIST", e
	}
	if i := strings.IndexByte(typ, '('); i >= 0 {
		typ = strings.TrimSpace(typ[:i])
	}
	return typ, ""
}

// kindOf maps a DuckDB type, as the sink creates it (docs/SINKS.md), to the kind its
// values are normalized to.
func kindOf(typ string) (verify.Kind, int) {
	base, _ := splitType(typ)
	switch base {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "DECIMAL", "VARINT", "BIGNUM":
		return verify.KindNumber, 0
	case "FLOAT":
		return verify.KindFloat, 32
	case "DOUBLE":
		return verify.KindFloat, 64
	case "BOOLEAN":
		return verify.KindBool, 0
	case "BLOB":
		return verify.KindBytes, 0
	case "DATE":
		return verify.KindDate, 0
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return verify.KindTimestamp, 0
	case "TIMESTAMP WITH TIME ZONE":
		return verify.KindTimestampTZ, 0
	case "TIME", "INTERVAL": // INTERVAL holds MySQL TIME and Postgres interval, as µs
		return verify.KindTime, 0
	case "JSON", "LIST": // lists as JSON arrays, as the Postgres reader reads arrays
		return verify.KindJSON, 0
	case "BIT":
		return verify.KindBits, 0
	}
	return verify.KindString, 0 // VARCHAR (wide decimals too: verify parses text as the other side's kind), UUID, TIMETZ, ...
}

func quote(ident string) string { return Dialect{}.Quote(ident) }

// selectExpr is the select-list expression of a column.
func selectExpr(c scanCol) string {
	id := "src." + quote(c.Name)
	switch c.base {
	case "FLOAT", "DOUBLE", "BLOB", "LIST":
		return id
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE":
		return "CASE WHEN isfinite(" + id + ") THEN CAST(epoch_us(" + id + ") AS VARCHAR) ELSE CAST(" + id + " AS VARCHAR) END"
	case "INTERVAL":
		return "CAST(epoch_us(" + id + ") AS VARCHAR)" // a month is 30 days, as Postgres's extract(epoch)
	}
	return "CAST(" + id + " AS VARCHAR)"
}

// orderExpr is how a key column is compared: text by its bytes (DuckDB's binary
// collation, named so a column's own collation does not apply), like Postgres's
// COLLATE "C".
func orderExpr(c scanCol) string {
	id := "src." + quote(c.Name)
	if c.base == "VARCHAR" {
		return id + ` COLLATE "binary"`
	}
	return id
}

// param binds a key value (normalized, maybe by the other engine) as the column's type.
func param(c scanCol, v verify.Value, args *[]any) string {
	if v.Kind == verify.KindNull {
		*args = append(*args, nil)
		return "?"
	}
	switch c.base {
	case "VARCHAR":
		*args = append(*args, v.S)
		return "?"
	case "BLOB":
		*args = append(*args, []byte(v.S))
		return "?"
	case "BOOLEAN":
		*args = append(*args, v.S == "true" || v.S == "1" || v.Kind == verify.KindNumber && v.S != "0")
		return "?"
	case "FLOAT", "DOUBLE":
		f, ok := verify.ParseFloat(v.S)
		if ok {
			*args = append(*args, f)
			return "CAST(? AS " + c.base + ")"
		}
	case "INTERVAL":
		if us, ok := verify.TimeMicros(v.S); ok {
			*args = append(*args, us)
			return "to_microseconds(?)"
		}
	case "TIMESTAMP WITH TIME ZONE":
		s := v.S
		if s != "" && s[0] >= '0' && s[0] <= '9' {
			s += "+00" // a KindTimestampTZ (or a timestamp taken as UTC) is UTC
		}
		*args = append(*args, s)
		return "CAST(? AS TIMESTAMP WITH TIME ZONE)"
	}
	*args = append(*args, v.S)
	return "CAST(? AS " + c.Type + ")"
}

type rangeQuery struct {
	cols  []scanCol
	from  string
	where string
	order string
	args  []any
}

func (r *reader) query(s verify.Scan, withColumns bool) (*rangeQuery, error) {
	q := &rangeQuery{from: quote(s.Table.Ref.Schema) + "." + quote(s.Table.Ref.Name) + " AS src"}
	names := s.Key
	if withColumns {
		names = append(append([]string(nil), s.Key...), s.Columns...)
	}
	for _, n := range names {
		c := s.Table.Column(n)
		if c == nil {
			return nil, fmt.Errorf("table %s has no column %q", s.Table.Ref, n)
		}
		base, elem := splitType(c.Type)
		q.cols = append(q.cols, scanCol{Column: c, base: base, elem: elem})
	}
	keyCols := q.cols[:len(s.Key)]
	order := make([]string, len(keyCols))
	for i, c := range keyCols {
		order[i] = orderExpr(c)
	}
	// (a, b) > (x, y) as a > x OR (a = x AND b > y): each column in its own collation.
	var cmp func(i int, vals verify.Key, last string) string
	cmp = func(i int, vals verify.Key, last string) string {
		if i == len(vals)-1 {
			return order[i] + " " + last + " " + param(keyCols[i], vals[i], &q.args)
		}
		lt := order[i] + " " + strings.TrimSuffix(last, "=") + " " + param(keyCols[i], vals[i], &q.args)
		eq := order[i] + " = " + param(keyCols[i], vals[i], &q.args)
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

func (q *rangeQuery) selectList() string {
	sel := make([]string, len(q.cols))
	for i, c := range q.cols {
		sel[i] = selectExpr(c)
	}
	if len(sel) == 0 {
		return "1"
	}
	return strings.Join(sel, ", ")
}

// scan reads the rows of sql and calls fn with each, normalized.
func (r *reader) scan(ctx context.Context, q *rangeQuery, sql string, fn func([]verify.Value) error) error {
	rows, err := r.f.db.QueryContext(ctx, sql, q.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	raw := make([]any, len(q.cols))
	ptrs := make([]any, len(q.cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if len(q.cols) == 0 {
		ptrs = []any{new(any)}
	}
	row := make([]verify.Value, len(q.cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, c := range q.cols {
			if row[i], err = value(c, raw[i]); err != nil {
				return fmt.Errorf("column %s: %w", c.Name, err)
			}
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (r *reader) KeyAt(ctx context.Context, s verify.Scan, offset int64) (verify.Key, bool, error) {
	q, err := r.query(s, false)
	if err != nil {
		return nil, false, err
	}
	sql := "SELECT " + q.selectList() + " FROM " + q.from + q.where + q.order +
		" LIMIT 1 OFFSET " + strconv.FormatInt(offset, 10)
	var k verify.Key
	err = r.scan(ctx, q, sql, func(row []verify.Value) error {
		k = append(verify.Key(nil), row...)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("verify: key at %d of duckdb table %s: %w", offset, s.Table.Ref, err)
	}
	return k, k != nil, nil
}

func (r *reader) Rows(ctx context.Context, s verify.Scan, fn func([]verify.Value) error) error {
	q, err := r.query(s, true)
	if err != nil {
		return err
	}
	var fnErr error
	err = r.scan(ctx, q, "SELECT "+q.selectList()+" FROM "+q.from+q.where+q.order, func(row []verify.Value) error {
		fnErr = fn(row)
		return fnErr
	})
	if err != nil && err != fnErr { // fn's own error goes back as it is
		return fmt.Errorf("verify: read duckdb table %s: %w", s.Table.Ref, err)
	}
	return err
}

// value normalizes a value as selectExpr selects it.
func value(c scanCol, raw any) (verify.Value, error) {
	if raw == nil {
		return verify.Null, nil
	}
	switch c.base {
	case "FLOAT", "DOUBLE":
		switch f := raw.(type) {
		case float32:
			return verify.Value{Kind: verify.KindFloat, S: verify.FloatText(float64(f), 32)}, nil
		case float64:
			return verify.Value{Kind: verify.KindFloat, S: verify.FloatText(f, c.FloatBits)}, nil
		}
		return verify.Null, fmt.Errorf("float value of type %T", raw)
	case "BLOB":
		b, ok := raw.([]byte)
		if !ok {
			return verify.Null, fmt.Errorf("blob value of type %T", raw)
		}
		return verify.Value{Kind: verify.KindBytes, S: string(b)}, nil
	case "LIST":
		l, ok := raw.([]any)
		if !ok {
			return verify.Null, fmt.Errorf("list value of type %T", raw)
		}
		js, err := listJSON(c.elem, l)
		if err != nil {
			return verify.Null, err
		}
		return verify.Value{Kind: verify.KindJSON, S: js}, nil
	}
	s, ok := raw.(string)
	if !ok {
		return verify.Null, fmt.Errorf("text value of type %T", raw)
	}
	k := c.Kind
	switch c.base {
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE":
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return verify.Value{Kind: k, S: s}, nil // infinity, -infinity
		}
		return verify.Value{Kind: k, S: instantText(us, k == verify.KindTimestampTZ)}, nil
	case "INTERVAL":
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return verify.Null, fmt.Errorf("interval µs %q: %w", s, err)
		}
		return verify.Value{Kind: k, S: verify.MicrosText(us)}, nil
	case "TIME":
		if us, ok := verify.TimeMicros(s); ok {
			return verify.Value{Kind: k, S: verify.MicrosText(us)}, nil
		}
	case "DATE":
		if d, ok := strings.CutSuffix(s, " (BC)"); ok {
			s = d + " BC" // as Postgres writes it
		}
	case "BOOLEAN":
		return verify.Value{Kind: k, S: strconv.FormatBool(s == "true")}, nil
	case "JSON":
		if j, ok := verify.ParseAs(s, verify.KindJSON, 0); ok {
			return j, nil
		}
	default:
		if k == verify.KindNumber {
			if n, ok := verify.ParseAs(s, verify.KindNumber, 0); ok {
				return n, nil
			}
		}
	}
	return verify.Value{Kind: k, S: s}, nil
}

// instantText writes µs since the epoch as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC); years
// before 1 as Postgres writes them ("... BC", its fraction trimmed, "+00" with zone).
func instantText(us int64, zone bool) string {
	t := time.UnixMicro(us).UTC()
	if t.Year() > 0 {
		return t.Format("2006-01-02 15:04:05.000000")
	}
	s := fmt.Sprintf("%04d-%s", 1-t.Year(), t.Format("01-02 15:04:05.999999"))
	if zone {
		s += "+00"
	}
	return s + " BC"
}

// listJSON writes a list as the JSON array Postgres's to_jsonb makes of an array (the
// Postgres reader's form): numbers, strings, booleans, ISO 8601 date-times.
func listJSON(elem string, l []any) (string, error) {
	base, _ := splitType(elem)
	out := make([]any, len(l))
	for i, e := range l {
		v, err := jsonElem(base, e)
		if err != nil {
			return "", fmt.Errorf("list element %d: %w", i+1, err)
		}
		out[i] = v
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", err
	}
	j, ok := verify.ParseAs(string(b), verify.KindJSON, 0)
	if !ok {
		return "", fmt.Errorf("list as JSON %s", b)
	}
	return j.S, nil
}

func jsonElem(base string, e any) (any, error) {
	switch x := e.(type) {
	case nil:
		return nil, nil
	case float32:
		return jsonFloat(float64(x), 32), nil
	case float64:
		return jsonFloat(x, 64), nil
	case bool, string:
		return x, nil
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		return json.Number(fmt.Sprint(x)), nil
	case time.Time:
		switch base {
		case "DATE":
			return x.Format("2006-01-02"), nil
		case "TIME":
			return x.Format("15:04:05.999999"), nil
		case "TIMESTAMP WITH TIME ZONE":
			return x.UTC().Format("2006-01-02T15:04:05.999999") + "+00:00", nil
		}
		return x.Format("2006-01-02T15:04:05.999999"), nil
	case fmt.Stringer: // *big.Int, duckdb.Decimal
		if n, ok := verify.ParseAs(x.String(), verify.KindNumber, 0); ok {
			return json.Number(n.S), nil
		}
		return x.String(), nil
	case []byte:
		if base == "UUID" && len(x) == 16 {
			return fmt.Sprintf("%x-%x-%x-%x-%x", x[:4], x[4:6], x[6:8], x[8:10], x[10:]), nil
		}
		return fmt.Sprintf(`\x%x`, x), nil
	}
	return fmt.Sprint(e), nil
}

// jsonFloat is a float as to_jsonb writes it: a number, or NaN and infinities as text.
func jsonFloat(f float64, bits int) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return verify.FloatText(f, bits)
	}
	return json.Number(verify.FloatText(f, bits))
}
