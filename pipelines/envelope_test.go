package pipelines_test

import (
	"encoding/json"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/testpg"
)

// plain unwraps goavro's union wrappers ({"int": 5} -> 5) recursively.
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, inner := range x {
				switch k {
				case "boolean", "int", "long", "float", "double", "bytes", "string", "array", "map":
					return plain(inner)
				}
				if strings.Contains(k, ".") {
					return plain(inner)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, inner := range x {
			out[k] = plain(inner)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, inner := range x {
			out[i] = plain(inner)
		}
		return out
	}
	return v
}

type rec struct {
	key, value map[string]any
	partition  int
}

func (r rec) source() map[string]any { return r.value["source"].(map[string]any) }

func TestEnvelopes(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn,
		`CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL, amount numeric(10,2))`,
		`ALTER TABLE orders REPLICA IDENTITY FULL`,
		`CREATE TABLE plain_keys (id int PRIMARY KEY, note text)`,
		`CREATE TABLE logs (at timestamptz NOT NULL DEFAULT now(), line text)`)
	h := newHarness(t, dsn, []string{"public.orders", "public.plain_keys", "public.logs"}, "")
	h.start()
	start := time.Now()
	testpg.Exec(t, dsn,
		`INSERT INTO orders VALUES (1, 'new', 9.99)`,
		`UPDATE orders SET note = 'paid', amount = 10.50 WHERE id = 1`,
		`DELETE FROM orders WHERE id = 1`,
		`TRUNCATE orders`,
		`INSERT INTO plain_keys VALUES (7, 'x')`,
		`UPDATE plain_keys SET note = 'y' WHERE id = 7`,
		`DELETE FROM plain_keys WHERE id = 7`,
		`INSERT INTO logs (line) VALUES ('hello')`,
		`INSERT INTO logs (line) SELECT 'line ' || i FROM generate_series(1, 20) i`)

	topic := h.name + ".public.orders"
	// create, update, delete, tombstone, truncate
	msgs := h.waitRecords(topic, 5)
	var recs []rec
	for _, m := range msgs {
		r := rec{partition: m.Partition}
		if m.Key != nil {
			r.key = plain(h.decode(m.Key)).(map[string]any)
		}
		if m.Value != nil {
			r.value = plain(h.decode(m.Value)).(map[string]any)
		}
		recs = append(recs, r)
	}
	if len(recs) != 5 {
		t.Fatalf("got %d records in %s, want 5", len(recs), topic)
	}
	// Order: per key by partition offset; the truncate (null key) may sit anywhere, so
	// order by source LSN with the tombstone right after its delete.
	var keyed, truncs []rec
	for _, r := range recs {
		if r.key == nil {
			truncs = append(truncs, r)
		} else {
			keyed = append(keyed, r)
		}
	}
	if len(keyed) != 4 || len(truncs) != 1 {
		t.Fatalf("got %d keyed and %d keyless records, want 4 and 1", len(keyed), len(truncs))
	}
	for _, r := range keyed {
		if r.partition != keyed[0].partition {
			t.Errorf("records of one key on partitions %d and %d", keyed[0].partition, r.partition)
		}
		if id, _ := r.key["id"].(int32); id != 1 {
			t.Errorf("key = %v, want {id: 1}", r.key)
		}
	}
	wantOps := []string{"c", "u", "d", "tombstone"}
	for i, r := range keyed {
		op := "tombstone"
		if r.value != nil {
			op = r.value["op"].(string)
		}
		if op != wantOps[i] {
			t.Fatalf("record %d op %s, want %s (ops in offset order)", i, op, wantOps[i])
		}
	}
	dec := func(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }
	row := func(id int32, note string, amount string) map[string]any {
		return map[string]any{"id": id, "note": note, "amount": dec(amount)}
	}
	checkRow(t, "create after", keyed[0].value["after"], row(1, "new", "9.99"))
	checkRow(t, "create before", keyed[0].value["before"], nil)
	checkRow(t, "update before (identity full)", keyed[1].value["before"], row(1, "new", "9.99"))
	checkRow(t, "update after", keyed[1].value["after"], row(1, "paid", "10.50"))
	checkRow(t, "delete before (identity full)", keyed[2].value["before"], row(1, "paid", "10.50"))
	checkRow(t, "delete after", keyed[2].value["after"], nil)
	tr := truncs[0].value
	if tr["op"] != "t" || tr["before"] != nil || tr["after"] != nil {
		t.Errorf("truncate record = %v, want op t and null before/after", tr)
	}

	lastLSN := int64(-1)
	for i, r := range append(keyed[:3:3], truncs[0]) {
		src := r.source()
		for k, want := range map[string]any{"connector": "postgresql", "name": h.name,
			"schema": "public", "table": "orders", "snapshot": "false"} {
			if src[k] != want {
				t.Errorf("record %d source.%s = %v, want %v", i, k, src[k], want)
			}
		}
		if db, _ := src["db"].(string); db == "" || !strings.Contains(dsn, "/"+db) {
			t.Errorf("record %d source.db = %v, want the database of %s", i, src["db"], "the test")
		}
		if _, ok := src["txId"].(int64); !ok {
			t.Errorf("record %d source.txId = %v, want a long", i, src["txId"])
		}
		lsn, ok := src["lsn"].(int64)
		if !ok || lsn <= lastLSN {
			t.Errorf("record %d source.lsn = %v, want a long above %d", i, src["lsn"], lastLSN)
		}
		lastLSN = lsn
		var seq []string
		if err := json.Unmarshal([]byte(src["sequence"].(string)), &seq); err != nil || len(seq) != 2 || seq[1] != strconv.FormatInt(lsn, 10) {
			t.Errorf("record %d source.sequence = %v, want [\"<last commit lsn>\",\"%d\"]", i, src["sequence"], lsn)
		}
		commit := time.UnixMilli(src["ts_ms"].(int64))
		if commit.Before(start.Add(-time.Minute)) || commit.After(time.Now().Add(time.Minute)) {
			t.Errorf("record %d source.ts_ms = %v, not the commit time", i, commit)
		}
		if us, _ := src["ts_us"].(int64); us/1000 != src["ts_ms"].(int64) {
			t.Errorf("record %d source.ts_us = %v, inconsistent with ts_ms %v", i, src["ts_us"], src["ts_ms"])
		}
		ts := r.value["ts_ms"].(int64)
		if ts < commit.UnixMilli() {
			t.Errorf("record %d ts_ms %d before the commit %d", i, ts, commit.UnixMilli())
		}
		if ns, _ := r.value["ts_ns"].(int64); ns/1_000_000 != ts {
			t.Errorf("record %d ts_ns = %v, inconsistent with ts_ms %d", i, r.value["ts_ns"], ts)
		}
	}

	// Default replica identity: no before on update; the key columns on delete.
	pk := h.waitRecords(h.name+".public.plain_keys", 4)
	sort.SliceStable(pk, func(i, j int) bool { return pk[i].Offset < pk[j].Offset })
	upd := plain(h.decode(pk[1].Value)).(map[string]any)
	if upd["op"] != "u" || upd["before"] != nil {
		t.Errorf("update with default identity: op %v before %v, want u and null", upd["op"], upd["before"])
	}
	del := plain(h.decode(pk[2].Value)).(map[string]any)
	if b, _ := del["before"].(map[string]any); del["op"] != "d" || b["id"] != int32(7) {
		t.Errorf("delete with default identity: %v, want op d and before.id 7", del)
	}
	if pk[3].Value != nil {
		t.Errorf("delete not followed by a tombstone")
	}

	// A table without a key: null keys, inserts work, and all its records share one
	// partition (of 3), so a follower applies them in order.
	logs := h.waitRecords(h.name+".public.logs", 21)
	if logs[0].Key != nil {
		t.Errorf("keyless table record has key %x, want null", logs[0].Key)
	}
	for _, m := range logs {
		if m.Partition != logs[0].Partition {
			t.Errorf("keyless records in partitions %d and %d, want one partition", logs[0].Partition, m.Partition)
			break
		}
	}
	if after := plain(h.decode(logs[0].Value)).(map[string]any)["after"].(map[string]any); after["line"] != "hello" {
		t.Errorf("keyless insert after = %v", after)
	}
}

