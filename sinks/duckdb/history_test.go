package duckdb

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
)

// pointInTime is docs/SINKS.md's point-in-time query for a table t (key id, column v):
// the rows as they were at source time $1.
const pointInTime = `
WITH changes AS (
  -- the row a create, update or snapshot read left
  SELECT after_id AS id, after_v AS v, kafka_offset, false AS gone
  FROM t_history WHERE op IN ('c', 'u', 'r') AND source_ts <= $1
  UNION ALL
  -- the key a delete, or an update that changed the key, removed
  SELECT before_id, NULL, kafka_offset, true
  FROM t_history WHERE source_ts <= $1
    AND (op = 'd' OR op = 'u' AND before_id IS NOT NULL AND before_id IS DISTINCT FROM after_id)
)
SELECT id, v FROM changes
WHERE kafka_offset > (SELECT coalesce(max(kafka_offset), -1) FROM t_history WHERE op = 't' AND source_ts <= $1)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY kafka_offset DESC) = 1 AND NOT gone
ORDER BY id`

// TestHistory applies a random run of changes in batches, some of them twice, and checks
// that the history has every change exactly once, and that the point-in-time query gives
// back the table as it was after each batch.
func TestHistory(t *testing.T) {
	t.Parallel()
	tb := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true))
	tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true}, true)
	rng := rand.New(rand.NewPCG(1, 2))
	f := newFeed()
	state := map[int32]string{}
	type checkpoint struct {
		ts   time.Time
		rows []string
	}
	var checkpoints []checkpoint
	var all []*sinks.Batch
	for b := range 30 {
		var cs []*event.Change
		for range 1 + rng.IntN(8) {
			id := int32(rng.IntN(6))
			old, exists := state[id]
			switch n := rng.IntN(20); {
			case n == 0 && b > 0:
				cs = append(cs, sinktest.Truncate(tb))
				clear(state)
			case n < 5 && exists:
				cs = append(cs, sinktest.Del(tb, id, nil))
				delete(state, id)
			case n < 7 && exists: // the key changes
				to := id + 100
				if _, taken := state[to]; taken {
					continue
				}
				cs = append(cs, sinktest.Update(tb, []any{id, old}, []any{to, old}))
				delete(state, id)
				state[to] = old
			default:
				v := fmt.Sprintf("v%d.%d", b, len(cs))
				if exists {
					cs = append(cs, sinktest.Update(tb, []any{id, old}, []any{id, v}))
				} else {
					cs = append(cs, sinktest.Upsert(tb, id, v))
				}
				state[id] = v
			}
		}
		if len(cs) == 0 {
			continue
		}
		batch := f.Batch(t, sinks.Naming{}, cs...)
		all = append(all, batch)
		if err := tg.Apply(sinktest.Ctx(t), batch); err != nil {
			t.Fatal(err)
		}
		if b%7 == 3 { // replay this batch and an older one: nothing may change
			for _, again := range []*sinks.Batch{batch, all[len(all)/2]} {
				if err := tg.Apply(sinktest.Ctx(t), again); err != nil {
					t.Fatal(err)
				}
			}
		}
		var rows []string
		for id, v := range state {
			rows = append(rows, fmt.Sprintf("%d|%s", id, v))
		}
		slices.SortFunc(rows, func(a, b string) int {
			var x, y int
			fmt.Sscan(strings.Split(a, "|")[0], &x)
			fmt.Sscan(strings.Split(b, "|")[0], &y)
			return x - y
		})
		checkpoints = append(checkpoints, checkpoint{ts: cs[len(cs)-1].Source.Commit, rows: rows})
	}
	wantRows(t, tg, "SELECT count(*), count(DISTINCT kafka_offset), min(kafka_offset), max(kafka_offset) FROM t_history",
		fmt.Sprintf("%d|%d|0|%d", f.Next, f.Next, f.Next-1))
	for i, cp := range checkpoints {
		got := query(t, tg, pointInTime, cp.ts)
		if strings.Join(got, " ") != strings.Join(cp.rows, " ") {
			t.Errorf("checkpoint %d at %s:\n got %q\nwant %q", i, cp.ts, got, cp.rows)
		}
	}
	t.Logf("%d changes, %d checkpoints, e.g. %q; ops %q", f.Next, len(checkpoints), checkpoints[len(checkpoints)/2].rows, query(t, tg, "SELECT op, count(*) FROM t_history GROUP BY op ORDER BY op"))
	// The last point in time is the table itself.
	wantRows(t, tg, "SELECT id, v FROM t ORDER BY id", checkpoints[len(checkpoints)-1].rows...)
}

