package mysql

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/check"
	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
)

func columnNames(t *event.Table) []string {
	var out []string
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return out
}

// TestDDL changes a captured table's shape mid-stream; rows after each change decode with
// the new shape.
func TestDDL(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := dbName(t, dsn)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(10))")
	cfg := testConfig(t, dsn)
	cfg.ExcludeTables = []string{db + ".skip"}
	r := start(t, cfg)
	testmaria.Exec(t, dsn,
		"INSERT INTO t VALUES (1, 1, 'x')",
		"ALTER TABLE t ADD COLUMN c DATETIME(6) AFTER a",
		"INSERT INTO t VALUES (2, 2, '2024-01-02 03:04:05.000006', 'y')",
		"ALTER TABLE t DROP COLUMN a",
		"INSERT INTO t VALUES (3, NULL, 'z')",
		"ALTER TABLE t RENAME COLUMN b TO bb",
		"CREATE TABLE skip (u UUID)", // not captured, and TiDB's parser does not know UUID
		"INSERT INTO t VALUES (4, NULL, 'w')",
		"ALTER TABLE t MODIFY bb VARCHAR(20) CHARACTER SET latin1 NOT NULL, CHANGE c cc DATE",
		"INSERT INTO t VALUES (5, '2024-02-03', 'é')",
		"RENAME TABLE t TO t2",
		"INSERT INTO t2 VALUES (6, NULL, 'v')",
		"CREATE TABLE n (k BIGINT UNSIGNED NOT NULL, v TEXT, PRIMARY KEY (k))",
		"INSERT INTO n VALUES (18446744073709551615, 'n')",
		"ALTER TABLE n DROP PRIMARY KEY, ADD PRIMARY KEY (v(10), k)",
		"INSERT INTO n VALUES (1, 'm')",
	)
	cs := r.rec.waitChanges(t, 8)
	type want struct {
		table string
		cols  []string
		after []any
		key   []int
	}
	wants := []want{
		{"t", []string{"id", "a", "b"}, []any{int32(1), int32(1), "x"}, []int{0}},
		{"t", []string{"id", "a", "c", "b"}, []any{int32(2), int32(2), micros(2024, 1, 2, 3, 4, 5, 6), "y"}, []int{0}},
		{"t", []string{"id", "c", "b"}, []any{int32(3), nil, "z"}, []int{0}},
		{"t", []string{"id", "c", "bb"}, []any{int32(4), nil, "w"}, []int{0}},
		{"t", []string{"id", "cc", "bb"}, []any{int32(5), days(2024, 2, 3), "é"}, []int{0}},
		{"t2", []string{"id", "cc", "bb"}, []any{int32(6), nil, "v"}, []int{0}},
		{"n", []string{"k", "v"}, []any{rat("18446744073709551615"), "n"}, []int{0}},
		{"n", []string{"k", "v"}, []any{rat("1"), "m"}, []int{1, 0}},
	}
	for i, w := range wants {
		c := cs[i]
		if c.Table.ID.Table != w.table || !slices.Equal(columnNames(c.Table), w.cols) || !equalRows(c.After, w.after) || !slices.Equal(c.Table.Key, w.key) {
			t.Errorf("change %d: %s %v key %v after %v; want %s %v key %v after %v", i, c.Table.ID.Table, columnNames(c.Table), c.Table.Key, c.After, w.table, w.cols, w.key, w.after)
		}
	}
	if k := cs[4].Table.Columns[2]; k.Optional || k.Type.SourceType != "varchar(20)" {
		t.Errorf("modified column: %+v", k)
	}
	if cs[0].Table == cs[1].Table || cs[3].Table == cs[4].Table {
		t.Error("a DDL did not give a new *event.Table")
	}
	if len(cs) > len(wants) {
		t.Errorf("%d changes, want %d", len(cs), len(wants))
	}
}

