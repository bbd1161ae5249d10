package pipelines

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/transform"
)

// Encoder turns events into Kafka records (topic, key, value in the Confluent wire format).
type Encoder interface {
	Change(ctx context.Context, c *event.Change) (topic string, key, value []byte, err error)
	Message(ctx context.Context, m *event.Message) (topic string, key, value []byte, err error)
	Heartbeat(ctx context.Context, ts time.Time) (topic string, key, value []byte, err error)
	SchemaChange(ctx context.Context, sc *event.SchemaChange) (topic string, key, value []byte, err error)
}

// Producer writes records and returns only when Kafka acknowledged all of them (acks=all),
// or with an error. internal/kafka's *Writer is one. It must not keep msgs, the slice,
// once a call returned nil: the pipeline fills it again. (A slice that any call failed
// on is not reused: a Producer that hands the messages to a client without copying them,
// as kafka-go's own Writer does, may still be reading them for a timed-out request;
// internal/kafka's copies them before it returns.)
type Producer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Topics creates a topic when it does not exist yet.
type Topics interface {
	Ensure(ctx context.Context, topic string, partitions, replication int) error
}

// batch is a run of records and the last source position they complete.
type batch struct {
	msgs []kafka.Message
	// committed counts the records up to and including the last Commit or Heartbeat.
	committed int
	// ack is the position to acknowledge once msgs[:committed] are durable; nil for none.
	ack event.Position
	// commit is the source commit time of the last change in msgs, for the lag metric.
	commit time.Time
	// failed is set when a write of msgs failed, even if a retry then succeeded: a
	// failed (timed out) produce request may still be reading them, so the slice is not
	// reused.
	failed bool
}

func (b *batch) empty() bool { return len(b.msgs) == 0 && b.ack == nil }

// batcher is the event.Handler a pipeline gives its source. It encodes events in the
// source's goroutine and hands full (or lingering) batches to the flusher, blocking the
// source when the flusher is behind: memory is bounded by BatchSize × 2 batches.
type batcher struct {
	enc        Encoder
	topics     Topics
	partitions int
	replicas   int
	tombstones bool
	max        int
	metrics    *pipelineMetrics
	log        *slog.Logger
	// transforms run on each change before it is encoded; nil for none.
	transforms *transform.Chain

	mu  sync.Mutex // guards cur and known
	cur *batch
	// known are the topics Ensure already created.
	known map[string]bool

	sendMu sync.Mutex // orders swaps and sends
	out    chan *batch
	// free holds emptied message slices of written batches, for new batches: a batch
	// of 10000 records takes 1.5 MB of kafka.Message, more garbage than anything else
	// per record when every batch made its own.
	free chan []kafka.Message
	// draining closes when the pipeline stops taking events.
	draining chan struct{}
	// counters caches the per table and op change counters, and last the one used
	// last (changes come in runs of one table); only the source's goroutine uses them.
	counters map[counterKey]prometheus.Counter
	last     struct {
		key counterKey
		ctr prometheus.Counter
	}
	// ensured is the topic ensure found last, so that a run of records to one topic
	// skips the lock and the map.
	ensured atomic.Pointer[string]
}

type counterKey struct {
	table *event.Table
	op    event.Op
}

func newBatcher(enc Encoder, topics Topics, partitions, replicas, max int, tombstones bool, m *pipelineMetrics, log *slog.Logger) *batcher {
	return &batcher{
		enc: enc, topics: topics, partitions: partitions, replicas: replicas,
		tombstones: tombstones, max: max, metrics: m, log: log,
		cur:      &batch{},
		known:    map[string]bool{},
		out:      make(chan *batch, 1),
		free:     make(chan []kafka.Message, 3),
		draining: make(chan struct{}),
		counters: map[counterKey]prometheus.Counter{},
	}
}

