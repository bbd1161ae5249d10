package mysql

import (
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// TestApply applies changes of every kind and checks the follower's rows.
func TestApply(t *testing.T) {
	t.Parallel()
	pgText := event.Type{Kind: event.KindString, SourceType: "text"}
	keyed := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true), sinktest.Col("big", sinktest.Type(event.KindString, "", "longtext"), true))
	twoKey := sinktest.MySQLTable("t", []int{0, 1}, sinktest.Col("a", intType, false), sinktest.Col("b", textType, false), sinktest.Col("v", textType, true))
	textKey := &event.Table{ID: event.TableID{Database: "src", Schema: "public", Table: "t"}, Key: []int{0},
		Columns: []event.Column{sinktest.Col("k", pgText, false), sinktest.Col("v", pgText, true)}}
	keyless := sinktest.MySQLTable("t", nil, sinktest.Col("line", textType, true), sinktest.Col("n", intType, true))
	jsonless := sinktest.MySQLTable("t", nil, sinktest.Col("j", sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), true), sinktest.Col("g", sinktest.Type(event.KindBytes, "", "point"), true))
	cases := append(sinktest.ApplyCases(keyed, twoKey, keyless), []sinktest.ApplyCase{
		{Name: "text keys are exact: case, accents and trailing spaces differ", Batches: [][]*event.Change{
			{sinktest.Upsert(textKey, "a", "1"), sinktest.Upsert(textKey, "A", "2"), sinktest.Upsert(textKey, "a ", "3"), sinktest.Upsert(textKey, "á", "4")},
			{sinktest.Upsert(textKey, "a", "1b")},
		}, Query: "SELECT concat('[', k, ']'), v FROM t ORDER BY v", Want: []string{"[a]|1b", "[A]|2", "[a ]|3", "[á]|4"}},
		{Name: "keyless deletes of JSON and geometry rows", Batches: [][]*event.Change{
			{sinktest.Upsert(jsonless, `{"a": 1}`, sinktest.WKBPoint(1, 2)), sinktest.Upsert(jsonless, `{"b": 2}`, sinktest.WKBPoint(3, 4))},
			{sinktest.Del(jsonless, `{"a": 1}`, sinktest.WKBPoint(1, 2))},
		}, Query: "SELECT j, ST_AsText(g) FROM t", Want: []string{`{"b": 2}|POINT(3 4)`}},
	}...)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			dsn := testmaria.NewDB(t)
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
	dsn := testmaria.NewDB(t)
	keyless := sinktest.MySQLTable("log", nil, sinktest.Col("line", textType, true))
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
	wantRows(t, dsn, "SELECT sink, topic, `partition`, `offset`, position FROM dovetail_offsets",
		"a|src.shop.t|0|2|file=binlog.000001 pos=1002 row=0")
	if offs, err := other.Offsets(sinktest.Ctx(t)); err != nil || len(offs) != 0 {
		t.Errorf("another sink's Offsets: %v, %v", offs, err)
	}
	again := newTarget(t, dsn, sinks.Options{Name: "a"})
	if offs, err := again.Offsets(sinktest.Ctx(t)); err != nil || offs[f.TP] != 2 {
		t.Errorf("Offsets after a restart: %v, %v", offs, err)
	}
}

// TestAtomic checks that a batch that fails midway leaves neither rows nor offsets, also
// when it creates a table (DDL, which commits in MySQL) after rows of another.
func TestAtomic(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	a := sinktest.MySQLTable("a", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true))
	b := sinktest.MySQLTable("b", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, false))
	c := sinktest.MySQLTable("c", nil, sinktest.Col("v", textType, true))
	tg := newTarget(t, dsn, sinks.Options{CreateTables: true})
	f := newFeed()
	f.Apply(t, tg, sinktest.Upsert(a, int32(1), "kept"), sinktest.Upsert(b, int32(1), "kept"))
	bad := f.Batch(t, sinks.Naming{}, sinktest.Upsert(a, int32(1), "changed"), sinktest.Upsert(a, int32(2), "new"), sinktest.Upsert(c, "new table"), sinktest.Upsert(b, int32(2), nil))
	err := tg.Apply(sinktest.Ctx(t), bad)
	if err == nil || !strings.Contains(err.Error(), "cannot be null") || !strings.Contains(err.Error(), "into b") {
		t.Fatalf("Apply of a NULL into a NOT NULL column: %v", err)
	}
	wantRows(t, dsn, "SELECT * FROM a", "1|kept")
	wantRows(t, dsn, "SELECT * FROM b", "1|kept")
	wantRows(t, dsn, "SELECT count(*) FROM c", "0")
	wantRows(t, dsn, "SELECT `offset` FROM dovetail_offsets", "1")
	good := f.Batch(t, sinks.Naming{}, sinktest.Upsert(a, int32(2), "new"), sinktest.Upsert(c, "row"))
	if err := tg.Apply(sinktest.Ctx(t), good); err != nil {
		t.Fatal(err)
	}
	wantRows(t, dsn, "SELECT `offset` FROM dovetail_offsets", "7")
	wantRows(t, dsn, "SELECT * FROM c", "row")
}

