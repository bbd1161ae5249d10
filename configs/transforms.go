package configs

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Transform is one entry of a transforms list: a mapping with exactly one key, the
// transform's kind, as in `- mask: {columns: [public.customers.email], with: "****"}`
// or `- skip_ops: [d]`. Kind says which one was given; the others are zero.
type Transform struct {
	// Kind is the key that was given (not a config key): mask, hash, truncate,
	// drop_columns, columns, rename, route, filter, skip_ops, key_columns or unwrap.
	Kind string `mapstructure:"-"`

	Mask        MaskTransform     `mapstructure:"mask"`
	Hash        HashTransform     `mapstructure:"hash"`
	Truncate    TruncateTransform `mapstructure:"truncate"`
	DropColumns ColumnList        `mapstructure:"drop_columns"`
	Columns     ColumnSelection   `mapstructure:"columns"`
	Rename      RenameTransform   `mapstructure:"rename"`
	Route       RouteTransform    `mapstructure:"route"`
	Filter      FilterTransform   `mapstructure:"filter"`
	// SkipOps drops the changes of these operations: c, u, d, t.
	SkipOps []string `mapstructure:"skip_ops"`
	// KeyColumns chooses the message key of tables: "namespace.table" -> columns.
	KeyColumns map[string][]string `mapstructure:"key_columns"`
	Unwrap     UnwrapTransform     `mapstructure:"unwrap"`
}

// TransformKinds are the keys a transforms entry may have.
var TransformKinds = []string{"mask", "hash", "truncate", "drop_columns", "columns", "rename", "route", "filter", "skip_ops", "key_columns", "unwrap"}

// ColumnList names columns as "namespace.table.column" patterns (globs in each part).
type ColumnList struct {
	Columns []string `mapstructure:"columns"`
}

// MaskTransform replaces values with a fixed string (With) or Chars asterisks.
type MaskTransform struct {
	Columns []string `mapstructure:"columns"`
	With    string   `mapstructure:"with"`
	Chars   int      `mapstructure:"chars"`
}

// HashTransform replaces values with the hex digest of Salt followed by the value.
type HashTransform struct {
	Columns   []string `mapstructure:"columns"`
	Algorithm string   `mapstructure:"algorithm" default:"sha256"` // sha256 | sha512
	Salt      Secret   `mapstructure:"salt"`                       // required
}

// TruncateTransform shortens string (and bytes) values to Length characters (bytes).
type TruncateTransform struct {
	Columns []string `mapstructure:"columns"`
	Length  int      `mapstructure:"length"`
}

// ColumnSelection keeps only the Include columns of the tables they name, and drops
// the Exclude columns.
type ColumnSelection struct {
	Include []string `mapstructure:"include"`
	Exclude []string `mapstructure:"exclude"`
}

// RenameTransform renames the table Table ("namespace.table") or the column Column
// ("namespace.table.column") to To.
type RenameTransform struct {
	Table  string `mapstructure:"table"`
	Column string `mapstructure:"column"`
	To     string `mapstructure:"to"`
}

// RouteTransform renames the tables whose topic ("<prefix>.<namespace>.<table>") the
// regular expression Regex matches (whole) to the topic Replacement ($1, ${name} refer
// to groups); KeyField ("" for none) is added to the key of routed tables so that rows
// of merged tables keep distinct keys.
type RouteTransform struct {
	Regex       string `mapstructure:"regex"`
	Replacement string `mapstructure:"replacement"`
	KeyField    string `mapstructure:"key_field" default:"__dbz__physicalTableIdentifier"`
}

// FilterTransform keeps the changes of Tables (patterns; empty: all) for which the CEL
// expression Where is true.
type FilterTransform struct {
	Tables []string `mapstructure:"tables"`
	Where  string   `mapstructure:"where"`
}

