package postgres

import (
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// TestApply applies changes of every kind and checks the follower's rows.
func TestApply(t *testing.T) {
	t.Parallel()
	keyed := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true), sinktest.Col("big", textType, true))
	twoKey := sinktest.PostgresTable("t", []int{0, 1}, sinktest.Col("a", intType, false), sinktest.Col("b", textType, false), sinktest.Col("v", textType, true))
	keyless := sinktest.PostgresTable("t", nil, sinktest.Col("line", textType, true), sinktest.Col("n", intType, true))
	jsonless := sinktest.PostgresTable("t", nil, sinktest.Col("j", sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), true), sinktest.Col("p", sinktest.Type(event.KindString, "", "point"), true))
	cases := append(sinktest.ApplyCases(keyed, twoKey, keyless), []sinktest.ApplyCase{
		{Name: "keyless deletes compare types without equality by text", Batches: [][]*event.Change{
			{sinktest.Upsert(jsonless, `{"a":  1}`, "(1,2)"), sinktest.Upsert(jsonless, `{"b": 2}`, "(3,4)")},
			{sinktest.Del(jsonless, `{"a":  1}`, "(1,2)")},
		}, Query: "SELECT j::text, p::text FROM t", Want: []string{`{"b": 2}|(3,4)`}},
	}...)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			dsn := testpg.NewDB(t)
			tg := newTarget(t, dsn, sinks.Options{CreateTables: true})
			f := newFeed()
			for _, b := range tc.Batches {
				f.Apply(t, tg, b...)
			}
			wantRows(t, dsn, tc.Query, tc.Want...)
		})
	}
}

// TestOffsets checks that offsets are stored with the rows, read back, and that a
// replayed batch changes nothing.
func TestOffsets(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	keyless := sinktest.PostgresTable("log", nil, sinktest.Col("line", textType, true))
	tg := newTarget(t, dsn, sinks.Options{Name: "a", CreateTables: true})
	other := newTarget(t, dsn, sinks.Options{Name: "b", CreateTables: true})
	if offs, err := tg.Offsets(sinktest.Ctx(t)); err != nil || len(offs) != 0 {
		t.Fatalf("Offsets before any batch: %v, %v", offs, err)
	}
	f := newFeed()
	b1 := f.Batch(t, sinks.Naming{}, sinktest.Upsert(keyless, "one"), sinktest.Upsert(keyless, "two"))
	b2 := f.Batch(t, sinks.Naming{}, sinktest.Upsert(keyless, "three"))
	for _, b := range []*sinks.Batch{b1, b2, b1, b2} { // the last two are replays
		if err := tg.Apply(sinktest.Ctx(t), b); err != nil {
			t.Fatal(err)
		}
	}
	wantRows(t, dsn, "SELECT line FROM log ORDER BY line", "one", "three", "two")
	offs, err := tg.Offsets(sinktest.Ctx(t))
	if err != nil || len(offs) != 1 || offs[f.TP] != 2 {
		t.Errorf("Offsets = %v, %v; want %s at 2", offs, err, f.TP)
	}
	wantRows(t, dsn, "SELECT sink, topic, partition, \"offset\", position FROM dovetail_offsets",
		"a|src.public.t|0|2|lsn=1002")
	if offs, err := other.Offsets(sinktest.Ctx(t)); err != nil || len(offs) != 0 {
		t.Errorf("another sink's Offsets: %v, %v", offs, err)
	}
	// Offsets from a new target on the same database (a restart).
	again := newTarget(t, dsn, sinks.Options{Name: "a"})
	if offs, err := again.Offsets(sinktest.Ctx(t)); err != nil || offs[f.TP] != 2 {
		t.Errorf("Offsets after a restart: %v, %v", offs, err)
	}
}

// TestAtomic checks that a batch that fails midway leaves neither rows nor offsets.
func TestAtomic(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	a := sinktest.PostgresTable("a", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true))
	b := sinktest.PostgresTable("b", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, false))
	tg := newTarget(t, dsn, sinks.Options{CreateTables: true})
	f := newFeed()
	f.Apply(t, tg, sinktest.Upsert(a, int32(1), "kept"), sinktest.Upsert(b, int32(1), "kept"))
	bad := f.Batch(t, sinks.Naming{}, sinktest.Upsert(a, int32(1), "changed"), sinktest.Upsert(a, int32(2), "new"), sinktest.Upsert(b, int32(2), nil))
	err := tg.Apply(sinktest.Ctx(t), bad)
	if err == nil || !strings.Contains(err.Error(), `null value in column "v"`) || !strings.Contains(err.Error(), "into b") {
		t.Fatalf("Apply of a NULL into a NOT NULL column: %v", err)
	}
	wantRows(t, dsn, "SELECT * FROM a", "1|kept")
	wantRows(t, dsn, "SELECT * FROM b", "1|kept")
	wantRows(t, dsn, `SELECT "offset" FROM dovetail_offsets`, "1")
	// The failed batch left the target usable, and its tables' shapes known.
	good := f.Batch(t, sinks.Naming{}, sinktest.Upsert(a, int32(2), "new"))
	if err := tg.Apply(sinktest.Ctx(t), good); err != nil {
		t.Fatal(err)
	}
	wantRows(t, dsn, `SELECT "offset" FROM dovetail_offsets`, "5")
}

