package duckdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// HistorySuffix follows a target table's name to name its history table.
const HistorySuffix = "_history"

// Prefixes of a history table's columns for a source column's value before and after
// the change.
const (
	beforePrefix = "before_"
	afterPrefix  = "after_"
)

// historyMeta are the columns every history table starts with: what the change was,
// where it came from, and where it was read.
var historyMeta = []struct{ name, typ string }{
	{"op", "VARCHAR NOT NULL"},                // c, u, d, r (snapshot read) or t (truncate)
	{"source_ts", "TIMESTAMP WITH TIME ZONE"}, // the source's commit time
	{"source_position", "VARCHAR"},            // sinks.SourcePosition
	{"kafka_topic", "VARCHAR NOT NULL"},       //
	{"kafka_partition", "INTEGER NOT NULL"},   //
	{"kafka_offset", "BIGINT NOT NULL"},       // orders a key's changes: a key keeps its partition
	{"unavailable_columns", "VARCHAR[]"},      // columns whose new value the source did not send (after_ is NULL)
}

// historian appends every change of a batch to the history table of its target table.
type historian struct {
	d    Dialect
	opts sinks.Options
	log  *slog.Logger

	mu sync.Mutex
	// tables are the history tables as the last committed transactions left them. A
	// published *histTable is never changed: transactions work on copies.
	tables map[sinks.TargetTable]*histTable
}

type histTable struct {
	info   *sqlapply.TableInfo // nil: the table does not exist
	shapes map[*event.Table]*histShape
}

// histShape is how changes of one source shape go into a history table.
type histShape struct {
	name          string   // quoted table name
	cols          []string // quoted: historyMeta, then before_ and after_ of each source column
	before, after []sqlapply.Convert
}

// historyTable names the history table of a source table.
func (h *historian) historyTable(id event.TableID) sinks.TargetTable {
	tt := h.opts.Naming.Target(id)
	tt.Name += HistorySuffix
	return tt
}

// write is the sqlapply.Hook: it appends the batch's records above the stored offsets,
// every one of them (Plan's reduction does not apply), in record order.
func (h *historian) write(ctx context.Context, tx sqlapply.Tx, b *sinks.Batch, stored sinks.Offsets) (func(), error) {
	staged := map[sinks.TargetTable]*histTable{}
	var (
		runTable *event.Table
		run      [][]any
	)
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		tt := h.historyTable(runTable.ID)
		sh, err := h.shape(ctx, tx, staged, tt, runTable)
		if err != nil {
			return err
		}
		if err := h.insert(ctx, tx, tt, sh, run); err != nil {
			return err
		}
		run = run[:0]
		return nil
	}
	for i := range b.Records {
		r := &b.Records[i]
		c := r.Change
		if c == nil || c.Table == nil || !h.opts.Naming.Includes(c.Table.ID) {
			continue
		}
		if prev, ok := stored[r.TopicPartition]; ok && r.Offset <= prev {
			continue // applied before: already in the history
		}
		if c.Table != runTable {
			if err := flush(); err != nil {
				return nil, err
			}
			runTable = c.Table
		}
		row, err := historyRow(r)
		if err != nil {
			return nil, fmt.Errorf("history of %s at %s offset %d: %w", c.Table.ID, r.TopicPartition, r.Offset, err)
		}
		run = append(run, row)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return func() {
		h.mu.Lock()
		maps.Copy(h.tables, staged)
		h.mu.Unlock()
	}, nil
}

