package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Writer defaults, for the zero values of WriterOptions.
const (
	// DefaultBatchBytes is Kafka's default max.message.bytes rounded down to 1 MiB: the
	// largest request, and so the largest record, a writer sends.
	DefaultBatchBytes = 1 << 20
	// DefaultBatchSize is a writer's BatchSize when the options give none (capped, as
	// every BatchSize, at MaxRequestRecords).
	DefaultBatchSize = 10000
	// MaxRequestRecords caps the records of one partition in one produce request, whatever
	// BatchSize says (kafka-go's Writer used to allocate an array of BatchSize messages
	// per request; requests of typical change records, 200-500 bytes, fill BatchBytes
	// well before this).
	MaxRequestRecords = 4096
	// MaxAttempts is how often a writer tries a batch before failing it (kafka-go's
	// default): with backoff from 100ms to 1s, about 8 seconds of retrying, enough to
	// ride out a leader election.
	MaxAttempts = 10
)

// WriterOptions tune a writer; the zero value is usable.
type WriterOptions struct {
	// Compression is none, gzip, snappy, lz4 or zstd; "" means none.
	Compression string
	// BatchSize is the most records per partition in one request (at most
	// MaxRequestRecords); 0 means DefaultBatchSize.
	BatchSize int
	// BatchBytes is the most bytes in one request and so the largest record that can be
	// written; 0 means DefaultBatchBytes. A larger record fails WriteMessages with a
	// kafka.MessageTooLargeError. Keep it at or below the broker's message.max.bytes,
	// or the broker refuses the batch (kafka.MessageSizeTooLarge in kafka.WriteErrors).
	BatchBytes int64
	// Linger is ignored: the writer sends a call's last, partial batch as soon as the
	// call handed over its messages. kafka-go would hold it for Linger in case records of
	// other concurrent WriteMessages calls join it, but Dovetail's callers batch their
	// records themselves (the pipeline's batcher lingers) and write from one goroutine,
	// so the wait only delayed every call: at the default 20ms, 2 of the 11 seconds the
	// MariaDB benchmark's million changes took. The field stays for callers that pass
	// the pipeline config's kafka.linger.
	Linger time.Duration
	// Logger receives kafka-go's error log (failed attempts before a retry); nil
	// discards it.
	Logger *slog.Logger
}

