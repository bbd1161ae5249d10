package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/schema/registry"
)

const (
	killRows      = 50000
	killChunkRows = 500
	killReaders   = 2
)

// snapshotSetup is one engine's side of the snapshot command tests.
type snapshotSetup struct {
	dsn, topic string
	exec       func(t *testing.T, stmts ...string)
	cfg        *pipelineConfig
	file       string
}

func newSnapshotSetup(t *testing.T, kind, name string, dst string) *snapshotSetup {
	t.Helper()
	s := &snapshotSetup{}
	extra := fmt.Sprintf("\n  snapshot_parallelism: %d\n  snapshot_chunk_rows: %d", killReaders, killChunkRows)
	switch kind {
	case "postgres":
		s.dsn = testpg.NewDB(t)
		s.exec = func(t *testing.T, stmts ...string) { testpg.Exec(t, s.dsn, stmts...) }
		s.exec(t, `CREATE TABLE items (id bigint PRIMARY KEY, v int, payload text)`,
			fmt.Sprintf(`INSERT INTO items SELECT i, i, repeat('x', 100) FROM generate_series(1, %d) i`, killRows))
		s.cfg = newPipelineConfig(t, name, s.dsn, "public.items")
		s.cfg.sourceExtra = extra
		s.file = s.cfg.write(t)
		s.topic = name + ".public.items"
	case "mysql":
		s.dsn = testmaria.NewDB(t)
		s.exec = func(t *testing.T, stmts ...string) { testmaria.Exec(t, s.dsn, stmts...) }
		stmts := []string{`CREATE TABLE items (id bigint PRIMARY KEY, v int, payload text)`}
		for i := 1; i <= killRows; i += 2000 {
			var vals []string
			for j := i; j < i+2000 && j <= killRows; j++ {
				vals = append(vals, fmt.Sprintf("(%d, %d, REPEAT('x', 100))", j, j))
			}
			stmts = append(stmts, "INSERT INTO items VALUES "+strings.Join(vals, ", "))
		}
		s.exec(t, stmts...)
		mc := &mysqlConfig{pipelineConfig: newPipelineConfig(t, name, s.dsn, dbOf(t, s.dsn)+".items"), heartbeat: time.Second}
		mc.sourceExtra = extra
		s.cfg = mc.pipelineConfig
		s.file = mc.write(t)
		s.topic = name + "." + dbOf(t, s.dsn) + ".items"
	}
	body, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	body = append(body, fmt.Sprintf("sinks:\n  - name: replica\n    kind: postgres\n    dsn: %q\n    batch_size: 2000\n    linger: 20ms\n", dst)...)
	if err := os.WriteFile(s.file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

var chunksDoneRE = regexp.MustCompile(`chunks_done=(\d+)`)
var chunksRE = regexp.MustCompile(`msg="snapshot started".* chunks=(\d+)`)

// snapshotUntil runs `dovetail snapshot` and kills it with SIGKILL once its log says
// it finished chunk `at` or later. It returns the number of chunks the first started
// line announced (0 if none), and whether the snapshot finished anyway: on a loaded
// machine the last chunks can be done before the kill lands.
func (s *snapshotSetup) snapshotUntil(t *testing.T, at int) (int, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), "--log-level", "debug", "snapshot", "-c", s.file)
	cmd.Env = append(os.Environ(), "TEST_DSN="+s.dsn)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	total, killed := 0, false
	var log strings.Builder
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if m := chunksRE.FindStringSubmatch(line); m != nil && total == 0 {
			total, _ = strconv.Atoi(m[1])
		}
		if m := chunksDoneRE.FindStringSubmatch(line); m != nil && !killed {
			if n, _ := strconv.Atoi(m[1]); n >= at {
				_ = cmd.Process.Kill()
				killed = true
			}
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("the snapshot ended before chunk %d:\n%s", at, log.String())
	}
	return total, strings.Contains(log.String(), `msg="snapshot done"`)
}

