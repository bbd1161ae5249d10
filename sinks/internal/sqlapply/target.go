package sqlapply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
)

// OffsetsTable is the name of the table, in the target's default schema, that holds
// every sink's applied offsets: one row per sink, topic and partition.
const OffsetsTable = "dovetail_offsets"

// Target applies batches to one SQL database. It is safe for concurrent use: batches of
// different partitions may be applied at once (each in its own transaction).
type Target struct {
	db      DB
	d       Dialect
	opts    sinks.Options
	log     *slog.Logger
	offsets string // quoted offsets table
	hook    Hook

	mu sync.Mutex
	// tables are the target tables as the last committed transactions left them. A
	// published *tableState is never changed: transactions work on copies and publish
	// them when they commit.
	tables map[sinks.TargetTable]*tableState
}

// tableState is what is known of one target table.
type tableState struct {
	info   *TableInfo // nil: the table does not exist
	shapes map[*event.Table]*shape
}

// New returns a Target on db that applies with dialect d, after creating the offsets
// table if it is missing. logger may be nil.
func New(ctx context.Context, db DB, d Dialect, opts sinks.Options, logger *slog.Logger) (*Target, error) {
	if opts.Name == "" {
		return nil, errors.New("sink name is empty: it keys the stored offsets")
	}
	if opts.Evolution == "" {
		opts.Evolution = sinks.EvolveBasic
	}
	if _, err := sinks.ParseEvolution(string(opts.Evolution)); err != nil {
		return nil, err
	}
	if err := opts.Naming.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	t := &Target{db: db, d: d, opts: opts, log: logger, offsets: d.Quote(OffsetsTable),
		tables: map[sinks.TargetTable]*tableState{}}
	// Create the offsets table only when it is missing: creating needs a privilege that
	// a sink whose tables are made for it may not have.
	info, err := d.Describe(ctx, db, sinks.TargetTable{Name: OffsetsTable})
	if err != nil {
		return nil, fmt.Errorf("look up offsets table %s: %w", OffsetsTable, err)
	}
	if info == nil {
		if err := db.Exec(ctx, d.OffsetsTable(t.offsets)); err != nil {
			return nil, fmt.Errorf("create offsets table %s: %w", OffsetsTable, err)
		}
	}
	return t, nil
}

// Hook writes more of a batch in Apply's transaction (a history of the changes, say). It
// runs after the batch's steps and before its offsets are stored, for every batch that is
// not skipped as a replay. stored are the offsets stored before the batch: of b.Records,
// those above them are new. After the transaction commits, Apply calls the returned func
// (when not nil), so that the hook publishes what it learned of the database only once it
// is true.
type Hook func(ctx context.Context, tx Tx, b *sinks.Batch, stored sinks.Offsets) (committed func(), err error)

// SetHook makes every later Apply run h. Call it before the first Apply.
func (t *Target) SetHook(h Hook) { t.hook = h }

// Offsets returns the offsets stored by this sink's earlier batches.
func (t *Target) Offsets(ctx context.Context) (sinks.Offsets, error) {
	return t.readOffsets(ctx, t.db, false)
}

func (t *Target) readOffsets(ctx context.Context, q Querier, lock bool) (sinks.Offsets, error) {
	query := fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE %s = %s", t.d.Quote("topic"), t.d.Quote("partition"),
		t.d.Quote("offset"), t.offsets, t.d.Quote("sink"), t.d.Placeholder(1))
	if lock {
		query += t.d.ForUpdate()
	}
	rows, err := q.Query(ctx, query, t.opts.Name)
	if err != nil {
		return nil, fmt.Errorf("read offsets of sink %s from %s: %w", t.opts.Name, OffsetsTable, err)
	}
	defer rows.Close()
	out := sinks.Offsets{}
	for rows.Next() {
		var tp sinks.TopicPartition
		var off int64
		if err := rows.Scan(&tp.Topic, &tp.Partition, &off); err != nil {
			return nil, fmt.Errorf("read offsets of sink %s from %s: %w", t.opts.Name, OffsetsTable, err)
		}
		out[tp] = off
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read offsets of sink %s from %s: %w", t.opts.Name, OffsetsTable, err)
	}
	return out, nil
}