// TestEvolution follows a source table through new shapes at each schema_evolution level.
func TestEvolution(t *testing.T) {
	t.Parallel()
	v1 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", textType, true), sinktest.Col("gone", textType, true))
	v2 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", sinktest.Type(event.KindInt64, "", "int8"), true), sinktest.Col("added", textType, true))
	for _, tc := range []struct {
		evo     sinks.Evolution
		err     string
		columns []string
		rows    []string
	}{
		{sinks.EvolveNone, "target table t column a is text, which cannot hold source public.t column a of type int64 (int8): want bigint (schema_evolution none", nil, nil},
		{sinks.EvolveBasic, "target table t column a is text, which cannot hold source public.t column a of type int64 (int8)", nil, nil},
		{sinks.EvolveFull, "", []string{"id|integer", "a|bigint", "added|text"}, []string{"1|5|∅", "2|7|x"}},
	} {
		t.Run(string(tc.evo), func(t *testing.T) {
			t.Parallel()
			dsn := testpg.NewDB(t)
			tg := newTarget(t, dsn, sinks.Options{CreateTables: true, Evolution: tc.evo})
			f := newFeed()
			f.Apply(t, tg, sinktest.Upsert(v1, int32(1), "5", "old"))
			err := tg.Apply(sinktest.Ctx(t), f.Batch(t, sinks.Naming{}, sinktest.Upsert(v2, int32(2), int64(7), "x")))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Apply = %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantRows(t, dsn, "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum", tc.columns...)
			wantRows(t, dsn, "SELECT * FROM t ORDER BY id", tc.rows...)
		})
	}

	t.Run("none adds no columns", func(t *testing.T) {
		t.Parallel()
		dsn := testpg.NewDB(t)
		tg := newTarget(t, dsn, sinks.Options{CreateTables: true, Evolution: sinks.EvolveNone})
		v3 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", textType, true), sinktest.Col("added", textType, false))
		f := newFeed()
		f.Apply(t, tg, sinktest.Upsert(v1, int32(1), "a", "old"))
		err := tg.Apply(sinktest.Ctx(t), f.Batch(t, sinks.Naming{}, sinktest.Upsert(v3, int32(2), "b", "new")))
		if want := "target table t has no column added (source public.t column of type string (text)) and schema_evolution is none"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Apply = %v, want an error with %q", err, want)
		}
	})

	t.Run("basic adds columns", func(t *testing.T) {
		t.Parallel()
		dsn := testpg.NewDB(t)
		tg := newTarget(t, dsn, sinks.Options{CreateTables: true, Evolution: sinks.EvolveBasic})
		v3 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", textType, true), sinktest.Col("added", textType, false))
		f := newFeed()
		f.Apply(t, tg, sinktest.Upsert(v1, int32(1), "a", "old"))
		f.Apply(t, tg, sinktest.Upsert(v3, int32(2), "b", "new"), sinktest.Upsert(v1, int32(3), "c", "old3"))
		wantRows(t, dsn, "SELECT * FROM t ORDER BY id", "1|a|old|∅", "2|b|∅|new", "3|c|old3|∅")
	})
}

// TestTargetErrors checks the errors for target tables that do not fit.
func TestTargetErrors(t *testing.T) {
	t.Parallel()
	src := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true))
	for _, tc := range []struct {
		name   string
		ddl    string
		opts   sinks.Options
		change *event.Change
		err    string
	}{
		{"missing table", "", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t (for public.t) does not exist and create_tables is off"},
		{"incompatible column", "CREATE TABLE t (id integer PRIMARY KEY, v integer)", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t column v is integer, which cannot hold source public.t column v of type string (text)"},
		{"too short a varchar", "CREATE TABLE t (id integer PRIMARY KEY, v varchar(3))", sinks.Options{},
			sinktest.Upsert(sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", sinktest.Type(event.KindString, "", "varchar(10)"), true)), int32(1), "a"),
			"target table t column v is character varying(3), which cannot hold"},
		{"no key", "CREATE TABLE t (id integer, v text)", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t has no primary key or unique index on (id)"},
		{"MySQL time beyond a day", "CREATE TABLE t (id integer PRIMARY KEY, d time(0))", sinks.Options{},
			sinktest.Upsert(&event.Table{ID: event.TableID{Database: "shop", Table: "t"}, Columns: []event.Column{sinktest.Col("id", intType, false),
				sinktest.Col("d", sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), true)}, Key: []int{0}}, int32(1), int64(-1_500_000)),
			"column d (time(0) without time zone): time -00:00:01.5 is outside 00:00:00..24:00:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := testpg.NewDB(t)
			if tc.ddl != "" {
				testpg.Exec(t, dsn, tc.ddl)
			}
			tg := newTarget(t, dsn, tc.opts)
			err := tg.Apply(sinktest.Ctx(t), newFeed().Batch(t, sinks.Naming{}, tc.change))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Apply = %v\nwant an error with %q", err, tc.err)
			}
		})
	}

	t.Run("MySQL time into an interval column", func(t *testing.T) {
		t.Parallel()
		dsn := testpg.NewDB(t)
		testpg.Exec(t, dsn, "CREATE TABLE t (id integer PRIMARY KEY, d interval)")
		tg := newTarget(t, dsn, sinks.Options{})
		tb := &event.Table{ID: event.TableID{Database: "shop", Table: "t"}, Columns: []event.Column{sinktest.Col("id", intType, false),
			sinktest.Col("d", sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), true)}, Key: []int{0}}
		newFeed().Apply(t, tg, sinktest.Upsert(tb, int32(1), -int64((838*3600+59*60+59)*1e6)), sinktest.Upsert(tb, int32(2), int64(1_500_000)))
		wantRows(t, dsn, "SELECT id, d::text FROM t ORDER BY id", "1|-838:59:59", "2|00:00:01.5")
	})
}

