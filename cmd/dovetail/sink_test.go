package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/schema/registry"
)

// sinkConfig writes c's config with a Postgres sink into follower dst.
func sinkConfig(t *testing.T, c *pipelineConfig, dst string) string {
	t.Helper()
	file := c.write(t)
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	body = append(body, fmt.Sprintf(`sinks:
  - name: replica
    kind: postgres
    dsn: %q
    batch_size: 50
    linger: 20ms
    parallelism: 3
  - name: warehouse
    kind: duckdb
    dsn: %q
    history: true
    batch_size: 40
    linger: 20ms
    parallelism: 2
`, dst, filepath.Join(c.dataDir, "warehouse.duckdb"))...)
	file = filepath.Join(c.dataDir, "pipeline-sinks.yaml")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// pgCount returns the result of a count query on dsn, or -1 when it fails.
func pgCount(dsn, query string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return -1
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, query).Scan(&n); err != nil {
		return -1
	}
	return n
}

// TestSinkKill9 runs the source and the sink in two workers (--role source, --role
// sinks) and kills the sink worker with SIGKILL three times, each time after it applied
// more, while a writer inserts, updates and deletes; after the last restart `dovetail verify` finds the follower equal
// to the source.
func TestSinkKill9(t *testing.T) {
	t.Parallel()
	src, dst := testpg.NewDB(t), testpg.NewDB(t)
	testpg.Exec(t, src, `CREATE TABLE items (id int PRIMARY KEY, v int, note text)`)
	c := newPipelineConfig(t, "sinkkill", src, "public.items")
	file := sinkConfig(t, c, dst)
	env := []string{"TEST_DSN=" + src}
	source := startWorkerWith(t, env, "-c", file, "--role", "source")
	waitReady(t, c, source)

	// The writer: single-statement transactions of all three kinds until stopped, at
	// least 600.
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, src)
		if err != nil {
			done <- err
			return
		}
		defer conn.Close(ctx)
		for i := 1; ; i++ {
			if i > 600 {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
			}
			q := `INSERT INTO items VALUES ($1, 0, 'n')`
			args := []any{i}
			switch {
			case i%5 == 0:
				q, args = `UPDATE items SET v = v + 1, note = $1 WHERE id = $2`, []any{fmt.Sprint("u", i), i / 2}
			case i%11 == 0:
				q, args = `DELETE FROM items WHERE id = $1`, []any{i - 3}
			}
			if _, err := conn.Exec(ctx, q, args...); err != nil {
				done <- err
				return
			}
			time.Sleep(time.Millisecond) // a steady trickle, not a flood: the kills take seconds
		}
	}()

	applied := func() int64 { return pgCount(dst, `SELECT coalesce(sum("offset"), 0) FROM dovetail_offsets`) }
	for kill := 1; kill <= 3; kill++ {
		before := applied()
		sink := startWorkerWith(t, env, "-c", file, "--role", "sinks", "--http-listen", "")
		waitFor(t, fmt.Sprintf("the sink to apply more (kill %d)", kill), time.Minute, func() bool {
			if sink.exited() {
				t.Fatalf("sink worker exited:\n%s", sink.stderr)
			}
			select {
			case err := <-done:
				t.Fatalf("writer stopped: %v", err)
			default:
			}
			return applied() > before+50
		})
		if err := sink.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-sink.done
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
	sink := startWorkerWith(t, env, "-c", file, "--role", "sinks", "--http-listen", "")
	r := dovetail(t, src, "verify", "-c", file, "--sink", "replica", "--wait", "90s")
	if r.code != 0 || !strings.Contains(r.stdout, "OK        public.items -> items") {
		t.Fatalf("verify: exit %d\n%s\n%s\nsink worker:\n%s", r.code, r.stdout, r.stderr, sink.stderr)
	}
	t.Logf("verify after 3 kills:\n%s", r.stdout)

	// DuckDB: the same rows as the follower, and every change record in its history
	// exactly once. The file is the sink worker's until it stops.
	changes := countCreates(t, c, c.name+".public.items")
	waitFor(t, "the DuckDB sink to catch up", time.Minute, func() bool {
		return groupCaughtUp(t, c.kafka, "dovetail-sinkkill-warehouse", c.name+".public.items")
	})
	if err := sink.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-sink.done
	db, err := sql.Open("duckdb", filepath.Join(c.dataDir, "warehouse.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, distinct, creates int64
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT (kafka_topic, kafka_partition, kafka_offset)), count(*) FILTER (WHERE op = 'c') FROM items_history`).Scan(&rows, &distinct, &creates); err != nil {
		t.Fatal(err)
	}
	if rows != distinct || creates != int64(changes) {
		t.Errorf("DuckDB history: %d rows, %d distinct Kafka records, %d creates; want every record once and %d creates", rows, distinct, creates, changes)
	}
	var pgSum, duckSum int64
	pgSum = pgCount(dst, `SELECT coalesce(sum(id * 7 + v), 0) FROM items`)
	if err := db.QueryRow(`SELECT coalesce(sum(id * 7 + v), 0) FROM items`).Scan(&duckSum); err != nil {
		t.Fatal(err)
	}
	if pgSum != duckSum {
		t.Errorf("DuckDB items checksum %d, Postgres follower %d", duckSum, pgSum)
	}
	t.Logf("DuckDB history: %d rows for %d creates", rows, changes)
}

// groupCaughtUp reports whether consumer group has committed the end offset of every
// partition of topic: the lag monitoring a user would look at.
func groupCaughtUp(t *testing.T, broker, group, topic string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(broker), Transport: &kafkago.Transport{}}
	defer client.Transport.(*kafkago.Transport).CloseIdleConnections()
	ends, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{
		topic: {kafkago.LastOffsetOf(0), kafkago.LastOffsetOf(1), kafkago.LastOffsetOf(2)}}})
	if err != nil {
		return false
	}
	committed, err := client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1, 2}}})
	if err != nil {
		return false
	}
	have := map[int]int64{}
	for _, p := range committed.Topics[topic] {
		have[p.Partition] = p.CommittedOffset
	}
	for _, p := range ends.Topics[topic] {
		if p.LastOffset > 0 && have[p.Partition] < p.LastOffset {
			return false
		}
	}
	return true
}

// countCreates returns how many create records topic holds.
func countCreates(t *testing.T, c *pipelineConfig, topic string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	msgs, err := kafka.ReadAll(ctx, []string{c.kafka}, topic)
	if err != nil {
		t.Fatal(err)
	}
	client, err := registry.NewClient("http://"+c.registry, nil)
	if err != nil {
		t.Fatal(err)
	}
	dec := schema.NewDecoder(client)
	n := 0
	for _, m := range msgs {
		rec, err := dec.Change(ctx, m.Key, m.Value)
		if err != nil {
			t.Fatalf("decode %s@%d: %v", topic, m.Offset, err)
		}
		if rec.Kind == schema.RecordChange && rec.Change.Op == "c" {
			n++
		}
	}
	return n
}
