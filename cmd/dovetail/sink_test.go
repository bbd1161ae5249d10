package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/testpg"
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
`, dst)...)
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
	r := dovetail(t, src, "verify", "-c", file, "--wait", "90s")
	if r.code != 0 || !strings.Contains(r.stdout, "OK        public.items -> items") {
		t.Fatalf("verify: exit %d\n%s\n%s\nsink worker:\n%s", r.code, r.stdout, r.stderr, sink.stderr)
	}
	t.Logf("verify after 3 kills:\n%s", r.stdout)
}