// TestEvolution follows a source table through new shapes at each schema_evolution level.
func TestEvolution(t *testing.T) {
	t.Parallel()
	v1 := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", textType, true), sinktest.Col("gone", textType, true))
	v2 := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", sinktest.Type(event.KindInt64, "", "bigint"), true), sinktest.Col("added", textType, true))
	for _, tc := range []struct {
		evo     sinks.Evolution
		err     string
		columns []string
		rows    []string
	}{
		{sinks.EvolveNone, "target table t column a is varchar(100), which cannot hold source shop.t column a of type int64 (bigint): want bigint (schema_evolution none", nil, nil},
		{sinks.EvolveBasic, "target table t column a is varchar(100), which cannot hold source shop.t column a of type int64 (bigint)", nil, nil},
		{sinks.EvolveFull, "", []string{"id|int(11)", "a|bigint(20)", "added|varchar(100)"}, []string{"1|5|∅", "2|7|x"}},
	} {
		t.Run(string(tc.evo), func(t *testing.T) {
			t.Parallel()
			dsn := testmaria.NewDB(t)
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
			wantRows(t, dsn, "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION", tc.columns...)
			wantRows(t, dsn, "SELECT * FROM t ORDER BY id", tc.rows...)
		})
	}

	t.Run("none adds no columns", func(t *testing.T) {
		t.Parallel()
		dsn := testmaria.NewDB(t)
		tg := newTarget(t, dsn, sinks.Options{CreateTables: true, Evolution: sinks.EvolveNone})
		v3 := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", textType, true), sinktest.Col("added", textType, false))
		f := newFeed()
		f.Apply(t, tg, sinktest.Upsert(v1, int32(1), "a", "old"))
		err := tg.Apply(sinktest.Ctx(t), f.Batch(t, sinks.Naming{}, sinktest.Upsert(v3, int32(2), "b", "new")))
		if want := "target table t has no column added (source shop.t column of type string (varchar(100))) and schema_evolution is none"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Apply = %v, want an error with %q", err, want)
		}
	})

	t.Run("basic adds columns", func(t *testing.T) {
		t.Parallel()
		dsn := testmaria.NewDB(t)
		tg := newTarget(t, dsn, sinks.Options{CreateTables: true, Evolution: sinks.EvolveBasic})
		v3 := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", textType, true), sinktest.Col("added", textType, false))
		f := newFeed()
		f.Apply(t, tg, sinktest.Upsert(v1, int32(1), "a", "old"))
		f.Apply(t, tg, sinktest.Upsert(v3, int32(2), "b", "new"), sinktest.Upsert(v1, int32(3), "c", "old3"))
		wantRows(t, dsn, "SELECT * FROM t ORDER BY id", "1|a|old|∅", "2|b|∅|new", "3|c|old3|∅")
	})
}

// TestTargetErrors checks the errors for target tables that do not fit.
func TestTargetErrors(t *testing.T) {
	t.Parallel()
	src := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true))
	pg := func(cols ...event.Column) *event.Table {
		return &event.Table{ID: event.TableID{Database: "src", Schema: "public", Table: "t"}, Columns: cols, Key: []int{0}}
	}
	for _, tc := range []struct {
		name   string
		ddl    string
		opts   sinks.Options
		change *event.Change
		err    string
	}{
		{"missing table", "", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t (for shop.t) does not exist and create_tables is off"},
		{"incompatible column", "CREATE TABLE t (id int PRIMARY KEY, v int)", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t column v is int, which cannot hold source shop.t column v of type string (varchar(100))"},
		{"too short a varchar", "CREATE TABLE t (id int PRIMARY KEY, v varchar(3))", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t column v is varchar(3), which cannot hold"},
		{"no key", "CREATE TABLE t (id int, v text)", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t has no primary key or unique index on (id)"},
		{"a prefix index is no key", "CREATE TABLE t (id varchar(100), v text, UNIQUE KEY (id(10)))", sinks.Options{},
			sinktest.Upsert(sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", textType, false), sinktest.Col("v", textType, true)), "x", "a"),
			"target table t has no primary key or unique index on (id)"},
		{"Postgres infinity", "", sinks.Options{CreateTables: true},
			sinktest.Upsert(pg(sinktest.Col("id", intType, false), sinktest.Col("d", sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), true)), int32(1), int32(-2147472692)),
			"column d (date): date in year"},
		{"NaN", "", sinks.Options{CreateTables: true},
			sinktest.Upsert(pg(sinktest.Col("id", intType, false), sinktest.Col("f", sinktest.Type(event.KindFloat64, "", "float8"), true)), int32(1), nan()),
			"column f (double): NaN: MySQL has no NaN or infinity"},
		{"numeric beyond decimal(65,30)", "", sinks.Options{CreateTables: true},
			sinktest.Upsert(pg(sinktest.Col("id", intType, false), sinktest.Col("n", sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), true)), int32(1),
				event.VarDecimal{Scale: 31, Unscaled: sinktest.BigInt("1")}),
			"does not fit decimal(65,30)"},
		{"text key longer than its varchar", "", sinks.Options{CreateTables: true},
			sinktest.Upsert(pg(sinktest.Col("k", sinktest.Type(event.KindString, "", "text"), false)), strings.Repeat("x", 256)),
			"column k (varchar(255)): a value of 256 characters does not fit the key column's varchar(255)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := testmaria.NewDB(t)
			if tc.ddl != "" {
				testmaria.Exec(t, dsn, tc.ddl)
			}
			tg := newTarget(t, dsn, tc.opts)
			err := tg.Apply(sinktest.Ctx(t), newFeed().Batch(t, sinks.Naming{}, tc.change))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Apply = %v\nwant an error with %q", err, tc.err)
			}
		})
	}
}