// TestDDLUnparsable stops the stream on DDL of a captured table that cannot be parsed,
// naming the statement.
func TestDDLUnparsable(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY)")
	r := start(t, testConfig(t, dsn))
	testmaria.Exec(t, dsn, "ALTER TABLE t ADD COLUMN u UUID")
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
	if !errors.Is(r.err, ErrSchema) || !strings.Contains(r.err.Error(), "ALTER TABLE t ADD COLUMN u UUID") {
		t.Fatalf("Run = %v, want ErrSchema with the statement", r.err)
	}
}

// TestResume restarts from a stored commit position: the transaction after it comes
// again, whole, and nothing before it.
func TestResume(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		pos  func(Position) Position
	}{
		{"gtid", func(p Position) Position { return p }},
		{"file and pos", func(p Position) Position { return Position{File: p.File, Pos: p.Pos} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := testmaria.NewDB(t)
			testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY)")
			cfg := testConfig(t, dsn)
			r := start(t, cfg)
			testmaria.Exec(t, dsn, "BEGIN", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)", "COMMIT",
				"INSERT INTO t VALUES (3)")
			r.rec.waitChanges(t, 3)
			pos := r.rec.commitAfter(t, 2)
			r.src.Ack(pos)
			if got, _ := r.src.Acked(); got != pos {
				t.Errorf("Acked = %s, want %s", got, pos)
			}
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}
			testmaria.Exec(t, dsn, "INSERT INTO t VALUES (4)", "FLUSH BINARY LOGS", "INSERT INTO t VALUES (5)")

			text, err := tc.pos(pos).MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			src, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Resume(text); err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- src.Run(ctx, rec) }()
			cs := rec.waitChanges(t, 3)
			var ids []int32
			for _, c := range cs {
				ids = append(ids, c.After[0].(int32))
			}
			if !slices.Equal(ids, []int32{3, 4, 5}) {
				t.Errorf("after resuming from %s: ids %v, want [3 4 5]", text, ids)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRotation follows FLUSH BINARY LOGS mid-stream, and resumes by file and position
// from a commit in the new file.
func TestRotation(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY)")
	r := start(t, testConfig(t, dsn))
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (1)", "FLUSH BINARY LOGS", "INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)")
	cs := r.rec.waitChanges(t, 3)
	p1, p2 := r.rec.commitAfter(t, 1), r.rec.commitAfter(t, 2)
	if p1.File == p2.File || cs[0].Source.File == cs[1].Source.File || cs[1].Source.File != p2.File {
		t.Errorf("no rotation seen: commits %s, %s; rows in %s, %s", p1, p2, cs[0].Source.File, cs[1].Source.File)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dsn)
	cfg.Start = &Position{File: p2.File, Pos: p2.Pos}
	r2 := start(t, cfg)
	cs = r2.rec.waitChanges(t, 1)
	if len(cs) != 1 || cs[0].After[0] != int32(3) {
		t.Errorf("resumed at %s: %d changes, first %v", cfg.Start, len(cs), cs[0].After)
	}
}

// TestPurged: a position the server no longer has is a loud error naming it.
func TestPurged(t *testing.T) {
	t.Parallel()
	srv := testmaria.New(t)
	dsn := srv.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY)")
	cfg := testConfig(t, dsn)
	r := start(t, cfg)
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (1)")
	r.rec.waitChanges(t, 1)
	pos := r.rec.commitAfter(t, 1)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (2)", "FLUSH BINARY LOGS", "INSERT INTO t VALUES (3)")
	last := testmaria.QueryString(t, dsn, "SELECT @@GLOBAL.gtid_binlog_pos")
	cur := testmaria.QueryString(t, dsn, "SHOW MASTER STATUS")
	// The server keeps a file while a binlog reader (the stopped source's dump thread,
	// which the server ends asynchronously) is in it: purge until it is gone.
	for deadline := time.Now().Add(30 * time.Second); ; {
		testmaria.Exec(t, dsn, "PURGE BINARY LOGS TO '"+cur+"'")
		if testmaria.QueryString(t, dsn, "SHOW BINARY LOGS") == cur {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not purged", pos.File)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, start := range []Position{
		pos,                             // by GTID, purged
		{File: pos.File, Pos: pos.Pos},  // by file, purged
		{GTID: "0-1-999999999"},         // a GTID the server never had
		{File: "binlog.999999", Pos: 4}, // a file the server never had
	} {
		cfg := cfg
		cfg.Start = &start
		src, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = src.Run(ctx, newRecorder())
		cancel()
		if !errors.Is(err, ErrPurged) || !strings.Contains(err.Error(), start.String()) {
			t.Errorf("start at %s (server at %s): Run = %v, want ErrPurged naming the position", start, last, err)
		}
	}
}

