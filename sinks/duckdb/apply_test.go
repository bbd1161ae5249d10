package duckdb

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// TestApply applies changes of every kind and checks the replica's rows.
func TestApply(t *testing.T) {
	t.Parallel()
	keyed := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true), sinktest.Col("big", textType, true))
	twoKey := sinktest.PostgresTable("t", []int{0, 1}, sinktest.Col("a", intType, false), sinktest.Col("b", textType, false), sinktest.Col("v", textType, true))
	keyless := sinktest.PostgresTable("t", nil, sinktest.Col("line", textType, true), sinktest.Col("n", intType, true))
	odd := sinktest.PostgresTable("t", nil, sinktest.Col("j", sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), true), sinktest.Col("l", sinktest.Array(intType), true),
		sinktest.Col("f", sinktest.Type(event.KindFloat64, "", "float8"), true))
	cases := append(sinktest.ApplyCases(keyed, twoKey, keyless), []sinktest.ApplyCase{
		{Name: "delete and insert of one key in one batch, across a new shape", Batches: [][]*event.Change{
			{sinktest.Upsert(keyed, int32(1), "a", "x")},
			{sinktest.Del(keyed, int32(1), nil, nil), sinktest.Upsert(sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true)), int32(1), "again")},
		}, Query: "SELECT * FROM t", Want: []string{"1|again|∅"}},
		{Name: "keyless deletes compare JSON, lists and NaN", Batches: [][]*event.Change{
			{sinktest.Upsert(odd, `{"a":  1}`, []any{int32(1), nil}, 0.0), sinktest.Upsert(odd, `{"b": 2}`, []any{int32(2)}, nil), sinktest.Upsert(odd, nil, nil, nil)},
			{sinktest.Del(odd, `{"a":  1}`, []any{int32(1), nil}, 0.0), sinktest.Del(odd, nil, nil, nil)},
		}, Query: "SELECT CAST(j AS VARCHAR), CAST(l AS VARCHAR), f FROM t", Want: []string{`{"b": 2}|[2]|∅`}},
	}...)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true}, false)
			f := newFeed()
			for _, b := range tc.Batches {
				f.Apply(t, tg, b...)
			}
			wantRows(t, tg, tc.Query, tc.Want...)
		})
	}
}

// TestOffsets checks that offsets are stored with the rows, read back after a restart,
// and that a replayed batch changes nothing.
func TestOffsets(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	keyless := sinktest.PostgresTable("log", nil, sinktest.Col("line", textType, true))
	tg := newTarget(t, path, sinks.Options{Name: "a", CreateTables: true}, true)
	other := newTarget(t, path, sinks.Options{Name: "b", CreateTables: true}, false)
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
	wantRows(t, tg, "SELECT line FROM log ORDER BY line", "one", "three", "two")
	wantRows(t, tg, "SELECT after_line, kafka_offset FROM log_history ORDER BY kafka_offset", "one|0", "two|1", "three|2")
	offs, err := tg.Offsets(sinktest.Ctx(t))
	if err != nil || len(offs) != 1 || offs[f.TP] != 2 {
		t.Errorf("Offsets = %v, %v; want %s at 2", offs, err, f.TP)
	}
	wantRows(t, tg, `SELECT sink, topic, "partition", "offset", position FROM dovetail_offsets`, "a|src.public.t|0|2|lsn=1002")
	if offs, err := other.Offsets(sinktest.Ctx(t)); err != nil || len(offs) != 0 {
		t.Errorf("another sink's Offsets: %v, %v", offs, err)
	}

	// A restart: every target on the file closed, the file opened again.
	tg.Close()
	other.Close()
	again := newTarget(t, path, sinks.Options{Name: "a"}, true)
	if offs, err := again.Offsets(sinktest.Ctx(t)); err != nil || offs[f.TP] != 2 {
		t.Errorf("Offsets after a restart: %v, %v", offs, err)
	}
	if err := again.Apply(sinktest.Ctx(t), b2); err != nil {
		t.Fatal(err)
	}
	wantRows(t, again, "SELECT count(*) FROM log_history", "3")
}

