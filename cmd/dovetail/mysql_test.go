package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/pipelines"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/schema/registry"
	"github.com/dovetail-cdc/dovetail/sources/mysql"
	"github.com/dovetail-cdc/dovetail/sources/snapshot"
)

// The tests of this file run `dovetail run` and `dovetail validate` with MySQL source
// configs against MariaDB: the shared server, or a private one (testmaria.New) where a test
// restarts the server or purges its binlog. The source's own behaviour (decoding,
// positions, reconnects) is tested in sources/mysql and pipelines; here it is the
// process's: what survives kill -9, what it prints, its exit codes and /readyz.

// newMySQLConfig is newPipelineConfig for a MySQL source on dsn's server capturing
// database.table patterns; heartbeat is source.heartbeat_interval.
func newMySQLConfig(t *testing.T, name, dsn string, heartbeat time.Duration, tables ...string) *mysqlConfig {
	return &mysqlConfig{pipelineConfig: newPipelineConfig(t, name, dsn, tables...), heartbeat: heartbeat}
}

type mysqlConfig struct {
	*pipelineConfig
	heartbeat time.Duration
	// snapshot is source.snapshot; "" leaves the default (initial).
	snapshot string
}

// write writes the config to <dataDir>/<name>.yaml (the DSN comes from $TEST_DSN) and
// returns its path.
func (c *mysqlConfig) write(t *testing.T) string {
	t.Helper()
	file := filepath.Join(c.dataDir, c.name+".yaml")
	body := fmt.Sprintf(`name: %s
data_dir: %s
source:
  kind: mysql
  dsn: ${TEST_DSN}
  tables: [%s]
  heartbeat_interval: %s
  snapshot: %s%s
kafka:
  listen: %s
  partitions: 3
  linger: 5ms
schema_registry:
  listen: %s
http:
  listen: %s
`, c.name, filepath.Join(c.dataDir, "state"), strings.Join(c.tables, ", "), c.heartbeat, cmp.Or(c.snapshot, "initial"),
		c.sourceExtra, c.kafka, c.registry, c.httpAddr)
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// dbOf returns the database of a testmaria DSN.
func dbOf(t *testing.T, dsn string) string {
	t.Helper()
	d, err := testmaria.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return d.DB
}

// createItems creates the table items (BIGINT id, as topicIDs reads it) in dsn's database
// and returns "database.items".
func createItems(t *testing.T, dsn string) string {
	t.Helper()
	testmaria.Exec(t, dsn, `CREATE TABLE items (id BIGINT PRIMARY KEY, payload VARCHAR(300))`)
	return dbOf(t, dsn) + ".items"
}

// insertRows inserts the rows from..to into dsn's items, one transaction each, and pauses
// for pause after every tenth row so that what the test does meanwhile lands mid-stream.
// It stops early, without error, when ctx is done. after, when not nil, gives statements
// to run on the same connection after a row (such as FLUSH BINARY LOGS). A lost
// connection (a server restart) is retried for up to a minute; a duplicate key on the
// retry means the row had committed before the connection was lost.
func insertRows(ctx context.Context, dsn string, from, to int64, pause time.Duration, after func(id int64) []string) error {
	d, err := testmaria.ParseDSN(dsn)
	if err != nil {
		return err
	}
	var c *client.Conn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	var last error
	progress := time.Now()
	for id := from; id <= to && ctx.Err() == nil; {
		if time.Since(progress) > time.Minute {
			return fmt.Errorf("insert row %d: no progress for a minute: %w", id, last)
		}
		if c == nil {
			if c, err = client.ConnectWithContext(ctx, d.Addr(), d.User, d.Password, d.DB, 5*time.Second); err != nil {
				c, last = nil, err
				time.Sleep(50 * time.Millisecond) // the server is down: retry the connection
				continue
			}
		}
		_, err := c.Execute(fmt.Sprintf("INSERT INTO items VALUES (%d, REPEAT('x', 200))", id))
		var me *gmysql.MyError
		if err != nil && !(errors.As(err, &me) && me.Code == gmysql.ER_DUP_ENTRY) {
			if errors.As(err, &me) && !retryable(me.Code) {
				return fmt.Errorf("insert row %d: %w", id, err)
			}
			c.Close()
			c, last = nil, err
			continue
		}
		if after != nil {
			for _, q := range after(id) {
				if _, err := c.Execute(q); err != nil {
					return fmt.Errorf("after row %d: %s: %w", id, q, err)
				}
			}
		}
		if id%10 == 0 {
			time.Sleep(pause)
		}
		id++
		progress = time.Now()
	}
	return nil
}

// retryable reports whether a server error means the server is going away, so the
// statement is retried on a new connection.
func retryable(code uint16) bool {
	switch code {
	case gmysql.ER_SERVER_SHUTDOWN, gmysql.ER_QUERY_INTERRUPTED, 1927: // 1927: ER_CONNECTION_KILLED
		return true
	}
	return false
}

// committedIDs returns the ids in dsn's items: the rows that committed.
func committedIDs(t *testing.T, dsn string) map[int64]bool {
	t.Helper()
	d, err := testmaria.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(d.Addr(), d.User, d.Password, d.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Execute("SELECT id FROM items")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ids := map[int64]bool{}
	for i := range r.RowNumber() {
		id, err := r.GetInt(i, 0)
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	return ids
}

// compareIDs fails t for every committed row missing from got and returns how many
// copies beyond the first got holds.
func compareIDs(t *testing.T, committed map[int64]bool, got map[int64]int) (dups int) {
	t.Helper()
	lost := 0
	for id := range committed {
		if got[id] == 0 {
			lost++
			if lost <= 10 {
				t.Errorf("committed row %d never reached kafka", id)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d committed rows lost", lost, len(committed))
	}
	for id, n := range got {
		if !committed[id] {
			t.Errorf("row %d in kafka was never committed", id)
		}
		dups += n - 1
	}
	return dups
}

// topicCount returns how many records topic holds (0 before it exists). It reads only
// the partitions' offsets: cheap enough to poll, where decoding thousands of records with
// topicIDs is not.
func topicCount(t *testing.T, c *pipelineConfig, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A transport of its own: the default one caches metadata, "no such topic" included,
	// for seconds.
	transport := &kafkago.Transport{}
	defer transport.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(c.kafka), Timeout: 10 * time.Second, Transport: transport}
	md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
		return 0
	}
	var reqs []kafkago.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		reqs = append(reqs, kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
	}
	offs, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		return 0
	}
	var n int64
	for _, po := range offs.Topics[topic] {
		if po.Error == nil {
			n += po.LastOffset - po.FirstOffset
		}
	}
	return n
}

// waitAll waits until every committed row is in topic, failing t if w exits meanwhile,
// and returns the topic's ids.
func waitAll(t *testing.T, c *pipelineConfig, w *worker, topic string, committed map[int64]bool) map[int64]int {
	t.Helper()
	var ids map[int64]int
	waitFor(t, fmt.Sprintf("%d committed rows in kafka", len(committed)), 2*time.Minute, func() bool {
		if w.exited() {
			t.Fatalf("worker exited:\n%s", w.stderr)
		}
		if topicCount(t, c, topic) < int64(len(committed)) {
			return false
		}
		ids = topicIDs(t, c, topic)
		for id := range committed {
			if ids[id] == 0 {
				return false
			}
		}
		return true
	})
	return ids
}

// readyCode returns the status of the worker's /readyz, 0 when it does not answer.
func readyCode(c *pipelineConfig) int {
	resp, err := http.Get("http://" + c.httpAddr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// storedPosition returns the last position in the pipeline's offsets topic, if any.
func storedPosition(t *testing.T, c *pipelineConfig) (mysql.Position, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := kafka.ReadAll(ctx, []string{c.kafka}, pipelines.OffsetsTopic(c.name))
	if err != nil || len(msgs) == 0 {
		return mysql.Position{}, false
	}
	text, ok := snapshot.StreamOf(msgs[len(msgs)-1].Value)
	if !ok {
		return mysql.Position{}, false // a snapshot in progress
	}
	p, err := mysql.ParsePosition(string(text))
	if err != nil {
		t.Fatalf("stored position: %v", err)
	}
	return p, true
}

// masterStatus returns the server's current binlog file and offset.
func masterStatus(t *testing.T, dsn string) mysql.Position {
	t.Helper()
	d, err := testmaria.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(d.Addr(), d.User, d.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Execute("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	file, _ := r.GetString(0, 0)
	pos, _ := r.GetUint(0, 1)
	return mysql.Position{File: file, Pos: uint32(pos)}
}

// atOrAfter reports whether binlog position p is at or after q by file and offset (the
// file names of one server sort by their number).
func atOrAfter(p, q mysql.Position) bool {
	if p.File != q.File {
		return p.File > q.File
	}
	return p.Pos >= q.Pos
}

// stderrOf returns what the worker has written to stderr so far; it may still be running.
func stderrOf(w *worker) string {
	lw := w.cmd.Stderr.(*lockedWriter)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.String()
}

// stopClean sends SIGTERM and waits for exit code 0.
func stopClean(t *testing.T, w *worker) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not exit within 30s of SIGTERM")
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("worker exit code after SIGTERM %d, want 0:\n%s", code, w.stderr)
	}
}

// TestMySQLKill9 kills the worker with SIGKILL twice while rows stream in and restarts it:
// every committed row reaches Kafka (the worker resumes from the position stored in
// Kafka); duplicates, the rows after the last stored position, are reported. A clean stop
// and restart then re-sends nothing.
func TestMySQLKill9(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	table := createItems(t, dsn)
	c := newMySQLConfig(t, "mykill9", dsn, time.Second, table)
	file := c.write(t)
	topic := "mykill9." + table

	const total = 3000
	// The worker starts at the server's current position (there is no snapshot): write
	// once it streams.
	first := startWorker(t, dsn, file)
	waitReady(t, c.pipelineConfig, first)
	// Cancelled only when the test ends early: insertRows fails by itself when stuck.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	writerDone := make(chan error, 1)
	go func() { writerDone <- insertRows(ctx, dsn, 1, total, 15*time.Millisecond, nil) }()

	for round := 1; round <= 2; round++ {
		w := first
		if round > 1 {
			w = startWorker(t, dsn, file)
		}
		want := round * total / 3
		waitFor(t, fmt.Sprintf("%d rows in kafka before kill %d", want, round), time.Minute, func() bool {
			if w.exited() {
				t.Fatalf("worker exited early:\n%s", w.stderr)
			}
			return topicCount(t, c.pipelineConfig, topic) >= int64(want)
		})
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-w.done
	}
	if err := <-writerDone; err != nil {
		t.Fatalf("writer: %v", err)
	}
	committed := committedIDs(t, dsn)
	if len(committed) != total {
		t.Fatalf("%d rows committed, want %d", len(committed), total)
	}
	w := startWorker(t, dsn, file)
	ids := waitAll(t, c.pipelineConfig, w, topic, committed)
	dups := compareIDs(t, committed, ids)
	t.Logf("kill -9 twice while streaming %d rows: 0 lost, %d duplicates", total, dups)

	// A clean stop, even mid-stream, drains and stores the last position: the restart
	// re-sends nothing.
	const more = 600
	go func() { writerDone <- insertRows(ctx, dsn, total+1, total+more, 15*time.Millisecond, nil) }()
	before := int64(total + dups)
	waitFor(t, "rows of the second writer in kafka", time.Minute, func() bool {
		return topicCount(t, c.pipelineConfig, topic) >= before+more/3
	})
	stopClean(t, w)
	w = startWorker(t, dsn, file)
	if err := <-writerDone; err != nil {
		t.Fatalf("writer: %v", err)
	}
	waitFor(t, fmt.Sprintf("%d more rows in kafka", more), time.Minute, func() bool {
		if w.exited() {
			t.Fatalf("worker exited:\n%s", w.stderr)
		}
		return topicCount(t, c.pipelineConfig, topic) >= before+more
	})
	ids = topicIDs(t, c.pipelineConfig, topic)
	for id := int64(total + 1); id <= total+more; id++ {
		if ids[id] != 1 {
			t.Errorf("row %d in kafka %d times after a SIGTERM mid-stream and a restart, want once", id, ids[id])
		}
	}
	if n := topicCount(t, c.pipelineConfig, topic); n != before+more {
		t.Errorf("%d records, want %d: a clean stop re-sent rows", n, before+more)
	}
}

// TestMySQLServerRestart stops and starts the MariaDB server (same port and data) while a
// writer goes on: the worker, not restarted, reconnects by itself and loses nothing;
// /readyz answers 503 while the server is down and 200 again once it streams. A worker
// whose server is down stops cleanly on SIGTERM.
func TestMySQLServerRestart(t *testing.T) {
	t.Parallel()
	srv := testmaria.New(t)
	// Not srv.NewDB: its cleanup drops the database, and the test ends with the server
	// stopped. The server is the test's own.
	testmaria.Exec(t, srv.DSN(), "CREATE DATABASE restart")
	dsn := testmaria.WithDatabase(srv.DSN(), "restart")
	table := createItems(t, dsn)
	c := newMySQLConfig(t, "myrestart", dsn, time.Second, table)
	topic := "myrestart." + table
	w := startWorker(t, dsn, c.write(t))
	waitReady(t, c.pipelineConfig, w)

	// The writer goes on until stopped, through the restart.
	ctx, stopWriter := context.WithCancel(context.Background())
	defer stopWriter()
	writerDone := make(chan error, 1)
	go func() { writerDone <- insertRows(ctx, dsn, 1, 1<<40, 20*time.Millisecond, nil) }()
	waitFor(t, "100 rows in kafka before the restart", time.Minute, func() bool {
		return topicCount(t, c.pipelineConfig, topic) >= 100
	})

	// Watch /readyz through the restart.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	sawUnready := make(chan bool, 1)
	go func() {
		unready := false
		for watchCtx.Err() == nil {
			if readyCode(c.pipelineConfig) == http.StatusServiceUnavailable {
				unready = true
			}
			time.Sleep(10 * time.Millisecond) // sampling interval
		}
		sawUnready <- unready
	}()
	srv.Restart(t)
	restarted := int64(len(committedIDs(t, dsn)))
	waitFor(t, "/readyz 200 after the server restart", time.Minute, func() bool {
		if w.exited() {
			t.Fatalf("worker exited on the server restart:\n%s", w.stderr)
		}
		return readyCode(c.pipelineConfig) == http.StatusOK
	})
	stopWatch()
	if !<-sawUnready {
		t.Errorf("/readyz never answered 503 while the server was down")
	}
	waitFor(t, "100 rows written after the restart in kafka", time.Minute, func() bool {
		return topicCount(t, c.pipelineConfig, topic) >= restarted+100
	})
	stopWriter()
	if err := <-writerDone; err != nil {
		t.Fatalf("writer: %v", err)
	}
	committed := committedIDs(t, dsn)
	dups := compareIDs(t, committed, waitAll(t, c.pipelineConfig, w, topic, committed))
	t.Logf("server restart after %d of %d rows: 0 lost, %d duplicates", restarted, len(committed), dups)
	if !strings.Contains(stderrOf(w), "reconnecting") {
		t.Errorf("worker did not log the reconnect:\n%s", stderrOf(w))
	}

	// With the server gone for good, the worker keeps retrying, unready; SIGTERM still
	// stops it cleanly.
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/readyz 503 with the server stopped", time.Minute, func() bool {
		return readyCode(c.pipelineConfig) == http.StatusServiceUnavailable
	})
	stopClean(t, w)
}

// sourceFiles returns how many creates of topic each binlog file (source.file) holds.
func sourceFiles(t *testing.T, c *pipelineConfig, topic string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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
	files := map[string]int{}
	for _, m := range msgs {
		if m.Value == nil {
			continue
		}
		v, _, err := dec.Decode(ctx, m.Value)
		if err != nil {
			t.Fatalf("decode %s@%d: %v", topic, m.Offset, err)
		}
		env := v.(map[string]any)
		if env["op"] != "c" {
			continue
		}
		switch f := env["source"].(map[string]any)["file"].(type) {
		case string:
			files[f]++
		case map[string]any: // a union
			for _, s := range f {
				files[s.(string)]++
			}
		}
	}
	return files
}

// TestMySQLRotation rotates the binlog (FLUSH BINARY LOGS) four times while rows stream:
// every row arrives exactly once, from the file it was written to.
func TestMySQLRotation(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	table := createItems(t, dsn)
	c := newMySQLConfig(t, "myrotate", dsn, time.Second, table)
	topic := "myrotate." + table
	w := startWorker(t, dsn, c.write(t))
	waitReady(t, c.pipelineConfig, w)

	const total = 500
	err := insertRows(context.Background(), dsn, 1, total, 0, func(id int64) []string {
		if id%100 == 0 && id < total {
			return []string{"FLUSH BINARY LOGS"}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("writer: %v", err)
	}
	committed := committedIDs(t, dsn)
	ids := waitAll(t, c.pipelineConfig, w, topic, committed)
	if dups := compareIDs(t, committed, ids); dups != 0 {
		t.Errorf("%d duplicates across binlog rotations, want none", dups)
	}
	// Other tests of the shared server may rotate too: at least five files.
	if files := sourceFiles(t, c.pipelineConfig, topic); len(files) < 5 {
		t.Errorf("rows came from binlog files %v, want 5 or more after four rotations", files)
	}
}

// TestMySQLPurged: the binlog holding the stored position is purged while the worker is
// stopped. The restarted worker must exit at once, non-zero, with one error line naming
// the purged position, and never skip ahead: nothing of the purged rows reaches Kafka.
func TestMySQLPurged(t *testing.T) {
	t.Parallel()
	srv := testmaria.New(t)
	dsn := srv.NewDB(t)
	table := createItems(t, dsn)
	c := newMySQLConfig(t, "mypurged", dsn, 200*time.Millisecond, table)
	file := c.write(t)
	topic := "mypurged." + table
	w := startWorker(t, dsn, file)
	waitReady(t, c.pipelineConfig, w)
	if err := insertRows(context.Background(), dsn, 1, 10, 0, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first rows in kafka", time.Minute, func() bool { return topicCount(t, c.pipelineConfig, topic) == 10 })
	// Heartbeats move the stored position to the end of the binlog; a clean stop keeps it.
	end := masterStatus(t, dsn)
	var stored mysql.Position
	waitFor(t, "the stored position at the end of the binlog", time.Minute, func() bool {
		p, ok := storedPosition(t, c.pipelineConfig)
		stored = p
		return ok && atOrAfter(p, end)
	})
	stopClean(t, w)

	// Rows after the stored position, then a rotation, then purge every file before the
	// new one. The server keeps a file while a binlog reader (the stopped worker's dump
	// thread, which the server ends asynchronously) is in it: purge until it is gone.
	if err := insertRows(context.Background(), dsn, 11, 20, 0, nil); err != nil {
		t.Fatal(err)
	}
	testmaria.Exec(t, dsn, "FLUSH BINARY LOGS")
	cur := masterStatus(t, dsn).File
	waitFor(t, "the binlog purged to "+cur, 30*time.Second, func() bool {
		testmaria.Exec(t, dsn, "PURGE BINARY LOGS TO '"+cur+"'")
		return testmaria.QueryString(t, dsn, "SHOW BINARY LOGS") == cur
	})

	started := time.Now()
	r := dovetail(t, dsn, "run", "-c", file)
	if r.code == 0 {
		t.Fatalf("run with a purged position exited 0:\n%s", r.stderr)
	}
	if d := time.Since(started); d > 30*time.Second {
		t.Errorf("run took %s to fail", d)
	}
	msg := strings.TrimSpace(lastError(r.stderr))
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "purged") || !strings.Contains(msg, stored.String()) {
		t.Errorf("run exit %d; want one error line saying the position %s is purged:\n%s", r.code, stored, r.stderr)
	}
	t.Logf("exit %d after %s: %s", r.code, time.Since(started).Round(time.Millisecond), msg)

	// The failed run wrote nothing for the purged rows: read its broker's data with a
	// pipeline of another name (its own offsets) on the same data dir.
	check := *c.pipelineConfig
	check.name = "mypurgedcheck"
	cc := &mysqlConfig{pipelineConfig: &check, heartbeat: time.Second, snapshot: "never"}
	w = startWorker(t, dsn, cc.write(t))
	waitReady(t, &check, w)
	for id, n := range topicIDs(t, &check, topic) {
		if id > 10 || n != 1 {
			t.Errorf("row %d in kafka %d times, want rows 1-10 once", id, n)
		}
	}
}

// TestMySQLValidate runs `dovetail validate` on MySQL configs: exit 0 for the test server's
// root and for a user with exactly the documented privileges; for a user lacking some,
// each missing privilege is printed with the GRANT that fixes it and the exit code is 1;
// a server logging statements, not rows, gets the fix for binlog_format.
func TestMySQLValidate(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	table := createItems(t, dsn)
	db := testmaria.QuoteIdent(dbOf(t, dsn))
	const (
		replSlave  = "REPLICATION SLAVE ON *.*"
		binlogMon  = "BINLOG MONITOR ON *.*" // MariaDB 10.5+'s name of REPLICATION CLIENT
		fixSlave   = "GRANT REPLICATION SLAVE ON *.* TO"
		fixMonitor = "GRANT BINLOG MONITOR ON *.* TO"
	)
	selectOn := "SELECT ON " + db + ".*"
	fixSelect := "GRANT SELECT ON " + db + ".`items` TO"
	cases := []struct {
		name   string
		grants []string // nil: root
		fixes  []string // none: validate passes
	}{
		{"root", nil, nil},
		{"all needed", []string{replSlave, binlogMon, selectOn}, nil},
		{"replication client, the old name", []string{"REPLICATION SLAVE, REPLICATION CLIENT ON *.*", selectOn}, nil},
		{"no replication slave", []string{binlogMon, selectOn}, []string{fixSlave}},
		{"no binlog monitor", []string{replSlave, selectOn}, []string{fixMonitor}},
		{"no select", []string{"REPLICATION SLAVE, BINLOG MONITOR ON *.*"}, []string{fixSelect}},
		{"nothing", []string{"USAGE ON *.*"}, []string{fixSlave, fixMonitor, fixSelect}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			user := dsn
			if tc.grants != nil {
				user = testmaria.NewUser(t, dsn, tc.grants...)
			}
			c := newMySQLConfig(t, "myvalidate", user, time.Second, table)
			r := dovetail(t, user, "validate", "-c", c.write(t))
			if len(tc.fixes) == 0 {
				if r.code != 0 || !strings.Contains(r.stdout, "pipeline myvalidate can run") {
					t.Errorf("validate exit %d, want 0 and the pipeline can run:\n%s%s", r.code, r.stdout, r.stderr)
				}
				return
			}
			if r.code != 1 {
				t.Errorf("validate exit %d, want 1:\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, fix := range tc.fixes {
				if !strings.Contains(r.stdout, "fix: "+fix) {
					t.Errorf("validate does not print the fix %q:\n%s", fix, r.stdout)
				}
			}
			if n := strings.Count(r.stdout, "fix: "); n != len(tc.fixes) {
				t.Errorf("validate printed %d fixes, want %d:\n%s", n, len(tc.fixes), r.stdout)
			}
			if strings.Contains(r.stdout+r.stderr, "pw_") {
				t.Errorf("validate shows the password:\n%s%s", r.stdout, r.stderr)
			}
		})
	}

	t.Run("binlog_format STATEMENT", func(t *testing.T) {
		t.Parallel()
		srv := testmaria.NewWith(t, testmaria.Options{Args: []string{"--binlog-format=STATEMENT"}})
		dsn := srv.NewDB(t)
		table := createItems(t, dsn)
		c := newMySQLConfig(t, "mystatement", dsn, time.Second, table)
		r := dovetail(t, dsn, "validate", "-c", c.write(t))
		if r.code != 1 || !strings.Contains(r.stdout, "binlog_format is STATEMENT") ||
			!strings.Contains(r.stdout, "fix: SET GLOBAL binlog_format = 'ROW'") {
			t.Errorf("validate exit %d, want 1 and the fix for binlog_format:\n%s%s", r.code, r.stdout, r.stderr)
		}
		r = dovetail(t, dsn, "run", "-c", c.write(t))
		msg := strings.TrimSpace(lastError(r.stderr))
		if r.code != 1 || strings.Contains(msg, "\n") || !strings.Contains(msg, "binlog_format is STATEMENT") {
			t.Errorf("run exit %d, want 1 with one error line naming binlog_format:\n%s", r.code, r.stderr)
		}
	})
}

// TestMySQLHeartbeats: while the captured table is idle and another table of the server
// is written, the heartbeat topic ticks and the position stored in the offsets topic
// moves past what was written.
func TestMySQLHeartbeats(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	table := createItems(t, dsn)
	testmaria.Exec(t, dsn, `CREATE TABLE other (id BIGINT PRIMARY KEY, pad VARCHAR(300))`)
	c := newMySQLConfig(t, "myheartbeat", dsn, 200*time.Millisecond, table)
	w := startWorker(t, dsn, c.write(t))
	waitReady(t, c.pipelineConfig, w)

	var first mysql.Position
	waitFor(t, "a stored position", time.Minute, func() bool {
		p, ok := storedPosition(t, c.pipelineConfig)
		first = p
		return ok
	})
	for i := range 5 {
		testmaria.Exec(t, dsn, fmt.Sprintf(`INSERT INTO other SELECT seq, REPEAT('x', 200) FROM seq_%d_to_%d`, i*1000+1, (i+1)*1000))
	}
	written := masterStatus(t, dsn)
	waitFor(t, fmt.Sprintf("the stored position (%s at first) to pass %s", first, written), time.Minute, func() bool {
		p, _ := storedPosition(t, c.pipelineConfig)
		return atOrAfter(p, written)
	})

	heartbeats := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		msgs, _ := kafka.ReadAll(ctx, []string{c.kafka}, schema.HeartbeatTopic("myheartbeat"))
		return len(msgs)
	}
	n := heartbeats()
	waitFor(t, "the heartbeat topic to tick twice more", time.Minute, func() bool { return heartbeats() >= n+2 })
	if ids := topicIDs(t, c.pipelineConfig, "myheartbeat."+table); len(ids) != 0 {
		t.Errorf("%d rows of the idle captured table in kafka", len(ids))
	}
}
