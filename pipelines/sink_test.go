package pipelines_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/pipelines"
)

// pgRows returns the rows of query on dsn, each rendered as text columns joined by |.
func pgRows(t *testing.T, dsn, query string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, query)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil
		}
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
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

// TestSinkPostgres runs a Postgres source and a Postgres sink in one worker: the
// follower's table is created from the schemas and ends equal to the source's, across
// inserts, updates, deletes and a restart with writes while stopped.
func TestSinkPostgres(t *testing.T) {
	t.Parallel()
	src, dst := testpg.NewDB(t), testpg.NewDB(t)
	testpg.Exec(t, src, `CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), tags text[], doc jsonb, at timestamptz)`)
	h := newHarness(t, src, []string{"public.items"}, "")
	h.addSink("replica", "postgres", dst, "batch_size: 50", "linger: 10ms", "parallelism: 2")
	h.start()
	testpg.Exec(t, src,
		`INSERT INTO items SELECT i, 'item ' || i, i * 1.25, ARRAY['a', 'b'], jsonb_build_object('i', i), '2024-01-02T03:04:05Z' FROM generate_series(1, 200) i`,
		`UPDATE items SET name = 'changed', price = NULL WHERE id % 10 = 0`,
		`DELETE FROM items WHERE id % 7 = 0`)
	const q = `SELECT id, name, price, tags, doc, at FROM items ORDER BY id`
	want := pgRows(t, src, q)
	h.waitFor("the follower to catch up", func() bool { return equalRows(pgRows(t, dst, q), want) })

	h.stop()
	testpg.Exec(t, src, `INSERT INTO items VALUES (1000, 'while stopped', 1, NULL, NULL, NULL)`, `DELETE FROM items WHERE id < 50`)
	h.start()
	want = pgRows(t, src, q)
	h.waitFor("the follower to catch up after a restart", func() bool { return equalRows(pgRows(t, dst, q), want) })
	if offs := pgRows(t, dst, `SELECT count(*) FROM dovetail_offsets`); len(offs) != 1 || offs[0] == "0" {
		t.Errorf("stored offsets: %v", offs)
	}
}