// TestHistoryRows checks the history table's layout and the row of each kind of change.
func TestHistoryRows(t *testing.T) {
	t.Parallel()
	tb := sinktest.PostgresTable("t", []int{0}, sinktest.Col("id", intType, false), sinktest.Col("v", textType, true), sinktest.Col("big", textType, true))
	mysql := &event.Table{ID: event.TableID{Database: "shop", Table: "m"}, Columns: []event.Column{sinktest.Col("line", textType, true)}}
	tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true}, true)
	f := newFeed()
	read := &event.Change{Table: tb, Op: event.OpRead, After: []any{int32(1), "a", "x"}}
	ins := &event.Change{Table: mysql, Op: event.OpCreate, After: []any{"l1"}, Source: event.Source{Connector: "mysql",
		GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:23", File: "binlog.000003", Pos: 4711, Row: 1,
		Commit: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}}
	f.Apply(t, tg, read,
		sinktest.Update(tb, nil, []any{int32(1), "b", event.Unavailable}), // REPLICA IDENTITY DEFAULT: no before, big TOASTed
		sinktest.Update(tb, []any{int32(1), "b", "x"}, []any{int32(1), "c", "y"}),
		sinktest.Del(tb, int32(1), nil, nil),
		ins)
	f.Apply(t, tg, sinktest.Truncate(tb))
	wantRows(t, tg, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 't_history' ORDER BY column_index",
		"op|VARCHAR", "source_ts|TIMESTAMP WITH TIME ZONE", "source_position|VARCHAR", "kafka_topic|VARCHAR",
		"kafka_partition|INTEGER", "kafka_offset|BIGINT", "unavailable_columns|VARCHAR[]",
		"before_id|INTEGER", "after_id|INTEGER", "before_v|VARCHAR", "after_v|VARCHAR", "before_big|VARCHAR", "after_big|VARCHAR")
	wantRows(t, tg, "SELECT * FROM t_history ORDER BY kafka_offset",
		"r|2024-01-01 00:00:00|lsn=1000|src.public.t|0|0|∅|∅|1|∅|a|∅|x",
		"u|2024-01-01 00:00:01|lsn=1001|src.public.t|0|1|[big]|∅|1|∅|b|∅|∅",
		"u|2024-01-01 00:00:02|lsn=1002|src.public.t|0|2|∅|1|1|b|c|x|y",
		"d|2024-01-01 00:00:03|lsn=1003|src.public.t|0|3|∅|1|∅|∅|∅|∅|∅",
		"t|2024-01-01 00:00:05|lsn=1005|src.public.t|0|5|∅|∅|∅|∅|∅|∅|∅")
	wantRows(t, tg, "SELECT * FROM m_history",
		"c|2024-05-06 07:08:09|gtid=3e11fa47-71ca-11e1-9e33-c80aa9429562:23 file=binlog.000003 pos=4711 row=1|src.public.t|0|4|∅|∅|l1")
	wantRows(t, tg, "SELECT * FROM t")
	// docs/SINKS.md's last sent value of a column that may be unavailable.
	wantRows(t, tg, `SELECT kafka_offset, (last_value(CASE WHEN NOT list_contains(coalesce(unavailable_columns, []), 'big')
		THEN {'big': after_big} END IGNORE NULLS) OVER (PARTITION BY after_id ORDER BY kafka_offset)).big
		FROM t_history WHERE op IN ('c', 'u', 'r') ORDER BY kafka_offset`, "0|x", "1|x", "2|y")
}

// TestHistoryPartialReplay applies a batch whose records are partly at or below the
// stored offsets (one partition applied, the other not): only the new records enter the
// history.
func TestHistoryPartialReplay(t *testing.T) {
	t.Parallel()
	tb := sinktest.PostgresTable("log", nil, sinktest.Col("line", textType, true))
	tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true}, true)
	p0 := &sinktest.Feed{TP: sinks.TopicPartition{Topic: "src.public.log", Partition: 0}, Source: sourceAt}
	p1 := &sinktest.Feed{TP: sinks.TopicPartition{Topic: "src.public.log", Partition: 1}, Source: sourceAt}
	first := p0.Batch(t, sinks.Naming{}, sinktest.Upsert(tb, "a0"), sinktest.Upsert(tb, "b0"))
	if err := tg.Apply(sinktest.Ctx(t), first); err != nil {
		t.Fatal(err)
	}
	second := p1.Batch(t, sinks.Naming{}, sinktest.Upsert(tb, "a1"))
	both := &sinks.Batch{Offsets: sinks.Offsets{p0.TP: 1, p1.TP: 0}, Positions: map[sinks.TopicPartition]string{},
		Records: append(slices.Clone(first.Records), second.Records...)}
	both.Tables = append(both.Tables, second.Tables...) // what Plan makes of p1's record alone
	if err := tg.Apply(sinktest.Ctx(t), both); err != nil {
		t.Fatal(err)
	}
	wantRows(t, tg, "SELECT kafka_partition, kafka_offset, after_line FROM log_history ORDER BY ALL", "0|0|a0", "0|1|b0", "1|0|a1")
}
