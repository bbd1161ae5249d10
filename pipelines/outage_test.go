package pipelines_test

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/broker"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/schema/registry"
)

// TestKafkaOutage runs a pipeline against an external cluster (configured brokers and
// registry URL, the production path) and takes the broker away mid-stream: the pipeline
// retries, the source waits, and once the broker is back every row arrives.
func TestKafkaOutage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	kafkaDir, addr := t.TempDir(), freeAddr(t)
	b, err := broker.Start(ctx, broker.Options{DataDir: kafkaDir, Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the pipeline (registered by h.start) drains before
	// the broker and registry go away.
	t.Cleanup(func() { b.Close() })
	reg, err := registry.NewServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopReg := context.WithCancel(ctx)
	t.Cleanup(stopReg)
	regURL, _, err := reg.Start(rctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, `CREATE TABLE items (id int PRIMARY KEY)`, `CREATE TABLE later (id int PRIMARY KEY)`)
	h := newHarness(t, dsn, []string{"public.items", "public.later"}, "")
	h.kafkaYAML = "brokers: [" + addr + "]"
	h.registryYAML = "url: " + regURL
	h.http = freeAddr(t)
	h.start()
	topic := h.name + ".public.items"

	testpg.Exec(t, dsn, `INSERT INTO items SELECT generate_series(1, 100)`)
	h.waitRecords(topic, 100)

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// More rows, and the first row of a table whose topic must be created while Kafka
	// is down.
	testpg.Exec(t, dsn, `INSERT INTO items SELECT generate_series(101, 200)`, `INSERT INTO later VALUES (1)`)
	retries := regexp.MustCompile(`dovetail_kafka_retries_total\{pipeline="` + h.name + `"\} (\d+)`)
	h.waitFor("kafka retries while the broker is down", func() bool {
		_, body := get(t, "http://"+h.http+"/metrics")
		m := retries.FindStringSubmatch(body)
		n := 0
		if m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		return n > 0
	})

	b, err = broker.Start(ctx, broker.Options{DataDir: kafkaDir, Listen: addr})
	if err != nil {
		t.Fatalf("restart broker: %v", err)
	}
	h.waitRecords(h.name+".public.later", 1)
	msgs := h.waitRecords(topic, 200)
	seen := map[int32]bool{}
	for _, m := range msgs {
		after := plain(h.decode(m.Value)).(map[string]any)["after"].(map[string]any)
		seen[after["id"].(int32)] = true
	}
	for id := int32(1); id <= 200; id++ {
		if !seen[id] {
			t.Errorf("row %d lost across the broker outage", id)
		}
	}
}