// UnwrapTransform makes flat rows (Debezium's ExtractNewRecordState).
type UnwrapTransform struct {
	// AddFields are added as __<field> columns: op, or source fields (source.ts_ms).
	AddFields []string `mapstructure:"add_fields"`
	// DeleteHandling: drop | rewrite (__deleted "true") | tombstone (delete the row).
	DeleteHandling string `mapstructure:"delete_handling" default:"drop"`
}

// transformOps are the operations skip_ops takes.
var transformOps = []string{"c", "u", "d", "t"}

// transforms checks a transforms list at key (transforms, sinks[0].transforms); sink is
// whether it runs at a sink; captured reports whether the source captures an exact table.
func (d *decoder) transforms(key string, ts []Transform, sink bool, captured func(ns, table string) bool) {
	for i := range ts {
		t := &ts[i]
		item := fmt.Sprintf("%s[%d]", key, i)
		var given []string
		for _, k := range TransformKinds {
			if d.present[item+"."+k] {
				given = append(given, k)
			}
		}
		switch len(given) {
		case 0:
			if !d.failedUnder(item) {
				d.errorf(item, "expected one transform: %s (an unwrap without options is written unwrap: {})", strings.Join(TransformKinds, ", "))
			}
			continue
		case 1:
			t.Kind = given[0]
		default:
			d.errorf(item, "one transform per list entry, got %s: write each as its own - entry", strings.Join(given, " and "))
			continue
		}
		e := &transformChecker{d: d, key: fmt.Sprintf("%s (%s)", item, t.Kind), captured: captured}
		if t.Kind == "rename" || t.Kind == "route" {
			// Later entries see the new names, which the source does not capture.
			captured = nil
			e.captured = nil
		}
		switch t.Kind {
		case "mask":
			e.columns(t.Mask.Columns)
			switch {
			case t.Mask.With != "" && t.Mask.Chars != 0:
				e.errorf("give either with or chars, not both")
			case t.Mask.With == "" && t.Mask.Chars <= 0:
				e.errorf("with (a string) or chars (a positive number) is required")
			}
		case "hash":
			e.columns(t.Hash.Columns)
			if t.Hash.Salt == "" {
				e.errorf("salt is required")
			}
			if t.Hash.Algorithm != "sha256" && t.Hash.Algorithm != "sha512" {
				e.errorf("algorithm %s is not one of sha256, sha512", quote(t.Hash.Algorithm))
			}
		case "truncate":
			e.columns(t.Truncate.Columns)
			if t.Truncate.Length < 1 {
				e.errorf("length must be at least 1, got %d", t.Truncate.Length)
			}
		case "drop_columns":
			e.columns(t.DropColumns.Columns)
		case "columns":
			if len(t.Columns.Include) == 0 && len(t.Columns.Exclude) == 0 {
				e.errorf("include or exclude is required")
			}
			e.columnPatterns(t.Columns.Include)
			e.columnPatterns(t.Columns.Exclude)
		case "rename":
			r := &t.Rename
			switch {
			case (r.Table == "") == (r.Column == ""):
				e.errorf("give either table or column")
			case r.To == "":
				e.errorf("to is required")
			case r.Table != "":
				e.table(r.Table, true)
			default:
				e.columnPatterns([]string{r.Column})
			}
		case "route":
			if t.Route.Regex == "" {
				e.errorf("regex is required")
			} else if _, err := regexp.Compile(t.Route.Regex); err != nil {
				e.errorf("regex %s: %v", quote(t.Route.Regex), err)
			}
			if t.Route.Replacement == "" {
				e.errorf("replacement is required")
			}
		case "filter":
			if strings.TrimSpace(t.Filter.Where) == "" {
				e.errorf("where (a CEL expression) is required")
			}
			for _, p := range t.Filter.Tables {
				e.table(p, false)
			}
		case "skip_ops":
			if len(t.SkipOps) == 0 {
				e.errorf("at least one operation (c, u, d, t) is required")
			}
			for _, op := range t.SkipOps {
				if !slices.Contains(transformOps, op) {
					e.errorf("operation %s is not one of c, u, d, t", quote(op))
				}
			}
		case "key_columns":
			if len(t.KeyColumns) == 0 {
				e.errorf("at least one namespace.table: [columns] is required")
			}
			for table, cols := range t.KeyColumns {
				e.table(table, false)
				if len(cols) == 0 {
					e.errorf("%s: at least one column is required", table)
				}
			}
		case "unwrap":
			if !sink {
				e.errorf("unwrap runs at sinks only (sinks[].transforms): Kafka's records stay Debezium envelopes")
			}
			switch t.Unwrap.DeleteHandling {
			case "drop", "rewrite", "tombstone":
			default:
				e.errorf("delete_handling %s is not one of drop, rewrite, tombstone", quote(t.Unwrap.DeleteHandling))
			}
		}
	}
}