// ensure creates topic the first time it is seen. Like writes, creation is retried with
// backoff while Kafka is unreachable (the source waits); an error Kafka marks as final
// (an invalid name, no authorization) stops the pipeline.
func (b *batcher) ensure(ctx context.Context, topic string) error {
	if t := b.ensured.Load(); t != nil && *t == topic {
		return nil
	}
	if err := b.ensureKnown(ctx, topic); err != nil {
		return err
	}
	known := topic // allocated here, on this path only
	b.ensured.Store(&known)
	return nil
}

func (b *batcher) ensureKnown(ctx context.Context, topic string) error {
	b.mu.Lock()
	ok := b.known[topic]
	b.mu.Unlock()
	if ok {
		return nil
	}
	err := retry(ctx, b.log, "create topic "+topic, b.metrics.retries, func() error {
		return b.topics.Ensure(ctx, topic, b.partitions, b.replicas)
	})
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	b.mu.Lock()
	b.known[topic] = true
	b.mu.Unlock()
	return nil
}

// admit blocks the source once the pipeline drains: events handed over after that are
// neither written nor acknowledged, and the source resends them on its next start.
func (b *batcher) admit(ctx context.Context) error {
	select {
	case <-b.draining:
		<-ctx.Done()
		return ctx.Err()
	default:
		return nil
	}
}

// add appends msgs to the current batch; a non-nil ack marks the end of a source
// transaction, and a non-zero commit is the source commit time of a change in msgs.
func (b *batcher) add(ctx context.Context, ack event.Position, commit time.Time, msgs ...kafka.Message) error {
	b.mu.Lock()
	c := b.cur
	if !commit.IsZero() {
		c.commit = commit
	}
	c.msgs = append(c.msgs, msgs...)
	if ack != nil {
		c.committed = len(c.msgs)
		c.ack = ack
	}
	// A position to store at once (a snapshot chunk's end) also ends the batch, so that
	// it is stored as soon as its records are written.
	full := len(c.msgs) >= b.max || (ack != nil && storeNow(ack))
	b.mu.Unlock()
	if full {
		return b.send(ctx, false)
	}
	return nil
}

// send hands the current batch to the flusher; when idle is true it does nothing unless
// the batch has something to write or acknowledge.
func (b *batcher) send(ctx context.Context, idle bool) error {
	b.sendMu.Lock()
	defer b.sendMu.Unlock()
	b.mu.Lock()
	c := b.cur
	if idle && c.empty() {
		b.mu.Unlock()
		return nil
	}
	b.cur = &batch{msgs: b.newMsgs(len(c.msgs))}
	b.mu.Unlock()
	select {
	case b.out <- c:
		return nil
	case <-ctx.Done():
		// Not handed over (the linger loop stops when the pipeline drains): put the
		// batch back in front of what came since, so the drain writes and acknowledges
		// it instead of dropping it.
		b.mu.Lock()
		n := b.cur
		c.msgs = append(c.msgs, n.msgs...)
		if n.ack != nil {
			c.ack, c.committed = n.ack, len(c.msgs)-len(n.msgs)+n.committed
		}
		if !n.commit.IsZero() {
			c.commit = n.commit
		}
		b.cur = c
		b.mu.Unlock()
		return ctx.Err()
	}
}

// newMsgs returns an empty message slice for a batch: a recycled one, or a new one with
// room for about as many records as the last batch.
func (b *batcher) newMsgs(last int) []kafka.Message {
	select {
	case msgs := <-b.free:
		return msgs
	default:
		return make([]kafka.Message, 0, min(last, b.max))
	}
}

// recycle takes back the message slice of a batch that was written: the flusher calls
// it once nothing refers to bt.msgs any more.
func (b *batcher) recycle(bt *batch) {
	msgs := bt.msgs
	bt.msgs = nil
	if bt.failed || cap(msgs) == 0 || cap(msgs) > 2*b.max {
		return
	}
	clear(msgs) // let the records go
	select {
	case b.free <- msgs[:0]:
	default:
	}
}