// records reads the topic and counts each id's snapshot (op r) and other records.
func (s *snapshotSetup) records(t *testing.T) (reads map[int64]int, changes int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	msgs, err := kafka.ReadAll(ctx, []string{s.cfg.kafka}, s.topic)
	if err != nil {
		t.Fatalf("read %s: %v", s.topic, err)
	}
	client, err := registry.NewClient("http://"+s.cfg.registry, nil)
	if err != nil {
		t.Fatal(err)
	}
	dec := schema.NewDecoder(client)
	reads = map[int64]int{}
	for _, m := range msgs {
		if m.Value == nil {
			continue
		}
		v, _, err := dec.Decode(ctx, m.Value)
		if err != nil {
			t.Fatalf("decode %s@%d: %v", s.topic, m.Offset, err)
		}
		env := v.(map[string]any)
		if env["op"] != "r" {
			changes++
			continue
		}
		for _, row := range env["after"].(map[string]any) {
			reads[row.(map[string]any)["id"].(int64)]++
		}
	}
	return reads, changes
}

// TestSnapshotKill9: `dovetail snapshot` is killed with SIGKILL at 10%, 50% and 90% of
// its chunks; each rerun continues it, and the last one finishes and exits 0. Every row
// is in Kafka, re-sent at most for the chunks in flight at each kill. Rows written
// after the snapshot then stream with `dovetail run` (no gap, no overlap), and `dovetail
// verify` finds the follower equal to the source.
func TestSnapshotKill9(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"postgres", "mysql"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dst := testpg.NewDB(t)
			s := newSnapshotSetup(t, kind, "snapkill"+kind[:2], dst)
			total, finished := 0, false
			for _, pct := range []int{10, 50, 90} {
				if finished {
					t.Fatalf("the snapshot finished before the kill at %d%%", pct)
				}
				at := max(1, killRows/killChunkRows*pct/100)
				n, done := s.snapshotUntil(t, at)
				if total == 0 {
					total = n
				}
				finished = done
			}
			r := dovetail(t, s.dsn, "snapshot", "-c", s.file)
			switch {
			case finished:
				// The run killed at 90% finished its last chunks first: a rerun has
				// nothing left (the 10% and 50% reruns did continue).
				t.Logf("the snapshot finished before the kill at 90%%")
				if r.code != 0 || !strings.Contains(r.stderr, "the snapshot is done; nothing to do") {
					t.Fatalf("the snapshot after a finished one: exit %d\n%s", r.code, r.stderr)
				}
			case r.code != 0 || !strings.Contains(r.stderr, "continuing the snapshot") || !strings.Contains(r.stderr, "snapshot done"):
				t.Fatalf("the last snapshot run: exit %d\n%s", r.code, r.stderr)
			}
			// Changes after the snapshot, before streaming starts: they must stream.
			s.exec(t, fmt.Sprintf("INSERT INTO items VALUES (%d, 0, 'after')", killRows+1),
				"UPDATE items SET v = -v WHERE id <= 10", "DELETE FROM items WHERE id = 20")
			w := startWorker(t, s.dsn, s.file)
			waitReady(t, s.cfg, w)
			s.exec(t, fmt.Sprintf("INSERT INTO items VALUES (%d, 0, 'running')", killRows+2))

			var reads map[int64]int
			var changes int
			waitFor(t, "the changes after the snapshot in kafka", time.Minute, func() bool {
				reads, changes = s.records(t)
				return changes >= 13 // 2 inserts, 10 updates, 1 delete (its tombstone has no value)
			})
			resent := 0
			for id := int64(1); id <= killRows; id++ {
				if reads[id] == 0 {
					t.Fatalf("row %d has no snapshot record", id)
				}
				resent += reads[id] - 1
			}
			for id, n := range reads {
				if id < 1 || id > killRows {
					t.Errorf("id %d has %d snapshot records; it was inserted after the snapshot", id, n)
				}
			}
			if changes != 13 {
				t.Errorf("%d change records after the snapshot, want 13 (the snapshot's position is where streaming starts)", changes)
			}
			// Each kill may re-send the chunks in flight (one per reader) and those whose
			// checkpoint was on its way to Kafka.
			if limit := 3 * (killReaders + 2) * killChunkRows; resent > limit {
				t.Errorf("%d snapshot rows re-sent after 3 kills, want at most %d", resent, limit)
			}
			t.Logf("%s: %d chunks, %d snapshot rows re-sent after 3 kills (chunk %d rows, %d readers)", kind, total, resent, killChunkRows, killReaders)
			v := dovetail(t, s.dsn, "verify", "-c", s.file, "--wait", "2m")
			if v.code != 0 {
				t.Fatalf("verify exit %d:\n%s\n%s", v.code, v.stdout, v.stderr)
			}
		})
	}
}