// Apply applies b in one transaction (see sinks.Target). A batch whose offsets are all at
// or below the stored ones has been applied before and is skipped; of a batch that
// overlaps them, only the offsets that move forward are stored.
func (t *Target) Apply(ctx context.Context, b *sinks.Batch) (err error) {
	if dc, ok := t.d.(DDLCommitter); ok && dc.DDLCommits() {
		if err := t.prepare(ctx, b); err != nil {
			return err
		}
	}
	tx, err := t.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx)
		}
	}()
	stored, err := t.readOffsets(ctx, tx, true)
	if err != nil {
		return err
	}
	advance := sinks.Offsets{}
	for tp, off := range b.Offsets {
		if prev, ok := stored[tp]; !ok || off > prev {
			advance[tp] = off
		}
	}
	if len(b.Offsets) > 0 && len(advance) == 0 {
		t.log.Debug("batch already applied", "sink", t.opts.Name, "offsets", fmt.Sprint(b.Offsets))
		return tx.Rollback(ctx)
	}
	staged := map[sinks.TargetTable]*tableState{}
	for _, tb := range b.Tables {
		for i := range tb.Steps {
			st := &tb.Steps[i]
			sh, err := t.shape(ctx, tx, staged, tb.Target, st.Table)
			if err != nil {
				return err
			}
			if err := t.applyStep(ctx, tx, sh, st); err != nil {
				return err
			}
		}
	}
	var committed func()
	if t.hook != nil {
		if committed, err = t.hook(ctx, tx, b, stored); err != nil {
			return err
		}
	}
	if err := t.storeOffsets(ctx, tx, advance, b.Positions); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	t.mu.Lock()
	maps.Copy(t.tables, staged)
	t.mu.Unlock()
	if committed != nil {
		committed()
	}
	return nil
}

func (t *Target) storeOffsets(ctx context.Context, tx Tx, offs sinks.Offsets, positions map[sinks.TopicPartition]string) error {
	if len(offs) == 0 {
		return nil
	}
	q := t.d.Quote
	cols := []string{q("sink"), q("topic"), q("partition"), q("offset"), q("position"), q("applied_at")}
	tps := slices.SortedFunc(maps.Keys(offs), func(a, b sinks.TopicPartition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return a.Partition - b.Partition
	})
	now := time.Now().UTC()
	rows := make([][]any, 0, len(tps))
	for _, tp := range tps {
		rows = append(rows, []any{t.opts.Name, tp.Topic, tp.Partition, offs[tp], positions[tp], now})
	}
	suffix := t.d.UpsertClause(cols[:3], cols[3:])
	for start := 0; start < len(rows); {
		n := chunkRows(len(rows)-start, len(cols), t.d.MaxParams())
		query, args := t.insertSQL(t.offsets, cols, rows[start:start+n], suffix)
		if err := tx.Exec(ctx, query, args...); err != nil {
			return fmt.Errorf("store offsets of sink %s in %s: %w", t.opts.Name, OffsetsTable, err)
		}
		start += n
	}
	return nil
}