// Compression returns kafka-go's codec for a compression name: none (or ""), gzip,
// snappy, lz4 or zstd.
func Compression(name string) (kafka.Compression, error) {
	switch name {
	case "", "none":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("unknown compression %q: use none, gzip, snappy, lz4 or zstd", name)
}

// Writer writes records to Kafka with acks=all, the Java client's murmur2
// partitioner and its options' compression and batching, and returns only once every
// record is acknowledged or has failed. It is safe for concurrent use.
//
// It builds kafka-go's produce requests itself instead of going through kafka.Writer,
// which per record looked up the topic's metadata (copying the cached response), hashed,
// and copied the record into a batch array of BatchSize messages, zeroed anew for every
// request: a tenth of a snapshot's CPU. Here a call's records are split by partition,
// each partition's records go out in requests of at most BatchSize records and
// BatchBytes bytes, one after another, and partitions are written in parallel. Each
// request's record batch is encoded (and compressed) by this package (see
// batchEncoder for what that saves) and sent as a raw record set
// (kafka.Client.RawProduce); the next request of a partition is encoded while the
// previous one is in flight. The messages' bytes are copied into the batch before
// WriteMessages returns, so kafka-go never reads them afterwards.
type Writer struct {
	client     *kafka.Client
	transport  *kafka.Transport
	codec      kafka.Compression
	batchSize  int
	batchBytes int64
	balancer   kafka.Murmur2Balancer
	logger     *slog.Logger

	// encoders and buffers (of encoded record batches) are reused from request to
	// request; a sync.Pool would drop them at every GC, and a snapshot's requests
	// then each grew a new megabyte buffer.
	encoders chan *batchEncoder
	buffers  chan []byte

	mu sync.Mutex
	// parts are the partition lists handed to the balancer, by partition count.
	parts map[int][]int
}

// NewWriter returns a Writer to brokers. Close it when done.
func NewWriter(brokers []string, opts WriterOptions) (*Writer, error) {
	if len(brokers) == 0 {
		return nil, errors.New("new kafka writer: no brokers")
	}
	codec, err := Compression(opts.Compression)
	if err != nil {
		return nil, fmt.Errorf("new kafka writer: %w", err)
	}
	t := newTransport()
	w := &Writer{
		client:    &kafka.Client{Addr: kafka.TCP(brokers...), Transport: t, Timeout: writeTimeout},
		transport: t,
		codec:     codec,
		batchSize: opts.BatchSize, batchBytes: opts.BatchBytes,
		// Consistent: records without a key (keyless tables, truncates) hash like an
		// empty key, so all of a topic's go to one partition and keep their order (a
		// follower replays a keyless table's insert and delete in the source's order).
		balancer: kafka.Murmur2Balancer{Consistent: true},
		logger:   opts.Logger,
		parts:    map[int][]int{},
	}
	w.encoders = make(chan *batchEncoder, freeEncoders)
	w.buffers = make(chan []byte, 2*freeEncoders)
	if w.batchSize <= 0 {
		w.batchSize = DefaultBatchSize
	}
	w.batchSize = min(w.batchSize, MaxRequestRecords)
	if w.batchBytes <= 0 {
		w.batchBytes = DefaultBatchBytes
	}
	if w.logger == nil {
		w.logger = slog.New(slog.DiscardHandler)
	}
	return w, nil
}

// freeEncoders is how many batch encoders (and twice as many buffers) a writer keeps
// for reuse: partitions written at the same time beyond that allocate their own.
const freeEncoders = 4

// writeTimeout bounds one produce request (kafka-go's Writer default).
const writeTimeout = 10 * time.Second

// Close closes the writer's connections.
func (w *Writer) Close() error {
	w.transport.CloseIdleConnections()
	return nil
}

// WriteMessages writes msgs, each naming its topic, and returns once Kafka acknowledged
// all of them, or with the errors described in the package documentation: a
// kafka.MessageTooLargeError before anything is sent, a kafka.WriteErrors with one entry
// per message, or another error for the whole call. A partition's records are written
// in order; once one of its requests failed, its later records are not sent (they fail
// with the same error), so that writing the failed ones again keeps the order.
func (w *Writer) WriteMessages(ctx context.Context, msgs ...kafka.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	for i := range msgs {
		if messageSize(&msgs[i]) > w.batchBytes {
			remain := make([]kafka.Message, 0, len(msgs)-1)
			remain = append(append(remain, msgs[:i]...), msgs[i+1:]...)
			return kafka.MessageTooLargeError{Message: msgs[i], Remaining: remain}
		}
	}
	groups, err := w.assign(ctx, msgs)
	if err != nil {
		return err
	}
	errs := make([]error, len(groups))
	if len(groups) == 1 {
		errs[0] = w.writePartition(ctx, msgs, &groups[0])
	} else {
		var wg sync.WaitGroup
		for i := range groups {
			wg.Go(func() { errs[i] = w.writePartition(ctx, msgs, &groups[i]) })
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var werrs kafka.WriteErrors
	for i, g := range groups {
		if errs[i] == nil {
			continue
		}
		if werrs == nil {
			werrs = make(kafka.WriteErrors, len(msgs))
		}
		for _, j := range g.failed {
			werrs[j] = errs[i]
		}
	}
	if werrs != nil {
		return werrs
	}
	return nil
}

// group is the records of one call for one partition, in call order.
type group struct {
	topic     string
	partition int
	idx       []int32
	// failed are the indexes not written, set by writePartition when it fails.
	failed []int32
}

// assign groups msgs by topic and partition.
func (w *Writer) assign(ctx context.Context, msgs []kafka.Message) ([]group, error) {
	counts := map[string][]int{}
	var groups []group
	at := map[topicPartition]int{}
	for i := range msgs {
		m := &msgs[i]
		if m.Topic == "" {
			return nil, errors.New("kafka write: a message names no topic")
		}
		parts, ok := counts[m.Topic]
		if !ok {
			var err error
			if parts, err = w.partitions(ctx, m.Topic); err != nil {
				return nil, err
			}
			counts[m.Topic] = parts
		}
		p := 0
		if len(parts) > 1 {
			p = w.balancer.Balance(*m, parts...)
		}
		k := topicPartition{m.Topic, p}
		g, ok := at[k]
		if !ok {
			g = len(groups)
			at[k] = g
			groups = append(groups, group{topic: m.Topic, partition: p})
		}
		groups[g].idx = append(groups[g].idx, int32(i))
	}
	return groups, nil
}

type topicPartition struct {
	topic     string
	partition int
}

// partitions returns the partition numbers of topic, from the transport's metadata
// cache (refreshed every MetadataTTL, and when a topic is created through it).
func (w *Writer) partitions(ctx context.Context, topic string) ([]int, error) {
	res, err := w.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("kafka metadata of topic %s: %w", topic, err)
	}
	for _, t := range res.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, t.Error
		}
		n := len(t.Partitions)
		if n == 0 {
			return nil, kafka.UnknownTopicOrPartition
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		parts, ok := w.parts[n]
		if !ok {
			parts = make([]int, n)
			for i := range parts {
				parts[i] = i
			}
			w.parts[n] = parts
		}
		return parts, nil
	}
	return nil, kafka.UnknownTopicOrPartition
}

// writePartition writes a group's records in requests of at most batchSize records and
// batchBytes bytes, one after another; while one request is in flight, the next is
// encoded. A request that fails with an error that may go away (a leader moving, a
// connection reset) is tried again, MaxAttempts times in all with a growing pause,
// before the group fails.
func (w *Writer) writePartition(ctx context.Context, msgs []kafka.Message, g *group) error {
	var enc *batchEncoder
	select {
	case enc = <-w.encoders:
	default:
		enc = &batchEncoder{codec: w.codec}
	}
	defer func() {
		select {
		case w.encoders <- enc:
		default:
		}
	}()
	rest := g.idx
	n, size := w.requestLen(msgs, rest)
	cur, err := enc.encode(w.buffer(size), msgs, rest[:n], time.Now())
	for {
		if err != nil {
			g.failed = rest
			return fmt.Errorf("kafka write to %s/%d: %w", g.topic, g.partition, err)
		}
		var (
			next    []byte
			nextN   int
			nextErr error
			ready   chan struct{}
		)
		if len(rest) > n {
			var size int64
			nextN, size = w.requestLen(msgs, rest[n:])
			ready = make(chan struct{})
			go func() {
				defer close(ready)
				next, nextErr = enc.encode(w.buffer(size), msgs, rest[n:n+nextN], time.Now())
			}()
		}
		var reusable bool
		reusable, err = w.produce(ctx, g, cur, n)
		if ready != nil {
			<-ready
		}
		if err != nil {
			g.failed = rest
			w.release(next)
			return err
		}
		if reusable {
			w.release(cur)
		}
		rest = rest[n:]
		if len(rest) == 0 {
			return nil
		}
		cur, n, err = next, nextN, nextErr
	}
}

// requestLen is how many of the records idx name go into the next request (at most
// batchSize records and batchBytes bytes, and at least one), and their size.
func (w *Writer) requestLen(msgs []kafka.Message, idx []int32) (n int, size int64) {
	for n < len(idx) && n < w.batchSize {
		s := messageSize(&msgs[idx[n]])
		if n > 0 && size+s > w.batchBytes {
			break
		}
		size += s
		n++
	}
	return n, size
}

// buffer returns an empty buffer for a request's record batch of records of size bytes
// (as messageSize counts them, more than they take in the batch).
func (w *Writer) buffer(size int64) []byte {
	need := int(size) + 4 + batchHeaderSize
	if w.codec == kafka.Lz4 {
		need = 4 + batchHeaderSize + len(lz4FrameHeader) + lz4Bound(int(size)) + 8
	}
	select {
	case b := <-w.buffers:
		if cap(b) >= need {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, need)
}

// release keeps b for another request, unless enough are kept.
func (w *Writer) release(b []byte) {
	if b == nil {
		return
	}
	select {
	case w.buffers <- b:
	default:
	}
}

// produce sends one encoded record batch of n records, retrying as writePartition says.
// reusable is false once an attempt failed: a request that timed out may still be
// read by kafka-go's connection, so its buffer must not be written again.
func (w *Writer) produce(ctx context.Context, g *group, batch []byte, n int) (reusable bool, err error) {
	reusable = true
	for attempt := range MaxAttempts {
		if attempt > 0 {
			reusable = false
			pause := min(time.Duration(attempt*attempt)*100*time.Millisecond, time.Second)
			w.logger.Warn("kafka write failed; retrying", "component", "kafka-go", "topic", g.topic,
				"partition", g.partition, "records", n, "attempt", attempt, "backoff", pause, "err", err)
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(pause):
			}
		}
		var res *kafka.ProduceResponse
		res, err = w.client.RawProduce(ctx, &kafka.RawProduceRequest{
			Topic:        g.topic,
			Partition:    g.partition,
			RequiredAcks: kafka.RequireAll,
			RawRecords:   protocol.RawRecordSet{Reader: bytes.NewReader(batch)},
		})
		if err == nil && res != nil {
			err = res.Error
		}
		if err == nil {
			return reusable, nil
		}
		if ctx.Err() != nil || !retriable(err) {
			return false, err
		}
	}
	return false, err
}

// retriable reports whether a produce error may go away by sending again (kafka-go's
// rule for its Writer).
func retriable(err error) bool {
	var temp interface{ Temporary() bool }
	if errors.As(err, &temp) {
		return temp.Temporary()
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// messageSize is the size kafka-go's Writer counts a message as, against BatchBytes.
func messageSize(m *kafka.Message) int64 {
	n := int64(4 + 1 + 1 + 4 + len(m.Key) + 4 + len(m.Value) + 8)
	n += varintSize(len(m.Headers))
	for _, h := range m.Headers {
		n += varintSize(len(h.Key)) + int64(len(h.Key)) + varintSize(len(h.Value)) + int64(len(h.Value))
	}
	return n
}

func varintSize(n int) int64 {
	u := uint64(n) << 1 // zigzag, n >= 0
	size := int64(1)
	for u >= 0x80 {
		u >>= 7
		size++
	}
	return size
}
func newTransport() *kafka.Transport {
	return &kafka.Transport{ClientID: "dovetail", IdleTimeout: 30 * time.Second, MetadataTTL: 6 * time.Second}
}

// Failed returns the indexes of the messages that a WriteMessages call with n messages
// did not write, given its error: all of them for an error that is not a
// kafka.WriteErrors (a kafka.MessageTooLargeError or a cancelled context fails the
// whole call), none for nil.
func Failed(err error, n int) []int {
	if err == nil {
		return nil
	}
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == n {
		var idx []int
		for i, e := range werrs {
			if e != nil {
				idx = append(idx, i)
			}
		}
		return idx
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
