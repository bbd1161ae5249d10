package sinks

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// StepKind says what a Step does.
type StepKind int

// Step kinds.
const (
	// Upsert inserts Rows (after images), or updates the rows with their keys.
	// Columns whose value is event.Unavailable keep the target's current value.
	Upsert StepKind = iota
	// Delete deletes the rows with the keys of Rows (before images: only the key
	// columns need values). In keyless tables it deletes one row equal to each of Rows
	// in every column.
	Delete
	// Insert appends Rows (after images) to a keyless table.
	Insert
	// Truncate empties the table.
	Truncate
)

func (k StepKind) String() string {
	return [...]string{"upsert", "delete", "insert", "truncate"}[k]
}

// Step is one statement's worth of rows of one shape.
type Step struct {
	Kind StepKind
	// Table is the source table's shape the rows have; the target table must have its
	// columns before the step is applied.
	Table *event.Table
	Rows  [][]any
}

// TableBatch is the steps of one target table, to apply in order.
type TableBatch struct {
	Target TargetTable
	Steps  []Step
}

// Plan turns records (in partition order) into a Batch: the records of tables the
// naming excludes are dropped; for each key only the last change survives (a create,
// update or read is an upsert of the final row, a delete a delete; updates that change
// the key delete the old one), so a batch writes each row once; unavailable values of
// an upsert are filled from an earlier upsert of the same row in the batch. A truncate,
// and a new shape of the table (after DDL), end a run: steps before it are applied
// before it. Keyless tables keep every change in order. The batch keeps records, all of
// them, in Batch.Records: the caller must not reuse the slice while the batch is applied.
func Plan(records []Record, naming Naming) (*Batch, error) {
	b := &Batch{Offsets: Offsets{}, Positions: map[TopicPartition]string{}, Records: records}
	planners := map[TargetTable]*tablePlanner{}
	targets := map[event.TableID]TargetTable{} // the zero TargetTable: excluded
	for i := range records {
		r := &records[i]
		if prev, ok := b.Offsets[r.TopicPartition]; !ok || r.Offset > prev {
			b.Offsets[r.TopicPartition] = r.Offset
			if r.Change != nil {
				b.Positions[r.TopicPartition] = SourcePosition(&r.Change.Source)
			}
		}
		c := r.Change
		if c == nil || c.Table == nil {
			continue
		}
		// Naming per table, not per record: matching patterns and filling the template
		// for each record took a quarter of a sink's CPU.
		target, ok := targets[c.Table.ID]
		if !ok {
			target = naming.Target(c.Table.ID)
			if !naming.Includes(c.Table.ID) {
				target = TargetTable{}
			}
			targets[c.Table.ID] = target
		}
		if target == (TargetTable{}) {
			continue
		}
		p := planners[target]
		if p == nil {
			p = &tablePlanner{tb: &TableBatch{Target: target}}
			planners[target] = p
			b.Tables = append(b.Tables, p.tb)
		}
		if err := p.add(c); err != nil {
			return nil, fmt.Errorf("plan %s at %s offset %d: %w", c.Table.ID, r.TopicPartition, r.Offset, err)
		}
	}
	for _, tb := range b.Tables {
		planners[tb.Target].flush()
	}
	return b, nil
}

// tablePlanner reduces the changes of one target table.
type tablePlanner struct {
	tb    *TableBatch
	table *event.Table // shape of the pending rows
	// Keyed tables: the final state of each key, in first-seen order.
	order []string
	state map[string]*pending
	// Keyless tables: steps in order.
	seq []Step
}

type pending struct {
	del bool
	row []any // after image (upsert) or before image (delete)
}

func (p *tablePlanner) add(c *event.Change) error {
	if p.table != c.Table {
		p.flush()
		p.table = c.Table
	}
	if c.Op == event.OpTruncate {
		p.flush()
		p.tb.Steps = append(p.tb.Steps, Step{Kind: Truncate, Table: c.Table})
		return nil
	}
	if len(c.Table.Key) == 0 {
		return p.addKeyless(c)
	}
	switch c.Op {
	case event.OpCreate, event.OpRead, event.OpUpdate:
		if c.After == nil {
			return fmt.Errorf("%s change without an after image", c.Op)
		}
		if c.Op == event.OpUpdate && c.Before != nil && !sameKey(c.Table.Key, c.Before, c.After) {
			p.put(keyOf(c.Table.Key, c.Before), &pending{del: true, row: c.Before})
		}
		k := keyOf(c.Table.Key, c.After)
		row := c.After
		if prev := p.state[k]; prev != nil && !prev.del && hasUnavailable(row) {
			row = fillUnavailable(row, prev.row)
		}
		p.put(k, &pending{row: row})
	case event.OpDelete:
		if c.Before == nil {
			return fmt.Errorf("delete without a before image")
		}
		p.put(keyOf(c.Table.Key, c.Before), &pending{del: true, row: c.Before})
	default:
		return fmt.Errorf("unexpected op %q", c.Op)
	}
	return nil
}

