package pipelines_test

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/pipelines"
	"github.com/dovetail-cdc/dovetail/schema/registry"
)

// TestMySQLEndToEnd streams a MariaDB table through the pipeline: records decode with our
// decoder and the independent one, and after a clean stop the pipeline resumes from the
// position it stored in Kafka, with nothing lost and nothing re-sent.
func TestMySQLEndToEnd(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := mariaDB(t, dsn)
	testmaria.Exec(t, dsn, `CREATE TABLE items (
		id BIGINT UNSIGNED PRIMARY KEY,
		name VARCHAR(50) CHARACTER SET utf8mb4,
		price DECIMAL(10,2),
		qty INT NOT NULL,
		big BIGINT UNSIGNED
	)`)
	h := newHarness(t, dsn, []string{db + ".items"}, "")
	h.kind = "mysql"
	h.start()
	topic := h.name + "." + db + ".items"

	testmaria.Exec(t, dsn,
		"INSERT INTO items VALUES (1, 'caf\u00e9 \U0001F600', 12.34, 7, 18446744073709551615)",
		`UPDATE items SET qty = 8 WHERE id = 1`,
		`DELETE FROM items WHERE id = 1`)
	msgs := h.waitRecords(topic, 4) // create, update, delete, tombstone
	var ops []string
	for _, m := range msgs {
		if m.Value == nil {
			ops = append(ops, "tombstone")
			continue
		}
		v := plain(h.decode(m.Value)).(map[string]any)
		ops = append(ops, v["op"].(string))
		src := v["source"].(map[string]any)
		if src["connector"] != "mysql" || src["db"] != db || src["table"] != "items" {
			t.Errorf("source block = %v, want connector mysql, db %s, table items", src, db)
		}
		if v["op"] == "c" {
			after := v["after"].(map[string]any)
			if after["name"] != "caf\u00e9 \U0001F600" {
				t.Errorf("after.name = %q", after["name"])
			}
			if r, ok := after["price"].(*big.Rat); !ok || r.Cmp(big.NewRat(1234, 100)) != 0 {
				t.Errorf("after.price = %v, want 12.34", after["price"])
			}
			want, _ := new(big.Rat).SetString("18446744073709551615")
			if r, ok := after["big"].(*big.Rat); !ok || r.Cmp(want) != 0 {
				t.Errorf("after.big = %v (%T), want 18446744073709551615 exactly", after["big"], after["big"])
			}
		}
	}
	if got := strings.Join(ops, ","); got != "c,u,d,tombstone" {
		t.Fatalf("ops %s, want c,u,d,tombstone", got)
	}
	py := h.pythonDecode(topic)
	if len(py) != 4 {
		t.Fatalf("independent decoder read %d records, want 4", len(py))
	}
	after := py[0]["value"].(map[string]any)["after"].(map[string]any)
	if after["name"] != "caf\u00e9 \U0001F600" || after["big"] != "18446744073709551615" {
		t.Errorf("independent decoder: after = %v", after)
	}

	// Stop cleanly, write while stopped, restart: the pipeline resumes from the position
	// stored in its offsets topic.
	h.stop()
	testmaria.Exec(t, dsn, `INSERT INTO items VALUES (2, 'while stopped', 1, 1, 0)`)
	h.start()
	testmaria.Exec(t, dsn, `INSERT INTO items VALUES (3, 'after restart', 1, 1, 0)`)
	msgs = h.waitRecords(topic, 6)
	creates := map[string]int{}
	for _, m := range msgs {
		if m.Value == nil {
			continue
		}
		v := plain(h.decode(m.Value)).(map[string]any)
		if v["op"] == "c" {
			creates[v["after"].(map[string]any)["name"].(string)]++
		}
	}
	for _, name := range []string{"caf\u00e9 \U0001F600", "while stopped", "after restart"} {
		if creates[name] != 1 {
			t.Errorf("row %q created %d times in Kafka, want once", name, creates[name])
		}
	}
	if len(msgs) != 6 {
		t.Errorf("%d records after the restart, want 6", len(msgs))
	}
	if stored := h.read(pipelines.OffsetsTopic(h.name)); len(stored) == 0 {
		t.Errorf("no position in %s", pipelines.OffsetsTopic(h.name))
	}
}

