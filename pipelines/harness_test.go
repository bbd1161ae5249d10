package pipelines_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/pipelines"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/schema/registry"
)

func TestMain(m *testing.M) {
	os.Exit(testpg.With(func() int { return testmaria.With(m.Run) }))
}

// harness runs one pipeline in the test process on the embedded broker and registry.
type harness struct {
	t       *testing.T
	name    string
	dsn     string
	dataDir string
	extra   string
	http    string // http.listen; "" disables
	kind    string // source.kind; "" is postgres
	// kafkaYAML and registryYAML replace the embedded defaults' config lines when set.
	kafkaYAML, registryYAML string
	// sinksYAML is appended as the config's sinks: section when set.
	sinksYAML string
	// heartbeat is source.heartbeat_interval; "" is 500ms.
	heartbeat string
	// transformsYAML is appended as the config's (source) transforms: section when set.
	transformsYAML string
	cfg            *configs.Pipeline
	w              *pipelines.Worker
	cancel         context.CancelFunc
	done           chan struct{} // closed when Run returned, with its error in err
	err            error
	brokers        []string
	regURL         string
	dec            *schema.Decoder
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// newHarness configures a pipeline named after the test capturing tables of dsn; extra is
// YAML appended under source:.
func newHarness(t *testing.T, dsn string, tables []string, extra string) *harness {
	t.Helper()
	name := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	name = "t" + strings.Trim(name, "_")
	return &harness{t: t, name: name, dsn: dsn, dataDir: t.TempDir(), extra: extra + "\n  tables: [" + strings.Join(tables, ", ") + "]"}
}

func (h *harness) config() string {
	kafkaYAML, registryYAML := h.kafkaYAML, h.registryYAML
	if kafkaYAML == "" {
		kafkaYAML = "listen: 127.0.0.1:0"
	}
	if registryYAML == "" {
		registryYAML = "listen: 127.0.0.1:0"
	}
	kind := h.kind
	if kind == "" {
		kind = "postgres"
	}
	heartbeat := h.heartbeat
	if heartbeat == "" {
		heartbeat = "500ms"
	}
	return fmt.Sprintf(`name: %s
data_dir: %s
source:
  kind: %s
  dsn: ${TEST_DSN}
  heartbeat_interval: %s%s
kafka:
  %s
  partitions: 3
  linger: 5ms
schema_registry:
  %s
http:
  listen: "%s"
%s%s`, h.name, h.dataDir, kind, heartbeat, h.extra, kafkaYAML, registryYAML, h.http, h.transformsYAML, h.sinksYAML)
}

// start runs the pipeline until stop.
func (h *harness) start() {
	t := h.t
	t.Helper()
	file := filepath.Join(h.dataDir, "pipeline.yaml")
	if err := os.WriteFile(file, []byte(h.config()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		if k == "TEST_DSN" {
			return h.dsn, true
		}
		return "", false
	}
	cfg, err := configs.Load(file, env)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	h.cfg = cfg
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w, err := pipelines.Build(ctx, []*configs.Pipeline{cfg}, log)
	if err != nil {
		cancel()
		t.Fatalf("build: %v", err)
	}
	h.w, h.cancel, h.done = w, cancel, make(chan struct{})
	if len(w.Pipelines) > 0 {
		h.brokers, h.regURL = w.Pipelines[0].Brokers, w.Pipelines[0].RegistryURL
	}
	client, err := registry.NewClient(h.regURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.dec = schema.NewDecoder(client)
	go func() { h.err = w.Run(ctx); close(h.done) }()
	t.Cleanup(func() { h.stop() })
	if len(w.Pipelines) > 0 {
		h.waitFor("pipeline ready", func() bool { return w.Pipelines[0].Ready() })
	}
}

// stop drains the pipeline and fails the test if it did not stop cleanly.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case <-h.done:
		if h.err != nil {
			h.t.Errorf("pipeline stopped with: %v", h.err)
		}
	case <-time.After(30 * time.Second):
		h.t.Errorf("pipeline did not stop within 30s")
	}
	if err := h.w.Close(); err != nil {
		h.t.Errorf("close worker: %v", err)
	}
	h.cancel = nil
}

// waitFor polls cond until it holds, failing the test after a minute.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		select {
		case <-h.done:
			h.t.Fatalf("waiting for %s: pipeline stopped: %v", what, h.err)
		default:
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// read returns every record of topic now.
func (h *harness) read(topic string) []kafkago.Message {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := kafka.ReadAll(ctx, h.brokers, topic)
	if err != nil && !strings.Contains(err.Error(), "Unknown Topic") && !strings.Contains(err.Error(), "unknown topic") {
		h.t.Fatalf("read %s: %v", topic, err)
	}
	return msgs
}

// waitRecords waits until topic holds at least n records and returns them.
func (h *harness) waitRecords(topic string, n int) []kafkago.Message {
	h.t.Helper()
	var msgs []kafkago.Message
	h.waitFor(fmt.Sprintf("%d records in %s", n, topic), func() bool {
		msgs = h.read(topic)
		return len(msgs) >= n
	})
	return msgs
}

// decode decodes framed bytes to goavro's native form.
func (h *harness) decode(data []byte) map[string]any {
	h.t.Helper()
	if data == nil {
		return nil
	}
	v, _, err := h.dec.Decode(context.Background(), data)
	if err != nil {
		h.t.Fatalf("decode: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		h.t.Fatalf("decoded %T, want a record", v)
	}
	return m
}

// pythonDecode decodes topics with the independent decoder (Debian's python3-avro and
// python3-confluent-kafka), returning one JSON object per record with numbers kept exact
// (json.Number), so 64-bit limits survive the comparison.
func (h *harness) pythonDecode(topics ...string) []map[string]any {
	h.t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		h.t.Fatal(err)
	}
	args := append([]string{filepath.Join(root, "scripts", "avro_decode.py"), strings.Join(h.brokers, ","), h.regURL}, topics...)
	cmd := exec.Command("/usr/bin/python3", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("independent decoder: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var recs []map[string]any
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			h.t.Fatalf("independent decoder output: %v", err)
		}
		recs = append(recs, m)
	}
	return recs
}

// addSink appends a sink to the config: name, kind and dsn, then "key: value" lines.
func (h *harness) addSink(name, kind, dsn string, keys ...string) {
	if h.sinksYAML == "" {
		h.sinksYAML = "sinks:\n"
	}
	h.sinksYAML += fmt.Sprintf("  - name: %s\n    kind: %s\n    dsn: %q\n", name, kind, dsn)
	for _, k := range keys {
		h.sinksYAML += "    " + k + "\n"
	}
}

// verify runs pipelines.Verify against the running pipeline, waiting up to two minutes
// for the followers, and returns its report and whether every table is equal.
func (h *harness) verify(opts pipelines.VerifyOptions) (string, bool) {
	h.t.Helper()
	if opts.Wait == 0 {
		opts.Wait = 2 * time.Minute
	}
	opts.Brokers = h.brokers
	var out strings.Builder
	equal, err := pipelines.Verify(context.Background(), h.cfg, opts, &out, slog.New(slog.DiscardHandler))
	if err != nil {
		h.t.Fatalf("verify: %v\n%s", err, out.String())
	}
	return out.String(), equal
}

// mariaDB returns the database of a testmaria DSN.
func mariaDB(t *testing.T, dsn string) string {
	t.Helper()
	d, err := testmaria.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return d.DB
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