func equalRows(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// TestVerify runs a Postgres source and sink, then `Verify`: equal after catching up
// while writes continue; after the follower is damaged, the damaged rows are reported.
func TestVerify(t *testing.T) {
	t.Parallel()
	src, dst := testpg.NewDB(t), testpg.NewDB(t)
	testpg.Exec(t, src, `CREATE TABLE accounts (id int PRIMARY KEY, balance numeric(12,2), note text)`,
		`INSERT INTO accounts SELECT i, i * 10, 'n' || i FROM generate_series(1, 500) i`)
	h := newHarness(t, src, []string{"public.accounts"}, "")
	h.addSink("replica", "postgres", dst)
	h.start()
	testpg.Exec(t, src, `UPDATE accounts SET balance = balance + 1 WHERE id <= 100`)
	// The rows inserted before the start reach the follower by the initial snapshot.

	ctx := context.Background()
	var out strings.Builder
	opts := pipelines.VerifyOptions{Wait: time.Minute, Rechecks: 2, Brokers: h.brokers}
	equal, err := pipelines.Verify(ctx, h.cfg, opts, &out, slog.New(slog.DiscardHandler))
	if err != nil || !equal {
		t.Fatalf("verify: equal %v, err %v\n%s", equal, err, out.String())
	}
	if !strings.Contains(out.String(), "OK        public.accounts -> accounts: 500 rows compared, 0 missing, 0 extra, 0 different") {
		t.Errorf("report:\n%s", out.String())
	}

	testpg.Exec(t, dst, `DELETE FROM accounts WHERE id = 7`, `UPDATE accounts SET note = 'tampered' WHERE id = 300`,
		`INSERT INTO accounts VALUES (9999, 0, 'extra')`)
	out.Reset()
	opts.Rechecks = 0
	equal, err = pipelines.Verify(ctx, h.cfg, opts, &out, slog.New(slog.DiscardHandler))
	if err != nil || equal {
		t.Fatalf("verify of a damaged follower: equal %v, err %v\n%s", equal, err, out.String())
	}
	for _, want := range []string{"1 missing, 1 extra, 1 different", "missing 7\n", "different 300 [note]", "extra 9999"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestSinkPgbench replays pgbench's TPC-B transactions (4 clients) from a Postgres source
// onto a Postgres follower; afterwards Verify reports zero differences in every table,
// the keyless pgbench_history included.
func TestSinkPgbench(t *testing.T) {
	t.Parallel()
	src, dst := testpg.NewDB(t), testpg.NewDB(t)
	// Tables and keys first (the pipeline has no snapshot yet: rows must be written after
	// it starts), then a small scale-1 data set.
	testpg.Pgbench(t, src, "-i", "-I", "dtp", "-q")
	h := newHarness(t, src, []string{"public.pgbench_*"}, "")
	h.addSink("replica", "postgres", dst, "batch_size: 500", "parallelism: 3")
	h.start()
	testpg.Exec(t, src,
		`INSERT INTO pgbench_branches VALUES (1, 0, '')`,
		`INSERT INTO pgbench_tellers SELECT i, 1, 0, '' FROM generate_series(1, 10) i`,
		`INSERT INTO pgbench_accounts SELECT i, 1, 0, '' FROM generate_series(1, 5000) i`)
	testpg.Pgbench(t, src, "-n", "-c", "4", "-j", "2", "-t", "150")

	out, equal := h.verify(pipelines.VerifyOptions{Rechecks: 2})
	if !equal {
		t.Fatalf("verify: the follower differs\n%s", out)
	}
	for _, table := range []string{"pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history"} {
		if !strings.Contains(out, "OK        public."+table+" -> "+table) {
			t.Errorf("%s not compared equal:\n%s", table, out)
		}
	}
	if n := pgRows(t, dst, `SELECT count(*) FROM pgbench_history`); len(n) != 1 || n[0] != "600" {
		t.Errorf("follower history rows %v, want 600", n)
	}
	t.Logf("verify:\n%s", out)
}

// TestSinkTargetOutage stops the follower's server while changes keep coming: the sink
// retries with backoff and, once the server is back, catches up with nothing lost.
func TestSinkTargetOutage(t *testing.T) {
	t.Parallel()
	src := testpg.NewDB(t)
	follower := testpg.New(t)
	dst := follower.NewDB(t)
	testpg.Exec(t, src, `CREATE TABLE items (id int PRIMARY KEY, v int)`)
	h := newHarness(t, src, []string{"public.items"}, "")
	h.addSink("replica", "postgres", dst, "batch_size: 20")
	h.start()
	testpg.Exec(t, src, `INSERT INTO items SELECT i, 0 FROM generate_series(1, 100) i`)
	const q = `SELECT id, v FROM items ORDER BY id`
	h.waitFor("the first rows", func() bool { return len(pgRows(t, dst, q)) == 100 })

	follower.Down(t)
	testpg.Exec(t, src, `UPDATE items SET v = v + 1`, `INSERT INTO items SELECT i, 1 FROM generate_series(101, 300) i`,
		`DELETE FROM items WHERE id % 3 = 0`)
	retries := func() float64 { return metricValue(t, h, "dovetail_sink_retries_total") }
	h.waitFor("the sink to retry", func() bool { return retries() > 0 })
	follower.Up(t)
	want := pgRows(t, src, q)
	h.waitFor("the follower to catch up after the outage", func() bool { return equalRows(pgRows(t, dst, q), want) })
}

// metricValue sums a counter of the worker's registry.
func metricValue(t *testing.T, h *harness, name string) float64 {
	t.Helper()
	mfs, err := h.w.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestSinkPoison puts records the sink cannot decode into a change topic (a body that
// does not fit its schema, an unknown schema id). Without a dead-letter topic the sink
// stops, naming the record; with one, they go there with the cause in headers and the
// sink goes on.
func TestSinkPoison(t *testing.T) {
	t.Parallel()
	for _, dlq := range []bool{false, true} {
		t.Run(fmt.Sprintf("dead letters %v", dlq), func(t *testing.T) {
			t.Parallel()
			src, dst := testpg.NewDB(t), testpg.NewDB(t)
			testpg.Exec(t, src, `CREATE TABLE items (id int PRIMARY KEY, v int)`)
			h := newHarness(t, src, []string{"public.items"}, "")
			h.addSink("replica", "postgres", dst)
			if dlq {
				h.sinksYAML += "    dead_letter_topic: " + h.name + ".dlq\n"
			}
			h.start()
			topic := h.name + ".public.items"
			testpg.Exec(t, src, `INSERT INTO items VALUES (1, 1)`)
			first := h.waitRecords(topic, 1)[0]
			// The same schema ids, a body that does not fit; and an id the registry lacks.
			bad := append(append([]byte(nil), first.Value[:5]...), 0xff, 0xff, 0xff)
			w := &kafkago.Writer{Addr: kafkago.TCP(h.brokers...), Balancer: &kafkago.Hash{}, BatchTimeout: time.Millisecond}
			defer w.Close()
			if err := w.WriteMessages(context.Background(),
				kafkago.Message{Topic: topic, Key: first.Key, Value: bad},
				kafkago.Message{Topic: topic, Key: first.Key, Value: []byte{0, 0, 0, 0x7f, 0x7f, 2}}); err != nil {
				t.Fatal(err)
			}
			testpg.Exec(t, src, `INSERT INTO items VALUES (2, 2)`)
			if !dlq {
				select {
				case <-h.done:
				case <-time.After(time.Minute):
					t.Fatal("the sink did not stop on an undecodable record")
				}
				if h.err == nil || !strings.Contains(h.err.Error(), topic+"/") || !strings.Contains(h.err.Error(), "offset") ||
					!strings.Contains(h.err.Error(), "dead_letter_topic") {
					t.Errorf("worker error %v; want the record's topic, partition and offset", h.err)
				}
				h.err = nil
				return
			}
			const q = `SELECT id, v FROM items ORDER BY id`
			h.waitFor("the rows after the bad ones", func() bool { return equalRows(pgRows(t, dst, q), []string{"1|1", "2|2"}) })
			dead := h.waitRecords(h.name+".dlq", 2)
			for _, m := range dead {
				headers := map[string]string{}
				for _, hd := range m.Headers {
					headers[hd.Key] = string(hd.Value)
				}
				if headers["dovetail.topic"] != topic || headers["dovetail.offset"] == "" || headers["dovetail.error"] == "" {
					t.Errorf("dead letter headers %v", headers)
				}
			}
			if n := metricValue(t, h, "dovetail_sink_dead_letters_total"); n != 2 {
				t.Errorf("dead letters counted %v, want 2", n)
			}
		})
	}
}

// TestSinkIncompatibleTarget: a follower table whose column cannot hold the source's
// values stops the sink with the table, the column and the record.
func TestSinkIncompatibleTarget(t *testing.T) {
	t.Parallel()
	src, dst := testpg.NewDB(t), testpg.NewDB(t)
	testpg.Exec(t, src, `CREATE TABLE items (id int PRIMARY KEY, v int)`)
	testpg.Exec(t, dst, `CREATE TABLE items (id int PRIMARY KEY, v date)`)
	h := newHarness(t, src, []string{"public.items"}, "")
	h.addSink("replica", "postgres", dst, "schema_evolution: none")
	h.start()
	testpg.Exec(t, src, `INSERT INTO items VALUES (1, 1)`)
	select {
	case <-h.done:
	case <-time.After(time.Minute):
		t.Fatal("the sink did not stop")
	}
	if h.err == nil || !strings.Contains(h.err.Error(), "items") || !strings.Contains(h.err.Error(), `"v"`) && !strings.Contains(h.err.Error(), " v ") {
		t.Errorf("worker error %v; want the table and column", h.err)
	}
	t.Logf("error: %v", h.err)
	h.err = nil
}