// TestMySQLSchemaHistory changes a table while the pipeline is stopped: on restart the
// source decodes the binlog from its stored position with the shapes the schema history
// topic holds for that position, not today's, so each row arrives in the shape it was
// written with. Each DDL is on the schema change topic, and the value schema gets a new
// registry version per shape.
func TestMySQLSchemaHistory(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := mariaDB(t, dsn)
	testmaria.Exec(t, dsn, `CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), qty INT)`)
	h := newHarness(t, dsn, []string{db + ".items"}, "")
	h.kind = "mysql"
	h.start()
	topic := h.name + "." + db + ".items"
	testmaria.Exec(t, dsn, `INSERT INTO items VALUES (1, 'one', 1)`)
	h.waitRecords(topic, 1)
	h.stop()

	testmaria.Exec(t, dsn,
		`ALTER TABLE items DROP COLUMN qty, ADD COLUMN price DECIMAL(6,2) AFTER id`,
		`INSERT INTO items VALUES (2, 2.50, 'two')`,
		`ALTER TABLE items RENAME COLUMN name TO title`,
		`INSERT INTO items VALUES (3, NULL, 'three')`)
	h.start()
	testmaria.Exec(t, dsn, `INSERT INTO items VALUES (4, 4.00, 'four')`)
	msgs := h.waitRecords(topic, 4)
	// Records of different rows may sit in different partitions: compare by id.
	want := map[string]string{"1": "id,name,qty", "2": "id,price,name", "3": "id,price,title", "4": "id,price,title"}
	for _, m := range msgs {
		after := plain(h.decode(m.Value)).(map[string]any)["after"].(map[string]any)
		id := fmt.Sprint(after["id"])
		order := want[id] + ","
		var cols []string
		for f := range after {
			cols = append(cols, f)
		}
		slices.SortFunc(cols, func(a, b string) int { return strings.Index(order, a+",") - strings.Index(order, b+",") })
		if got := strings.Join(cols, ","); got != want[id] {
			t.Errorf("row %s: columns %s, want %s", id, got, want[id])
		}
		delete(want, id)
	}
	if len(msgs) != 4 || len(want) != 0 {
		t.Errorf("%d records, rows %v missing", len(msgs), want)
	}

	// The schema change topic: one event per DDL, for our decoder and the independent one.
	changes := h.waitRecords(h.name, 2)
	var ddls []string
	for _, m := range changes {
		v := plain(h.decode(m.Value)).(map[string]any)
		ddls = append(ddls, v["ddl"].(string))
		tcs := v["tableChanges"].([]any)
		if len(tcs) != 1 || tcs[0].(map[string]any)["type"] != "ALTER" {
			t.Errorf("tableChanges of %q: %v", v["ddl"], tcs)
		}
	}
	wantDDL := []string{"ALTER TABLE items DROP COLUMN qty, ADD COLUMN price DECIMAL(6,2) AFTER id", "ALTER TABLE items RENAME COLUMN name TO title"}
	if !slices.Equal(ddls, wantDDL) {
		t.Errorf("schema change topic: %q, want %q", ddls, wantDDL)
	}
	py := h.pythonDecode(h.name)
	if len(py) != 2 || py[1]["value"].(map[string]any)["ddl"] != wantDDL[1] {
		t.Errorf("independent decoder read the schema change topic as %v", py)
	}

	// The history: the schema at the first start, then both statements, once each.
	hist := h.read(pipelines.HistoryTopic(h.name))
	if len(hist) != 3 {
		var recs []string
		for _, m := range hist {
			recs = append(recs, string(m.Value))
		}
		t.Errorf("schema history has %d records, want 3:\n%s", len(hist), strings.Join(recs, "\n"))
	}

	client, err := registry.NewClient(h.regURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := client.Versions(context.Background(), topic+"-value")
	if err != nil || len(versions) != 3 {
		t.Errorf("value subject versions %v, %v; want 3", versions, err)
	}
}

// TestMySQLSchemaEvolution adds NOT NULL columns with constant defaults: the new value
// schemas carry the defaults, so the registry accepts them as BACKWARD compatible and
// records keep flowing. A NOT NULL column without a default cannot be read from earlier
// records: the pipeline stops, saying what to do, and nothing after it is written.
func TestMySQLSchemaEvolution(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := mariaDB(t, dsn)
	testmaria.Exec(t, dsn, `CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))`)
	h := newHarness(t, dsn, []string{db + ".items"}, "")
	h.kind = "mysql"
	h.start()
	topic := h.name + "." + db + ".items"
	testmaria.Exec(t, dsn, `INSERT INTO items VALUES (1, 'one')`)
	h.waitRecords(topic, 1)
	testmaria.Exec(t, dsn,
		`ALTER TABLE items ADD COLUMN n INT NOT NULL DEFAULT -5, ADD COLUMN s VARCHAR(5) NOT NULL DEFAULT 'x''y',
			ADD COLUMN d DECIMAL(6,2) NOT NULL DEFAULT -1.50, ADD COLUMN e ENUM('a','b') NOT NULL DEFAULT 'b',
			ADD COLUMN dt DATE NOT NULL DEFAULT '2024-01-02', ADD COLUMN f DOUBLE NOT NULL DEFAULT 2.5,
			ADD COLUMN big BIGINT UNSIGNED NOT NULL DEFAULT 18446744073709551615`,
		`INSERT INTO items (id, name) VALUES (2, 'two')`)
	msgs := h.waitRecords(topic, 2)
	var after map[string]any
	for _, m := range msgs {
		a := plain(h.decode(m.Value)).(map[string]any)["after"].(map[string]any)
		if fmt.Sprint(a["id"]) == "2" {
			after = a
		}
	}
	if after == nil || after["s"] != "x'y" || fmt.Sprint(after["n"]) != "-5" || after["e"] != "b" {
		t.Errorf("row 2 after the ALTER: %v", after)
	}
	client, err := registry.NewClient(h.regURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := client.Version(ctx, topic+"-value", "latest")
	if err != nil || v.Version != 2 {
		t.Fatalf("latest value schema %+v, %v; want version 2", v, err)
	}
	for _, want := range []string{`"name":"n","type":"int","default":-5`, `"name":"s","type":"string","default":"x'y"`,
		`"name":"e","type":{"type":"string"`, `"name":"dt","type":{"type":"int"`, `"default":19724`, `"default":2.5`,
		"\"default\":\"\u00ffj\"", // -1.50: unscaled -150, two's complement ff 6a
		"\"default\":\"\\u0000\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\""} {
		if !strings.Contains(v.Schema, want) {
			t.Errorf("value schema lacks %s:\n%s", want, v.Schema)
		}
	}

	if py := h.pythonDecode(topic); len(py) != 2 {
		t.Errorf("independent decoder read %d records, want 2", len(py))
	}

	testmaria.Exec(t, dsn, `ALTER TABLE items ADD COLUMN strict INT NOT NULL`, `INSERT INTO items (id, name, strict) VALUES (3, 'three', 1)`)
	select {
	case <-h.done:
	case <-time.After(time.Minute):
		t.Fatal("the pipeline did not stop on an incompatible schema")
	}
	if h.err == nil || !strings.Contains(h.err.Error(), "DEFAULT") || !strings.Contains(h.err.Error(), topic+"-value") {
		t.Errorf("pipeline error %v; want the incompatible subject and the fix", h.err)
	}
	h.err = nil // seen; stop() would report it again
	if n := len(h.read(topic)); n != 2 {
		t.Errorf("%d records after the incompatible change, want 2", n)
	}
}
