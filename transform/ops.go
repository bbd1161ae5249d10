package transform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// SkipOps drops the changes of some operations: c (create), u (update), d (delete),
// t (truncate), as Debezium's skipped.operations.
type SkipOps struct {
	skip [4]bool // c u d t
}

var skippable = []event.Op{event.OpCreate, event.OpUpdate, event.OpDelete, event.OpTruncate}

// NewSkipOps returns a transform that drops the operations ops.
func NewSkipOps(ops []string) (*SkipOps, error) {
	if len(ops) == 0 {
		return nil, fmt.Errorf("at least one operation (c, u, d, t) is required")
	}
	s := &SkipOps{}
	for _, op := range ops {
		i := slices.Index(skippable, event.Op(op))
		if i < 0 {
			return nil, fmt.Errorf("operation %q: want c, u, d or t", op)
		}
		s.skip[i] = true
	}
	return s, nil
}

func (s *SkipOps) Kind() string { return "skip_ops" }

func (s *SkipOps) Bind(t *event.Table) (Step, error) { return &skipStep{t, s}, nil }

type skipStep struct {
	t *event.Table
	s *SkipOps
}

func (s *skipStep) Table() *event.Table { return s.t }
func (s *skipStep) Writes() bool        { return false }
func (s *skipStep) Apply(c *event.Change) (bool, error) {
	i := slices.Index(skippable, c.Op)
	return i < 0 || !s.s.skip[i], nil
}

// DeleteHandling says what Unwrap does with deletes.
type DeleteHandling string

// The delete handlings, as Debezium's ExtractNewRecordState names them.
const (
	// DeleteDrop drops deletes: the flat rows keep the last state before the delete.
	DeleteDrop DeleteHandling = "drop"
	// DeleteRewrite turns a delete into an upsert of the row's last state with
	// __deleted "true" (every other row has "false"): a follower keeps deleted rows,
	// marked.
	DeleteRewrite DeleteHandling = "rewrite"
	// DeleteTombstone keeps deletes as deletes: a follower deletes the row.
	DeleteTombstone DeleteHandling = "tombstone"
)

// DeletedField is the column DeleteRewrite adds.
const DeletedField = "__deleted"

// Unwrap makes changes flat rows, as Debezium's ExtractNewRecordState: the row (after,
// or before for a rewritten delete) plus the added fields, each a column named "__" and
// the field with dots as underscores (op -> __op, source.ts_ms -> __source_ts_ms).
// Fields: op, and the source block's version, connector, name, ts_ms, snapshot, db,
// sequence, schema, table, txId, lsn, server_id, gtid, file, pos, row, thread, query
// (as "table" or "source.table").
type Unwrap struct {
	fields  []unwrapField
	deletes DeleteHandling
}

type unwrapField struct {
	col event.Column
	get func(c *event.Change) any
}

func optionalString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var sourceFields = map[string]func(s *event.Source) any{
	"version":   func(s *event.Source) any { return optionalString(s.Version) },
	"connector": func(s *event.Source) any { return optionalString(s.Connector) },
	"name":      func(s *event.Source) any { return optionalString(s.Name) },
	"ts_ms": func(s *event.Source) any {
		if s.Commit.IsZero() {
			return nil
		}
		return s.Commit.UnixMilli()
	},
	"snapshot":  func(s *event.Source) any { return optionalString(s.Snapshot) },
	"db":        func(s *event.Source) any { return optionalString(s.DB) },
	"sequence":  func(s *event.Source) any { return optionalString(s.Sequence) },
	"schema":    func(s *event.Source) any { return optionalString(s.Schema) },
	"table":     func(s *event.Source) any { return optionalString(s.Table) },
	"txId":      func(s *event.Source) any { return s.TxID },
	"lsn":       func(s *event.Source) any { return s.LSN },
	"server_id": func(s *event.Source) any { return s.ServerID },
	"gtid":      func(s *event.Source) any { return optionalString(s.GTID) },
	"file":      func(s *event.Source) any { return optionalString(s.File) },
	"pos":       func(s *event.Source) any { return s.Pos },
	"row":       func(s *event.Source) any { return int64(s.Row) },
	"thread": func(s *event.Source) any {
		if s.Thread == nil {
			return nil
		}
		return *s.Thread
	},
	"query": func(s *event.Source) any { return optionalString(s.Query) },
}