// failedUnder reports whether key or a key under it already has an error.
func (d *decoder) failedUnder(key string) bool {
	for k := range d.failed {
		if k == key || strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// transformChecker reports the problems of one transform, keyed "transforms[2] (hash)".
type transformChecker struct {
	d        *decoder
	key      string
	captured func(ns, table string) bool
}

func (e *transformChecker) errorf(format string, args ...any) {
	// Several problems of one transform are one error each.
	e.d.errs = append(e.d.errs, &Error{File: e.d.file, Key: e.key, Msg: fmt.Sprintf(format, args...)})
}

func (e *transformChecker) columns(cols []string) {
	if len(cols) == 0 {
		e.errorf("columns is required: a list of namespace.table.column")
	}
	e.columnPatterns(cols)
}

func (e *transformChecker) columnPatterns(cols []string) {
	for _, c := range cols {
		i := strings.LastIndexByte(c, '.')
		if i < 0 || i == len(c)-1 || strings.Count(c, ".") != 2 {
			e.errorf("column %s: expected namespace.table.column, each part a name or a glob", quote(c))
			continue
		}
		if _, err := path.Match(c[i+1:], ""); err != nil {
			e.errorf("column %s: bad glob (use * ? and [...])", quote(c))
			continue
		}
		e.table(c[:i], false)
	}
}

// table checks a "namespace.table" pattern; exact is whether globs are refused. A
// table named without globs that the source does not capture is an error.
func (e *transformChecker) table(p string, exact bool) {
	ns, table, ok := strings.Cut(p, ".")
	if !ok || ns == "" || table == "" || strings.Contains(table, ".") {
		e.errorf("table %s: expected namespace.table (schema.table, or database.table for MySQL)", quote(p))
		return
	}
	for _, part := range []string{ns, table} {
		if _, err := path.Match(part, ""); err != nil {
			e.errorf("table %s: bad glob (use * ? and [...])", quote(p))
			return
		}
	}
	glob := strings.ContainsAny(p, "*?[")
	if exact && glob {
		e.errorf("table %s: name one table, not a glob", quote(p))
		return
	}
	if !glob && e.captured != nil && !e.captured(ns, table) {
		e.errorf("table %s is not captured by source.tables / source.exclude_tables", p)
	}
}

// renames reports whether a list renames tables.
func renames(ts []Transform) bool {
	for _, t := range ts {
		if t.Kind == "rename" && t.Rename.Table != "" || t.Kind == "route" {
			return true
		}
	}
	return false
}

// capturedBy reports whether the source's table patterns take ns.table.
func capturedBy(s *Source) func(ns, table string) bool {
	return func(ns, table string) bool {
		match := func(patterns []string) bool {
			for _, p := range patterns {
				pns, pt, _ := strings.Cut(p, ".")
				okNS, _ := path.Match(pns, ns)
				okT, _ := path.Match(pt, table)
				if okNS && okT {
					return true
				}
			}
			return false
		}
		return (len(s.Tables) == 0 || match(s.Tables)) && !match(s.ExcludeTables)
	}
}
