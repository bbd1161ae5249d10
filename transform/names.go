package transform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// shapeStep changes only the shape (names, key): rows pass as they are.
type shapeStep struct{ out *event.Table }

func (s shapeStep) Table() *event.Table                 { return s.out }
func (s shapeStep) Writes() bool                        { return false }
func (s shapeStep) Apply(c *event.Change) (bool, error) { return true, nil }

// withName returns id renamed to name: "table" keeps the namespace, "namespace.table"
// changes both (the Postgres schema, or the MySQL database).
func withName(id event.TableID, name string) event.TableID {
	if ns, table, ok := strings.Cut(name, "."); ok {
		if id.Schema != "" {
			id.Schema = ns
		} else {
			id.Database = ns
		}
		name = table
	}
	id.Table = name
	return id
}

// Rename renames a table, or a column of the tables a pattern matches. Renaming a
// table at the source renames its topic (<prefix>.<namespace>.<new name>) and its
// schemas; the source block keeps the table's real name.
type Rename struct {
	table  tablePattern // table rename: the exact table
	column *columnPattern
	to     string
}

var plainName = regexp.MustCompile(`^[^.\s]+$`)

// NewRenameTable renames the table "namespace.table" to "name" or "namespace.name".
func NewRenameTable(table, to string) (*Rename, error) {
	tp, err := parseTablePattern(table)
	if err != nil {
		return nil, err
	}
	if isGlob(tp.ns) || isGlob(tp.table) {
		return nil, fmt.Errorf("table %q: rename takes one table, not a glob (route renames by regular expression)", table)
	}
	ns, name, two := strings.Cut(to, ".")
	if !two {
		name = ns
	}
	if !plainName.MatchString(name) || (two && !plainName.MatchString(ns)) {
		return nil, fmt.Errorf("to %q: expected a table name, or namespace.name", to)
	}
	return &Rename{table: tp, to: to}, nil
}

// NewRenameColumn renames the column of "namespace.table.column" (the table part may be
// a glob) to the name to.
func NewRenameColumn(column, to string) (*Rename, error) {
	cs, err := parseColumns([]string{column})
	if err != nil {
		return nil, err
	}
	if isGlob(cs[0].column) {
		return nil, fmt.Errorf("column %q: the column part of a rename must be a name, not a glob", column)
	}
	if !plainName.MatchString(to) {
		return nil, fmt.Errorf("to %q: expected a column name", to)
	}
	return &Rename{column: &cs[0], to: to}, nil
}

func (r *Rename) Kind() string { return "rename" }

func (r *Rename) Bind(t *event.Table) (Step, error) {
	if r.column == nil {
		if !r.table.matches(t.ID) {
			return nil, nil
		}
		out := &event.Table{ID: withName(t.ID, r.to), Columns: t.Columns, Key: t.Key}
		return shapeStep{out}, nil
	}
	if !r.column.matches(t.ID) {
		return nil, nil
	}
	i := t.ColumnIndex(r.column.column)
	if i < 0 {
		if !isGlob(r.column.ns) && !isGlob(r.column.tablePattern.table) {
			return nil, fmt.Errorf("no column %q (columns: %s)", r.column.column, columnNames(t))
		}
		return nil, nil
	}
	if j := t.ColumnIndex(r.to); j >= 0 && j != i {
		return nil, fmt.Errorf("cannot rename column %s to %s: the table has a column %s", r.column.column, r.to, r.to)
	}
	out := derive(t)
	out.Columns[i].Name = r.to
	return shapeStep{out}, nil
}

// DefaultKeyField is the key field Route adds, named as Debezium's ByLogicalTableRouter
// names it.
const DefaultKeyField = "__dbz__physicalTableIdentifier"