// takeCommitted removes and returns what the current batch holds up to its last commit,
// keeping the rest (an unfinished transaction) out of Kafka. Used when draining.
func (b *batcher) takeCommitted() *batch {
	b.sendMu.Lock()
	defer b.sendMu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.cur
	b.cur = &batch{}
	c.msgs = c.msgs[:c.committed]
	return c
}

func (b *batcher) Change(ctx context.Context, c *event.Change) error {
	if err := b.admit(ctx); err != nil {
		return err
	}
	// Counted by the source table, not the transformed one.
	table, op := c.Table, c.Op
	if b.transforms != nil {
		// Sources hand over fresh changes: the transforms change them in place.
		out, keep, err := b.transforms.ApplyOwned(c)
		if err != nil {
			return err
		}
		if !keep {
			b.count(table, op) // a source change, even when no record carries it
			return nil
		}
		c = out
	}
	topic, key, value, err := b.enc.Change(ctx, c)
	if err != nil {
		return fmt.Errorf("encode %s change of %s: %w", c.Op, c.Table.ID, err)
	}
	if err := b.ensure(ctx, topic); err != nil {
		return err
	}
	b.count(table, op)
	if c.Op == event.OpDelete && b.tombstones && key != nil {
		return b.add(ctx, nil, c.Source.Commit, kafka.Message{Topic: topic, Key: key, Value: value}, kafka.Message{Topic: topic, Key: key})
	}
	return b.add(ctx, nil, c.Source.Commit, kafka.Message{Topic: topic, Key: key, Value: value})
}

// count counts a change of table in the metrics.
func (b *batcher) count(table *event.Table, op event.Op) {
	k := counterKey{table, op}
	if b.last.ctr != nil && b.last.key == k {
		b.last.ctr.Inc()
		return
	}
	ctr, ok := b.counters[k]
	if !ok {
		ctr = b.metrics.changes.WithLabelValues(table.ID.String(), string(op))
		b.counters[k] = ctr
	}
	b.last.key, b.last.ctr = k, ctr
	ctr.Inc()
}

func (b *batcher) Message(ctx context.Context, m *event.Message) error {
	if err := b.admit(ctx); err != nil {
		return err
	}
	topic, key, value, err := b.enc.Message(ctx, m)
	if err != nil {
		return fmt.Errorf("encode message with prefix %q: %w", m.Prefix, err)
	}
	if err := b.ensure(ctx, topic); err != nil {
		return err
	}
	return b.add(ctx, nil, time.Time{}, kafka.Message{Topic: topic, Key: key, Value: value})
}

// SchemaChange writes a DDL event to the schema change topic (Debezium's topic named
// after the prefix).
func (b *batcher) SchemaChange(ctx context.Context, sc *event.SchemaChange) error {
	if err := b.admit(ctx); err != nil {
		return err
	}
	topic, key, value, err := b.enc.SchemaChange(ctx, sc)
	if err != nil {
		return fmt.Errorf("encode schema change %q: %w", sc.DDL, err)
	}
	if err := b.ensure(ctx, topic); err != nil {
		return err
	}
	return b.add(ctx, nil, sc.Source.Commit, kafka.Message{Topic: topic, Key: key, Value: value})
}

func (b *batcher) Commit(ctx context.Context, pos event.Position) error {
	if err := b.admit(ctx); err != nil {
		return err
	}
	return b.add(ctx, pos, time.Time{})
}

func (b *batcher) Heartbeat(ctx context.Context, ts time.Time, pos event.Position) error {
	if err := b.admit(ctx); err != nil {
		return err
	}
	topic, key, value, err := b.enc.Heartbeat(ctx, ts)
	if err != nil {
		return fmt.Errorf("encode heartbeat: %w", err)
	}
	if err := b.ensure(ctx, topic); err != nil {
		return err
	}
	b.metrics.heartbeats.Inc()
	return b.add(ctx, pos, time.Time{}, kafka.Message{Topic: topic, Key: key, Value: value})
}
