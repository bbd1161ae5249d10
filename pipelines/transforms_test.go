package pipelines_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/pipelines"
	"github.com/dovetail-cdc/dovetail/schema/registry"
)

// allRecords reads every record of every topic of the pipeline's broker.
func (h *harness) allRecords() map[string][][]byte {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topics, err := kafka.ListTopics(ctx, h.brokers)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string][][]byte{}
	for _, topic := range topics {
		for _, m := range h.read(topic) {
			out[topic] = append(out[topic], m.Key, m.Value)
		}
	}
	return out
}

// waitApplied waits until the worker's sinks applied n records.
func (h *harness) waitApplied(n int) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("the sinks to apply %d records", n), func() bool {
		return metricValue(h.t, h, "dovetail_sink_records_total") >= float64(n)
	})
}

// duckRows returns the rows of query on a DuckDB file no one in the process has open,
// each rendered as text columns joined by |.
func duckRows(t *testing.T, path, query string) []string {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTransformsPIINeverInKafka masks, hashes and drops columns at the source: no
// record of any topic, and no schema in the registry, holds a clear value or the dropped
// column, the value schema has the hashed column as a string and no dropped column, and
// a Postgres follower gets the masked and hashed values.
func TestTransformsPIINeverInKafka(t *testing.T) {
	t.Parallel()
	src, dst := testpg.NewDB(t), testpg.NewDB(t)
	testpg.Exec(t, src, `CREATE TABLE customers (id int PRIMARY KEY, email text, phone bigint, notes text, name text NOT NULL)`)
	h := newHarness(t, src, []string{"public.customers"}, "")
	h.transformsYAML = `transforms:
  - mask: { columns: [public.customers.email], with: "****" }
  - hash: { columns: [public.customers.phone], salt: "pepper" }
  - drop_columns: { columns: [public.customers.notes] }
  - truncate: { columns: [public.customers.name], length: 4 }
`
	h.addSink("replica", "postgres", dst, "batch_size: 50", "linger: 10ms")
	h.start()
	testpg.Exec(t, src,
		`INSERT INTO customers SELECT i, 'clear-mail-' || i || '@example.com', 5550000000 + i, 'clear-note-' || i, 'Clearname ' || i FROM generate_series(1, 50) i`,
		`INSERT INTO customers VALUES (51, NULL, NULL, NULL, 'N')`,
		`UPDATE customers SET email = 'clear-changed-' || id || '@example.com', phone = phone + 1000 WHERE id % 5 = 0`,
		`DELETE FROM customers WHERE id % 7 = 0`)
	topic := h.name + ".public.customers"
	// 51 inserts, 10 updates, 7 deletes and their tombstones.
	h.waitRecords(topic, 51+10+7+7)
	h.waitApplied(51 + 10 + 7 + 7)

	clear := []string{"clear-", "Clearname", "example.com"}
	for i := int64(1); i <= 51; i++ {
		clear = append(clear, fmt.Sprint(5550000000+i), fmt.Sprint(5550001000+i))
	}
	for topic, recs := range h.allRecords() {
		for _, r := range recs {
			for _, c := range clear {
				if bytes.Contains(r, []byte(c)) {
					t.Fatalf("topic %s has a record with the clear value %q: %q", topic, c, r)
				}
			}
			// A bigint is zig-zag varint encoded in Avro: look for those bytes too.
			for i := int64(1); i <= 51; i++ {
				if bytes.Contains(r, zigzag(5550000000+i)) {
					t.Fatalf("topic %s has a record with the clear phone %d as an Avro long", topic, 5550000000+i)
				}
			}
		}
	}
	reg, err := registry.NewClient(h.regURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := reg.Version(context.Background(), topic+"-value", "latest")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v.Schema, "notes") || !strings.Contains(v.Schema, `{"name":"phone","type":["null","string"],"default":null}`) {
		t.Errorf("value schema: %s", v.Schema)
	}

	sum := sha256.Sum256([]byte("pepper5550001005"))
	want := []string{
		"1|****|" + hashOf(5550000001) + "|Clea",
		"5|****|" + hex.EncodeToString(sum[:]) + "|Clea",
		"51|<nil>|<nil>|N",
	}
	got := pgRows(t, dst, `SELECT id, email, phone, name FROM customers WHERE id IN (1, 5, 51) ORDER BY id`)
	if !equalRows(got, want) {
		t.Errorf("follower rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cols := pgRows(t, dst, `SELECT column_name FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'notes'`); len(cols) != 0 {
		t.Error("the follower has the dropped column")
	}
	if n := pgRows(t, dst, `SELECT count(*) FROM customers`); n[0] != "44" {
		t.Errorf("follower has %s rows, want 44", n[0])
	}
}

func hashOf(n int64) string {
	sum := sha256.Sum256([]byte(fmt.Sprint("pepper", n)))
	return hex.EncodeToString(sum[:])
}

// zigzag is n as Avro writes a long.
func zigzag(n int64) []byte {
	u := uint64((n << 1) ^ (n >> 63))
	var b []byte
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

// TestTransformsFilter filters rows at the source (drafts never reach Kafka) and a
// whole table at a sink (a filter that drops all its rows, and skip_ops): the filtered
// table is never created on the follower, while the other sink without transforms
// gets it.
func TestTransformsFilter(t *testing.T) {
	t.Parallel()
	src, dst, all := testpg.NewDB(t), testpg.NewDB(t), testpg.NewDB(t)
	testpg.Exec(t, src,
		`CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total numeric(10,2))`,
		`CREATE TABLE audit (id int PRIMARY KEY, what text)`)
	h := newHarness(t, src, []string{"public.orders", "public.audit"}, "")
	h.transformsYAML = `transforms:
  - filter: { tables: [public.orders], where: "row.status != 'draft'" }
`
	h.addSink("replica", "postgres", dst, "batch_size: 50", "linger: 10ms", `transforms:
      - filter: { tables: [public.audit], where: "row.id < 0" }
      - skip_ops: [d]`)
	h.addSink("everything", "postgres", all, "batch_size: 50", "linger: 10ms")
	h.start()
	testpg.Exec(t, src,
		`INSERT INTO orders SELECT i, CASE WHEN i % 3 = 0 THEN 'draft' ELSE 'paid' END, i FROM generate_series(1, 30) i`,
		`INSERT INTO audit SELECT i, 'event ' || i FROM generate_series(1, 20) i`,
		`DELETE FROM orders WHERE id IN (1, 2)`)
	// 20 paid orders and 2 deletes with tombstones; the 10 drafts are not there.
	recs := h.waitRecords(h.name+".public.orders", 20+2+2)
	for _, m := range recs {
		if bytes.Contains(m.Value, []byte("draft")) {
			t.Fatalf("a draft order reached Kafka: %q", m.Value)
		}
	}
	h.waitRecords(h.name+".public.audit", 20)
	h.waitApplied(2 * (24 + 20))
	if got := pgRows(t, dst, `SELECT count(*), min(id) FROM orders`); got[0] != "20|1" {
		t.Errorf("replica orders: %v, want 20 rows from id 1 (deletes skipped)", got)
	}
	if got := pgRows(t, dst, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'audit'`); got[0] != "0" {
		t.Error("the filtered table was created on the follower")
	}
	if got := pgRows(t, all, `SELECT count(*) FROM audit`); got[0] != "20" {
		t.Errorf("the other sink's audit: %v", got)
	}
	if got := pgRows(t, all, `SELECT count(*) FROM orders WHERE status = 'draft'`); got[0] != "0" {
		t.Errorf("drafts on the other sink: %v", got)
	}
}

// TestTransformsUnwrapDuckDB applies unwrapped changes to DuckDB: flat rows with the
// added __op, __source_ts_ms and __deleted columns in a renamed table; a delete keeps
// the row, marked deleted (with every column: REPLICA IDENTITY FULL sends them).
func TestTransformsUnwrapDuckDB(t *testing.T) {
	t.Parallel()
	src := testpg.NewDB(t)
	path := filepath.Join(t.TempDir(), "flat.duckdb")
	testpg.Exec(t, src, `CREATE TABLE orders (id int PRIMARY KEY, v text)`, `ALTER TABLE orders REPLICA IDENTITY FULL`)
	h := newHarness(t, src, []string{"public.orders"}, "")
	h.addSink("warehouse", "duckdb", path, "batch_size: 50", "linger: 10ms", `transforms:
      - rename: { table: public.orders, to: orders_flat }
      - unwrap: { add_fields: [op, source.ts_ms], delete_handling: rewrite }`)
	h.start()
	testpg.Exec(t, src,
		`INSERT INTO orders SELECT i, 'v' || i FROM generate_series(1, 10) i`,
		`UPDATE orders SET v = 'changed' WHERE id = 2`,
		`DELETE FROM orders WHERE id = 3`)
	h.waitRecords(h.name+".public.orders", 10+1+2)
	h.waitApplied(13)
	h.stop()
	got := duckRows(t, path, `SELECT id, v, __op, __deleted, __source_ts_ms > 1700000000000 FROM orders_flat WHERE id <= 4 ORDER BY id`)
	want := []string{"1|v1|c|false|true", "2|changed|u|false|true", "3|v3|d|true|true", "4|v4|c|false|true"}
	if !equalRows(got, want) {
		t.Errorf("flat rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := duckRows(t, path, `SELECT count(*) FROM orders_flat`); n[0] != "10" {
		t.Errorf("%s rows, want 10 (the deleted one kept)", n[0])
	}
	if n := duckRows(t, path, `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'orders'`); n[0] != "0" {
		t.Error("the table was created under its source name too")
	}
}

// TestTransformsRouteShards routes two shard tables with overlapping keys into one
// topic: every record has a distinct key (the physical table is part of it), no shard
// topic exists, and a follower gets one table with the rows of both.
func TestTransformsRouteShards(t *testing.T) {
	t.Parallel()
	src, dst := testpg.NewDB(t), testpg.NewDB(t)
	testpg.Exec(t, src,
		`CREATE TABLE orders_1 (id int PRIMARY KEY, v text)`,
		`CREATE TABLE orders_2 (id int PRIMARY KEY, v text)`)
	h := newHarness(t, src, []string{"public.orders_*"}, "")
	h.transformsYAML = fmt.Sprintf(`transforms:
  - route: { regex: '%s\.public\.orders_\d+', replacement: '%s.public.orders' }
`, h.name, h.name)
	h.addSink("replica", "postgres", dst, "batch_size: 50", "linger: 10ms")
	h.start()
	testpg.Exec(t, src,
		`INSERT INTO orders_1 SELECT i, 'one ' || i FROM generate_series(1, 20) i`,
		`INSERT INTO orders_2 SELECT i, 'two ' || i FROM generate_series(1, 20) i`,
		`UPDATE orders_2 SET v = 'two changed' WHERE id = 5`)
	topic := h.name + ".public.orders"
	msgs := h.waitRecords(topic, 41)
	keys := map[string]bool{}
	for _, m := range msgs {
		if op := plain(h.decode(m.Value)).(map[string]any)["op"]; op != "c" {
			continue // the update shares its insert's key
		}
		k := plain(h.decode(m.Key)).(map[string]any)
		ks := fmt.Sprint(k)
		if keys[ks] {
			t.Fatalf("two records share the key %s", ks)
		}
		keys[ks] = true
		if tbl := k["__dbz__physicalTableIdentifier"]; tbl != h.name+".public.orders_1" && tbl != h.name+".public.orders_2" {
			t.Fatalf("key %v has no physical table", k)
		}
	}
	if len(keys) != 40 {
		t.Errorf("%d distinct keys of 40 inserts", len(keys))
	}
	for topic := range h.allRecords() {
		if strings.Contains(topic, "orders_") {
			t.Errorf("a shard topic exists: %s", topic)
		}
	}
	h.waitApplied(41)
	got := pgRows(t, dst, `SELECT id, v, "__dbz__physicalTableIdentifier" FROM orders WHERE id = 5 ORDER BY 3`)
	want := []string{"5|one 5|" + h.name + ".public.orders_1", "5|two changed|" + h.name + ".public.orders_2"}
	if !equalRows(got, want) {
		t.Errorf("follower rows of id 5:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := pgRows(t, dst, `SELECT count(*) FROM orders`); n[0] != "40" {
		t.Errorf("the follower's orders has %s rows, want 40", n[0])
	}
}

// TestTransformsStartupErrors: expressions that do not compile or are not boolean stop
// Build, naming the list, the position and the transform.
func TestTransformsStartupErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml, want string
	}{
		{"transforms:\n  - filter: { where: \"row.id >\" }\n",
			`transforms[0] (filter): where "row.id >": ERROR: <input>:1:9: Syntax error`},
		{"transforms:\n  - skip_ops: [t]\n  - filter: { where: \"row.id + 1\" }\n",
			`transforms[1] (filter): where "row.id + 1": is int, not a boolean`},
		{"sinks:\n  - name: s\n    kind: duckdb\n    dsn: /nonexistent/x.duckdb\n    transforms:\n      - filter: { where: \"op == 1\" }\n",
			`sinks[0].transforms[0] (filter): where "op == 1": ERROR: <input>:1:4: found no matching overload for '_==_' applied to '(string, int)'`},
		{"transforms:\n  - route: { regex: 'x', replacement: 'y', key_field: '' }\n  - mask: { columns: [public.t.c], with: x }\n", ""},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "p.yaml")
		cfg := fmt.Sprintf("name: p\ndata_dir: %s\nsource:\n  kind: postgres\n  dsn: postgres://127.0.0.1:1/x\nkafka:\n  listen: 127.0.0.1:0\nschema_registry:\n  listen: 127.0.0.1:0\nhttp:\n  listen: \"\"\n%s", dir, tc.yaml)
		if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := configs.Load(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, err := pipelines.Build(context.Background(), []*configs.Pipeline{p}, slog.New(slog.DiscardHandler))
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.yaml, err)
			} else {
				w.Close()
			}
			continue
		}
		if err == nil {
			w.Close()
			t.Fatalf("%s: Build succeeded", tc.yaml)
		}
		if !strings.HasPrefix(err.Error(), file+": "+tc.want) {
			t.Errorf("error:\n%v\nwant it to start with:\n%s: %s", err, file, tc.want)
		}
	}
}

// TestTransformsMariaDB runs transforms on a MariaDB source (tables named
// database.table): two shards routed into one topic with hashed e-mails, applied by a
// DuckDB sink that unwraps them and deletes deleted rows (delete_handling tombstone).
func TestTransformsMariaDB(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := mariaDB(t, dsn)
	path := filepath.Join(t.TempDir(), "shards.duckdb")
	testmaria.Exec(t, dsn,
		`CREATE TABLE users_1 (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL)`,
		`CREATE TABLE users_2 (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL)`)
	h := newHarness(t, dsn, []string{db + ".users_*"}, "")
	h.kind = "mysql"
	h.transformsYAML = fmt.Sprintf(`transforms:
  - hash: { columns: [%[2]s.users_*.email], salt: "pepper" }
  - route: { regex: '%[1]s\.%[2]s\.users_(\d+)', replacement: '%[1]s.%[2]s.users', key_field: shard }
`, h.name, db)
	h.addSink("warehouse", "duckdb", path, "batch_size: 50", "linger: 10ms", `transforms:
      - unwrap: { add_fields: [op, table], delete_handling: tombstone }`)
	h.start()
	testmaria.Exec(t, dsn,
		`INSERT INTO users_1 VALUES (1, 'ann@example.com'), (2, 'bob@example.com')`,
		`INSERT INTO users_2 VALUES (1, 'cid@example.com'), (2, 'dan@example.com')`,
		`DELETE FROM users_2 WHERE id = 2`)
	topic := h.name + "." + db + ".users"
	h.waitRecords(topic, 4+1+1)
	for topic, recs := range h.allRecords() {
		for _, r := range recs {
			if bytes.Contains(r, []byte("@example.com")) {
				t.Fatalf("topic %s has a clear e-mail: %q", topic, r)
			}
		}
	}
	h.waitApplied(6)
	h.stop()
	sum := sha256.Sum256([]byte("peppercid@example.com"))
	got := duckRows(t, path, `SELECT id, email, shard, __op, __table FROM users ORDER BY shard, id`)
	want := []string{
		"1|" + hashText("pepperann@example.com") + "|" + h.name + "." + db + ".users_1|c|users_1",
		"2|" + hashText("pepperbob@example.com") + "|" + h.name + "." + db + ".users_1|c|users_1",
		"1|" + hex.EncodeToString(sum[:]) + "|" + h.name + "." + db + ".users_2|c|users_2",
	}
	if !equalRows(got, want) {
		t.Errorf("DuckDB rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestTransformsVerifyRefuses: verify does not compare followers of transformed changes.
func TestTransformsVerifyRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"transforms:\n  - skip_ops: [t]\nsinks:\n  - { name: s, kind: duckdb, dsn: /nonexistent/x.duckdb }\n",
			"verify compares followers with the source's rows, which the pipeline's transforms change: not supported yet"},
		{"sinks:\n  - { name: s, kind: duckdb, dsn: /nonexistent/x.duckdb, transforms: [ { skip_ops: [t] } ] }\n",
			"sink s: verify compares followers with the source's rows, which the sink's transforms change"},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "p.yaml")
		cfg := fmt.Sprintf("name: p\ndata_dir: %s\nsource:\n  kind: postgres\n  dsn: postgres://127.0.0.1:1/x\n%s", dir, tc.yaml)
		if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := configs.Load(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = pipelines.Verify(context.Background(), p, pipelines.VerifyOptions{}, io.Discard, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Verify: %v, want %q", err, tc.want)
		}
	}
}

// TestTransformsSinkErrors: a change a sink's transform fails on (a filter parsing a
// text as a number) goes to the dead-letter topic, naming the transform, and the
// sink goes on; without one the sink stops naming the transform and the record.
func TestTransformsSinkErrors(t *testing.T) {
	t.Parallel()
	for _, dlq := range []bool{false, true} {
		t.Run(fmt.Sprintf("dead letters %v", dlq), func(t *testing.T) {
			t.Parallel()
			src, dst := testpg.NewDB(t), testpg.NewDB(t)
			testpg.Exec(t, src, `CREATE TABLE items (id int PRIMARY KEY, v text)`)
			h := newHarness(t, src, []string{"public.items"}, "")
			keys := []string{"linger: 10ms", `transforms:
      - filter: { where: "row.id == 1 || int(row.v) > 5" }`}
			if dlq {
				keys = append(keys, "dead_letter_topic: "+h.name+".dlq")
			}
			h.addSink("replica", "postgres", dst, keys...)
			h.start()
			testpg.Exec(t, src, `INSERT INTO items VALUES (1, 'one')`, `INSERT INTO items VALUES (2, 'two')`, `INSERT INTO items VALUES (3, NULL)`)
			const want = "transforms[0] (filter): public.items c change: where \"row.id == 1 || int(row.v) > 5\": "
			if !dlq {
				select {
				case <-h.done:
				case <-time.After(time.Minute):
					t.Fatal("the sink did not stop on a change its transform failed on")
				}
				if h.err == nil || !strings.Contains(h.err.Error(), want) || !strings.Contains(h.err.Error(), "offset") {
					t.Errorf("worker error %v; want %q and the record", h.err, want)
				}
				h.err = nil
				return
			}
			dead := h.waitRecords(h.name+".dlq", 2)
			for _, m := range dead {
				for _, hd := range m.Headers {
					if hd.Key == "dovetail.error" && !strings.Contains(string(hd.Value), want) {
						t.Errorf("dead letter error %q, want %q", hd.Value, want)
					}
				}
			}
			h.waitFor("the row the filter passed", func() bool { return equalRows(pgRows(t, dst, `SELECT id, v FROM items`), []string{"1|one"}) })
		})
	}
}

// TestTransformsUnknownColumnAtStart: with the source's catalog readable, a transform
// naming a column or table the source does not have fails `run` at start-up, as
// `validate` does, naming the transform and its place in the list.
func TestTransformsUnknownColumnAtStart(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, `CREATE TABLE t (id int PRIMARY KEY, c text)`)
	for _, tc := range []struct{ yaml, want string }{
		{"transforms:\n  - skip_ops: [t]\n  - mask: { columns: [public.t.nope], with: x }\n", "transforms[1] (mask)"},
		{"transforms:\n  - hash: { columns: [public.missing.c], salt: s }\n", "transforms[0] (hash): the source has no captured table public.missing"},
		{"transforms:\n  - drop_columns: { columns: [public.t.id] }\n", "transforms[0] (drop_columns)"},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "p.yaml")
		cfg := fmt.Sprintf("name: p\ndata_dir: %s\nsource:\n  kind: postgres\n  dsn: ${TEST_DSN}\n  tables: [public.*]\nkafka:\n  listen: 127.0.0.1:0\nschema_registry:\n  listen: 127.0.0.1:0\nhttp:\n  listen: \"\"\n%s", dir, tc.yaml)
		if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := configs.Load(file, func(k string) (string, bool) { return dsn, k == "TEST_DSN" })
		if err != nil {
			t.Fatal(err)
		}
		w, err := pipelines.Build(context.Background(), []*configs.Pipeline{p}, slog.New(slog.DiscardHandler))
		if err == nil {
			w.Close()
			t.Fatalf("%s: Build succeeded", tc.yaml)
		}
		var ce *configs.Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v (a config error: %v); want it to name %q", tc.yaml, err, ce != nil, tc.want)
		}
	}
}