// TestAtomic checks that a batch that fails midway leaves neither rows, history nor
// offsets.
func TestAtomic(t *testing.T) {
	t.Parallel()
	a := sinktest.PostgresTable("a", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true))
	b := sinktest.PostgresTable("b", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, false))
	tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true}, true)
	f := newFeed()
	f.Apply(t, tg, sinktest.Upsert(a, int32(1), "kept"), sinktest.Upsert(b, int32(1), "kept"))
	bad := f.Batch(t, sinks.Naming{}, sinktest.Upsert(a, int32(1), "changed"), sinktest.Upsert(a, int32(2), "new"), sinktest.Upsert(b, int32(2), nil))
	err := tg.Apply(sinktest.Ctx(t), bad)
	if err == nil || !strings.Contains(err.Error(), "NOT NULL constraint failed") || !strings.Contains(err.Error(), "into b") {
		t.Fatalf("Apply of a NULL into a NOT NULL column: %v", err)
	}
	if sinks.Unavailable(err) {
		t.Errorf("Unavailable(%v) = true: a constraint is not retried", err)
	}
	wantRows(t, tg, "SELECT * FROM a", "1|kept")
	wantRows(t, tg, "SELECT * FROM b", "1|kept")
	wantRows(t, tg, "SELECT count(*) FROM a_history", "1")
	wantRows(t, tg, `SELECT "offset" FROM dovetail_offsets`, "1")
	// The failed batch left the target usable, and its tables' shapes known.
	good := f.Batch(t, sinks.Naming{}, sinktest.Upsert(a, int32(2), "new"))
	if err := tg.Apply(sinktest.Ctx(t), good); err != nil {
		t.Fatal(err)
	}
	wantRows(t, tg, `SELECT "offset" FROM dovetail_offsets`, "5")
	wantRows(t, tg, "SELECT after_id, kafka_offset FROM a_history ORDER BY kafka_offset", "1|0", "2|5")
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
		{sinks.EvolveNone, "target table t column a is VARCHAR, which cannot hold source public.t column a of type int64 (int8): want BIGINT (schema_evolution none", nil, nil},
		{sinks.EvolveBasic, "target table t column a is VARCHAR, which cannot hold source public.t column a of type int64 (int8)", nil, nil},
		{sinks.EvolveFull, "", []string{"id|INTEGER", "a|BIGINT", "added|VARCHAR"}, []string{"1|5|∅", "2|7|x"}},
	} {
		t.Run(string(tc.evo), func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true, Evolution: tc.evo}, true)
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
			wantRows(t, tg, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 't' ORDER BY column_index", tc.columns...)
			wantRows(t, tg, "SELECT * FROM t ORDER BY id", tc.rows...)
			// The history keeps the dropped column and its values, and converts a's.
			wantRows(t, tg, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 't_history' AND column_name LIKE 'after_%' ORDER BY column_index",
				"after_id|INTEGER", "after_a|BIGINT", "after_gone|VARCHAR", "after_added|VARCHAR")
			wantRows(t, tg, "SELECT after_id, after_a, after_gone, after_added FROM t_history ORDER BY kafka_offset", "1|5|old|∅", "2|7|∅|x")
		})
	}

	t.Run("none adds no columns", func(t *testing.T) {
		t.Parallel()
		tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true, Evolution: sinks.EvolveNone}, false)
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
		tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true, Evolution: sinks.EvolveBasic}, true)
		v3 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("a", textType, true), sinktest.Col("added", textType, false))
		f := newFeed()
		f.Apply(t, tg, sinktest.Upsert(v1, int32(1), "a", "old"))
		f.Apply(t, tg, sinktest.Upsert(v3, int32(2), "b", "new"), sinktest.Upsert(v1, int32(3), "c", "old3"))
		wantRows(t, tg, "SELECT * FROM t ORDER BY id", "1|a|old|∅", "2|b|∅|new", "3|c|old3|∅")
		wantRows(t, tg, "SELECT after_id, after_gone, after_added FROM t_history ORDER BY kafka_offset", "1|old|∅", "2|∅|new", "3|old3|∅")
	})
}