// prepare makes the batch's tables fit their shapes before the batch's transaction, for
// dialects whose DDL commits the open transaction. It publishes what it learns at once:
// the DDL it ran is committed whether the batch's rows are or not. A batch at or below
// the stored offsets (a replay) changes no table: an old shape must not undo a newer one.
func (t *Target) prepare(ctx context.Context, b *sinks.Batch) error {
	stored, err := t.readOffsets(ctx, t.db, false)
	if err != nil {
		return err
	}
	replay := len(b.Offsets) > 0
	for tp, off := range b.Offsets {
		if prev, ok := stored[tp]; !ok || off > prev {
			replay = false
		}
	}
	if replay {
		return nil
	}
	for _, tb := range b.Tables {
		for i := range tb.Steps {
			staged := map[sinks.TargetTable]*tableState{}
			_, err := t.shape(ctx, t.db, staged, tb.Target, tb.Steps[i].Table)
			t.mu.Lock()
			if err != nil {
				delete(t.tables, tb.Target) // a statement may have run: describe it afresh
			} else {
				maps.Copy(t.tables, staged)
			}
			t.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// tableName quotes a target table's name.
func (t *Target) tableName(tt sinks.TargetTable) string {
	if tt.Schema == "" {
		return t.d.Quote(tt.Name)
	}
	return t.d.Quote(tt.Schema) + "." + t.d.Quote(tt.Name)
}

// shape returns how the rows of source shape tbl go into target table tt, making the
// table fit them first. Changes go into staged, which the caller publishes on commit.
func (t *Target) shape(ctx context.Context, q Querier, staged map[sinks.TargetTable]*tableState, tt sinks.TargetTable, tbl *event.Table) (*shape, error) {
	if tbl == nil {
		return nil, fmt.Errorf("table %s: step without a source shape", tt)
	}
	st := staged[tt]
	if st == nil {
		t.mu.Lock()
		shared := t.tables[tt]
		t.mu.Unlock()
		if shared != nil {
			if sh := shared.shapes[tbl]; sh != nil {
				return sh, nil
			}
			st = &tableState{info: shared.info, shapes: maps.Clone(shared.shapes)}
		} else {
			info, err := t.d.Describe(ctx, q, tt)
			if err != nil {
				return nil, fmt.Errorf("describe table %s: %w", tt, err)
			}
			st = &tableState{info: info, shapes: map[*event.Table]*shape{}}
		}
		staged[tt] = st
	} else if sh := st.shapes[tbl]; sh != nil {
		return sh, nil
	}
	if err := t.fit(ctx, q, tt, st, tbl); err != nil {
		return nil, err
	}
	sh, err := t.newShape(tt, st.info, tbl)
	if err != nil {
		return nil, err
	}
	st.shapes[tbl] = sh
	return sh, nil
}

// fit makes target table tt hold the columns of source shape tbl, as far as the options
// allow, and refreshes st.info after any change.
func (t *Target) fit(ctx context.Context, q Querier, tt sinks.TargetTable, st *tableState, tbl *event.Table) error {
	name := t.tableName(tt)
	src := SourceOf(tbl.ID)
	var ddl []string
	var backfill []event.Column // added columns with a default
	if st.info == nil {
		if !t.opts.CreateTables {
			return fmt.Errorf("target table %s (for %s) does not exist and create_tables is off", tt, tbl.ID)
		}
		var defs []string
		kt, _ := t.d.(KeyColumnTyper)
		for i, c := range tbl.Columns {
			columnType := t.d.ColumnType
			if kt != nil && slices.Contains(tbl.Key, i) {
				columnType = kt.KeyColumnType
			}
			typ, err := columnType(&c.Type, src)
			if err != nil {
				return fmt.Errorf("create table %s: column %s: %w", tt, c.Name, err)
			}
			def := t.d.Quote(c.Name) + " " + typ
			if !c.Optional {
				def += " NOT NULL"
			}
			defs = append(defs, def)
		}
		if len(tbl.Key) > 0 {
			var key []string
			for _, i := range tbl.Key {
				key = append(key, t.d.Quote(tbl.Columns[i].Name))
			}
			defs = append(defs, "PRIMARY KEY ("+strings.Join(key, ", ")+")")
		}
		ddl = append(ddl, "CREATE TABLE "+name+" (\n  "+strings.Join(defs, ",\n  ")+"\n)")
	} else {
		evo := t.opts.Evolution
		for _, c := range tbl.Columns {
			have, ok := st.info.Column(c.Name)
			if !ok {
				if evo == sinks.EvolveNone {
					return fmt.Errorf("target table %s has no column %s (source %s column of type %s) and schema_evolution is none",
						tt, c.Name, tbl.ID, describeType(&c.Type))
				}
				typ, err := t.d.ColumnType(&c.Type, src)
				if err != nil {
					return fmt.Errorf("add column %s to %s: %w", c.Name, tt, err)
				}
				// Added columns are nullable. A column with a default gets it as the
				// target's default: the source gave it to the rows already there, and rows
				// of the old shape applied later (other partitions) were written before the
				// column existed, so they have it too. A default that cannot be a literal
				// here is written into the rows there now instead.
				add := "ALTER TABLE " + name + " ADD COLUMN " + t.d.Quote(c.Name) + " " + typ
				if c.Default != nil {
					if lit, ok := t.defaultLiteral(&c, src, typ); ok {
						add += " DEFAULT " + lit
					} else {
						backfill = append(backfill, c)
					}
				}
				ddl = append(ddl, add)
				continue
			}
			if _, err := t.d.Converter(&c.Type, src, have); err != nil {
				if evo != sinks.EvolveFull {
					return fmt.Errorf("target table %s column %s is %s, which cannot hold source %s column %s of type %s: %v (schema_evolution %s; full would alter it)",
						tt, c.Name, have.Type, tbl.ID, c.Name, describeType(&c.Type), err, evo)
				}
				typ, err := t.d.ColumnType(&c.Type, src)
				if err != nil {
					return fmt.Errorf("alter column %s of %s: %w", c.Name, tt, err)
				}
				ddl = append(ddl, t.d.AlterType(name, t.d.Quote(c.Name), typ))
			}
		}
		if evo == sinks.EvolveFull {
			for _, have := range st.info.Columns {
				if tbl.ColumnIndex(have.Name) < 0 {
					ddl = append(ddl, "ALTER TABLE "+name+" DROP COLUMN "+t.d.Quote(have.Name))
				}
			}
		}
	}
	for _, s := range ddl {
		t.log.Info("changing target table", "sink", t.opts.Name, "table", tt.String(), "ddl", s)
		if err := q.Exec(ctx, s); err != nil {
			if sinks.DDLConflict(err) {
				// Another transaction changed the table: forget its cached shape, so the
				// retry describes it again and finds the change made.
				t.mu.Lock()
				delete(t.tables, tt)
				t.mu.Unlock()
				return fmt.Errorf("change target table %s for %s: %s: %w (%w)", tt, tbl.ID, s, sinks.ErrConflict, err)
			}
			return fmt.Errorf("change target table %s for %s: %s: %w", tt, tbl.ID, s, err)
		}
	}
	if len(ddl) > 0 {
		info, err := t.d.Describe(ctx, q, tt)
		if err != nil {
			return fmt.Errorf("describe table %s: %w", tt, err)
		}
		if info == nil {
			return fmt.Errorf("target table %s: not found after creating it (is its schema first on the search path?)", tt)
		}
		st.info = info
	}
	for _, c := range backfill {
		// The source's existing rows got the column's default when it was added, without
		// a change event for each: give the follower's rows the same.
		have, ok := st.info.Column(c.Name)
		if !ok {
			return fmt.Errorf("target table %s: column %s not found after adding it", tt, c.Name)
		}
		conv, err := t.d.Converter(&c.Type, src, have)
		if err != nil {
			return fmt.Errorf("target table %s: default of added column %s: %w", tt, c.Name, err)
		}
		v, err := conv(c.Default)
		if err != nil {
			return fmt.Errorf("target table %s: default of added column %s: %w", tt, c.Name, err)
		}
		update := "UPDATE " + name + " SET " + t.d.Quote(c.Name) + " = " + t.d.Placeholder(1)
		if err := q.Exec(ctx, update, v); err != nil {
			return fmt.Errorf("fill added column %s of %s with its default: %w", c.Name, tt, err)
		}
	}
	return nil
}

// defaultLiteral renders column c's default as a quoted SQL literal for a column of
// type typ, when its driver value is text or a number without characters that quote
// differently between engines (a backslash).
func (t *Target) defaultLiteral(c *event.Column, src Source, typ string) (string, bool) {
	conv, err := t.d.Converter(&c.Type, src, Column{Name: c.Name, Type: typ})
	if err != nil {
		return "", false
	}
	v, err := conv(c.Default)
	if err != nil {
		return "", false
	}
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case int, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, bool:
		text = fmt.Sprint(x)
	case fmt.Stringer:
		text = x.String()
	default:
		return "", false
	}
	if strings.ContainsAny(text, "\\\x00") {
		return "", false
	}
	return "'" + strings.ReplaceAll(text, "'", "''") + "'", true
}

// describeType renders an event type for error messages.
func describeType(t *event.Type) string {
	s := t.Kind.String()
	if t.Name != "" {
		s += " " + t.Name
	}
	if t.SourceType != "" {
		s += " (" + t.SourceType + ")"
	}
	return s
}