// TestHeartbeat: with the captured tables idle, heartbeats keep coming with the
// current position.
func TestHeartbeat(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY)")
	cfg := testConfig(t, dsn)
	cfg.HeartbeatInterval = 300 * time.Millisecond
	r := start(t, cfg)
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (1)")
	pos := r.rec.commitAfter(t, 1)
	recs := r.rec.waitFor(t, "heartbeats after the commit", func(recs []record) bool {
		n := 0
		for i, rec := range recs {
			if rec.kind == "heartbeat" && i > 0 && slices.ContainsFunc(recs[:i], func(r record) bool { return r.kind == "commit" }) {
				n++
			}
		}
		return n >= 2
	})
	for _, rec := range recs {
		if rec.kind == "heartbeat" && (rec.pos.GTID == "" || rec.pos.File == "") {
			t.Errorf("heartbeat at %s", rec.pos)
		}
	}
	last := recs[len(recs)-1]
	if last.pos.File == pos.File && last.pos.Pos < pos.Pos {
		t.Errorf("heartbeat at %s before the commit at %s", last.pos, pos)
	}
}

// TestReconnect kills the binlog connection; the source reconnects and loses nothing.
func TestReconnect(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := dbName(t, dsn)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY)")
	user := testmaria.NewUser(t, dsn, "REPLICATION SLAVE, BINLOG MONITOR ON *.*", "SELECT ON "+testmaria.QuoteIdent(db)+".*")
	u, err := testmaria.ParseDSN(user)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dsn)
	cfg.DSN = testmaria.WithDatabase(user, "")
	r := start(t, cfg)
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (1)")
	r.rec.waitChanges(t, 1)
	id := testmaria.QueryString(t, dsn, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '"+u.User+"' AND COMMAND LIKE 'Binlog Dump%'")
	testmaria.Exec(t, dsn, "KILL "+id, "INSERT INTO t VALUES (2)")
	r.rec.waitChanges(t, 2)
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (3)")
	cs := r.rec.waitChanges(t, 3)
	var ids []int32
	for _, c := range cs {
		ids = append(ids, c.After[0].(int32))
	}
	if !slices.Equal(ids, []int32{1, 2, 3}) {
		t.Errorf("ids %v, want [1 2 3]", ids)
	}
}