// TestTargetErrors checks the errors for target tables that do not fit.
func TestTargetErrors(t *testing.T) {
	t.Parallel()
	src := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true))
	mysqlTime := &event.Table{ID: event.TableID{Database: "shop", Table: "t"}, Columns: []event.Column{sinktest.Col("id", intType, false),
		sinktest.Col("d", sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), true)}, Key: []int{0}}
	for _, tc := range []struct {
		name   string
		ddl    string
		opts   sinks.Options
		change *event.Change
		err    string
	}{
		{"missing table", "", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t (for public.t) does not exist and create_tables is off"},
		{"incompatible column", "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t column v is INTEGER, which cannot hold source public.t column v of type string (text)"},
		{"too narrow an integer", "CREATE TABLE t (id SMALLINT PRIMARY KEY, v VARCHAR)", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t column id is SMALLINT, which cannot hold source public.t column id of type int32 (int4): want INTEGER"},
		{"too narrow a decimal", "CREATE TABLE t (id INTEGER PRIMARY KEY, v DECIMAL(5,1))", sinks.Options{},
			sinktest.Upsert(sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", sinktest.Decimal(6, 2, "numeric(6,2)"), true)), int32(1), sinktest.Rat("1.25")),
			"target table t column v is DECIMAL(5,1), which cannot hold"},
		{"no key", "CREATE TABLE t (id INTEGER, v VARCHAR)", sinks.Options{}, sinktest.Upsert(src, int32(1), "a"),
			"target table t has no primary key or unique index on (id)"},
		{"MySQL time beyond a day in a TIME column", "CREATE TABLE t (id INTEGER PRIMARY KEY, d TIME)", sinks.Options{},
			sinktest.Upsert(mysqlTime, int32(1), int64(-1_500_000)),
			"column d (TIME): time -00:00:01.5 is outside 00:00:00..24:00:00"},
		{"JSON lists", "CREATE TABLE t (id INTEGER PRIMARY KEY, j JSON[])", sinks.Options{},
			sinktest.Upsert(sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("j", sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameJSON, "json")), true)), int32(1), []any{"{}"}),
			"JSON lists are not supported (want VARCHAR[])"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, newPath(t), tc.opts, false)
			if tc.ddl != "" {
				exec(t, tg, tc.ddl)
			}
			err := tg.Apply(sinktest.Ctx(t), newFeed().Batch(t, sinks.Naming{}, tc.change))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Apply = %v\nwant an error with %q", err, tc.err)
			}
		})
	}

	t.Run("wider columns made by hand fit", func(t *testing.T) {
		t.Parallel()
		tg := newTarget(t, newPath(t), sinks.Options{}, false)
		exec(t, tg, "CREATE TABLE t (id HUGEINT PRIMARY KEY, u DECIMAL(38,0), n DOUBLE, d INTERVAL, f DOUBLE, z VARCHAR)")
		tb := &event.Table{ID: event.TableID{Database: "shop", Table: "t"}, Key: []int{0}, Columns: []event.Column{
			sinktest.Col("id", sinktest.Type(event.KindInt64, "", "bigint"), false),
			sinktest.Col("u", sinktest.Decimal(20, 0, "bigint unsigned"), true),
			sinktest.Col("n", sinktest.Decimal(65, 30, "decimal(65,30)"), true),
			sinktest.Col("d", sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), true),
			sinktest.Col("f", sinktest.Type(event.KindFloat32, "", "float"), true),
			sinktest.Col("z", sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp"), true)}}
		newFeed().Apply(t, tg, sinktest.Upsert(tb, int64(-1), sinktest.Rat("18446744073709551615"), sinktest.Rat("1.5"), int64(-3_600_000_000), float32(0.1), "2024-01-01T00:00:00Z"))
		wantRows(t, tg, "SELECT id, u, n, CAST(d AS VARCHAR), f, z FROM t", "-1|18446744073709551615|1.5|-01:00:00|0.1|2024-01-01T00:00:00Z")
	})
}

// TestNaming applies into the tables the template names, in another schema, with their
// history tables next to them.
func TestNaming(t *testing.T) {
	t.Parallel()
	naming := sinks.Naming{Template: "analytics.{schema}_{table}", ExcludeTables: []string{"public.skip"}}
	tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true, Naming: naming}, true)
	exec(t, tg, "CREATE SCHEMA analytics")
	a := sinktest.PostgresTable("a", []int{0}, sinktest.Col("id", intType, false))
	skip := sinktest.PostgresTable("skip", []int{0}, sinktest.Col("id", intType, false))
	if err := tg.Apply(sinktest.Ctx(t), newFeed().Batch(t, naming, sinktest.Upsert(a, int32(1)), sinktest.Upsert(skip, int32(1)))); err != nil {
		t.Fatal(err)
	}
	wantRows(t, tg, "SELECT * FROM analytics.public_a", "1")
	wantRows(t, tg, "SELECT op, after_id FROM analytics.public_a_history", "c|1")
	wantRows(t, tg, "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%skip%'", "0")
}