// historyRow is a change's history row, before conversion: the meta columns, then the
// before and after value of each column (nil where there is no image).
func historyRow(r *sinks.Record) ([]any, error) {
	c := r.Change
	n := len(c.Table.Columns)
	for _, img := range [][]any{c.Before, c.After} {
		if img != nil && len(img) != n {
			return nil, fmt.Errorf("an image has %d values for %d columns", len(img), n)
		}
	}
	row := make([]any, 0, len(historyMeta)+2*n)
	var ts any
	if !c.Source.Commit.IsZero() {
		ts = c.Source.Commit.UTC()
	}
	var unavailable any
	var names []any
	for i, v := range c.After {
		if isUnavailable(v) {
			names = append(names, c.Table.Columns[i].Name)
		}
	}
	if names != nil {
		var err error
		if unavailable, err = listLiteral.Converter(convertString)(names); err != nil {
			return nil, err
		}
	}
	row = append(row, string(c.Op), ts, sinks.SourcePosition(&c.Source), r.Topic, r.Partition, r.Offset, unavailable)
	for i := range n {
		for _, img := range [][]any{c.Before, c.After} {
			var v any
			if img != nil && !isUnavailable(img[i]) {
				v = img[i]
			}
			row = append(row, v)
		}
	}
	return row, nil
}

var placeholderBytes = []byte(event.UnavailablePlaceholder)

// isUnavailable reports event.Unavailable, and Debezium's placeholder as a decoder that
// did not map it back would leave it (as sqlapply does): the placeholder is never
// written.
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

// insert appends rows (from historyRow) of shape sh, as many per statement as the
// parameter limit allows.
func (h *historian) insert(ctx context.Context, tx sqlapply.Tx, tt sinks.TargetTable, sh *histShape, rows [][]any) error {
	meta := len(historyMeta)
	if bt, ok := tx.(sqlapply.BulkTx); ok && len(rows) > 1 {
		vals := make([][]any, len(rows))
		for r, row := range rows {
			vals[r] = make([]any, len(row))
			for j, v := range row {
				if j >= meta && v != nil {
					var err error
					if v, err = h.convert(sh, j-meta, v); err != nil {
						return fmt.Errorf("history into %s: column %s: %w", tt, sh.cols[j], err)
					}
				}
				vals[r][j] = v
			}
		}
		err := bt.InsertRows(ctx, sh.name, sh.cols, vals, "")
		if !errors.Is(err, sqlapply.ErrNoBulk) {
			if err != nil {
				return fmt.Errorf("append %d rows to history table %s: %w", len(rows), tt, err)
			}
			return nil
		}
	}
	per := max(h.d.MaxParams()/len(sh.cols), 1)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*len(sh.cols))
		var q strings.Builder
		q.WriteString("INSERT INTO " + sh.name + " (" + strings.Join(sh.cols, ", ") + ") VALUES ")
		p := 1
		for r, row := range chunk {
			if r > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString(h.d.Placeholder(p))
				p++
				if j >= meta && v != nil {
					var err error
					if v, err = h.convert(sh, j-meta, v); err != nil {
						return fmt.Errorf("history into %s: column %s: %w", tt, sh.cols[j], err)
					}
				}
				args = append(args, v)
			}
			q.WriteByte(')')
		}
		if err := tx.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("append %d rows to history table %s: %w", len(chunk), tt, err)
		}
	}
	return nil
}

// convert converts the value of the i-th before/after column of sh (before and after
// alternate, one pair per source column).
func (h *historian) convert(sh *histShape, i int, v any) (any, error) {
	conv := sh.before
	if i%2 == 1 {
		conv = sh.after
	}
	return conv[i/2](v)
}

