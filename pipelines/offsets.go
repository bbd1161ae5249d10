package pipelines

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Resumer is a source whose database does not keep its readers' positions (the MySQL
// binlog): the pipeline stores the acknowledged positions in Kafka and hands the last one
// back on start. Its positions must implement encoding.TextMarshaler.
type Resumer interface {
	// Resume makes the next Run start after the position whose text is given.
	Resume(text []byte) error
}

// storeNow reports whether a position asks to be stored at once, not throttled (a
// snapshot's progress after a chunk: a crash then re-sends only the chunks in flight).
func storeNow(pos event.Position) bool {
	u, ok := pos.(interface{ StoreNow() bool })
	return ok && u.StoreNow()
}

// OffsetsTopic is the compacted topic that keeps pipeline name's positions, as Kafka
// Connect's offsets topic keeps Debezium's.
func OffsetsTopic(name string) string { return "__dovetail-offsets." + name }

// offsetStore keeps a pipeline's last acknowledged source position as the last record of
// a one-partition compacted topic, so any worker can resume the pipeline.
type offsetStore struct {
	brokers []string
	topic   string
	key     []byte
	writer  Producer
	topics  Topics
	// every bounds how often positions are written; the last one is always written on
	// drain. A crash re-sends at most what came after the last written position.
	every time.Duration
	last  time.Time
	// pending is the newest position not written yet (throttled), or nil.
	pending any
}

// load returns the text of the last stored position, or nil when there is none.
func (o *offsetStore) load(ctx context.Context) ([]byte, error) {
	if err := o.topics.Ensure(ctx, o.topic, 1, 0); err != nil {
		return nil, fmt.Errorf("create offsets topic %s: %w", o.topic, err)
	}
	var errs []error
	for _, b := range o.brokers {
		text, err := o.loadFrom(ctx, b)
		if err == nil {
			return text, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("read offsets topic %s: %w", o.topic, errors.Join(errs...))
}

func (o *offsetStore) loadFrom(ctx context.Context, broker string) ([]byte, error) {
	conn, err := kafka.DialLeader(ctx, "tcp", broker, o.topic, 0)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return nil, err
	}
	if last <= first {
		return nil, nil
	}
	if _, err := conn.Seek(last-1, kafka.SeekAbsolute); err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	} else {
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	}
	m, err := conn.ReadMessage(10 << 20)
	if err != nil {
		return nil, err
	}
	return m.Value, nil
}

// store records pos (when not nil) as the newest position and writes the newest
// unwritten one when the last write is older than every, or always when force is set.
func (o *offsetStore) store(ctx context.Context, pos any, force bool) error {
	if pos != nil {
		o.pending = pos
	}
	if o.pending == nil || (!force && time.Since(o.last) < o.every) {
		return nil
	}
	tm, ok := o.pending.(encoding.TextMarshaler)
	if !ok {
		return fmt.Errorf("store position %v: %T cannot be written as text", o.pending, o.pending)
	}
	text, err := tm.MarshalText()
	if err != nil {
		return fmt.Errorf("store position %v: %w", o.pending, err)
	}
	if err := o.writer.WriteMessages(ctx, kafka.Message{Topic: o.topic, Key: o.key, Value: text}); err != nil {
		return fmt.Errorf("store position %s in %s: %w", text, o.topic, err)
	}
	o.last, o.pending = time.Now(), nil
	return nil
}
