package duckdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// Dialect is DuckDB's sqlapply.Dialect.
type Dialect struct {
	// NoJSON maps JSON to VARCHAR, for a DuckDB without the json extension. The driver
	// links it in statically, so New sets this only when the extension fails to load.
	NoJSON bool
}

var _ sqlapply.Dialect = Dialect{}

// Quote quotes an identifier.
func (Dialect) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// Placeholder is $i.
func (Dialect) Placeholder(i int) string { return "$" + strconv.Itoa(i) }

// MaxParams bounds a statement's parameters: DuckDB has no protocol limit, but binding
// and planning a VALUES list costs more per row as it grows, and a few thousand
// parameters per statement is where the time per row stops falling (see
// BenchmarkUpsert10k).
func (Dialect) MaxParams() int { return 4096 }

// UpsertClause is ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c.
func (Dialect) UpsertClause(key, update []string) string {
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

// DeleteOne deletes the row at the rowid of the first equal row.
func (d Dialect) DeleteOne(table string, cols []sqlapply.Column) string {
	conds := make([]string, len(cols))
	for i, c := range cols {
		conds[i] = fmt.Sprintf("%s IS NOT DISTINCT FROM %s", d.Quote(c.Name), d.Placeholder(i+1))
	}
	return fmt.Sprintf("DELETE FROM %s WHERE rowid = (SELECT rowid FROM %s WHERE %s LIMIT 1)", table, table, strings.Join(conds, " AND "))
}

// Truncate is TRUNCATE, a DELETE of every row in DuckDB, inside the transaction.
func (Dialect) Truncate(table string) string { return "TRUNCATE " + table }

// AlterType converts the column's values with a cast.
func (Dialect) AlterType(table, column, typ string) string {
	return fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DATA TYPE %s USING CAST(%s AS %s)", table, column, typ, column, typ)
}

// OffsetsTable is the offsets table's DDL.
func (Dialect) OffsetsTable(table string) string {
	return "CREATE TABLE IF NOT EXISTS " + table + ` (
  sink VARCHAR NOT NULL,
  topic VARCHAR NOT NULL,
  "partition" INTEGER NOT NULL,
  "offset" BIGINT NOT NULL,
  position VARCHAR NOT NULL,
  applied_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (sink, topic, "partition")
)`
}

// ForUpdate is empty: DuckDB has no row locks. Its transactions are optimistic: two
// that write the same offsets row conflict, and the one that loses fails with a
// transaction conflict, which the runtime retries (see Target.Apply).
func (Dialect) ForUpdate() string { return "" }

// Describe reads a table's columns and its primary key and unique constraints from
// DuckDB's catalog functions. A table without a schema is looked up in the current
// schema (main), where the statements' unqualified names go. Unique indexes made with
// CREATE UNIQUE INDEX are not listed: declare the key as a constraint.
func (d Dialect) Describe(ctx context.Context, q sqlapply.Querier, t sinks.TargetTable) (*sqlapply.TableInfo, error) {
	const where = ` WHERE database_name = current_database() AND schema_name = coalesce(nullif($1, ''), current_schema()) AND table_name = $2`
	rows, err := q.Query(ctx, `SELECT column_name, data_type, NOT is_nullable FROM duckdb_columns()`+where+` ORDER BY column_index`, t.Schema, t.Name)
	if err != nil {
		return nil, err
	}
	info := &sqlapply.TableInfo{}
	for rows.Next() {
		var c sqlapply.Column
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull); err != nil {
			rows.Close()
			return nil, err
		}
		info.Columns = append(info.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(info.Columns) == 0 {
		return nil, nil
	}
	rows, err = q.Query(ctx, `SELECT to_json(constraint_column_names)::VARCHAR FROM duckdb_constraints()`+where+
		` AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY constraint_type = 'PRIMARY KEY' DESC, constraint_index`, t.Schema, t.Name)
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
			return nil, fmt.Errorf("constraint columns %s: %w", js, err)
		}
		info.Keys = append(info.Keys, key)
	}
	return info, rows.Err()
}