// TestUnavailable checks which errors the runtime retries: DuckDB's transaction
// conflicts, and a file another process holds.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, newPath(t), sinks.Options{}, false)
	exec(t, tg, "CREATE TABLE k (id INTEGER PRIMARY KEY, v INTEGER)", "INSERT INTO k VALUES (1, 0)")
	tx1, err := tg.file.db.BeginTx(sinktest.Ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback()
	tx2, err := tg.file.db.BeginTx(sinktest.Ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.Rollback()
	if _, err := tx1.ExecContext(sinktest.Ctx(t), "UPDATE k SET v = 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	_, err = tx2.ExecContext(sinktest.Ctx(t), "UPDATE k SET v = 2 WHERE id = 1")
	if err == nil {
		t.Fatal("two transactions updated one row")
	}
	if err := classify(fmt.Errorf("upsert 1 rows into k: %w", err)); !sinks.Unavailable(err) {
		t.Errorf("Unavailable(%v) = false for a write-write conflict", err)
	}
	if _, err := tg.file.db.ExecContext(sinktest.Ctx(t), "SELECT * FROM nowhere"); sinks.Unavailable(classify(err)) {
		t.Errorf("Unavailable(%v) = true for a missing table", err)
	}
	if sinks.Unavailable(classify(errors.New("IO Error: Could not set lock on file"))) {
		t.Error("an error that is not DuckDB's is retried")
	}
}

// TestConcurrentApply applies the batches of several partitions at once through one
// target per partition on one file, as the runtime's parallelism does, with a new shape
// of the table midway and history on; conflicts are retried as the runtime does.
func TestConcurrentApply(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	v1 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("p", intType, false))
	v2 := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("p", intType, false), sinktest.Col("extra", textType, true))
	const parts, batches, rows = 4, 5, 50
	var wg sync.WaitGroup
	errs := make(chan error, parts)
	var retries sync.Map
	for p := range parts {
		tg := newTarget(t, path, sinks.Options{CreateTables: true}, true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := &sinktest.Feed{TP: sinks.TopicPartition{Topic: "src.public.t", Partition: p}, Source: sourceAt}
			for b := range batches {
				var cs []*event.Change
				for r := range rows {
					id := int32(p*1000 + b*rows + r)
					if p == 0 && b >= 2 {
						cs = append(cs, sinktest.Upsert(v2, id, int32(p), "x"))
					} else {
						cs = append(cs, sinktest.Upsert(v1, id, int32(p)))
					}
				}
				batch := f.Batch(t, sinks.Naming{}, cs...)
				for attempt := 0; ; attempt++ {
					err := tg.Apply(sinktest.Ctx(t), batch)
					if err == nil {
						break
					}
					if !sinks.Unavailable(err) || attempt == 50 {
						errs <- fmt.Errorf("partition %d batch %d: %w", p, b, err)
						return
					}
					retries.Store(err.Error(), true)
					time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	retries.Range(func(k, _ any) bool { t.Logf("retried: %s", k); return true })
	check := newTarget(t, path, sinks.Options{}, false)
	wantRows(t, check, "SELECT p, count(*), count(extra) FROM t GROUP BY p ORDER BY p", "0|250|150", "1|250|0", "2|250|0", "3|250|0")
	wantRows(t, check, "SELECT kafka_partition, count(*), count(DISTINCT kafka_offset) FROM t_history GROUP BY ALL ORDER BY 1",
		"0|250|250", "1|250|250", "2|250|250", "3|250|250")
	wantRows(t, check, `SELECT "partition", "offset" FROM dovetail_offsets ORDER BY "partition"`, "0|249", "1|249", "2|249", "3|249")
}
