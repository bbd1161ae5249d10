package sinktest

import "github.com/dovetail-cdc/dovetail/internal/event"

// ApplyCase is a run of batches, each applied in a transaction of its own, and the rows
// Query then reads from the target table t (columns joined by |, NULL as ∅).
type ApplyCase struct {
	Name    string
	Batches [][]*event.Change
	Query   string
	Want    []string
}

// ApplyCases are the scenarios every SQL target passes, on a source table t in three
// shapes the engine builds with its own types: keyed (id int, v text, big text; key
// id), twoKey (a int, b text, v text; key a, b) and keyless (line text, n int).
func ApplyCases(keyed, twoKey, keyless *event.Table) []ApplyCase {
	u := event.Unavailable
	return []ApplyCase{
		{"inserts, updates and deletes", [][]*event.Change{
			{Upsert(keyed, int32(1), "a", "x"), Upsert(keyed, int32(2), "b", "y"), Upsert(keyed, int32(3), "c", nil)},
			{Update(keyed, []any{int32(1), "a", "x"}, []any{int32(1), "A", "x"}), Del(keyed, int32(2), nil, nil)},
		}, "SELECT * FROM t ORDER BY id", []string{"1|A|x", "3|c|∅"}},
		{"snapshot reads are upserts", [][]*event.Change{
			{{Table: keyed, Op: event.OpRead, After: []any{int32(1), "a", "x"}}},
			{{Table: keyed, Op: event.OpRead, After: []any{int32(1), "b", "x"}}},
		}, "SELECT * FROM t", []string{"1|b|x"}},
		{"key change moves the row", [][]*event.Change{
			{Upsert(keyed, int32(1), "a", "x")},
			{Update(keyed, []any{int32(1), "a", "x"}, []any{int32(9), "a", "x"})},
		}, "SELECT * FROM t", []string{"9|a|x"}},
		{"unavailable values keep the follower's value", [][]*event.Change{
			{Upsert(keyed, int32(1), "a", "toasted"), Upsert(keyed, int32(2), "b", "toasted2")},
			{Update(keyed, nil, []any{int32(1), "A", u}), Update(keyed, nil, []any{int32(2), u, u}), Upsert(keyed, int32(3), "c", "new")},
		}, "SELECT * FROM t ORDER BY id", []string{"1|A|toasted", "2|b|toasted2", "3|c|new"}},
		{"the placeholder string is never written", [][]*event.Change{
			{Upsert(keyed, int32(1), "a", "toasted")},
			{Update(keyed, nil, []any{int32(1), "A", event.UnavailablePlaceholder})},
		}, "SELECT * FROM t", []string{"1|A|toasted"}},
		{"truncate then inserts, of the same keys too", [][]*event.Change{
			{Upsert(keyed, int32(1), "a", "x"), Upsert(keyed, int32(2), "b", "y")},
			{Upsert(keyed, int32(3), "c", "z"), Truncate(keyed), Upsert(keyed, int32(4), "d", "w"), Upsert(keyed, int32(1), "a2", "x2")},
		}, "SELECT * FROM t ORDER BY id", []string{"1|a2|x2", "4|d|w"}},
		{"composite keys", [][]*event.Change{
			{Upsert(twoKey, int32(1), "a", "x"), Upsert(twoKey, int32(1), "b", "y"), Upsert(twoKey, int32(2), "a", "z")},
			{Del(twoKey, int32(1), "a", nil), Upsert(twoKey, int32(2), "a", "Z")},
		}, "SELECT * FROM t ORDER BY a, b", []string{"1|b|y", "2|a|Z"}},
		{"keyless tables: duplicates, deletes of one equal row, NULLs", [][]*event.Change{
			{Upsert(keyless, "a", int32(1)), Upsert(keyless, "a", int32(1)), Upsert(keyless, nil, nil), Upsert(keyless, "b", int32(2))},
			{Del(keyless, "a", int32(1)), Del(keyless, nil, nil), Update(keyless, []any{"b", int32(2)}, []any{"b", int32(3)})},
		}, "SELECT * FROM t ORDER BY line, n", []string{"a|1", "b|3"}},
	}
}