// Route renames tables by a regular expression over their topic names,
// "<prefix>.<namespace>.<table>", as Debezium's ByLogicalTableRouter does: the
// expression must match the whole topic, and the replacement (with $1 or ${1} for
// groups) must again be "<prefix>.<namespace>.<table>". Routing several tables into
// one (shards) adds a key field holding the original topic, so that their keys stay
// unique; unlike Debezium, the field is also added to the rows (Dovetail's sinks key
// target tables by the value's columns).
type Route struct {
	prefix   string
	re       *regexp.Regexp
	repl     string
	keyField string
}

// NewRoute returns a route; keyField "" adds no key field.
func NewRoute(prefix, expr, replacement, keyField string) (*Route, error) {
	if expr == "" {
		return nil, fmt.Errorf("regex is required")
	}
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", expr, err)
	}
	if replacement == "" {
		return nil, fmt.Errorf("replacement is required")
	}
	return &Route{prefix: prefix, re: re, repl: replacement, keyField: keyField}, nil
}

func (r *Route) Kind() string { return "route" }

func (r *Route) Bind(t *event.Table) (Step, error) {
	topic := r.prefix + "." + t.ID.Namespace() + "." + t.ID.Table
	if !r.re.MatchString(topic) {
		return nil, nil
	}
	to := r.re.ReplaceAllString(topic, r.repl)
	rest, ok := strings.CutPrefix(to, r.prefix+".")
	if !ok || strings.Count(rest, ".") != 1 || strings.HasPrefix(rest, ".") || strings.HasSuffix(rest, ".") {
		return nil, fmt.Errorf("topic %s is routed to %q, which is not %s.<namespace>.<table>", topic, to, r.prefix)
	}
	out := &event.Table{ID: withName(t.ID, rest), Columns: t.Columns, Key: t.Key}
	if r.keyField == "" || len(t.Key) == 0 {
		return shapeStep{out}, nil
	}
	if t.ColumnIndex(r.keyField) >= 0 {
		return nil, fmt.Errorf("the table already has a column %s: choose another key_field", r.keyField)
	}
	out = derive(out)
	out.Columns = append(out.Columns, event.Column{Name: r.keyField, Type: event.Type{Kind: event.KindString}})
	out.Key = append(out.Key, len(out.Columns)-1)
	return &appendStep{out: out, vals: []any{topic}}, nil
}

// appendStep appends values to each row.
type appendStep struct {
	out  *event.Table
	vals []any
}

func (s *appendStep) Table() *event.Table { return s.out }
func (s *appendStep) Writes() bool        { return true }

func (s *appendStep) Apply(c *event.Change) (bool, error) {
	if c.Before != nil {
		c.Before = append(c.Before, s.vals...)
	}
	if c.After != nil {
		c.After = append(c.After, s.vals...)
	}
	return true, nil
}

// KeyColumns chooses the message key of tables, by column names: for tables without
// a primary key, or to key a table by other columns.
type KeyColumns struct {
	tables []tablePattern
	cols   [][]string
}

// NewKeyColumns takes "namespace.table" patterns mapped to column names.
func NewKeyColumns(keys map[string][]string) (*KeyColumns, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("at least one table: [columns] is required")
	}
	k := &KeyColumns{}
	for _, table := range sortedKeys(keys) {
		tp, err := parseTablePattern(table)
		if err != nil {
			return nil, err
		}
		if len(keys[table]) == 0 {
			return nil, fmt.Errorf("table %s: at least one column is required", table)
		}
		k.tables = append(k.tables, tp)
		k.cols = append(k.cols, keys[table])
	}
	return k, nil
}

func (k *KeyColumns) Kind() string { return "key_columns" }

func (k *KeyColumns) Bind(t *event.Table) (Step, error) {
	for n, tp := range k.tables {
		if !tp.matches(t.ID) {
			continue
		}
		out := &event.Table{ID: t.ID, Columns: t.Columns}
		for _, name := range k.cols[n] {
			i := t.ColumnIndex(name)
			if i < 0 {
				return nil, fmt.Errorf("no column %q (columns: %s)", name, columnNames(t))
			}
			out.Key = append(out.Key, i)
		}
		return shapeStep{out}, nil
	}
	return nil, nil
}
