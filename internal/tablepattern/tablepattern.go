// Package tablepattern matches the table patterns of a source's tables and
// exclude_tables: "namespace.table" (schema.table for Postgres, database.table for MySQL),
// where each part may be a glob (* ? [...]). It is shared by the sources so both read a
// pattern the same way.
package tablepattern

import (
	"fmt"
	"path"
	"strings"
)

// Split splits "namespace.table" into its parts, checking that both are valid globs.
// what names the namespace in errors ("schema" or "database").
func Split(p, what string) (namespace, table string, err error) {
	namespace, table, ok := strings.Cut(p, ".")
	if !ok || namespace == "" || table == "" || strings.Contains(table, ".") {
		return "", "", fmt.Errorf("table pattern %q: want %s.table", p, what)
	}
	if _, err := path.Match(namespace, ""); err != nil {
		return "", "", fmt.Errorf("table pattern %q: %w", p, err)
	}
	if _, err := path.Match(table, ""); err != nil {
		return "", "", fmt.Errorf("table pattern %q: %w", p, err)
	}
	return namespace, table, nil
}

// IsGlob reports whether a pattern can match more than one name.
func IsGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// Match reports whether namespace.table matches pattern p; an invalid pattern matches
// nothing.
func Match(p, namespace, table string) bool {
	pn, pt, err := Split(p, "namespace")
	if err != nil {
		return false
	}
	okN, _ := path.Match(pn, namespace)
	okT, _ := path.Match(pt, table)
	return okN && okT
}

// Included reports whether namespace.table is captured: it matches a pattern of include
// (or include is empty and the namespace is not a system one) and no pattern of exclude.
func Included(include, exclude []string, namespace, table string, system bool) bool {
	in := len(include) == 0 && !system
	for _, p := range include {
		if Match(p, namespace, table) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, p := range exclude {
		if Match(p, namespace, table) {
			return false
		}
	}
	return true
}
