package mysql

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
)

func TestMain(m *testing.M) { testmaria.Main(m) }

// record is one Handler call.
type record struct {
	kind   string // "change", "commit", "heartbeat", "schema"
	change *event.Change
	schema *event.SchemaChange
	pos    Position
}

// recorder is a Handler that keeps every call.
type recorder struct {
	mu      sync.Mutex
	recs    []record
	changed chan struct{}
	// failChange, when set, is returned by Change.
	failChange error
	// run, when set, is the Run the records come from: waits fail when it ended.
	run *running
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) add(rec record) {
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) Change(_ context.Context, c *event.Change) error {
	r.mu.Lock()
	fail := r.failChange
	r.mu.Unlock()
	if fail != nil {
		return fail
	}
	r.add(record{kind: "change", change: c})
	return nil
}

func (r *recorder) Message(context.Context, *event.Message) error { return nil }

func (r *recorder) SchemaChange(_ context.Context, sc *event.SchemaChange) error {
	r.add(record{kind: "schema", schema: sc})
	return nil
}

func (r *recorder) Commit(_ context.Context, pos event.Position) error {
	r.add(record{kind: "commit", pos: pos.(Position)})
	return nil
}

func (r *recorder) Heartbeat(_ context.Context, _ time.Time, pos event.Position) error {
	r.add(record{kind: "heartbeat", pos: pos.(Position)})
	return nil
}

func (r *recorder) snapshot() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]record(nil), r.recs...)
}

// changes returns the changes recorded so far.
func (r *recorder) changes() []*event.Change {
	var out []*event.Change
	for _, rec := range r.snapshot() {
		if rec.kind == "change" {
			out = append(out, rec.change)
		}
	}
	return out
}

// waitFor waits until cond holds for the records, failing t after a timeout.
func (r *recorder) waitFor(t *testing.T, what string, cond func([]record) bool) []record {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		recs := r.snapshot()
		if cond(recs) {
			return recs
		}
		var runDone chan struct{}
		if r.run != nil {
			runDone = r.run.done
		}
		select {
		case <-r.changed:
		case <-runDone:
			if cond(r.snapshot()) {
				return r.snapshot()
			}
			t.Fatalf("waiting for %s: Run returned %v", what, r.run.err)
		case <-deadline:
			t.Fatalf("timed out waiting for %s; have %d records", what, len(recs))
		}
	}
}

// waitChanges waits for n changes in total and returns them.
func (r *recorder) waitChanges(t *testing.T, n int) []*event.Change {
	t.Helper()
	r.waitFor(t, "changes", func(recs []record) bool {
		k := 0
		for _, rec := range recs {
			if rec.kind == "change" {
				k++
			}
		}
		return k >= n
	})
	return r.changes()
}

// lastCommit waits for a commit after the n-th change and returns its position.
func (r *recorder) commitAfter(t *testing.T, n int) Position {
	t.Helper()
	var pos Position
	r.waitFor(t, "commit", func(recs []record) bool {
		k := 0
		for _, rec := range recs {
			switch rec.kind {
			case "change":
				k++
			case "commit":
				if k >= n {
					pos = rec.pos
					return true
				}
			}
		}
		return false
	})
	return pos
}

// running is a Source running in the background.
type running struct {
	src    *Source
	rec    *recorder
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // Run's result, once done is closed
}

// stop stops the source and returns Run's result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

// dbName returns the database of a testmaria DSN.
func dbName(t *testing.T, dsn string) string {
	t.Helper()
	d, err := testmaria.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return d.DB
}

// testConfig captures the test's database.
func testConfig(t *testing.T, dsn string) Config {
	return Config{DSN: testmaria.WithDatabase(dsn, ""), Name: "t_" + dbName(t, dsn), Tables: []string{dbName(t, dsn) + ".*"}}
}

// start runs a source with cfg and waits until it streams (its first heartbeat, when it
// starts at the server's position; Ready otherwise).
func start(t *testing.T, cfg Config) *running {
	t.Helper()
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{src: src, rec: rec, cancel: cancel, done: make(chan struct{})}
	rec.run = r
	go func() {
		r.err = src.Run(ctx, rec)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if cfg.Start == nil && len(rec.snapshot()) > 0 || cfg.Start != nil && src.Ready() {
			return r
		}
		select {
		case <-r.done:
			t.Fatalf("Run returned before streaming: %v", r.err)
		case <-rec.changed:
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("source did not start streaming")
		}
	}
}