// TestSnapshotWhenNeeded: the stored position is gone from the server while the worker
// is stopped (MariaDB: its binlog purged; Postgres: the slot dropped). With snapshot:
// initial the next run exits at once with one error line saying so; with when_needed it
// snapshots again and streams on, and verify finds the follower equal to the source.
func TestSnapshotWhenNeeded(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"postgres", "mysql"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dst := testpg.NewDB(t)
			var dsn string
			var exec func(stmts ...string)
			var c *pipelineConfig
			var write func(mode string) string
			switch kind {
			case "postgres":
				dsn = testpg.NewDB(t)
				exec = func(stmts ...string) { testpg.Exec(t, dsn, stmts...) }
				c = newPipelineConfig(t, "whenneededpg", dsn, "public.items")
				write = func(mode string) string {
					c.sourceExtra = "\n  snapshot: " + mode
					return c.write(t)
				}
			case "mysql":
				srv := testmaria.New(t) // purging the binlog must not disturb other tests
				dsn = srv.NewDB(t)
				exec = func(stmts ...string) { testmaria.Exec(t, dsn, stmts...) }
				mc := &mysqlConfig{pipelineConfig: newPipelineConfig(t, "whenneededmy", dsn, dbOf(t, dsn)+".items"), heartbeat: 200 * time.Millisecond}
				c = mc.pipelineConfig
				write = func(mode string) string {
					mc.snapshot = mode
					return mc.write(t)
				}
			}
			withSink := func(file string) string {
				body, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				body = append(body, fmt.Sprintf("sinks:\n  - name: replica\n    kind: postgres\n    dsn: %q\n", dst)...)
				if err := os.WriteFile(file, body, 0o600); err != nil {
					t.Fatal(err)
				}
				return file
			}
			exec(`CREATE TABLE items (id int PRIMARY KEY, v int)`, `INSERT INTO items VALUES (1, 1), (2, 2), (3, 3)`)
			file := withSink(write("initial"))
			w := startWorker(t, dsn, file)
			waitReady(t, c, w)
			exec(`INSERT INTO items VALUES (4, 4)`, `UPDATE items SET v = 20 WHERE id = 2`)
			if r := dovetail(t, dsn, "verify", "-c", file, "--wait", "1m"); r.code != 0 {
				t.Fatalf("verify before the loss: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			stopClean(t, w)

			// Changes while stopped, then the position goes. (A row deleted meanwhile
			// would stay on the follower: a snapshot has no deletes; see README.)
			exec(`INSERT INTO items VALUES (5, 5)`, `UPDATE items SET v = 30 WHERE id = 3`)
			switch kind {
			case "postgres":
				exec(`SELECT pg_drop_replication_slot('dovetail_whenneededpg')`)
			case "mysql":
				exec("FLUSH BINARY LOGS")
				cur := masterStatus(t, dsn).File
				waitFor(t, "the binlog purged to "+cur, 30*time.Second, func() bool {
					exec("PURGE BINARY LOGS TO '" + cur + "'")
					return testmaria.QueryString(t, dsn, "SHOW BINARY LOGS") == cur
				})
			}
			r := dovetail(t, dsn, "run", "-c", file)
			msg := strings.TrimSpace(lastError(r.stderr))
			if r.code == 0 || strings.Contains(msg, "\n") || !strings.Contains(msg, "no longer on the server") || !strings.Contains(msg, "when_needed") {
				t.Fatalf("run with snapshot: initial and the position gone: exit %d; want one error line naming when_needed:\n%s", r.code, r.stderr)
			}
			t.Logf("initial: exit %d: %s", r.code, msg)

			file = withSink(write("when_needed"))
			w = startWorker(t, dsn, file)
			waitReady(t, c, w)
			exec(`INSERT INTO items VALUES (6, 6)`, `DELETE FROM items WHERE id = 1`)
			if r := dovetail(t, dsn, "verify", "-c", file, "--wait", "1m"); r.code != 0 {
				t.Fatalf("verify after the re-snapshot: exit %d\n%s\n%s\nworker:\n%s", r.code, r.stdout, r.stderr, workerLog(w))
			}
			resp, err := http.Get("http://" + c.httpAddr + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// Rows 2, 3, 4 and 5 (and 1, deleted only afterwards) were copied again.
			want := fmt.Sprintf("dovetail_snapshot_rows_total{pipeline=%q} 5", c.name)
			if !strings.Contains(string(metrics), want) {
				t.Errorf("/metrics lacks %s:\n%s", want, grepLines(string(metrics), "dovetail_snapshot"))
			}
			if log := workerLog(w); !strings.Contains(log, "snapshotting again") {
				t.Errorf("the when_needed worker did not say it snapshots again:\n%s", log)
			}
		})
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// workerLog returns what a running worker logged so far.
func workerLog(w *worker) string {
	lw := w.cmd.Stderr.(*lockedWriter)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.String()
}

// TestSnapshotThenDDL (MariaDB): after `dovetail snapshot`, a row is written with the
// table's old shape, then the table is altered, then `dovetail run` streams from the
// snapshot's position. The schema history starts with the shape the snapshot read, so
// the stream decodes the first row with it and the ALTER from the binlog changes it:
// both rows arrive with their own columns, and the worker does not fall back to
// today's schema (with a warning) for the position.
func TestSnapshotThenDDL(t *testing.T) {
	t.Parallel()
	s := newSnapshotSetup(t, "mysql", "snapddl", testpg.NewDB(t))
	// No follower: this test is about the source's schema at the snapshot position.
	body, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.file, body[:strings.Index(string(body), "sinks:")], 0o600); err != nil {
		t.Fatal(err)
	}
	if r := dovetail(t, s.dsn, "snapshot", "-c", s.file); r.code != 0 {
		t.Fatalf("snapshot: exit %d\n%s", r.code, r.stderr)
	}
	s.exec(t, fmt.Sprintf("INSERT INTO items VALUES (%d, 1, 'old shape')", killRows+1),
		"ALTER TABLE items ADD COLUMN extra int NOT NULL DEFAULT 7",
		fmt.Sprintf("INSERT INTO items VALUES (%d, 2, 'new shape', 8)", killRows+2))
	w := startWorker(t, s.dsn, s.file)
	waitReady(t, s.cfg, w)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := registry.NewClient("http://"+s.cfg.registry, nil)
	if err != nil {
		t.Fatal(err)
	}
	dec := schema.NewDecoder(client)
	got := map[int64]map[string]any{}
	waitFor(t, "both rows written after the snapshot in kafka", time.Minute, func() bool {
		if w.exited() {
			t.Fatalf("worker exited:\n%s", workerLog(w))
		}
		msgs, err := kafka.ReadAll(ctx, []string{s.cfg.kafka}, s.topic)
		if err != nil {
			t.Fatalf("read %s: %v", s.topic, err)
		}
		for _, m := range msgs {
			v, _, err := dec.Decode(ctx, m.Value)
			if err != nil {
				t.Fatalf("decode %s@%d: %v", s.topic, m.Offset, err)
			}
			env := v.(map[string]any)
			if env["op"] == "r" {
				continue
			}
			for _, row := range env["after"].(map[string]any) {
				r := row.(map[string]any)
				got[r["id"].(int64)] = r
			}
		}
		return len(got) == 2
	})
	old, cur := got[killRows+1], got[killRows+2]
	if fmt.Sprint(old["payload"]) != "map[string:old shape]" || old["extra"] != nil {
		t.Errorf("row written before the ALTER: %v", old)
	}
	if fmt.Sprint(cur["payload"]) != "map[string:new shape]" || fmt.Sprint(cur["extra"]) != "8" {
		t.Errorf("row written after the ALTER: %v", cur)
	}
	if strings.Contains(workerLog(w), "no schema history") {
		t.Errorf("the worker found no schema history at the snapshot's position:\n%s", workerLog(w))
	}
	stopClean(t, w)
}
