package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testnet"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/schema/registry"
)

// TestMain starts the shared Postgres and MariaDB servers (or uses the ones scripts/test.sh
// names) for every test of the package.
func TestMain(m *testing.M) {
	code := testpg.With(func() int { return testmaria.With(m.Run) })
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath)) // the binary built for this run
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary returns the dovetail binary: $DOVETAIL_BIN (scripts/test.sh builds it) or one
// built once for this test run.
func binary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DOVETAIL_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dovetail-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "dovetail")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freeAddr returns a free local address not handed out before.
func freeAddr(t *testing.T) string { return testnet.FreeAddr(t) }

// pipelineConfig writes a config for one Postgres pipeline with fixed embedded ports and
// returns its path.
type pipelineConfig struct {
	name, dsn, dataDir        string
	tables                    []string
	kafka, registry, httpAddr string
	// sourceExtra is YAML appended under source: (indented two spaces).
	sourceExtra string
}

func newPipelineConfig(t *testing.T, name, dsn string, tables ...string) *pipelineConfig {
	return &pipelineConfig{name: name, dsn: dsn, dataDir: t.TempDir(), tables: tables,
		kafka: freeAddr(t), registry: freeAddr(t), httpAddr: freeAddr(t)}
}

func (c *pipelineConfig) write(t *testing.T) string {
	t.Helper()
	file := filepath.Join(c.dataDir, "pipeline.yaml")
	body := fmt.Sprintf(`name: %s
data_dir: %s
source:
  kind: postgres
  dsn: ${TEST_DSN}
  tables: [%s]
  heartbeat_interval: 1s%s
kafka:
  listen: %s
  partitions: 3
  linger: 5ms
schema_registry:
  listen: %s
http:
  listen: %s
`, c.name, filepath.Join(c.dataDir, "state"), strings.Join(c.tables, ", "), c.sourceExtra, c.kafka, c.registry, c.httpAddr)
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// result is a finished dovetail command.
type result struct {
	code           int
	stdout, stderr string
}

// dovetail runs the binary to completion with TEST_DSN=dsn.
func dovetail(t *testing.T, dsn string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = append(os.Environ(), "TEST_DSN="+dsn)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run dovetail %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// worker is a `dovetail run` in the background.
type worker struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan struct{}
}

func startWorker(t *testing.T, dsn, file string) *worker {
	t.Helper()
	return startWorkerWith(t, []string{"TEST_DSN=" + dsn}, "-c", file)
}

// startWorkerWith runs `dovetail run args...` with env added to the environment.
func startWorkerWith(t *testing.T, env []string, args ...string) *worker {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"run"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	w := &worker{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{w: w.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-w.done
		if t.Failed() {
			t.Logf("worker stderr:\n%s", w.stderr)
		}
	})
	return w
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// waitReady waits until the worker's /readyz answers 200.
func waitReady(t *testing.T, c *pipelineConfig, w *worker) {
	t.Helper()
	waitFor(t, "worker ready", time.Minute, func() bool {
		if w.exited() {
			t.Fatalf("worker exited:\n%s", w.stderr)
		}
		resp, err := http.Get("http://" + c.httpAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// topicIDs reads topic and returns how often each after.id (op c) appears.
func topicIDs(t *testing.T, c *pipelineConfig, topic string) map[int64]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := kafka.ReadAll(ctx, []string{c.kafka}, topic)
	if err != nil {
		return nil
	}
	client, err := registry.NewClient("http://"+c.registry, nil)
	if err != nil {
		t.Fatal(err)
	}
	dec := schema.NewDecoder(client)
	ids := map[int64]int{}
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
		after := env["after"].(map[string]any)
		for _, row := range after {
			id := row.(map[string]any)["id"].(int64)
			ids[id]++
		}
	}
	return ids
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := dovetail(t, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "dovetail ") {
		t.Fatalf("version: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, `CREATE TABLE orders (id bigint PRIMARY KEY)`)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := newPipelineConfig(t, "badinput", dsn, "public.orders")
	missing := newPipelineConfig(t, "missingtable", dsn, "public.nope")
	cases := []struct {
		name     string
		args     []string
		dsn      string
		code     int
		mentions []string
	}{
		{"no config", []string{"run"}, dsn, 2, []string{"-c"}},
		{"unknown flag", []string{"run", "--bogus"}, dsn, 2, []string{"bogus"}},
		{"bad memory limit", []string{"--memory-limit", "lots", "version"}, dsn, 2, []string{"--memory-limit", `"lots" is not a size`}},
		{"garbage config", []string{"run", "-c", write("garbage.yaml", "\x00{{{ not: [yaml")}, dsn, 2, []string{"garbage.yaml"}},
		{"unknown key", []string{"validate", "-c", write("typo.yaml", "name: x\nsource:\n  kind: postgres\n  dsn: x\n  tabels: [a.b]\n")}, dsn, 2, []string{"typo.yaml", "source.tabels"}},
		{"missing file", []string{"run", "-c", filepath.Join(dir, "nope.yaml")}, dsn, 2, []string{"nope.yaml"}},
		{"bad filter", []string{"run", "-c", write("filter.yaml", badFilter)}, dsn, 2, []string{"filter.yaml: transforms[1] (filter): where \"row.id >\"", "Syntax error"}},
		{"validate bad filter", []string{"validate", "-c", write("filter2.yaml", badFilter)}, dsn, 2, []string{"filter2.yaml: transforms[1] (filter): where \"row.id >\""}},
		{"missing salt", []string{"validate", "-c", write("salt.yaml", "name: x\nsource:\n  kind: postgres\n  dsn: x\ntransforms:\n  - hash: { columns: [public.t.c] }\n")}, dsn, 2, []string{"salt.yaml: transforms[0] (hash): salt is required"}},
		{"unreachable database", []string{"run", "-c", good.write(t)}, "postgres://dovetail:s3cret@127.0.0.1:1/db?connect_timeout=3", 1, []string{"127.0.0.1", "connection refused"}},
		{"missing table", []string{"run", "-c", missing.write(t)}, dsn, 1, []string{"public.nope"}},
		{"validate missing table", []string{"validate", "-c", missing.write(t)}, dsn, 1, []string{"public.nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := dovetail(t, tc.dsn, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			msg := r.stderr + r.stdout
			for _, m := range tc.mentions {
				if !strings.Contains(msg, m) {
					t.Errorf("output does not name %q:\n%s", m, msg)
				}
			}
			if strings.Contains(msg, "s3cret") {
				t.Errorf("output leaks the password:\n%s", msg)
			}
			if lines := strings.Count(strings.TrimSpace(lastError(r.stderr)), "\n") + 1; tc.code == 1 && lines > 1 {
				t.Errorf("error is %d lines, want one clear line:\n%s", lines, r.stderr)
			}
		})
	}
}

// badFilter is a config whose filter does not compile.
const badFilter = `name: x
source:
  kind: postgres
  dsn: postgres://127.0.0.1:1/x
transforms:
  - skip_ops: [t]
  - filter: { where: "row.id >" }
`

// lastError returns the final "dovetail: ..." error of stderr.
func lastError(stderr string) string {
	i := strings.LastIndex(stderr, "dovetail: ")
	if i < 0 {
		return stderr
	}
	return stderr[i:]
}

func TestValidateOK(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, `CREATE TABLE orders (id bigint PRIMARY KEY)`, `CREATE TABLE events (at timestamptz, what text)`)
	c := newPipelineConfig(t, "validateok", dsn, "public.orders", "public.events")
	r := dovetail(t, dsn, "validate", "-c", c.write(t), "--print")
	if r.code != 0 {
		t.Fatalf("validate exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "public.events") || !strings.Contains(r.stdout, "REPLICA IDENTITY FULL") {
		t.Errorf("validate does not warn about the keyless table public.events with its fix:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, dsn) {
		t.Errorf("validate --print shows the DSN:\n%s", r.stdout)
	}
}

// TestKill9 kills the worker mid-stream and restarts it: every committed row must reach
// Kafka; duplicates (rows after the last acknowledged position) are reported.
func TestKill9(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, `CREATE TABLE items (id bigint PRIMARY KEY, payload text)`)
	c := newPipelineConfig(t, "kill9", dsn, "public.items")
	file := c.write(t)
	topic := "kill9.public.items"

	const total = 3000
	// The slot exists once the first worker is ready (after its snapshot of the empty
	// table); the rows are written after that and stream.
	first := startWorker(t, dsn, file)
	waitReady(t, c, first)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	writerDone := make(chan error, 1)
	go func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			writerDone <- err
			return
		}
		defer conn.Close(context.Background())
		for i := 1; i <= total; i++ {
			if _, err := conn.Exec(ctx, `INSERT INTO items VALUES ($1, repeat('x', 200))`, i); err != nil {
				writerDone <- err
				return
			}
			if i%500 == 0 {
				time.Sleep(100 * time.Millisecond) // pace the writer so the kills land mid-stream
			}
		}
		writerDone <- nil
	}()

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
			return len(topicIDs(t, c, topic)) >= want
		})
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-w.done
	}
	if err := <-writerDone; err != nil {
		t.Fatalf("writer: %v", err)
	}
	w := startWorker(t, dsn, file)
	// A marker row after the writer's: the source hands over transactions in commit order,
	// so once the marker is in Kafka, so is everything the restarted worker re-sends of
	// what the killed ones had written (counting before that would miss late copies).
	marker := int64(total + 1)
	testpg.Exec(t, dsn, fmt.Sprintf(`INSERT INTO items VALUES (%d, 'marker')`, marker))
	var ids map[int64]int
	waitFor(t, "every committed row and the marker in kafka", 2*time.Minute, func() bool {
		if w.exited() {
			t.Fatalf("worker exited:\n%s", w.stderr)
		}
		ids = topicIDs(t, c, topic)
		return len(ids) >= total && ids[marker] > 0
	})
	dups := 0
	for id := int64(1); id <= total; id++ {
		if ids[id] == 0 {
			t.Errorf("row %d never reached kafka", id)
		}
		dups += ids[id] - 1
	}
	t.Logf("kill -9 twice while streaming %d rows: 0 lost, %d duplicates", total, dups)

	// A clean stop drains: SIGTERM exits 0, and a restart re-sends nothing.
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
	before := ids // the broker stops with the worker: what it held just before SIGTERM
	w = startWorker(t, dsn, file)
	testpg.Exec(t, dsn, fmt.Sprintf(`INSERT INTO items VALUES (%d, 'last')`, marker+1))
	waitFor(t, "the row after the restart", time.Minute, func() bool { return topicIDs(t, c, topic)[marker+1] == 1 })
	after := topicIDs(t, c, topic)
	for id, n := range after {
		if id <= marker && n != before[id] {
			t.Errorf("row %d re-sent after a clean SIGTERM stop (%d -> %d copies)", id, before[id], n)
		}
	}

	// `dovetail tail` prints every record of the running worker's topic, decoded.
	r := dovetail(t, dsn, "tail", "-c", file, "--topics", `^kill9\.public\.items$`)
	if r.code != 0 {
		t.Fatalf("tail exit %d:\n%s", r.code, r.stderr)
	}
	creates := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var rec struct {
			Topic string
			Key   struct{ ID int64 }
			Value *struct {
				Op    string
				After struct{ ID int64 }
			}
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("tail printed %q: %v", line, err)
		}
		if rec.Value != nil && rec.Value.Op == "c" {
			creates++
			if rec.Key.ID != rec.Value.After.ID || rec.Value.After.ID < 1 {
				t.Errorf("tail line with key %d and after.id %d", rec.Key.ID, rec.Value.After.ID)
			}
		}
	}
	want := 0
	for _, n := range after {
		want += n
	}
	if creates != want {
		t.Errorf("tail printed %d creates, the topic holds %d", creates, want)
	}
}

