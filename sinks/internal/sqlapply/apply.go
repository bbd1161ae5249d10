package sqlapply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
)

// shape is how rows of one source shape go into one target table.
type shape struct {
	target sinks.TargetTable
	name   string // quoted table name
	table  *event.Table
	cols   []string // quoted target column names, one per source column
	have   []Column // the target columns, one per source column
	conv   []Convert
	key    []int // source column indexes of the key
}

func (t *Target) newShape(tt sinks.TargetTable, info *TableInfo, tbl *event.Table) (*shape, error) {
	sh := &shape{target: tt, name: t.tableName(tt), table: tbl, key: tbl.Key}
	src := SourceOf(tbl.ID)
	for _, c := range tbl.Columns {
		have, ok := info.Column(c.Name)
		if !ok {
			return nil, fmt.Errorf("target table %s has no column %s", tt, c.Name)
		}
		conv, err := t.d.Converter(&c.Type, src, have)
		if err != nil {
			return nil, fmt.Errorf("target table %s column %s is %s, which cannot hold source %s column %s of type %s: %w",
				tt, c.Name, have.Type, tbl.ID, c.Name, describeType(&c.Type), err)
		}
		sh.cols = append(sh.cols, t.d.Quote(c.Name))
		sh.have = append(sh.have, have)
		sh.conv = append(sh.conv, conv)
	}
	if len(tbl.Key) > 0 && !hasKey(info, tbl) {
		var names []string
		for _, i := range tbl.Key {
			names = append(names, tbl.Columns[i].Name)
		}
		return nil, fmt.Errorf("target table %s has no primary key or unique index on (%s), the source's key, which upserts need",
			tt, strings.Join(names, ", "))
	}
	return sh, nil
}

// hasKey reports whether the target has a unique key on exactly the source's key columns.
func hasKey(info *TableInfo, tbl *event.Table) bool {
	for _, k := range info.Keys {
		if len(k) != len(tbl.Key) {
			continue
		}
		all := true
		for _, name := range k {
			i := tbl.ColumnIndex(name)
			found := false
			for _, j := range tbl.Key {
				found = found || i == j
			}
			all = all && found
		}
		if all {
			return true
		}
	}
	return false
}

func (t *Target) applyStep(ctx context.Context, tx Tx, sh *shape, st *sinks.Step) error {
	for _, row := range st.Rows {
		if st.Kind != sinks.Truncate && len(row) != len(sh.cols) {
			return fmt.Errorf("%s into %s: a row has %d values for %d columns", st.Kind, sh.target, len(row), len(sh.cols))
		}
	}
	switch st.Kind {
	case sinks.Upsert:
		return t.upsert(ctx, tx, sh, st.Rows)
	case sinks.Insert:
		all := make([]int, len(sh.cols))
		for i := range all {
			all[i] = i
		}
		for _, row := range st.Rows {
			if i := unavailableIndex(row); i >= 0 {
				return fmt.Errorf("insert into %s: column %s is unavailable (an unchanged TOASTed value) in a row of a table without key, which cannot be kept", sh.target, sh.table.Columns[i].Name)
			}
		}
		return t.insertRows(ctx, tx, sh, "insert", all, st.Rows, "")
	case sinks.Delete:
		if len(sh.key) == 0 {
			return t.deleteEqual(ctx, tx, sh, st.Rows)
		}
		return t.deleteKeys(ctx, tx, sh, st.Rows)
	case sinks.Truncate:
		if err := tx.Exec(ctx, t.d.Truncate(sh.name)); err != nil {
			return fmt.Errorf("truncate %s: %w", sh.target, err)
		}
		return nil
	}
	return fmt.Errorf("%s: unknown step kind %d", sh.target, st.Kind)
}

// upsert writes rows grouped by which columns are unavailable: each group leaves its
// unavailable columns out of the insert list and the update, so the target keeps them.
func (t *Target) upsert(ctx context.Context, tx Tx, sh *shape, rows [][]any) error {
	type group struct {
		cols []int
		rows [][]any
	}
	var groups []*group
	byMask := map[string]*group{}
	mask := make([]byte, len(sh.cols))
	for _, row := range rows {
		any := false
		for i, v := range row {
			mask[i] = 0
			if isUnavailable(v) {
				mask[i], any = 1, true
			}
		}
		key := ""
		if any {
			key = string(mask)
		}
		g := byMask[key]
		if g == nil {
			g = &group{}
			for i := range sh.cols {
				if mask[i] == 0 || !any {
					g.cols = append(g.cols, i)
				}
			}
			for _, k := range sh.key {
				if any && mask[k] != 0 {
					return fmt.Errorf("upsert into %s: key column %s is unavailable", sh.target, sh.table.Columns[k].Name)
				}
			}
			byMask[key] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, row)
	}
	for _, g := range groups {
		var keyCols, update []string
		for _, i := range g.cols {
			if isKey(sh.key, i) {
				continue
			}
			update = append(update, sh.cols[i])
		}
		for _, k := range sh.key {
			keyCols = append(keyCols, sh.cols[k])
		}
		if err := t.insertRows(ctx, tx, sh, "upsert", g.cols, g.rows, t.d.UpsertClause(keyCols, update)); err != nil {
			return err
		}
	}
	return nil
}

func isKey(key []int, i int) bool {
	for _, k := range key {
		if k == i {
			return true
		}
	}
	return false
}

