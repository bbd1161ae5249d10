package transform

import (
	"fmt"
	"path"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// tablePattern matches tables by "namespace.table", each part a name or a glob
// (* ? [...]); the namespace is the Postgres schema or the MySQL database.
type tablePattern struct{ ns, table string }

func parseTablePattern(p string) (tablePattern, error) {
	ns, table, ok := strings.Cut(p, ".")
	if !ok || ns == "" || table == "" || strings.Contains(table, ".") {
		return tablePattern{}, fmt.Errorf("table %q: expected namespace.table (schema.table or database.table), each part a name or a glob", p)
	}
	for _, part := range []string{ns, table} {
		if _, err := path.Match(part, ""); err != nil {
			return tablePattern{}, fmt.Errorf("table %q: bad glob (use * ? and [...])", p)
		}
	}
	return tablePattern{ns, table}, nil
}

func (p tablePattern) matches(id event.TableID) bool {
	ok, _ := path.Match(p.ns, id.Namespace())
	if !ok {
		return false
	}
	ok, _ = path.Match(p.table, id.Table)
	return ok
}

// tableSet is a list of table patterns; an empty set matches every table.
type tableSet []tablePattern

func parseTables(patterns []string) (tableSet, error) {
	var s tableSet
	for _, p := range patterns {
		tp, err := parseTablePattern(p)
		if err != nil {
			return nil, err
		}
		s = append(s, tp)
	}
	return s, nil
}

func (s tableSet) matches(id event.TableID) bool {
	if len(s) == 0 {
		return true
	}
	for _, p := range s {
		if p.matches(id) {
			return true
		}
	}
	return false
}

// columnPattern matches columns by "namespace.table.column", each part a name or a glob.
type columnPattern struct {
	tablePattern
	column string
}

func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// columnSet is a list of column patterns.
type columnSet []columnPattern

func parseColumns(patterns []string) (columnSet, error) {
	if len(patterns) == 0 {
		return nil, fmt.Errorf("columns: at least one namespace.table.column is required")
	}
	var s columnSet
	for _, p := range patterns {
		i := strings.LastIndexByte(p, '.')
		if i < 0 || i == len(p)-1 {
			return nil, fmt.Errorf("column %q: expected namespace.table.column, each part a name or a glob", p)
		}
		tp, err := parseTablePattern(p[:i])
		if err != nil {
			return nil, fmt.Errorf("column %q: expected namespace.table.column, each part a name or a glob", p)
		}
		if _, err := path.Match(p[i+1:], ""); err != nil {
			return nil, fmt.Errorf("column %q: bad glob (use * ? and [...])", p)
		}
		s = append(s, columnPattern{tp, p[i+1:]})
	}
	return s, nil
}

// match returns which columns of t the set matches (nil for none). A pattern that names
// t's table and one column without a glob is an error when t has no such column: the
// config names a column that is not there.
func (s columnSet) match(t *event.Table) ([]bool, error) {
	var hit []bool
	for _, p := range s {
		if !p.matches(t.ID) {
			continue
		}
		found := false
		for i := range t.Columns {
			if ok, _ := path.Match(p.column, t.Columns[i].Name); ok {
				if hit == nil {
					hit = make([]bool, len(t.Columns))
				}
				hit[i] = true
				found = true
			}
		}
		if !found && !isGlob(p.column) {
			return nil, fmt.Errorf("no column %q (columns: %s)", p.column, columnNames(t))
		}
	}
	return hit, nil
}

func columnNames(t *event.Table) string {
	names := make([]string, len(t.Columns))
	for i := range t.Columns {
		names[i] = t.Columns[i].Name
	}
	return strings.Join(names, ", ")
}

func isKey(t *event.Table, col int) bool {
	for _, k := range t.Key {
		if k == col {
			return true
		}
	}
	return false
}

// derive returns a copy of t with its own Columns and Key, to change.
func derive(t *event.Table) *event.Table {
	n := &event.Table{ID: t.ID}
	n.Columns = append([]event.Column(nil), t.Columns...)
	n.Key = append([]int(nil), t.Key...)
	return n
}