func (p *tablePlanner) put(k string, st *pending) {
	if p.state == nil {
		p.state = map[string]*pending{}
	}
	if _, ok := p.state[k]; !ok {
		p.order = append(p.order, k)
	}
	p.state[k] = st
}

func (p *tablePlanner) addKeyless(c *event.Change) error {
	switch c.Op {
	case event.OpCreate, event.OpRead:
		p.appendSeq(Insert, c.After)
	case event.OpUpdate:
		if c.Before == nil {
			return fmt.Errorf("update of a table without key columns and without a before image (set REPLICA IDENTITY FULL, or key_columns)")
		}
		p.appendSeq(Delete, c.Before)
		p.appendSeq(Insert, c.After)
	case event.OpDelete:
		if c.Before == nil {
			return fmt.Errorf("delete without a before image")
		}
		p.appendSeq(Delete, c.Before)
	default:
		return fmt.Errorf("unexpected op %q", c.Op)
	}
	return nil
}

func (p *tablePlanner) appendSeq(kind StepKind, row []any) {
	if n := len(p.seq); n > 0 && p.seq[n-1].Kind == kind {
		p.seq[n-1].Rows = append(p.seq[n-1].Rows, row)
		return
	}
	p.seq = append(p.seq, Step{Kind: kind, Table: p.table, Rows: [][]any{row}})
}

// flush ends the current run: its deletes, then its upserts (different keys, so their
// order does not matter), or the keyless steps in order.
func (p *tablePlanner) flush() {
	if len(p.order) > 0 {
		var del, up Step
		del.Kind, del.Table = Delete, p.table
		up.Kind, up.Table = Upsert, p.table
		for _, k := range p.order {
			st := p.state[k]
			if st.del {
				del.Rows = append(del.Rows, st.row)
			} else {
				up.Rows = append(up.Rows, st.row)
			}
		}
		if len(del.Rows) > 0 {
			p.tb.Steps = append(p.tb.Steps, del)
		}
		if len(up.Rows) > 0 {
			p.tb.Steps = append(p.tb.Steps, up)
		}
	}
	p.tb.Steps = append(p.tb.Steps, p.seq...)
	p.order, p.state, p.seq = p.order[:0], nil, nil
}

func hasUnavailable(row []any) bool {
	for _, v := range row {
		if v == event.Unavailable {
			return true
		}
	}
	return false
}

func fillUnavailable(row, prev []any) []any {
	out := make([]any, len(row))
	for i, v := range row {
		if v == event.Unavailable && i < len(prev) {
			v = prev[i]
		}
		out[i] = v
	}
	return out
}

func sameKey(key []int, a, b []any) bool {
	return keyOf(key, a) == keyOf(key, b)
}

// keyOf renders a row's key values as a string that is equal exactly when the values
// are.
func keyOf(key []int, row []any) string {
	var b strings.Builder
	for _, i := range key {
		var v any
		if i < len(row) {
			v = row[i]
		}
		writeKeyValue(&b, v)
		b.WriteByte(0)
	}
	return b.String()
}

func writeKeyValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("n")
	case []byte:
		b.WriteString("x")
		b.WriteString(hex.EncodeToString(x))
	case *big.Rat:
		b.WriteString("r")
		b.WriteString(x.RatString())
	case string:
		b.WriteString("s")
		b.WriteString(strconv.Quote(x))
	default:
		fmt.Fprintf(b, "%T:%v", v, v)
	}
}

// SourcePosition renders where a change was in its source, for the stored positions:
// "lsn=<n>" for Postgres, "gtid=<set> file=<f> pos=<n> row=<n>" for MySQL.
func SourcePosition(s *event.Source) string {
	if s.Connector == "postgresql" {
		return "lsn=" + strconv.FormatInt(s.LSN, 10)
	}
	var b strings.Builder
	if s.GTID != "" {
		b.WriteString("gtid=" + s.GTID + " ")
	}
	fmt.Fprintf(&b, "file=%s pos=%d row=%d", s.File, s.Pos, s.Row)
	return b.String()
}