// shape returns how changes of source shape tbl go into history table tt, creating the
// table or adding columns first. History tables belong to the sink: they are created
// whatever create_tables says, and columns are added whatever schema_evolution says
// (none stops at the target table before); a column whose type no longer holds the
// source's values is altered with full and an error otherwise; columns are never
// dropped, the rows before a drop keep their values.
func (h *historian) shape(ctx context.Context, tx sqlapply.Tx, staged map[sinks.TargetTable]*histTable, tt sinks.TargetTable, tbl *event.Table) (*histShape, error) {
	st := staged[tt]
	if st == nil {
		h.mu.Lock()
		shared := h.tables[tt]
		h.mu.Unlock()
		if shared != nil {
			if sh := shared.shapes[tbl]; sh != nil {
				return sh, nil
			}
			st = &histTable{info: shared.info, shapes: maps.Clone(shared.shapes)}
		} else {
			info, err := h.d.Describe(ctx, tx, tt)
			if err != nil {
				return nil, fmt.Errorf("describe history table %s: %w", tt, err)
			}
			if info != nil {
				for _, m := range historyMeta {
					if _, ok := info.Column(m.name); !ok {
						return nil, fmt.Errorf("history table %s has no column %s: is it a history table?", tt, m.name)
					}
				}
			}
			st = &histTable{info: info, shapes: map[*event.Table]*histShape{}}
		}
		staged[tt] = st
	} else if sh := st.shapes[tbl]; sh != nil {
		return sh, nil
	}
	name := h.tableName(tt)
	src := sqlapply.SourceOf(tbl.ID)
	var ddl []string
	if st.info == nil {
		var defs []string
		for _, m := range historyMeta {
			defs = append(defs, h.d.Quote(m.name)+" "+m.typ)
		}
		for _, c := range tbl.Columns {
			typ, err := h.d.ColumnType(&c.Type, src)
			if err != nil {
				return nil, fmt.Errorf("create history table %s: column %s: %w", tt, c.Name, err)
			}
			defs = append(defs, h.d.Quote(beforePrefix+c.Name)+" "+typ, h.d.Quote(afterPrefix+c.Name)+" "+typ)
		}
		ddl = append(ddl, "CREATE TABLE "+name+" (\n  "+strings.Join(defs, ",\n  ")+"\n)")
	} else {
		for _, c := range tbl.Columns {
			for _, col := range []string{beforePrefix + c.Name, afterPrefix + c.Name} {
				typ, err := h.d.ColumnType(&c.Type, src)
				if err != nil {
					return nil, fmt.Errorf("history table %s: column %s: %w", tt, col, err)
				}
				have, ok := st.info.Column(col)
				if !ok {
					ddl = append(ddl, "ALTER TABLE "+name+" ADD COLUMN "+h.d.Quote(col)+" "+typ)
					continue
				}
				if _, err := h.d.Converter(&c.Type, src, have); err != nil {
					if h.opts.Evolution != sinks.EvolveFull {
						return nil, fmt.Errorf("history table %s column %s is %s, which cannot hold source %s column %s: %v (schema_evolution %s; full would alter it)",
							tt, col, have.Type, tbl.ID, c.Name, err, h.opts.Evolution)
					}
					ddl = append(ddl, h.d.AlterType(name, h.d.Quote(col), typ))
				}
			}
		}
	}
	for _, s := range ddl {
		h.log.Info("changing history table", "sink", h.opts.Name, "table", tt.String(), "ddl", s)
		if err := tx.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("change history table %s for %s: %s: %w", tt, tbl.ID, s, err)
		}
	}
	if len(ddl) > 0 {
		info, err := h.d.Describe(ctx, tx, tt)
		if err != nil {
			return nil, fmt.Errorf("describe history table %s: %w", tt, err)
		}
		if info == nil {
			return nil, fmt.Errorf("history table %s: not found after creating it", tt)
		}
		st.info = info
	}
	sh := &histShape{name: name}
	for _, m := range historyMeta {
		sh.cols = append(sh.cols, h.d.Quote(m.name))
	}
	for _, c := range tbl.Columns {
		for _, col := range []string{beforePrefix + c.Name, afterPrefix + c.Name} {
			have, _ := st.info.Column(col)
			conv, err := h.d.Converter(&c.Type, src, have)
			if err != nil {
				return nil, fmt.Errorf("history table %s column %s is %s, which cannot hold source %s column %s: %w", tt, col, have.Type, tbl.ID, c.Name, err)
			}
			sh.cols = append(sh.cols, h.d.Quote(col))
			if strings.HasPrefix(col, beforePrefix) {
				sh.before = append(sh.before, conv)
			} else {
				sh.after = append(sh.after, conv)
			}
		}
	}
	st.shapes[tbl] = sh
	return sh, nil
}

func (h *historian) tableName(tt sinks.TargetTable) string {
	if tt.Schema == "" {
		return h.d.Quote(tt.Name)
	}
	return h.d.Quote(tt.Schema) + "." + h.d.Quote(tt.Name)
}
