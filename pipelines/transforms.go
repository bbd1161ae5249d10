package pipelines

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/internal/check"
	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/tablepattern"
	"github.com/dovetail-cdc/dovetail/internal/verify"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/transform"
)

// chainOf builds a transforms list of file; path is its key (transforms,
// sinks[0].transforms) and prefix the topic prefix routes match. It returns nil for an
// empty list. Expressions are compiled here, so their errors come at start-up, each a
// *configs.Error.
func chainOf(file, path, prefix string, list []configs.Transform) (*transform.Chain, error) {
	if len(list) == 0 {
		return nil, nil
	}
	ts := make([]transform.Transform, len(list))
	for i := range list {
		c := &list[i]
		var (
			t   transform.Transform
			err error
		)
		switch c.Kind {
		case "mask":
			t, err = transform.NewMask(c.Mask.Columns, c.Mask.With, c.Mask.Chars)
		case "hash":
			t, err = transform.NewHash(c.Hash.Columns, c.Hash.Algorithm, c.Hash.Salt.Value())
		case "truncate":
			t, err = transform.NewTruncate(c.Truncate.Columns, c.Truncate.Length)
		case "drop_columns":
			t, err = transform.NewColumns(c.Kind, nil, c.DropColumns.Columns)
		case "columns":
			t, err = transform.NewColumns(c.Kind, c.Columns.Include, c.Columns.Exclude)
		case "rename":
			if c.Rename.Table != "" {
				t, err = transform.NewRenameTable(c.Rename.Table, c.Rename.To)
			} else {
				t, err = transform.NewRenameColumn(c.Rename.Column, c.Rename.To)
			}
		case "route":
			t, err = transform.NewRoute(prefix, c.Route.Regex, c.Route.Replacement, c.Route.KeyField)
		case "filter":
			t, err = transform.NewFilter(c.Filter.Tables, c.Filter.Where)
		case "skip_ops":
			t, err = transform.NewSkipOps(c.SkipOps)
		case "key_columns":
			t, err = transform.NewKeyColumns(c.KeyColumns)
		case "unwrap":
			t, err = transform.NewUnwrap(c.Unwrap.AddFields, transform.DeleteHandling(c.Unwrap.DeleteHandling))
		default:
			err = fmt.Errorf("unknown transform")
		}
		if err != nil {
			// A config error, as configs.Load reports them: file, list, position, kind.
			return nil, &configs.Error{File: file, Key: fmt.Sprintf("%s[%d] (%s)", path, i, c.Kind), Msg: err.Error()}
		}
		ts[i] = t
	}
	return transform.NewChain(path, ts...), nil
}

// topicTables gives changes read from a topic the table the topic names. A source-side
// rename or route writes a table's changes to the topic of its new name while the
// source block keeps the real name, from which the decoder builds the table: the sink
// applies them to the table of the topic, as Debezium's sinks do.
type topicTables struct {
	prefix string
	mu     sync.Mutex
	tables map[topicTable]*event.Table
}

type topicTable struct {
	t     *event.Table
	topic string
}

// table returns the table of c's changes read from topic: c.Table when the topic is
// its own, else one *Table per (c.Table, topic) with the topic's name.
func (tt *topicTables) table(topic string, t *event.Table) *event.Table {
	if schema.Topic(tt.prefix, t.ID) == topic {
		return t
	}
	rest, ok := strings.CutPrefix(topic, tt.prefix+".")
	ns, name, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return t
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	k := topicTable{t, topic}
	if out := tt.tables[k]; out != nil {
		return out
	}
	id := t.ID
	if id.Schema != "" {
		id.Schema = ns
	} else {
		id.Database = ns
	}
	id.Table = name
	out := &event.Table{ID: id, Columns: t.Columns, Key: t.Key}
	if tt.tables == nil {
		tt.tables = map[topicTable]*event.Table{}
	}
	tt.tables[k] = out
	return out
}