// TestServerProblems runs against private servers set up wrong: each problem is one clear
// error line naming the cause, exit 1, and validate prints the fix.
func TestServerProblems(t *testing.T) {
	t.Parallel()
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		srv := testpg.NewWith(t, testpg.Options{PasswordAuth: true})
		dsn := srv.NewDB(t)
		testpg.Exec(t, dsn, `CREATE TABLE orders (id bigint PRIMARY KEY)`,
			`CREATE ROLE capture LOGIN REPLICATION PASSWORD 'right-pw'`,
			`GRANT SELECT ON orders TO capture`)
		wrong := testpg.WithUser(dsn, "capture", "wrong-pw")
		c := newPipelineConfig(t, "wrongpw", wrong, "public.orders")
		for _, cmd := range []string{"run", "validate"} {
			r := dovetail(t, wrong, cmd, "-c", c.write(t))
			if r.code != 1 {
				t.Fatalf("%s exit %d, want 1:\n%s", cmd, r.code, r.stderr)
			}
			msg := lastError(r.stderr)
			if cmd == "validate" { // validate reports problems on stdout, one per line
				msg = r.stdout
			}
			if !strings.Contains(msg, "password authentication failed") || !strings.Contains(msg, "capture") {
				t.Errorf("%s error does not name the cause:\n%s", cmd, r.stderr)
			}
			if strings.Contains(r.stderr+r.stdout, "wrong-pw") {
				t.Errorf("%s output leaks the password:\n%s", cmd, r.stderr)
			}
			if n := strings.Count(strings.TrimSpace(msg), "\n"); cmd == "run" && n > 0 {
				t.Errorf("%s error spans %d lines, want one:\n%s", cmd, n+1, msg)
			}
		}
	})
	t.Run("wal_level replica", func(t *testing.T) {
		t.Parallel()
		srv := testpg.NewWith(t, testpg.Options{Conf: "wal_level = replica"})
		dsn := srv.NewDB(t)
		testpg.Exec(t, dsn, `CREATE TABLE orders (id bigint PRIMARY KEY)`)
		c := newPipelineConfig(t, "walreplica", dsn, "public.orders")
		r := dovetail(t, dsn, "run", "-c", c.write(t))
		if r.code != 1 || !strings.Contains(lastError(r.stderr), "wal_level") {
			t.Errorf("run exit %d, want 1 with an error naming wal_level:\n%s", r.code, r.stderr)
		}
		r = dovetail(t, dsn, "validate", "-c", c.write(t))
		if r.code != 1 || !strings.Contains(r.stdout, "wal_level") || !strings.Contains(r.stdout, "ALTER SYSTEM SET wal_level") {
			t.Errorf("validate exit %d, want 1 and the fix for wal_level:\n%s%s", r.code, r.stdout, r.stderr)
		}
		// Nothing was created on the server: no slot, no publication.
		var slots int
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_replication_slots`).Scan(&slots); err != nil {
			t.Fatal(err)
		}
		if slots != 0 {
			t.Errorf("%d slots left behind by a pipeline that could not run", slots)
		}
	})
}

// TestTwoPipelines runs two configs in one worker: each streams its own database to its
// own embedded broker.
func TestTwoPipelines(t *testing.T) {
	t.Parallel()
	dsnA, dsnB := testpg.NewDB(t), testpg.NewDB(t)
	testpg.Exec(t, dsnA, `CREATE TABLE a (id bigint PRIMARY KEY)`)
	testpg.Exec(t, dsnB, `CREATE TABLE b (id bigint PRIMARY KEY)`)
	ca := newPipelineConfig(t, "twoa", dsnA, "public.a")
	cb := newPipelineConfig(t, "twob", dsnB, "public.b")
	fa, fb := ca.write(t), cb.write(t)
	// Each config reads its DSN from TEST_DSN: give the second its own variable.
	body, err := os.ReadFile(fb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fb, []byte(strings.ReplaceAll(string(body), "${TEST_DSN}", "${TEST_DSN_B}")), 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWorkerWith(t, []string{"TEST_DSN=" + dsnA, "TEST_DSN_B=" + dsnB}, "-c", fa, "-c", fb)
	waitReady(t, ca, w)
	testpg.Exec(t, dsnA, `INSERT INTO a VALUES (1)`)
	testpg.Exec(t, dsnB, `INSERT INTO b VALUES (2)`)
	waitFor(t, "both pipelines' rows", time.Minute, func() bool {
		return topicIDs(t, ca, "twoa.public.a")[1] == 1 && topicIDs(t, cb, "twob.public.b")[2] == 1
	})
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-w.done
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}

// TestValidateTransforms: validate checks the transforms against the source's tables: a
// table or column that is not there, or a key column a transform would drop, is an error
// naming the transform; transforms that fit the tables pass.
func TestValidateTransforms(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, `CREATE TABLE orders (id bigint PRIMARY KEY, note text)`, `CREATE TABLE events (at timestamptz, what text)`)
	for i, tc := range []struct {
		yaml     string
		code     int
		mentions string
	}{
		{"transforms:\n  - mask: { columns: [public.orders.nope], with: x }\n", 1,
			`transforms[0] (mask): public.orders: no column "nope" (columns: id, note)`},
		{"transforms:\n  - skip_ops: [t]\n  - drop_columns: { columns: [public.orders.id] }\n", 1,
			"transforms[1] (drop_columns): public.orders: column id is in the table's key"},
		{"transforms:\n  - rename: { table: public.events, to: log }\nsinks:\n  - name: w\n    kind: duckdb\n    dsn: /nonexistent/w.duckdb\n    transforms:\n      - filter: { where: \"row.wat != 'x'\" }\n", 1,
			`sinks[0].transforms[0] (filter): public.log: where "row.wat != 'x'": no column "wat"`},
		{"transforms:\n  - hash: { columns: [public.ordrs.note], salt: x }\n", 1,
			"transforms[0] (hash): the source has no captured table public.ordrs"},
		{"transforms:\n  - mask: { columns: [public.orders.note], with: x }\n  - filter: { where: \"row.what != 'x'\", tables: [public.events] }\n", 0,
			"can run"},
	} {
		// public.* captures both tables, so only the catalog knows which tables there are.
		c := newPipelineConfig(t, fmt.Sprintf("validatetransforms%d", i), dsn, "public.*")
		file := c.write(t)
		f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(tc.yaml); err != nil {
			t.Fatal(err)
		}
		f.Close()
		r := dovetail(t, dsn, "validate", "-c", file)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.mentions) {
			t.Errorf("%s: exit %d, want %d naming %q\nstdout: %s\nstderr: %s", tc.yaml, r.code, tc.code, tc.mentions, r.stdout, r.stderr)
		}
	}
}