var sourceStrings = []string{"version", "connector", "name", "snapshot", "db", "sequence", "schema", "table", "gtid", "file", "query"}

// NewUnwrap returns an unwrap adding fields, with the delete handling d ("" is drop).
func NewUnwrap(fields []string, d DeleteHandling) (*Unwrap, error) {
	u := &Unwrap{deletes: d}
	switch d {
	case "":
		u.deletes = DeleteDrop
	case DeleteDrop, DeleteRewrite, DeleteTombstone:
	default:
		return nil, fmt.Errorf("delete_handling %q: want drop, rewrite or tombstone", d)
	}
	seen := map[string]bool{}
	for _, f := range fields {
		name := "__" + strings.ReplaceAll(f, ".", "_")
		if seen[name] {
			return nil, fmt.Errorf("add_fields: %s is given twice", f)
		}
		seen[name] = true
		if f == "op" {
			u.fields = append(u.fields, unwrapField{
				col: event.Column{Name: name, Type: event.Type{Kind: event.KindString}},
				get: func(c *event.Change) any { return opValue(c.Op) },
			})
			continue
		}
		sf := strings.TrimPrefix(f, "source.")
		get, ok := sourceFields[sf]
		if !ok {
			return nil, fmt.Errorf("add_fields: unknown field %q: want op or a source field (%s)", f, strings.Join(sortedKeys(sourceFields), ", "))
		}
		kind := event.KindInt64
		if slices.Contains(sourceStrings, sf) {
			kind = event.KindString
		}
		u.fields = append(u.fields, unwrapField{
			col: event.Column{Name: name, Type: event.Type{Kind: kind}, Optional: true},
			get: func(c *event.Change) any { return get(&c.Source) },
		})
	}
	if u.deletes == DeleteRewrite {
		if seen[DeletedField] {
			return nil, fmt.Errorf("add_fields: %s is added by delete_handling rewrite", DeletedField)
		}
		u.fields = append(u.fields, unwrapField{
			col: event.Column{Name: DeletedField, Type: event.Type{Kind: event.KindString}},
			get: func(c *event.Change) any {
				if c.Op == event.OpDelete {
					return deletedTrue
				}
				return deletedFalse
			},
		})
	}
	return u, nil
}

// Values boxed once, not per row.
var (
	deletedTrue, deletedFalse any = "true", "false"
	opValues                      = map[event.Op]any{}
)

func init() {
	for _, op := range []event.Op{event.OpRead, event.OpCreate, event.OpUpdate, event.OpDelete, event.OpTruncate} {
		opValues[op] = string(op)
	}
}

func opValue(op event.Op) any {
	if v, ok := opValues[op]; ok {
		return v
	}
	return string(op)
}

func (u *Unwrap) Kind() string { return "unwrap" }

func (u *Unwrap) Bind(t *event.Table) (Step, error) {
	out := derive(t)
	for _, f := range u.fields {
		if t.ColumnIndex(f.col.Name) >= 0 {
			return nil, fmt.Errorf("the table already has a column %s, which unwrap adds", f.col.Name)
		}
		out.Columns = append(out.Columns, f.col)
	}
	return &unwrapStep{u: u, out: out}, nil
}

type unwrapStep struct {
	u   *Unwrap
	out *event.Table
}

func (s *unwrapStep) Table() *event.Table { return s.out }
func (s *unwrapStep) Writes() bool        { return true }

func (s *unwrapStep) Apply(c *event.Change) (bool, error) {
	if c.Op == event.OpDelete {
		switch s.u.deletes {
		case DeleteDrop:
			return false, nil
		case DeleteRewrite:
			// The row's last state, marked deleted, replaces the row.
			c.After = s.extend(c.Before, c)
			c.Before = nil
			c.Op = event.OpUpdate
			return true, nil
		}
	}
	// Fields are computed from the original op: a rewritten delete reports __op "d".
	if c.Before != nil {
		c.Before = s.extend(c.Before, c)
	}
	if c.After != nil {
		c.After = s.extend(c.After, c)
	}
	return true, nil
}

func (s *unwrapStep) extend(row []any, c *event.Change) []any {
	if row == nil {
		return nil
	}
	for _, f := range s.u.fields {
		row = append(row, f.get(c))
	}
	return row
}
