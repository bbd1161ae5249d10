package pipelines_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"encoding/json"

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
)

// snapshotTypesCheck compares the snapshot records of rows 1 (values) and 2 (nulls)
// with the streamed records of the same rows inserted again as 3 and 4: every column
// must decode to the same value, and the value schema must be the one the stream
// registered (a single registry version).
func snapshotTypesCheck(t *testing.T, h *harness, topic string, id func(any) int64) {
	t.Helper()
	msgs := h.waitRecords(topic, 4)
	if len(msgs) != 4 {
		t.Fatalf("got %d records in %s, want 4", len(msgs), topic)
	}
	rows := map[int64]map[string]any{}
	snaps := map[int64]string{}
	for _, m := range msgs {
		v := plain(h.decode(m.Value)).(map[string]any)
		after, ok := v["after"].(map[string]any)
		if !ok {
			t.Fatalf("record after = %v, want a row", v["after"])
		}
		k := id(after["id"])
		rows[k] = after
		src := v["source"].(map[string]any)
		snaps[k] = fmt.Sprint(v["op"], " ", src["snapshot"])
	}
	for k, want := range map[int64]string{1: "r first", 2: "r last", 3: "c false", 4: "c false"} {
		if snaps[k] != want {
			t.Errorf("row %d: op and source.snapshot %q, want %q", k, snaps[k], want)
		}
	}
	for _, pair := range [][2]int64{{1, 3}, {2, 4}} {
		snap, stream := rows[pair[0]], rows[pair[1]]
		if len(snap) != len(stream) || len(snap) < 2 {
			t.Fatalf("row %d has %d columns, streamed row %d %d", pair[0], len(snap), pair[1], len(stream))
		}
		for col, sv := range snap {
			if col == "id" {
				continue
			}
			if !goEqual(sv, stream[col]) && !reflect.DeepEqual(sv, stream[col]) {
				t.Errorf("column %s: snapshot row %d = %#v (%T), streamed row %d = %#v (%T)", col, pair[0], sv, sv, pair[1], stream[col], stream[col])
			}
		}
	}
	resp, err := http.Get(h.regURL + "/subjects/" + topic + "-value/versions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var versions []int
	if err := json.NewDecoder(resp.Body).Decode(&versions); err != nil || len(versions) != 1 {
		t.Errorf("value subject versions %v (%v), want one: snapshot and stream records share their schema", versions, err)
	}
}

// TestSnapshotTypes: a snapshot of every Postgres column type yields the same values and
// schema as streaming them.
func TestSnapshotTypes(t *testing.T) {
	t.Parallel()
	cases := typeCases(t)
	dsn := testpg.NewDB(t)
	var cols, lits, nulls []string
	for _, c := range cases {
		cols = append(cols, c.col+" "+c.ddl)
		lits = append(lits, c.lit)
		nulls = append(nulls, "NULL")
	}
	testpg.Exec(t, dsn,
		`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE DOMAIN posint AS int CHECK (VALUE > 0)`,
		`CREATE TABLE types (id int PRIMARY KEY, `+strings.Join(cols, ", ")+`)`,
		`SET TIME ZONE 'America/New_York'`,
		`INSERT INTO types VALUES (1, `+strings.Join(lits, ", ")+`)`,
		`INSERT INTO types VALUES (2, `+strings.Join(nulls, ", ")+`)`)
	h := newHarness(t, dsn, []string{"public.types"}, "")
	h.start()
	testpg.Exec(t, dsn,
		`SET TIME ZONE 'America/New_York'`,
		`INSERT INTO types VALUES (3, `+strings.Join(lits, ", ")+`)`,
		`INSERT INTO types VALUES (4, `+strings.Join(nulls, ", ")+`)`)
	snapshotTypesCheck(t, h, h.name+".public.types", func(v any) int64 { return int64(v.(int32)) })
}

// TestSnapshotMySQLTypes: a snapshot of every MariaDB column type yields the same
// values and schema as streaming them.
func TestSnapshotMySQLTypes(t *testing.T) {
	t.Parallel()
	cases := mysqlTypeCases()
	dsn := testmaria.NewDB(t)
	db := mariaDB(t, dsn)
	var cols, lits, nulls []string
	for _, c := range cases {
		cols = append(cols, c.col+" "+c.ddl)
		lits = append(lits, c.lit)
		if strings.Contains(c.ddl, "NOT NULL") {
			nulls = append(nulls, c.lit)
		} else {
			nulls = append(nulls, "NULL")
		}
	}
	insert := func(a, b int) {
		testmaria.Exec(t, dsn, `SET time_zone = '+02:00'`, `SET sql_mode = ''`, `SET NAMES utf8mb4`,
			fmt.Sprintf(`INSERT INTO types VALUES (%d, `+strings.Join(lits, ", ")+`)`, a),
			fmt.Sprintf(`INSERT INTO types VALUES (%d, `+strings.Join(nulls, ", ")+`)`, b))
	}
	testmaria.Exec(t, dsn, `CREATE TABLE types (id INT PRIMARY KEY, `+strings.Join(cols, ", ")+`) CHARACTER SET utf8mb4`)
	insert(1, 2)
	h := newHarness(t, dsn, []string{db + ".types"}, "")
	h.kind = "mysql"
	h.start()
	insert(3, 4)
	snapshotTypesCheck(t, h, h.name+"."+db+".types", func(v any) int64 { return int64(v.(int32)) })
}