// transformProblems checks the transforms against the source's catalog: every captured
// table, by its columns and primary key, goes through the source's transforms and then
// each sink's, so an unknown column (or a key column a transform would drop) is found
// before the first change. Types are not known here (filters are checked as with dyn
// columns; their typed check comes with the first change). A source that cannot be
// read is left to the source's own checks.
func transformProblems(ctx context.Context, cfg *configs.Pipeline, specs []sinkSpec) []check.Problem {
	src, err := chainOf(cfg.File, "transforms", cfg.Kafka.TopicPrefix, cfg.Transforms)
	if err != nil {
		return nil // reported by Validate
	}
	some := src != nil
	for _, s := range specs {
		some = some || s.transforms != nil
	}
	if !some {
		return nil
	}
	end := verify.Endpoint{Kind: cfg.Source.Kind, DSN: cfg.Source.DSN.Value()}
	refs, err := verify.Tables(ctx, end)
	if err != nil {
		return nil
	}
	var captured []verify.TableRef
	for _, r := range refs {
		if tablepattern.Included(cfg.Source.Tables, cfg.Source.ExcludeTables, r.Schema, r.Name, false) {
			captured = append(captured, r)
		}
	}
	tables, err := verify.Describe(ctx, end, captured)
	if err != nil {
		return nil
	}
	var problems []check.Problem
	// Tables named without globs must be captured ones, up to the first rename.
	known := map[string]bool{}
	for _, r := range captured {
		known[r.String()] = true
	}
	unknownTables := func(path string, list []configs.Transform) bool {
		for i, t := range list {
			if t.Kind == "route" || t.Kind == "rename" && t.Rename.Table != "" {
				return false
			}
			for _, name := range namedTables(t) {
				if !known[name] {
					problems = append(problems, check.Problem{Level: check.Error,
						What: fmt.Sprintf("%s[%d] (%s): the source has no captured table %s", path, i, t.Kind, name),
						Fix:  "name a table source.tables captures"})
				}
			}
		}
		return true
	}
	if unknownTables("transforms", cfg.Transforms) {
		for i, s := range specs {
			unknownTables(fmt.Sprintf("sinks[%d].transforms", i), s.cfg.Transforms)
		}
	}
	report := func(err error) {
		problems = append(problems, check.Problem{Level: check.Error, What: err.Error(),
			Fix: "name the table's columns as they are, or leave its key columns"})
	}
	for _, vt := range tables {
		t := catalogTable(cfg, vt)
		if src != nil {
			if t, err = src.Table(t); err != nil {
				report(err)
				continue
			}
			if t == nil {
				continue
			}
		}
		for _, s := range specs {
			if s.transforms == nil || !s.selection.Includes(t.ID) {
				continue
			}
			if _, err := s.transforms.Table(t); err != nil {
				report(err)
			}
		}
	}
	return problems
}

// catalogTable is a source table as the catalog describes it: names, nullability and the
// key (the primary key, or the source's key_columns); kinds unknown.
func catalogTable(cfg *configs.Pipeline, vt *verify.Table) *event.Table {
	t := &event.Table{ID: event.TableID{Table: vt.Ref.Name}}
	if cfg.Source.Kind == "postgres" {
		t.ID.Schema = vt.Ref.Schema
	} else {
		t.ID.Database = vt.Ref.Schema
	}
	for _, c := range vt.Columns {
		t.Columns = append(t.Columns, event.Column{Name: c.Name, Optional: c.Nullable})
	}
	key := vt.PrimaryKey
	if len(key) == 0 {
		for pattern, cols := range cfg.Source.KeyColumns {
			if tablepattern.Included([]string{pattern}, nil, t.ID.Namespace(), t.ID.Table, false) {
				key = cols
			}
		}
	}
	for _, k := range key {
		if i := t.ColumnIndex(k); i >= 0 {
			t.Key = append(t.Key, i)
		}
	}
	return t
}

// namedTables returns the tables ("namespace.table") a transform names without globs.
func namedTables(t configs.Transform) []string {
	var out []string
	add := func(p string) {
		if !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
		}
	}
	columns := func(cols []string) {
		for _, c := range cols {
			if i := strings.LastIndexByte(c, '.'); i > 0 {
				add(c[:i])
			}
		}
	}
	switch t.Kind {
	case "mask":
		columns(t.Mask.Columns)
	case "hash":
		columns(t.Hash.Columns)
	case "truncate":
		columns(t.Truncate.Columns)
	case "drop_columns":
		columns(t.DropColumns.Columns)
	case "columns":
		columns(t.Columns.Include)
		columns(t.Columns.Exclude)
	case "rename":
		columns([]string{t.Rename.Column})
	case "filter":
		for _, p := range t.Filter.Tables {
			add(p)
		}
	case "key_columns":
		for p := range t.KeyColumns {
			add(p)
		}
	}
	return out
}
