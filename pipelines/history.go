package pipelines

import (
	"context"
	"fmt"

	"github.com/segmentio/kafka-go"

	dkafka "github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/sources/mysql"
)

// HistoryTopic is the topic that keeps pipeline name's schema history (a MySQL source's
// table shapes and DDL with their binlog positions), as Debezium's schema history topic.
// It has one partition, so the records keep their order, and keeps them forever.
func HistoryTopic(name string) string { return "__dovetail-schema-history." + name }

// kafkaHistory is a source's schema history in a Kafka topic (mysql.History).
type kafkaHistory struct {
	brokers []string
	topic   string
	key     []byte
	writer  Producer
	topics  *dkafka.Topics
	// retry runs a Kafka operation with the pipeline's retries (set by Pipeline.Run).
	retry func(ctx context.Context, what string, op func() error) error
}

// HistoryUser is a source that keeps a schema history (the MySQL source): the pipeline
// hands it the history's store before Run.
type HistoryUser interface {
	UseHistory(h mysql.History)
}

func (h *kafkaHistory) ensure(ctx context.Context) error {
	if err := h.retry(ctx, "create topic "+h.topic, func() error { return h.topics.EnsureRetained(ctx, h.topic, 1, 0) }); err != nil {
		return fmt.Errorf("create schema history topic %s: %w", h.topic, err)
	}
	return nil
}

// Load returns every record of the topic, oldest first.
func (h *kafkaHistory) Load(ctx context.Context) ([][]byte, error) {
	if err := h.ensure(ctx); err != nil {
		return nil, err
	}
	var msgs []kafka.Message
	err := h.retry(ctx, "read "+h.topic, func() (err error) {
		msgs, err = dkafka.ReadAll(ctx, h.brokers, h.topic)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read schema history: %w", err)
	}
	out := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.Value)
	}
	return out, nil
}

// Append writes one record and returns once Kafka acknowledged it.
func (h *kafkaHistory) Append(ctx context.Context, record []byte) error {
	if err := h.ensure(ctx); err != nil {
		return err
	}
	err := h.retry(ctx, "write "+h.topic, func() error {
		return h.writer.WriteMessages(ctx, kafka.Message{Topic: h.topic, Key: h.key, Value: record})
	})
	if err != nil {
		return fmt.Errorf("write schema history record to %s: %w", h.topic, err)
	}
	return nil
}