// TestValidate checks a limited user's problems.
func TestValidate(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := dbName(t, dsn)
	testmaria.Exec(t, dsn, "CREATE TABLE t1 (id INT PRIMARY KEY)", "CREATE TABLE t2 (v INT)", "CREATE TABLE t3 (id INT PRIMARY KEY)")
	cfg := testConfig(t, dsn)
	cfg.Tables = []string{db + ".t1", db + ".t2", db + ".t3", db + ".nope", db + ".x*"}

	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := src.Validate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if check.Blocking(ps) != true || len(ps) != 3 {
		t.Errorf("as root: %v; want the missing table, the pattern without tables, t2 without a key", ps)
	}

	cfg.DSN = testmaria.WithDatabase(testmaria.NewUser(t, dsn, "SELECT ON "+testmaria.QuoteIdent(db)+".t1", "INSERT ON "+testmaria.QuoteIdent(db)+".t2"), "")
	src, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps, err = src.Validate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wants := []struct {
		level     check.Level
		what, fix string
	}{
		{check.Error, "lacks REPLICATION SLAVE", "GRANT REPLICATION SLAVE ON *.* TO"},
		{check.Error, "lacks BINLOG MONITOR", "GRANT BINLOG MONITOR ON *.* TO"},
		{check.Error, "table " + db + ".nope in source.tables does not exist", "create the table"},
		{check.Warning, "pattern " + db + ".x* matches no table", "check the pattern"},
		{check.Warning, "table " + db + ".t2 has no primary key", "source.key_columns"},
		{check.Error, "cannot SELECT from " + db + ".t2", "GRANT SELECT ON `" + db + "`.`t2` TO"},
		// A table without any privilege is invisible to the user.
		{check.Error, "table " + db + ".t3 in source.tables does not exist, or user", "GRANT SELECT ON `" + db + "`.`t3` TO"},
	}
	for _, w := range wants {
		if !slices.ContainsFunc(ps, func(p check.Problem) bool {
			return p.Level == w.level && strings.Contains(p.What, w.what) && strings.Contains(p.Fix, w.fix)
		}) {
			t.Errorf("no %s problem %q with fix %q in\n%v", w.level, w.what, w.fix, ps)
		}
	}
	if len(ps) != len(wants) {
		t.Errorf("%d problems, want %d:\n%v", len(ps), len(wants), ps)
	}
	for _, p := range ps {
		if strings.Contains(p.String(), "pw_") {
			t.Errorf("a problem shows the password: %s", p)
		}
	}

	cfg.DSN = "root:wrong@tcp(127.0.0.1:1)/"
	src, _ = New(cfg)
	ps, err = src.Validate(context.Background())
	if err != nil || len(ps) != 1 || !strings.Contains(ps[0].What, "cannot connect") || strings.Contains(ps[0].String(), "wrong") {
		t.Errorf("unreachable server: %v, %v", ps, err)
	}
}

// TestUnknownShape: a table whose DDL could not be parsed while it was not captured,
// then renamed into the captured set, stops the stream at its first row instead of
// decoding it with a guessed shape.
func TestUnknownShape(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := dbName(t, dsn)
	cfg := testConfig(t, dsn)
	cfg.ExcludeTables = []string{db + ".skip"}
	r := start(t, cfg)
	testmaria.Exec(t, dsn, "CREATE TABLE skip (id INT PRIMARY KEY, u UUID)", "RENAME TABLE skip TO cap",
		"INSERT INTO cap VALUES (1, UUID())")
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
	if !errors.Is(r.err, ErrSchema) || !strings.Contains(r.err.Error(), db+".cap") {
		t.Fatalf("Run = %v, want ErrSchema naming %s.cap", r.err, db)
	}
	if n := len(r.rec.changes()); n != 0 {
		t.Errorf("%d changes handed over", n)
	}
}