// checkRow compares a decoded row with want (nil: the row is null). Decimals compare by
// value.
func checkRow(t *testing.T, what string, got any, want map[string]any) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Errorf("%s = %v, want null", what, got)
		}
		return
	}
	m, ok := got.(map[string]any)
	if !ok {
		t.Errorf("%s = %v, want a row", what, got)
		return
	}
	for k, w := range want {
		g := m[k]
		if wr, ok := w.(*big.Rat); ok {
			if gr, ok := g.(*big.Rat); !ok || gr.Cmp(wr) != 0 {
				t.Errorf("%s.%s = %v, want %s", what, k, g, wr.FloatString(2))
			}
			continue
		}
		if g != w {
			t.Errorf("%s.%s = %v (%T), want %v (%T)", what, k, g, g, w, w)
		}
	}
}

// TestKeyColumns: a table without a primary key gets the configured key columns as its
// message key, so its rows' records share a partition and deletes leave tombstones.
func TestKeyColumns(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn,
		`CREATE TABLE events (event_id bigint NOT NULL, kind text, payload text)`,
		`ALTER TABLE events REPLICA IDENTITY FULL`)
	h := newHarness(t, dsn, []string{"public.events"}, "\n  key_columns:\n    public.events: [event_id, kind]")
	h.start()
	testpg.Exec(t, dsn,
		`INSERT INTO events VALUES (1, 'a', 'x'), (2, 'b', 'y')`,
		`UPDATE events SET payload = 'z' WHERE event_id = 1`,
		`DELETE FROM events WHERE event_id = 2`)
	msgs := h.waitRecords(h.name+".public.events", 5) // 2 creates, update, delete, tombstone
	partition := map[int64]int{}
	ops := map[int64][]string{}
	for _, m := range msgs {
		if m.Key == nil {
			t.Fatalf("record at offset %d has a null key", m.Offset)
		}
		key := plain(h.decode(m.Key)).(map[string]any)
		if len(key) != 2 {
			t.Errorf("key = %v, want event_id and kind", key)
		}
		id := key["event_id"].(int64)
		if p, seen := partition[id]; seen && p != m.Partition {
			t.Errorf("event %d on partitions %d and %d", id, p, m.Partition)
		}
		partition[id] = m.Partition
		op := "tombstone"
		if m.Value != nil {
			op = plain(h.decode(m.Value)).(map[string]any)["op"].(string)
		}
		ops[id] = append(ops[id], op)
	}
	if got := strings.Join(ops[1], ","); got != "c,u" {
		t.Errorf("event 1 ops %s, want c,u", got)
	}
	if got := strings.Join(ops[2], ","); got != "c,d,tombstone" {
		t.Errorf("event 2 ops %s, want c,d,tombstone", got)
	}
}
