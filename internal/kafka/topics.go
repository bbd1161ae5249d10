package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Topics creates topics on demand and remembers which exist. It is safe for concurrent
// use.
type Topics struct {
	client *kafka.Client
	logger *slog.Logger

	mu    sync.Mutex
	known map[string]bool
}

// NewTopics returns a Topics for the cluster at brokers; logger may be nil.
func NewTopics(brokers []string, logger *slog.Logger) *Topics {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Topics{
		client: &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second, Transport: newTransport()},
		logger: logger,
		known:  make(map[string]bool),
	}
}

// TopicsFor returns a Topics that shares w's connections and metadata cache. Use it for
// topics w writes to: kafka-go refreshes a transport's cached metadata after that
// transport creates a topic, so w sees the new topic at once; a writer with its own
// transport would fail with Unknown Topic Or Partition until its cache expires.
func TopicsFor(w *Writer, logger *slog.Logger) *Topics {
	t := NewTopics(nil, logger)
	t.client = &kafka.Client{Addr: w.client.Addr, Timeout: 30 * time.Second, Transport: w.transport}
	return t
}

// Ensure creates topic with partitions partitions and the given replication factor (0:
// the broker's default) unless it exists. A topic that exists is left as it is, even
// with another partition count (logged as a warning). Ensure returns once the topic's
// metadata shows a leader for every partition, so that a write right after succeeds.
func (t *Topics) Ensure(ctx context.Context, topic string, partitions, replication int) error {
	return t.ensure(ctx, topic, partitions, replication, nil)
}

// EnsureCompacted is Ensure for a topic with cleanup.policy=compact, which keeps the
// latest record of each key (for state such as schema or offset topics).
func (t *Topics) EnsureCompacted(ctx context.Context, topic string, partitions, replication int) error {
	return t.ensure(ctx, topic, partitions, replication, []kafka.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"}})
}

// EnsureRetained is Ensure for a topic whose records are kept forever
// (retention.ms=-1, retention.bytes=-1, cleanup.policy=delete), as a history of state
// changes must be (Debezium's schema history topic).
func (t *Topics) EnsureRetained(ctx context.Context, topic string, partitions, replication int) error {
	return t.ensure(ctx, topic, partitions, replication, []kafka.ConfigEntry{
		{ConfigName: "cleanup.policy", ConfigValue: "delete"},
		{ConfigName: "retention.ms", ConfigValue: "-1"},
		{ConfigName: "retention.bytes", ConfigValue: "-1"},
	})
}

func (t *Topics) ensure(ctx context.Context, topic string, partitions, replication int, configs []kafka.ConfigEntry) error {
	if topic == "" {
		return errors.New("ensure topic: empty name")
	}
	if partitions < 1 {
		return fmt.Errorf("ensure topic %s: %d partitions, want at least 1", topic, partitions)
	}
	t.mu.Lock()
	known := t.known[topic]
	t.mu.Unlock()
	if known {
		return nil
	}

	n, err := t.partitions(ctx, topic)
	switch {
	case err == nil:
		if n != partitions {
			t.logger.Warn("topic exists with another partition count; keeping it", "topic", topic, "partitions", n, "configured", partitions)
		}
	case errors.Is(err, kafka.UnknownTopicOrPartition):
		if replication <= 0 {
			replication = -1 // the broker's default.replication.factor
		}
		res, err := t.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
			Topic:             topic,
			NumPartitions:     partitions,
			ReplicationFactor: replication,
			ConfigEntries:     configs,
		}}})
		if err != nil {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
		if err := res.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s with %d partitions, replication %d: %w", topic, partitions, replication, err)
		}
		if err := t.waitReady(ctx, topic); err != nil {
			return err
		}
		t.logger.Info("topic created", "topic", topic, "partitions", partitions)
	default:
		return fmt.Errorf("ensure topic %s: %w", topic, err)
	}
	t.mu.Lock()
	t.known[topic] = true
	t.mu.Unlock()
	return nil
}

// partitions returns the topic's partition count from a metadata request, or an error
// wrapping kafka.UnknownTopicOrPartition if there is no such topic.
func (t *Topics) partitions(ctx context.Context, topic string) (int, error) {
	md, err := t.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, fmt.Errorf("metadata: %w", err)
	}
	for _, tm := range md.Topics {
		if tm.Name != topic {
			continue
		}
		if tm.Error != nil {
			return 0, tm.Error
		}
		for _, p := range tm.Partitions {
			if p.Error != nil {
				return 0, fmt.Errorf("partition %d: %w", p.ID, p.Error)
			}
			if p.Leader.Host == "" {
				return 0, fmt.Errorf("partition %d: %w", p.ID, kafka.LeaderNotAvailable)
			}
		}
		return len(tm.Partitions), nil
	}
	return 0, kafka.UnknownTopicOrPartition
}

// waitReady polls metadata until every partition of a new topic has a leader: a
// cluster creates topics asynchronously.
func (t *Topics) waitReady(ctx context.Context, topic string) error {
	backoff := 10 * time.Millisecond
	for {
		_, err := t.partitions(ctx, topic)
		if err == nil {
			return nil
		}
		if !errors.Is(err, kafka.UnknownTopicOrPartition) && !errors.Is(err, kafka.LeaderNotAvailable) {
			return fmt.Errorf("wait for new topic %s: %w", topic, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for new topic %s: %w (last: %v)", topic, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}