// insertRows inserts the columns cols of rows, as many rows per statement as the
// parameter limit allows, each statement followed by suffix.
func (t *Target) insertRows(ctx context.Context, tx Tx, sh *shape, what string, cols []int, rows [][]any, suffix string) error {
	names := make([]string, len(cols))
	for j, i := range cols {
		names[j] = sh.cols[i]
	}
	if bt, ok := tx.(BulkTx); ok && len(rows) > 1 {
		vals := make([][]any, len(rows))
		flat := make([]any, len(rows)*len(cols))
		for r, row := range rows {
			vals[r] = flat[r*len(cols) : (r+1)*len(cols) : (r+1)*len(cols)]
			for j, i := range cols {
				v, err := sh.value(i, row[i])
				if err != nil {
					return fmt.Errorf("%s into %s: %w", what, sh.target, err)
				}
				vals[r][j] = v
			}
		}
		err := bt.InsertRows(ctx, sh.name, names, vals, suffix)
		if !errors.Is(err, ErrNoBulk) {
			if err != nil {
				return fmt.Errorf("%s %d rows into %s: %w", what, len(rows), sh.target, err)
			}
			return nil
		}
	}
	for start := 0; start < len(rows); {
		n := chunkRows(len(rows)-start, len(cols), t.d.MaxParams())
		chunk := rows[start : start+n]
		args := make([]any, 0, n*len(cols))
		for _, row := range chunk {
			for _, i := range cols {
				v, err := sh.value(i, row[i])
				if err != nil {
					return fmt.Errorf("%s into %s: %w", what, sh.target, err)
				}
				args = append(args, v)
			}
		}
		query := t.valuesSQL(sh.name, names, n, suffix)
		if err := tx.Exec(ctx, query, args...); err != nil {
			return fmt.Errorf("%s %d rows into %s: %w", what, n, sh.target, err)
		}
		start += n
	}
	return nil
}

// value converts the value of source column i.
func (sh *shape) value(i int, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if isUnavailable(v) {
		return nil, fmt.Errorf("column %s: unavailable value where it cannot be kept", sh.table.Columns[i].Name)
	}
	out, err := sh.conv[i](v)
	if err != nil {
		return nil, fmt.Errorf("column %s (%s): %w", sh.table.Columns[i].Name, sh.have[i].Type, err)
	}
	return out, nil
}

// insertSQL renders an INSERT of rows (already driver values) into table.
func (t *Target) insertSQL(table string, cols []string, rows [][]any, suffix string) (string, []any) {
	var args []any
	for _, r := range rows {
		args = append(args, r...)
	}
	return t.valuesSQL(table, cols, len(rows), suffix), args
}

func (t *Target) valuesSQL(table string, cols []string, rows int, suffix string) string {
	var b strings.Builder
	b.Grow(32 + len(table) + rows*len(cols)*8)
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" (")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(") VALUES ")
	p := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(t.d.Placeholder(p))
			p++
		}
		b.WriteByte(')')
	}
	b.WriteString(suffix)
	return b.String()
}

// chunkRows returns how many of rows rows of cols parameters fit one statement.
func chunkRows(rows, cols, maxParams int) int {
	if cols == 0 {
		return rows
	}
	n := maxParams / cols
	if n < 1 {
		n = 1
	}
	return min(n, rows)
}

// deleteKeys deletes the rows with the keys of rows: "k IN (...)" or
// "(k1, k2) IN ((...), ...)".
func (t *Target) deleteKeys(ctx context.Context, tx Tx, sh *shape, rows [][]any) error {
	var keyCols []string
	for _, k := range sh.key {
		keyCols = append(keyCols, sh.cols[k])
	}
	lhs := keyCols[0]
	if len(keyCols) > 1 {
		lhs = "(" + strings.Join(keyCols, ", ") + ")"
	}
	for start := 0; start < len(rows); {
		n := chunkRows(len(rows)-start, len(keyCols), t.d.MaxParams())
		var b strings.Builder
		b.WriteString("DELETE FROM " + sh.name + " WHERE " + lhs + " IN (")
		args := make([]any, 0, n*len(keyCols))
		p := 1
		for r, row := range rows[start : start+n] {
			if r > 0 {
				b.WriteString(", ")
			}
			if len(keyCols) > 1 {
				b.WriteByte('(')
			}
			for j, k := range sh.key {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(t.d.Placeholder(p))
				p++
				v, err := sh.value(k, row[k])
				if err != nil {
					return fmt.Errorf("delete from %s: %w", sh.target, err)
				}
				args = append(args, v)
			}
			if len(keyCols) > 1 {
				b.WriteByte(')')
			}
		}
		b.WriteByte(')')
		if err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("delete %d rows from %s: %w", n, sh.target, err)
		}
		start += n
	}
	return nil
}

// deleteEqual deletes, for each of rows, one row equal to it in every column.
func (t *Target) deleteEqual(ctx context.Context, tx Tx, sh *shape, rows [][]any) error {
	query := t.d.DeleteOne(sh.name, sh.have)
	for _, row := range rows {
		args := make([]any, len(row))
		for i, v := range row {
			var err error
			if args[i], err = sh.value(i, v); err != nil {
				return fmt.Errorf("delete from %s: %w", sh.target, err)
			}
		}
		if err := tx.Exec(ctx, query, args...); err != nil {
			return fmt.Errorf("delete a row from %s: %w", sh.target, err)
		}
	}
	return nil
}

var placeholderBytes = []byte(event.UnavailablePlaceholder)

// isUnavailable reports event.Unavailable, and Debezium's placeholder as a decoder that
// did not map it back would leave it (the string, its bytes, or an array of it): the
// placeholder is never written.
func isUnavailable(v any) bool {
	switch x := v.(type) {
	case string:
		return x == event.UnavailablePlaceholder
	case []byte:
		return bytes.Equal(x, placeholderBytes)
	case []any:
		return len(x) == 1 && x[0] == event.UnavailablePlaceholder
	}
	return v == event.Unavailable
}

func unavailableIndex(row []any) int {
	for i, v := range row {
		if isUnavailable(v) {
			return i
		}
	}
	return -1
}
