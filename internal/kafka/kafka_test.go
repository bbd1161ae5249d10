package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/dovetail-cdc/dovetail/internal/broker"
	"github.com/dovetail-cdc/dovetail/internal/kafka"
)

// env is an embedded broker with a topic of 3 partitions, for one test.
type env struct {
	brokers []string
	topic   string
}

func setup(t *testing.T) (context.Context, env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	b, err := broker.Start(ctx, broker.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	e := env{brokers: []string{b.Addr()}, topic: "shop.public.orders"}
	if err := kafka.NewTopics(e.brokers, nil).Ensure(ctx, e.topic, 3, 0); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	return ctx, e
}

func writer(t *testing.T, e env, opts kafka.WriterOptions) *kafka.Writer {
	t.Helper()
	w, err := kafka.NewWriter(e.brokers, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestEnsure(t *testing.T) {
	ctx, e := setup(t)
	topics := kafka.NewTopics(e.brokers, nil)
	// Existing (created by setup through another Topics), cached, and with another
	// partition count: all succeed and change nothing.
	for _, n := range []int{3, 3, 5} {
		if err := topics.Ensure(ctx, e.topic, n, 1); err != nil {
			t.Errorf("Ensure(%d partitions) on an existing topic: %v", n, err)
		}
	}
	if err := topics.EnsureCompacted(ctx, "__dovetail.offsets", 1, 0); err != nil {
		t.Errorf("EnsureCompacted: %v", err)
	}
	client := &kafkago.Client{Addr: kafkago.TCP(e.brokers...)}
	md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{e.topic, "__dovetail.offsets"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, tm := range md.Topics {
		got[tm.Name] = len(tm.Partitions)
	}
	if got[e.topic] != 3 || got["__dovetail.offsets"] != 1 {
		t.Errorf("partitions = %v", got)
	}
	cfg, err := client.DescribeConfigs(ctx, &kafkago.DescribeConfigsRequest{Resources: []kafkago.DescribeConfigRequestResource{{
		ResourceType: kafkago.ResourceTypeTopic, ResourceName: "__dovetail.offsets", ConfigNames: []string{"cleanup.policy"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Resources) != 1 || len(cfg.Resources[0].ConfigEntries) != 1 || cfg.Resources[0].ConfigEntries[0].ConfigValue != "compact" {
		t.Errorf("cleanup.policy of the compacted topic: %+v", cfg.Resources)
	}

	for _, bad := range []struct {
		topic string
		n     int
	}{{"", 1}, {"x", 0}} {
		if err := topics.Ensure(ctx, bad.topic, bad.n, 0); err == nil {
			t.Errorf("Ensure(%q, %d) succeeded", bad.topic, bad.n)
		}
	}
	// The embedded broker is one node: replication 3 is the broker's error, returned.
	if err := topics.Ensure(ctx, "replicated", 1, 3); err == nil {
		t.Error("Ensure with replication 3 on a single node succeeded")
	}
}

// TestSameKeySamePartition checks that a key always lands on one partition, and on the
// one the Java client's partitioner picks (franz-go's default partitioner is murmur2
// as the Java client's is).
func TestSameKeySamePartition(t *testing.T) {
	ctx, e := setup(t)
	w := writer(t, e, kafka.WriterOptions{})
	var msgs []kafkago.Message
	for round := range 3 {
		for k := range 20 {
			msgs = append(msgs, kafkago.Message{Topic: e.topic, Key: fmt.Appendf(nil, "order-%d", k), Value: fmt.Appendf(nil, "%d", round)})
		}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	// The same keys through franz-go into a second topic of 3 partitions.
	if err := kafka.NewTopics(e.brokers, nil).Ensure(ctx, "java-compatible", 3, 0); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for k := range 20 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "java-compatible", Key: fmt.Appendf(nil, "order-%d", k)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	want := map[string]int{}
	javaMsgs, err := kafka.ReadAll(ctx, e.brokers, "java-compatible")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range javaMsgs {
		want[string(m.Key)] = m.Partition
	}
	got, err := kafka.ReadAll(ctx, e.brokers, e.topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Fatalf("read %d records, want 60", len(got))
	}
	used := map[int]bool{}
	for _, m := range got {
		used[m.Partition] = true
		if p, ok := want[string(m.Key)]; !ok || p != m.Partition {
			t.Errorf("key %s in partition %d, the Java partitioner's is %d", m.Key, m.Partition, p)
		}
	}
	if len(used) != 3 {
		t.Errorf("20 keys used %d of 3 partitions", len(used))
	}
	// Per key, records keep their order.
	last := map[string]string{}
	for _, m := range got {
		if prev, ok := last[string(m.Key)]; ok && string(m.Value) < prev {
			t.Errorf("key %s: %s after %s", m.Key, m.Value, prev)
		}
		last[string(m.Key)] = string(m.Value)
	}
}

// TestOversizedMessageFails checks that a record too large to write is an error, both
// when the writer's BatchBytes catches it and when only the broker does.
func TestOversizedMessageFails(t *testing.T) {
	ctx, e := setup(t)
	big := make([]byte, 1536<<10) // 1.5 MiB: over 1 MiB BatchBytes and over kfake's message.max.bytes
	msgs := []kafkago.Message{
		{Topic: e.topic, Key: []byte("small"), Value: []byte("ok")},
		{Topic: e.topic, Key: []byte("big"), Value: big},
	}

	w := writer(t, e, kafka.WriterOptions{})
	err := w.WriteMessages(ctx, msgs...)
	var tooLarge kafkago.MessageTooLargeError
	if !errors.As(err, &tooLarge) || !errors.Is(err, kafkago.MessageSizeTooLarge) || string(tooLarge.Message.Key) != "big" {
		t.Errorf("client-side oversized write: %v, want a MessageTooLargeError for key big", err)
	}
	if got := kafka.Failed(err, len(msgs)); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("Failed = %v, want the whole call", got)
	}

	// A writer allowed larger batches than the broker accepts: the broker refuses, and
	// with acks=all the refusal comes back per message.
	w = writer(t, e, kafka.WriterOptions{BatchBytes: 4 << 20})
	err = w.WriteMessages(ctx, msgs...)
	var werrs kafkago.WriteErrors
	if !errors.As(err, &werrs) {
		t.Fatalf("broker-side oversized write: %v (%T), want kafka.WriteErrors", err, err)
	}
	bigIdx := slices.IndexFunc(msgs, func(m kafkago.Message) bool { return string(m.Key) == "big" })
	if !errors.Is(werrs[bigIdx], kafkago.MessageSizeTooLarge) {
		t.Errorf("error of the big message: %v, want MessageSizeTooLarge", werrs[bigIdx])
	}
	if failed := kafka.Failed(err, len(msgs)); !slices.Contains(failed, bigIdx) {
		t.Errorf("Failed = %v, does not include the big message %d", failed, bigIdx)
	}

	// What NewWriter prevents: kafka-go's default acks=0 reports success and the broker
	// drops the record.
	silent := &kafkago.Writer{Addr: kafkago.TCP(e.brokers...), BatchBytes: 4 << 20, Balancer: &kafkago.Murmur2Balancer{}}
	defer silent.Close()
	if err := silent.WriteMessages(ctx, kafkago.Message{Topic: e.topic, Key: []byte("big"), Value: big}); err != nil {
		t.Logf("kafka-go with acks=0 reported %v (it used to drop silently)", err)
	}
	got, err := kafka.ReadAll(ctx, e.brokers, e.topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if string(m.Key) == "big" {
			t.Errorf("an oversized record was written at offset %d of partition %d", m.Offset, m.Partition)
		}
	}
}

func TestCompressionRoundTrip(t *testing.T) {
	ctx, e := setup(t)
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		w := writer(t, e, kafka.WriterOptions{Compression: codec, Linger: 5 * time.Millisecond})
		var msgs []kafkago.Message
		for i := range 50 {
			msgs = append(msgs, kafkago.Message{
				Topic: e.topic, Key: fmt.Appendf(nil, "%s-%d", codec, i),
				Value:   fmt.Appendf(nil, "%s value %d %0100d", codec, i, 0), // compressible
				Headers: []kafkago.Header{{Key: "codec", Value: []byte(codec)}},
			})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatalf("%s: WriteMessages: %v", codec, err)
		}
	}
	got, err := kafka.ReadAll(ctx, e.brokers, e.topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("read %d records, want 250", len(got))
	}
	for _, m := range got {
		var i int
		if len(m.Headers) != 1 || m.Headers[0].Key != "codec" {
			t.Fatalf("headers of %s: %v", m.Key, m.Headers)
		}
		codec := string(m.Headers[0].Value)
		if _, err := fmt.Sscanf(string(m.Key), codec+"-%d", &i); err != nil {
			t.Fatalf("key %s: %v", m.Key, err)
		}
		if want := fmt.Sprintf("%s value %d %0100d", codec, i, 0); string(m.Value) != want {
			t.Errorf("value of %s = %q", m.Key, m.Value)
		}
	}
	if _, err := kafka.NewWriter(e.brokers, kafka.WriterOptions{Compression: "brotli"}); err == nil {
		t.Error("NewWriter with an unknown codec succeeded")
	}
}

func TestTombstoneAndEmptyTopic(t *testing.T) {
	ctx, e := setup(t)
	if got, err := kafka.ReadAll(ctx, e.brokers, e.topic); err != nil || len(got) != 0 {
		t.Fatalf("ReadAll of an empty topic = %d records, %v", len(got), err)
	}
	w := writer(t, e, kafka.WriterOptions{})
	if err := w.WriteMessages(ctx,
		kafkago.Message{Topic: e.topic, Key: []byte("k"), Value: []byte("")},
		kafkago.Message{Topic: e.topic, Key: []byte("k"), Value: nil},
	); err != nil {
		t.Fatal(err)
	}
	got, err := kafka.ReadAll(ctx, e.brokers, e.topic)
	if err != nil || len(got) != 2 {
		t.Fatalf("ReadAll = %d records, %v", len(got), err)
	}
	if got[0].Value == nil || len(got[0].Value) != 0 {
		t.Errorf("empty value read as %#v, want empty non-nil", got[0].Value)
	}
	if got[1].Value != nil {
		t.Errorf("tombstone read as %#v, want nil", got[1].Value)
	}
	if _, err := kafka.ReadAll(ctx, e.brokers, "no.such.topic"); !errors.Is(err, kafkago.UnknownTopicOrPartition) {
		t.Errorf("ReadAll of a missing topic: %v", err)
	}
}

func TestFailed(t *testing.T) {
	tests := []struct {
		err  error
		n    int
		want []int
	}{
		{nil, 3, nil},
		{kafkago.WriteErrors{nil, kafkago.MessageSizeTooLarge, nil}, 3, []int{1}},
		{fmt.Errorf("wrapped: %w", kafkago.WriteErrors{kafkago.LeaderNotAvailable, nil}), 2, []int{0}},
		{context.Canceled, 2, []int{0, 1}},
	}
	for _, tt := range tests {
		if got := kafka.Failed(tt.err, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("Failed(%v, %d) = %v, want %v", tt.err, tt.n, got, tt.want)
		}
	}
}

// A writer can write to a topic right after TopicsFor created it: they share the metadata
// cache that the creation refreshes.
func TestWriteRightAfterEnsure(t *testing.T) {
	ctx, e := setup(t)
	w := writer(t, e, kafka.WriterOptions{})
	// Make the writer cache metadata before the topics exist.
	if err := kafka.TopicsFor(w, nil).Ensure(ctx, "warm", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteMessages(ctx, kafkago.Message{Topic: "warm", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	topics := kafka.TopicsFor(w, nil)
	for i := range 3 {
		topic := fmt.Sprintf("fresh-%d", i)
		if err := topics.Ensure(ctx, topic, 3, 0); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteMessages(ctx, kafkago.Message{Topic: topic, Key: []byte("k"), Value: []byte("v")}); err != nil {
			t.Fatalf("write to %s right after creating it: %v", topic, err)
		}
	}
}

// A WriteMessages call returns once Kafka acknowledged its records, without holding its
// last, partial batch for Linger.
func TestWriteDoesNotLinger(t *testing.T) {
	ctx, e := setup(t)
	w := writer(t, e, kafka.WriterOptions{Linger: 5 * time.Second, BatchSize: 100})
	msg := func(i int) kafkago.Message {
		return kafkago.Message{Topic: e.topic, Key: []byte("k"), Value: fmt.Appendf(nil, "v%d", i)}
	}
	if err := w.WriteMessages(ctx, msg(0)); err != nil { // metadata, connection
		t.Fatal(err)
	}
	for _, n := range []int{1, 150} { // a partial batch; a full one and a partial one
		msgs := make([]kafkago.Message, n)
		for i := range msgs {
			msgs[i] = msg(i)
		}
		start := time.Now()
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("writing %d records took %s: the partial batch waited for Linger", n, d)
		}
	}
}

// Once a request of a partition fails, the partition's later records are not sent:
// writing the failed ones again then keeps the partition's order.
func TestFailedRequestStopsItsPartition(t *testing.T) {
	ctx, e := setup(t)
	if err := kafka.NewTopics(e.brokers, nil).Ensure(ctx, "one", 1, 0); err != nil {
		t.Fatal(err)
	}
	w := writer(t, e, kafka.WriterOptions{BatchSize: 1, BatchBytes: 4 << 20})
	msgs := []kafkago.Message{
		{Topic: "one", Key: []byte("first"), Value: []byte("ok")},
		{Topic: "one", Key: []byte("big"), Value: make([]byte, 1536<<10)}, // over kfake's message.max.bytes
		{Topic: "one", Key: []byte("after"), Value: []byte("ok")},
	}
	err := w.WriteMessages(ctx, msgs...)
	if got := kafka.Failed(err, len(msgs)); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("Failed = %v (err %v), want [1 2]", got, err)
	}
	got, err := kafka.ReadAll(ctx, e.brokers, "one")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range got {
		keys = append(keys, string(m.Key))
	}
	if !slices.Equal(keys, []string{"first"}) {
		t.Errorf("topic holds %q, want only [first]", keys)
	}
}