// TestPrivileges checks the errors of a role that may not do what the sink needs.
func TestPrivileges(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	role := testpg.NewRole(t, dsn)

	// No CREATE on the schema: the offsets table cannot be made.
	testpg.Exec(t, dsn, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
	_, err := New(sinktest.Ctx(t), role, sinks.Options{Name: "replica"}, nil)
	if err == nil || !strings.Contains(err.Error(), "create offsets table dovetail_offsets") || !strings.Contains(err.Error(), "permission denied for schema public") {
		t.Fatalf("New without CREATE: %v", err)
	}

	// The offsets table exists, the target table may only be read.
	roleName := queryOne(t, role, "SELECT current_user")
	testpg.Exec(t, dsn,
		"CREATE TABLE dovetail_offsets (sink text, topic text, partition integer, \"offset\" bigint, position text, applied_at timestamptz, PRIMARY KEY (sink, topic, partition))",
		"GRANT SELECT, INSERT, UPDATE ON dovetail_offsets TO "+roleName,
		"CREATE TABLE t (id integer PRIMARY KEY, v text)",
		"GRANT SELECT ON t TO "+roleName)
	tg := newTarget(t, role, sinks.Options{})
	src := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true))
	err = tg.Apply(sinktest.Ctx(t), newFeed().Batch(t, sinks.Naming{}, sinktest.Upsert(src, int32(1), "a")))
	if err == nil || !strings.Contains(err.Error(), "upsert 1 rows into t") || !strings.Contains(err.Error(), "permission denied for table t") {
		t.Fatalf("Apply without INSERT: %v", err)
	}
}

// TestNaming applies into the tables the template names, in another schema.
func TestNaming(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE SCHEMA replica")
	tg := newTarget(t, dsn, sinks.Options{CreateTables: true, Naming: sinks.Naming{Template: "replica.{schema}_{table}", ExcludeTables: []string{"public.skip"}}})
	a := sinktest.PostgresTable("a", []int{0}, sinktest.Col("id", intType, false))
	skip := sinktest.PostgresTable("skip", []int{0}, sinktest.Col("id", intType, false))
	f := newFeed()
	if err := tg.Apply(sinktest.Ctx(t), f.Batch(t, sinks.Naming{Template: "replica.{schema}_{table}", ExcludeTables: []string{"public.skip"}},
		sinktest.Upsert(a, int32(1)), sinktest.Upsert(skip, int32(1)))); err != nil {
		t.Fatal(err)
	}
	wantRows(t, dsn, "SELECT * FROM replica.public_a", "1")
	wantRows(t, dsn, "SELECT count(*) FROM pg_class WHERE relname LIKE '%skip'", "0")
}

// TestConcurrentApply applies the batches of several partitions at once, as the sink's
// parallelism does, including a new shape of the table.
func TestConcurrentApply(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	tg := newTarget(t, dsn, sinks.Options{CreateTables: true})
	v1 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("p", intType, false))
	newFeed().Apply(t, tg, sinktest.Upsert(v1, int32(-1), int32(-1)))
	v2 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("p", intType, false), sinktest.Col("extra", textType, true))
	const parts, batches, rows = 4, 5, 50
	errs := make(chan error, parts)
	for p := range parts {
		go func() {
			f := &sinktest.Feed{TP: sinks.TopicPartition{Topic: "src.public.t", Partition: p}, Source: sourceAt}
			for b := range batches {
				var cs []*event.Change
				for r := range rows {
					id := int32(p*1000 + b*rows + r)
					if p == 0 && b == batches-1 {
						cs = append(cs, sinktest.Upsert(v2, id, int32(p), "x"))
					} else {
						cs = append(cs, sinktest.Upsert(v1, id, int32(p)))
					}
				}
				if err := tg.Apply(sinktest.Ctx(t), f.Batch(t, sinks.Naming{}, cs...)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range parts {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	wantRows(t, dsn, "SELECT p, count(*), count(extra) FROM t WHERE id >= 0 GROUP BY p ORDER BY p", "0|250|50", "1|250|0", "2|250|0", "3|250|0")
	wantRows(t, dsn, `SELECT partition, "offset" FROM dovetail_offsets ORDER BY partition`, "0|249", "1|249", "2|249", "3|249")
}
