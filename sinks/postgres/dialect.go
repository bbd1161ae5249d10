package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// Dialect is Postgres's sqlapply.Dialect.
type Dialect struct{}

var _ sqlapply.Dialect = Dialect{}

// Quote quotes an identifier.
func (Dialect) Quote(ident string) string { return pgx.Identifier{ident}.Sanitize() }

// Placeholder is $i.
func (Dialect) Placeholder(i int) string { return "$" + strconv.Itoa(i) }

// MaxParams is the protocol's limit: a Bind message counts parameters in 16 bits.
func (Dialect) MaxParams() int { return 65535 }

// UpsertClause is ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c.
func (d Dialect) UpsertClause(key, update []string) string {
	s := " ON CONFLICT (" + strings.Join(key, ", ") + ") DO "
	if len(update) == 0 {
		return s + "NOTHING"
	}
	sets := make([]string, len(update))
	for i, c := range update {
		sets[i] = c + " = EXCLUDED." + c
	}
	return s + "UPDATE SET " + strings.Join(sets, ", ")
}

// DeleteOne deletes the row at the ctid of the first equal row. Columns of types
// without an equality operator (json, xml, geometric types) compare by their text form.
func (d Dialect) DeleteOne(table string, cols []sqlapply.Column) string {
	conds := make([]string, len(cols))
	for i, c := range cols {
		p := d.Placeholder(i + 1)
		if noEquality(c) {
			conds[i] = fmt.Sprintf("%s::text IS NOT DISTINCT FROM CAST(%s AS %s)::text", d.Quote(c.Name), p, c.Type)
		} else {
			conds[i] = fmt.Sprintf("%s IS NOT DISTINCT FROM %s", d.Quote(c.Name), p)
		}
	}
	return fmt.Sprintf("DELETE FROM %s WHERE ctid = (SELECT ctid FROM %s WHERE %s LIMIT 1)", table, table, strings.Join(conds, " AND "))
}

func noEquality(c sqlapply.Column) bool {
	if strings.TrimPrefix(c.Class, "A") == "G" {
		return true
	}
	base, _ := parseType(strings.TrimSuffix(c.Type, "[]"))
	return base == "json" || base == "xml"
}

// Truncate is TRUNCATE, which Postgres runs inside the transaction.
func (Dialect) Truncate(table string) string { return "TRUNCATE " + table }

// AlterType converts the column's values with a cast.
func (Dialect) AlterType(table, column, typ string) string {
	return fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", table, column, typ, column, typ)
}

// OffsetsTable is the offsets table's DDL.
func (Dialect) OffsetsTable(table string) string {
	return "CREATE TABLE IF NOT EXISTS " + table + ` (
  sink text NOT NULL,
  topic text NOT NULL,
  "partition" integer NOT NULL,
  "offset" bigint NOT NULL,
  position text NOT NULL,
  applied_at timestamp with time zone NOT NULL,
  PRIMARY KEY (sink, topic, "partition")
)`
}

// ForUpdate locks the offsets rows a transaction reads.
func (Dialect) ForUpdate() string { return " FOR UPDATE" }

// Describe reads a table's columns and unique keys from pg_catalog (format_type gives the
// exact type with its modifiers; information_schema spreads them over several columns and
// hides columns the user has no privilege on). A table without a schema is looked up on
// the search path, as the statements' unqualified names are.
func (d Dialect) Describe(ctx context.Context, q sqlapply.Querier, t sinks.TargetTable) (*sqlapply.TableInfo, error) {
	name := d.Quote(t.Name)
	if t.Schema != "" {
		name = d.Quote(t.Schema) + "." + name
	}
	var oid *int64
	rows, err := q.Query(ctx, "SELECT to_regclass($1)::oid::bigint", name)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		if err := rows.Scan(&oid); err != nil {
			rows.Close()
			return nil, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if oid == nil {
		return nil, nil
	}
	info := &sqlapply.TableInfo{}
	rows, err = q.Query(ctx, `
SELECT a.attname,
       format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END,
                   CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END),
       a.attnotnull,
       CASE WHEN b.typcategory = 'A' THEN 'A' || coalesce(e.typcategory::text, '') ELSE b.typcategory::text END
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typcategory = 'A'
WHERE a.attrelid = $1::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`, *oid)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c sqlapply.Column
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &c.Class); err != nil {
			rows.Close()
			return nil, err
		}
		info.Columns = append(info.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `
SELECT json_agg(a.attname ORDER BY k.n)::text
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = $1::bigint::oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
GROUP BY i.indexrelid, i.indisprimary
ORDER BY i.indisprimary DESC, i.indexrelid`, *oid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var js string
		if err := rows.Scan(&js); err != nil {
			return nil, err
		}
		var key []string
		if err := json.Unmarshal([]byte(js), &key); err != nil {
			return nil, fmt.Errorf("index columns %s: %w", js, err)
		}
		info.Keys = append(info.Keys, key)
	}
	return info, rows.Err()
}