func TestOps(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := dbName(t, dsn)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "CREATE TABLE other (id INT PRIMARY KEY)")
	cfg := testConfig(t, dsn)
	cfg.Tables = []string{db + ".t"}
	r := start(t, cfg)
	testmaria.Exec(t, dsn,
		"INSERT INTO other VALUES (1)",
		"INSERT INTO t VALUES (1, 'a'), (2, '')",
		"UPDATE t SET v = 'b' WHERE id = 1",
		"UPDATE t SET id = 3 WHERE id = 2",
		"DELETE FROM t WHERE id = 1",
		"BEGIN", "INSERT INTO t VALUES (10, NULL)", "INSERT INTO t VALUES (11, 'x')", "COMMIT")
	cs := r.rec.waitChanges(t, 8)
	type want struct {
		op            event.Op
		before, after []any
		row           int32
	}
	wants := []want{
		{event.OpCreate, nil, []any{int32(1), "a"}, 0},
		{event.OpCreate, nil, []any{int32(2), ""}, 1},
		{event.OpUpdate, []any{int32(1), "a"}, []any{int32(1), "b"}, 0},
		{event.OpDelete, []any{int32(2), ""}, nil, 0},
		{event.OpCreate, nil, []any{int32(3), ""}, 0},
		{event.OpDelete, []any{int32(1), "b"}, nil, 0},
		{event.OpCreate, nil, []any{int32(10), nil}, 0},
		{event.OpCreate, nil, []any{int32(11), "x"}, 0},
	}
	if len(cs) != len(wants) {
		t.Fatalf("got %d changes, want %d", len(cs), len(wants))
	}
	for i, w := range wants {
		c := cs[i]
		if c.Op != w.op || !equalRows(c.Before, w.before) || !equalRows(c.After, w.after) || c.Source.Row != w.row {
			t.Errorf("change %d: %s before %v after %v row %d; want %s %v %v row %d", i, c.Op, c.Before, c.After, c.Source.Row, w.op, w.before, w.after, w.row)
		}
		if c.Table.ID.Database != db || c.Table.ID.Table != "t" || c.Source.DB != db || c.Source.Table != "t" {
			t.Errorf("change %d: table %v source %s.%s", i, c.Table.ID, c.Source.DB, c.Source.Table)
		}
		if c.Source.Connector != "mysql" || c.Source.Snapshot != "false" || c.Source.GTID == "" || c.Source.File == "" ||
			c.Source.Pos <= 0 || c.Source.ServerID == 0 || c.Source.Commit.IsZero() || c.Source.Name != cfg.Name {
			t.Errorf("change %d: source block %+v", i, c.Source)
		}
	}
	if len(cs[0].Table.Key) != 1 || cs[0].Table.Key[0] != 0 || cs[0].Table.Columns[0].Optional || !cs[0].Table.Columns[1].Optional {
		t.Errorf("table shape %+v", cs[0].Table)
	}
	// One commit per transaction, positions after the transaction and increasing.
	recs := r.rec.waitFor(t, "last commit", func(recs []record) bool { return recs[len(recs)-1].kind == "commit" })
	var commits []Position
	for i, rec := range recs {
		if rec.kind == "commit" {
			commits = append(commits, rec.pos)
			if i == 0 || recs[i-1].kind != "change" {
				t.Errorf("commit %s not right after a change", rec.pos)
			}
		}
	}
	if len(commits) != 5 {
		t.Errorf("%d commits, want 5 (one per transaction with captured changes)", len(commits))
	}
	for i := 1; i < len(commits); i++ {
		if commits[i].File == commits[i-1].File && commits[i].Pos <= commits[i-1].Pos || commits[i].GTID == commits[i-1].GTID {
			t.Errorf("commit %s does not follow %s", commits[i], commits[i-1])
		}
	}
	if cs[6].Source.GTID != cs[7].Source.GTID || cs[5].Source.GTID == cs[6].Source.GTID {
		t.Errorf("transaction GTIDs: %s %s %s", cs[5].Source.GTID, cs[6].Source.GTID, cs[7].Source.GTID)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

func equalRows(a, b []any) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if !equalValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestMissingTable(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	cfg := testConfig(t, dsn)
	cfg.Tables = []string{dbName(t, dsn) + ".nope"}
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = src.Run(context.Background(), newRecorder())
	if err == nil || !strings.Contains(err.Error(), dbName(t, dsn)+".nope") {
		t.Fatalf("Run = %v, want an error naming the missing table", err)
	}
}

func TestHandlerErrorIsFatal(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY)")
	r := start(t, testConfig(t, dsn))
	boom := errors.New("boom")
	r.rec.mu.Lock()
	r.rec.failChange = boom
	r.rec.mu.Unlock()
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (1)")
	select {
	case <-r.done:
		if !errors.Is(r.err, boom) {
			t.Fatalf("Run = %v, want boom", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop on the handler's error")
	}
}
