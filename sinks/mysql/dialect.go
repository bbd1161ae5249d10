package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// Dialect is MySQL's and MariaDB's sqlapply.Dialect. The zero value is MariaDB's and
// MySQL before 8.0.19's SQL; New sets the fields from the server.
type Dialect struct {
	// MariaDB is set for MariaDB servers.
	MariaDB bool
	// RowAlias writes upserts as "VALUES (...) AS new ON DUPLICATE KEY UPDATE c = new.c"
	// (MySQL 8.0.19 and later, where VALUES(c) is deprecated) instead of VALUES(c).
	RowAlias bool
	// Collation is the collation of the text columns the sink creates (utf8mb4): a binary
	// one, so that keys that differ only in case or accents stay different rows, without
	// pad space where the server has one (utf8mb4_nopad_bin, utf8mb4_0900_bin). Empty
	// leaves the database's default.
	Collation string
}

var (
	_ sqlapply.Dialect        = Dialect{}
	_ sqlapply.DDLCommitter   = Dialect{}
	_ sqlapply.KeyColumnTyper = Dialect{}
)

// Quote quotes an identifier with backquotes.
func (Dialect) Quote(ident string) string { return "`" + strings.ReplaceAll(ident, "`", "``") + "`" }

// Placeholder is ?.
func (Dialect) Placeholder(int) string { return "?" }

// MaxParams is the protocol's limit: COM_STMT_PREPARE counts parameters in 16 bits.
func (Dialect) MaxParams() int { return 65535 }

// UpsertClause is ON DUPLICATE KEY UPDATE c = VALUES(c), or c = new.c with RowAlias.
// When every column is in the key, it sets the first key column to itself: the row
// stays as it is. (ON DUPLICATE KEY fires on any unique key of the table, not only
// key: a target table with unique indexes the source does not have can update the wrong
// row.)
func (d Dialect) UpsertClause(key, update []string) string {
	prefix := " ON DUPLICATE KEY UPDATE "
	if d.RowAlias {
		prefix = " AS `new`" + prefix
	}
	if len(update) == 0 {
		return prefix + key[0] + " = " + key[0]
	}
	sets := make([]string, len(update))
	for i, c := range update {
		if d.RowAlias {
			sets[i] = c + " = `new`." + c
		} else {
			sets[i] = c + " = VALUES(" + c + ")"
		}
	}
	return prefix + strings.Join(sets, ", ")
}

// DeleteOne deletes one row equal in every column, NULL-safe (<=>). JSON columns
// compare as JSON on MySQL (MariaDB's JSON is text).
func (d Dialect) DeleteOne(table string, cols []sqlapply.Column) string {
	conds := make([]string, len(cols))
	for i, c := range cols {
		p := "?"
		if base, _ := parseType(c.Type); base == "json" {
			p = "CAST(? AS JSON)"
		}
		conds[i] = d.Quote(c.Name) + " <=> " + p
	}
	return fmt.Sprintf("DELETE FROM %s WHERE %s LIMIT 1", table, strings.Join(conds, " AND "))
}

// Truncate is DELETE FROM: TRUNCATE commits the open transaction in MySQL.
func (Dialect) Truncate(table string) string { return "DELETE FROM " + table }

// AlterType is ALTER TABLE MODIFY COLUMN, which converts the values. MODIFY redefines
// the whole column: it becomes nullable and loses a default or comment it had.
func (Dialect) AlterType(table, column, typ string) string {
	return fmt.Sprintf("ALTER TABLE %s MODIFY COLUMN %s %s", table, column, typ)
}

// OffsetsTable is the offsets table's DDL. Key columns are varchar: MySQL cannot key
// text; Kafka topic names have at most 249 characters.
func (d Dialect) OffsetsTable(table string) string {
	return "CREATE TABLE IF NOT EXISTS " + table + " (\n" +
		"  `sink` varchar(255)" + d.charset() + " NOT NULL,\n" +
		"  `topic` varchar(255)" + d.charset() + " NOT NULL,\n" +
		"  `partition` int NOT NULL,\n" +
		"  `offset` bigint NOT NULL,\n" +
		"  `position` text" + d.charset() + " NOT NULL,\n" +
		"  `applied_at` datetime(6) NOT NULL,\n" +
		"  PRIMARY KEY (`sink`, `topic`, `partition`)\n" +
		")"
}

// DDLCommits is true: MySQL commits the open transaction before and after DDL.
func (Dialect) DDLCommits() bool { return true }

// ForUpdate locks the offsets rows a transaction reads.
func (Dialect) ForUpdate() string { return " FOR UPDATE" }

// charset is the character set clause of the text columns the sink creates.
func (d Dialect) charset() string {
	s := " CHARACTER SET utf8mb4"
	if d.Collation != "" {
		s += " COLLATE " + d.Collation
	}
	return s
}

// keyClass marks the columns of a primary key or unique index in sqlapply.Column.Class.
const keyClass = "key"

// Describe reads a table's columns and unique keys from information_schema. A table
// without a schema is looked up in the connection's database (the DSN's). Unique
// indexes on column prefixes do not count as keys.
func (d Dialect) Describe(ctx context.Context, q sqlapply.Querier, t sinks.TargetTable) (*sqlapply.TableInfo, error) {
	schema, args := "DATABASE()", []any{t.Name}
	if t.Schema != "" {
		schema, args = "?", []any{t.Schema, t.Name}
	}
	rows, err := q.Query(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = `+schema+` AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, args...)
	if err != nil {
		return nil, err
	}
	info := &sqlapply.TableInfo{}
	for rows.Next() {
		var c sqlapply.Column
		var nullable string
		if err := rows.Scan(&c.Name, &c.Type, &nullable); err != nil {
			rows.Close()
			return nil, err
		}
		c.Type = normalizeType(c.Type)
		c.NotNull = nullable == "NO"
		info.Columns = append(info.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(info.Columns) == 0 {
		return nil, nil
	}
	rows, err = q.Query(ctx, `SELECT INDEX_NAME, COLUMN_NAME, SUB_PART IS NOT NULL FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = `+schema+` AND TABLE_NAME = ? AND NON_UNIQUE = 0
ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var name string
	var key []string
	prefix := false
	flush := func() {
		if len(key) > 0 && !prefix {
			info.Keys = append(info.Keys, key)
			for _, k := range key {
				for i := range info.Columns {
					if info.Columns[i].Name == k {
						info.Columns[i].Class = keyClass
					}
				}
			}
		}
		key, prefix = nil, false
	}
	for rows.Next() {
		var idx, col string
		var sub bool
		if err := rows.Scan(&idx, &col, &sub); err != nil {
			return nil, err
		}
		if idx != name {
			flush()
			name = idx
		}
		key = append(key, col)
		prefix = prefix || sub
	}
	flush()
	return info, rows.Err()
}
