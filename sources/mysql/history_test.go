package mysql

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
)

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p, q   Position
		flavor string
		want   bool
		err    bool
	}{
		{"same mariadb gtid", Position{GTID: "0-1-5"}, Position{GTID: "0-1-5"}, FlavorMariaDB, true, false},
		{"later mariadb gtid", Position{GTID: "0-1-6"}, Position{GTID: "0-1-5"}, FlavorMariaDB, true, false},
		{"earlier mariadb gtid", Position{GTID: "0-1-4"}, Position{GTID: "0-1-5"}, FlavorMariaDB, false, false},
		{"mariadb domain missing", Position{GTID: "0-1-9"}, Position{GTID: "0-1-5,1-1-2"}, FlavorMariaDB, false, false},
		{"mariadb domains", Position{GTID: "0-1-9,1-2-3"}, Position{GTID: "0-1-5,1-1-2"}, FlavorMariaDB, true, false},
		{"mysql subset", Position{GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10"}, Position{GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-7"}, FlavorMySQL, true, false},
		{"mysql not subset", Position{GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"}, Position{GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-7"}, FlavorMySQL, false, false},
		{"file later", Position{File: "b.000010", Pos: 4}, Position{File: "b.000009", Pos: 900}, FlavorMySQL, true, false},
		{"file past six digits", Position{File: "b.1000000", Pos: 4}, Position{File: "b.999999", Pos: 900}, FlavorMySQL, true, false},
		{"same file earlier pos", Position{File: "b.000009", Pos: 4}, Position{File: "b.000009", Pos: 900}, FlavorMySQL, false, false},
		{"gtid on one side only: file decides", Position{GTID: "0-1-5", File: "b.000002", Pos: 4}, Position{File: "b.000001", Pos: 4}, FlavorMariaDB, true, false},
		{"nothing in common", Position{GTID: "0-1-5"}, Position{File: "b.000001", Pos: 4}, FlavorMariaDB, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := covers(tc.p, tc.q, tc.flavor)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("covers(%s, %s) = %v, %v; want %v, error %v", tc.p, tc.q, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestReplayHistory replays records up to a position: later records and records of a
// position the resume has not reached are left out, a snapshot resets the tables.
func TestReplayHistory(t *testing.T) {
	s := newSchema("utf8mb4")
	s.put(&table{db: "d", name: "t", cols: []column{{name: "id", typ: "int"}}, pk: []string{"id"}})
	s.put(&table{db: "d", name: "gone", cols: []column{{name: "x", typ: "int"}}})
	enc := func(r historyRecord) []byte {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p := func(n uint32) Position {
		return Position{GTID: "0-1-" + string(rune('0'+n)), File: "b.000001", Pos: n * 100}
	}
	var recs [][]byte
	recs = append(recs, enc(snapshotRecord(s, p(1))))
	s.tables["d.t"] = &table{db: "d", name: "t", cols: []column{{name: "id", typ: "int"}, {name: "a", typ: "varchar", length: 5, charset: "latin1", nullable: true}}, pk: []string{"id"}}
	delete(s.tables, "d.gone")
	recs = append(recs, enc(changeRecord(s, p(3), "d", "ALTER TABLE t ADD a VARCHAR(5) CHARSET latin1", []string{"d.t", "d.gone"})))
	s.tables["d.t"] = &table{db: "d", name: "t", cols: []column{{name: "id", typ: "bigint"}}}
	recs = append(recs, enc(changeRecord(s, p(5), "d", "ALTER TABLE t ...", []string{"d.t"})))

	for _, tc := range []struct {
		at     uint32
		tables []string
		cols   []string
	}{
		{1, []string{"d.gone", "d.t"}, []string{"id"}},
		{2, []string{"d.gone", "d.t"}, []string{"id"}},
		{3, []string{"d.t"}, []string{"id", "a"}},
		{4, []string{"d.t"}, []string{"id", "a"}},
		{9, []string{"d.t"}, []string{"id"}},
	} {
		got, last, err := replayHistory(recs, p(tc.at), FlavorMariaDB)
		if err != nil {
			t.Fatal(err)
		}
		if *last != p(5) {
			t.Errorf("last record at %s, want %s", last, p(5))
		}
		ids := slices.Sorted(func(yield func(string) bool) {
			for id := range got.tables {
				if !yield(id) {
					return
				}
			}
		})
		var cols []string
		for _, c := range got.tables["d.t"].cols {
			cols = append(cols, c.name)
		}
		if !slices.Equal(ids, tc.tables) || !slices.Equal(cols, tc.cols) {
			t.Errorf("at %s: tables %v, d.t columns %v; want %v, %v", p(tc.at), ids, cols, tc.tables, tc.cols)
		}
	}
	if got, _, err := replayHistory(recs, Position{GTID: "0-1-0", File: "b.000001", Pos: 0}, FlavorMariaDB); err != nil || got != nil {
		t.Errorf("before the snapshot: %v, %v; want no schema", got, err)
	}
	if _, _, err := replayHistory([][]byte{[]byte("{garbage")}, p(1), FlavorMariaDB); err == nil {
		t.Error("a broken record replayed without error")
	}
}

// memHistory is a History in memory (the pipeline's lives in Kafka).
type memHistory struct {
	mu   sync.Mutex
	recs [][]byte
}

func (h *memHistory) Load(context.Context) ([][]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.recs), nil
}

func (h *memHistory) Append(_ context.Context, r []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, slices.Clone(r))
	return nil
}

func (h *memHistory) ddls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, raw := range h.recs {
		r, _, _ := decodeHistory(raw)
		if r.Snapshot {
			out = append(out, "snapshot")
		} else {
			out = append(out, r.DDL)
		}
	}
	return out
}

// TestHistoryResume resumes from a position before two ALTER TABLEs: with the schema
// history the rows in between decode with the shapes they were written with; without it
// the source refuses (the table's columns in the binlog disagree with today's).
func TestHistoryResume(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(10))")
	hist := &memHistory{}
	cfg := testConfig(t, dsn)
	cfg.History = hist
	r := start(t, cfg)
	testmaria.Exec(t, dsn,
		"INSERT INTO t VALUES (1, 1, 'x')",
		"ALTER TABLE t DROP COLUMN a, ADD COLUMN c DATE",
		"INSERT INTO t VALUES (2, 'y', '2024-01-02')",
		"ALTER TABLE t RENAME COLUMN b TO bb",
		"INSERT INTO t VALUES (3, 'z', NULL)",
	)
	r.rec.waitChanges(t, 3)
	pos := r.rec.commitAfter(t, 1)
	var schemas []string
	for _, rec := range r.rec.snapshot() {
		if rec.kind == "schema" {
			tc := rec.schema.Tables[0]
			var cols []string
			for _, c := range tc.Columns {
				cols = append(cols, c.Name)
			}
			schemas = append(schemas, tc.Type+" "+tc.ID.Table+" "+rec.schema.DDL+" -> "+strings.Join(cols, ","))
		}
	}
	wantSchemas := []string{
		"ALTER t ALTER TABLE t DROP COLUMN a, ADD COLUMN c DATE -> id,b,c",
		"ALTER t ALTER TABLE t RENAME COLUMN b TO bb -> id,bb,c",
	}
	if !slices.Equal(schemas, wantSchemas) {
		t.Errorf("schema changes %q, want %q", schemas, wantSchemas)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	wantHist := []string{"snapshot", "ALTER TABLE t DROP COLUMN a, ADD COLUMN c DATE", "ALTER TABLE t RENAME COLUMN b TO bb"}
	if got := hist.ddls(); !slices.Equal(got, wantHist) {
		t.Fatalf("history %q, want %q", got, wantHist)
	}

	// With the history: rows 2 and 3 in their own shapes, and no record written twice.
	cfg.Start = &pos
	r = start(t, cfg)
	cs := r.rec.waitChanges(t, 2)
	want := [][]string{{"id", "b", "c"}, {"id", "bb", "c"}}
	for i, c := range cs {
		if got := columnNames(c.Table); !slices.Equal(got, want[i]) || c.After[0] != int32(i+2) {
			t.Errorf("change %d: columns %v id %v, want %v id %d", i, got, c.After[0], want[i], i+2)
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := hist.ddls(); !slices.Equal(got, wantHist) {
		t.Errorf("history after the resume %q, want %q", got, wantHist)
	}

	// Without it: today's shape does not fit, and the source says so.
	cfg.History = nil
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	err = src.Run(context.Background(), rec)
	if !errors.Is(err, ErrSchema) {
		t.Errorf("resuming before the DDL without history: %v, want ErrSchema", err)
	}
}

// TestBinlogTypeCheck resumes without a schema history from before a MODIFY COLUMN that
// kept the column's name: the table map's type codes tell the tracked (today's) shape
// from the logged one, and the source stops instead of decoding with the wrong type.
func TestBinlogTypeCheck(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	cfg := testConfig(t, dsn)
	r := start(t, cfg)
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (1, 1)")
	r.rec.waitChanges(t, 1)
	pos := r.rec.commitAfter(t, 1)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (2, 2)", "ALTER TABLE t MODIFY v VARCHAR(10)", "INSERT INTO t VALUES (3, 'x')")
	cfg.Start = &pos
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = src.Run(context.Background(), newRecorder())
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "column v is varchar(10)") {
		t.Errorf("Run = %v, want ErrSchema naming column v and its type", err)
	}
}

func TestBinlogTypeFits(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		code byte
		want bool
	}{
		{"int", 3, true}, {"int", 15, false}, {"varchar", 15, true}, {"varchar", 3, false},
		{"datetime", 18, true}, {"datetime", 12, true}, {"json", 245, true}, {"json", 252, true},
		{"enum", 254, true}, {"decimal", 246, true}, {"bigint", 3, false}, {"mystery", 1, true},
	} {
		if got := binlogTypeFits(&column{typ: tc.typ}, tc.code); got != tc.want {
			t.Errorf("binlogTypeFits(%s, %d) = %v, want %v", tc.typ, tc.code, got, tc.want)
		}
	}
}