// TestCheckpointInsideTransaction hands over positions inside a large transaction every
// CheckpointEvery changes; resuming from one re-reads the transaction and hands over only
// the changes after it, by GTID and by file and position alike.
func TestCheckpointInsideTransaction(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")
	cfg := testConfig(t, dsn)
	r := start(t, cfg)
	n := 2*CheckpointEvery + 500
	testmaria.Exec(t, dsn, fmt.Sprintf("INSERT INTO t SELECT seq, 'x' FROM seq_1_to_%d", n),
		"INSERT INTO t VALUES (0, 'after')")
	r.rec.waitChanges(t, n+1)
	var inside []Position
	var k int64
	for _, rec := range r.rec.snapshot() {
		switch rec.kind {
		case "change":
			k++
		case "commit":
			if rec.pos.Skip > 0 {
				if rec.pos.Skip != k {
					t.Errorf("position %s after %d changes", rec.pos, k)
				}
				inside = append(inside, rec.pos)
			}
		}
	}
	if len(inside) != 2 || inside[0].Skip != CheckpointEvery || inside[1].Skip != 2*CheckpointEvery {
		t.Fatalf("positions inside the transaction: %v, want skip=%d and skip=%d", inside, CheckpointEvery, 2*CheckpointEvery)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pos  Position
	}{
		{"gtid", inside[1]},
		{"file and pos", Position{File: inside[1].File, Pos: inside[1].Pos, Skip: inside[1].Skip}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cfg
			cfg.Start = &tc.pos
			r := start(t, cfg)
			cs := r.rec.waitChanges(t, 501)
			if first := cs[0].After[0]; first != int32(2*CheckpointEvery+1) {
				t.Errorf("resumed at %s: first id %v, want %d", tc.pos, first, 2*CheckpointEvery+1)
			}
			if last := cs[500].After[0]; last != int32(0) {
				t.Errorf("resumed at %s: change 501 has id %v, want the next transaction's 0", tc.pos, last)
			}
			if len(cs) != 501 {
				t.Errorf("resumed at %s: %d changes, want 501", tc.pos, len(cs))
			}
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDefaults reads constant column defaults of NOT NULL columns from information_schema
// (at the start) and from DDL (ADD COLUMN, ALTER COLUMN SET/DROP DEFAULT); expressions
// and nullable columns give none.
func TestDefaults(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, `CREATE TABLE t (id INT PRIMARY KEY, n INT NOT NULL DEFAULT -7, s VARCHAR(9) NOT NULL DEFAULT 'it''s',
		d DECIMAL(5,2) NOT NULL DEFAULT 1.25, ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, z INT NULL DEFAULT 3,
		dt DATETIME(3) NOT NULL DEFAULT '2024-01-02 03:04:05.678', y YEAR NOT NULL DEFAULT 2024)`)
	r := start(t, testConfig(t, dsn))
	testmaria.Exec(t, dsn, "INSERT INTO t (id) VALUES (1)",
		"ALTER TABLE t ALTER COLUMN n SET DEFAULT 8, ALTER COLUMN s DROP DEFAULT, ADD COLUMN e ENUM('a','b') NOT NULL DEFAULT 'b'",
		"INSERT INTO t (id, s) VALUES (2, '')")
	cs := r.rec.waitChanges(t, 2)
	defaults := func(c *event.Change) map[string]any {
		m := map[string]any{}
		for _, col := range c.Table.Columns {
			if col.Default != nil {
				m[col.Name] = col.Default
			}
		}
		return m
	}
	dt := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC).UnixMilli()
	want := []map[string]any{
		{"n": int32(-7), "s": "it's", "d": "5/4", "dt": dt, "y": int32(2024)},
		{"n": int32(8), "d": "5/4", "dt": dt, "y": int32(2024), "e": "b"},
	}
	for i, c := range cs {
		got := defaults(c)
		if r, ok := got["d"].(*big.Rat); ok {
			got["d"] = r.String()
		}
		if fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("change %d: defaults %v, want %v", i, got, want[i])
		}
	}
}

// TestRunPrivileges: a user without REPLICATION SLAVE, or without SELECT on the captured
// tables, is told which privilege is missing and the GRANT that adds it.
func TestRunPrivileges(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := dbName(t, dsn)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY)")
	for _, tc := range []struct {
		name   string
		grants []string
		want   string
	}{
		{"no replication slave", []string{"BINLOG MONITOR ON *.*", "SELECT ON " + testmaria.QuoteIdent(db) + ".*"}, "needs REPLICATION SLAVE: GRANT REPLICATION SLAVE ON *.* TO"},
		{"no select", []string{"REPLICATION SLAVE, BINLOG MONITOR ON *.*"}, "GRANT SELECT ON <database>.* TO"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, dsn)
			cfg.Tables = []string{db + ".t"}
			cfg.DSN = testmaria.WithDatabase(testmaria.NewUser(t, dsn, tc.grants...), "")
			src, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = src.Run(ctx, newRecorder())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
