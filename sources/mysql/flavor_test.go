package mysql

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"
)

// TestMySQLFlavorPositions feeds the decoder the events a MySQL server (GTID mode on)
// sends where they differ from MariaDB's: GTID events with a server uuid and a sequence
// number, BEGIN query events with the thread id, XID commits, and microsecond commit
// timestamps. No MySQL server runs here; these are the flavor's position paths.
func TestMySQLFlavorPositions(t *testing.T) {
	sid := uuid.MustParse("3e11fa47-71ca-11e1-9e33-c80aa9429562")
	other := uuid.MustParse("00000000-0000-0000-0000-000000000001")
	gt, err := newGTIDTracker(FlavorMySQL, sid.String()+":1-5")
	if err != nil {
		t.Fatal(err)
	}
	src := &Source{
		cfg:    Config{Name: "t", Tables: []string{"d.*"}, HeartbeatInterval: time.Nanosecond},
		log:    slog.New(slog.DiscardHandler),
		info:   serverInfo{flavor: FlavorMySQL},
		schema: newSchema("utf8mb4"),
		parser: newDDLParser(),
	}
	src.cfg.History = &memHistory{}
	rec := newRecorder()
	d := &decoder{src: src, h: rec, gtids: gt, file: "binlog.000001", pos: 4, rels: map[uint64]*relation{}}
	ctx := context.Background()
	feed := func(logPos uint32, e replication.Event) {
		t.Helper()
		ev := &replication.BinlogEvent{Header: &replication.EventHeader{Timestamp: 1_700_000_000, ServerID: 9, LogPos: logPos}, Event: e}
		if err := d.handle(ctx, ev); err != nil {
			t.Fatalf("%T: %v", e, err)
		}
	}
	gtid := func(s uuid.UUID, gno int64, commitMicros uint64) *replication.GTIDEvent {
		return &replication.GTIDEvent{SID: s[:], GNO: gno, ImmediateCommitTimestamp: commitMicros}
	}

	// A transaction of no captured table: its end is a heartbeat position.
	feed(200, gtid(sid, 6, 0))
	if d.txStart.GTID != sid.String()+":1-5" || d.txStart.Pos != 4 {
		t.Errorf("position before the transaction: %s", d.txStart)
	}
	feed(300, &replication.QueryEvent{Query: []byte("BEGIN"), SlaveProxyID: 77})
	if d.thread == nil || *d.thread != 77 {
		t.Errorf("thread %v, want 77", d.thread)
	}
	feed(400, &replication.XIDEvent{})
	// DDL of a captured table from another server: a commit with both uuids.
	feed(500, &replication.RotateEvent{NextLogName: []byte("binlog.000002"), Position: 4})
	feed(600, gtid(other, 1, 1_700_000_000_123_456))
	if want := time.UnixMicro(1_700_000_000_123_456).UTC(); !d.txCommit.Equal(want) {
		t.Errorf("commit time %s, want %s", d.txCommit, want)
	}
	feed(700, &replication.QueryEvent{Query: []byte("CREATE TABLE t (id INT PRIMARY KEY)"), Schema: []byte("d")})

	var got []record
	for _, r := range rec.snapshot() {
		if r.kind != "change" {
			got = append(got, r)
		}
	}
	want := []struct {
		kind string
		pos  Position
	}{
		{"heartbeat", Position{GTID: sid.String() + ":1-6", File: "binlog.000001", Pos: 400}},
		{"schema", Position{}},
		{"commit", Position{GTID: other.String() + ":1," + sid.String() + ":1-6", File: "binlog.000002", Pos: 700}},
	}
	if len(got) != len(want) {
		t.Fatalf("handler calls %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].kind != w.kind || w.kind != "schema" && got[i].pos != w.pos {
			t.Errorf("call %d: %s at %s, want %s at %s", i, got[i].kind, got[i].pos, w.kind, w.pos)
		}
	}
	if sc := got[1].schema; sc == nil || sc.Tables[0].Type != "CREATE" || sc.Source.GTID != other.String()+":1" || sc.Database != "d" {
		t.Errorf("schema change %+v", got[1].schema)
	}
	// The history orders positions by GTID set containment.
	if ok, err := covers(got[2].pos, got[0].pos, FlavorMySQL); err != nil || !ok {
		t.Errorf("covers(%s, %s) = %v, %v", got[2].pos, got[0].pos, ok, err)
	}
	if ddls := src.cfg.History.(*memHistory).ddls(); len(ddls) != 1 || ddls[0] != "CREATE TABLE t (id INT PRIMARY KEY)" {
		t.Errorf("history %q", ddls)
	}
}