// TestPrivileges checks the errors of a user that may not do what the sink needs.
func TestPrivileges(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := testmaria.QueryString(t, dsn, "SELECT DATABASE()")
	q := testmaria.QuoteIdent(db)

	// No CREATE: the offsets table cannot be made.
	user := testmaria.NewUser(t, dsn, "SELECT, INSERT, UPDATE, DELETE ON "+q+".*")
	_, err := New(sinktest.Ctx(t), user, sinks.Options{Name: "replica"}, nil)
	if err == nil || !strings.Contains(err.Error(), "create offsets table dovetail_offsets") || !strings.Contains(err.Error(), "CREATE command denied") {
		t.Fatalf("New without CREATE: %v", err)
	}

	// The offsets table exists, the target table may only be read.
	testmaria.Exec(t, dsn,
		"CREATE TABLE dovetail_offsets (sink varchar(255), topic varchar(255), `partition` int, `offset` bigint, position text, applied_at datetime(6), PRIMARY KEY (sink, topic, `partition`))",
		"CREATE TABLE t (id int PRIMARY KEY, v text)")
	reader := testmaria.NewUser(t, dsn, "SELECT, INSERT, UPDATE ON "+q+".dovetail_offsets", "SELECT ON "+q+".t")
	tg := newTarget(t, reader, sinks.Options{})
	src := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", sinktest.Type(event.KindString, "", "text"), true))
	err = tg.Apply(sinktest.Ctx(t), newFeed().Batch(t, sinks.Naming{}, sinktest.Upsert(src, int32(1), "a")))
	if err == nil || !strings.Contains(err.Error(), "upsert 1 rows into t") || !strings.Contains(err.Error(), "command denied") {
		t.Fatalf("Apply without INSERT: %v", err)
	}
}

// TestNaming applies into the tables the template names, in another database.
func TestNaming(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	other := testmaria.QueryString(t, testmaria.NewDB(t), "SELECT DATABASE()")
	naming := sinks.Naming{Template: other + ".{database}_{table}", ExcludeTables: []string{"shop.skip"}}
	tg := newTarget(t, dsn, sinks.Options{CreateTables: true, Naming: naming})
	a := sinktest.MySQLTable("a", []int{0}, sinktest.Col("id", intType, false))
	skip := sinktest.MySQLTable("skip", []int{0}, sinktest.Col("id", intType, false))
	if err := tg.Apply(sinktest.Ctx(t), newFeed().Batch(t, naming, sinktest.Upsert(a, int32(1)), sinktest.Upsert(skip, int32(1)))); err != nil {
		t.Fatal(err)
	}
	wantRows(t, dsn, "SELECT * FROM "+testmaria.QuoteIdent(other)+".shop_a", "1")
	wantRows(t, dsn, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_NAME LIKE '%skip'", "0")
}

// TestConcurrentApply applies the batches of several partitions at once, as the sink's
// parallelism does, including a new shape of the table.
func TestConcurrentApply(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	tg := newTarget(t, dsn, sinks.Options{CreateTables: true})
	v1 := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("p", intType, false))
	newFeed().Apply(t, tg, sinktest.Upsert(v1, int32(-1), int32(-1)))
	v2 := sinktest.MySQLTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("p", intType, false), sinktest.Col("extra", textType, true))
	const parts, batches, rows = 4, 5, 50
	errs := make(chan error, parts)
	for p := range parts {
		go func() {
			f := &sinktest.Feed{TP: sinks.TopicPartition{Topic: "src.shop.t", Partition: p}, Source: sourceAt}
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
	wantRows(t, dsn, "SELECT `partition`, `offset` FROM dovetail_offsets ORDER BY `partition`", "0|249", "1|249", "2|249", "3|249")
}
