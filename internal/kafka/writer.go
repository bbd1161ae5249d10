package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
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
	// BatchSize says: kafka-go allocates (and zeroes) an array of BatchSize messages,
	// about 150 bytes each, for every request, however few records it holds. At 10000
	// that was 1.5 MB per request, more garbage than the records themselves; at 4096 a
	// request of typical change records (200-500 bytes) still fills BatchBytes.
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

// NewWriter returns a synchronous writer to brokers with acks=all, the Java client's
// murmur2 partitioner and the options' compression and batching. Messages must name
// their topic. The writer has a transport of its own; Close the writer when done.
func NewWriter(brokers []string, opts WriterOptions) (*kafka.Writer, error) {
	if len(brokers) == 0 {
		return nil, errors.New("new kafka writer: no brokers")
	}
	codec, err := Compression(opts.Compression)
	if err != nil {
		return nil, fmt.Errorf("new kafka writer: %w", err)
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(brokers...),
		// Consistent: records without a key (keyless tables, truncates) hash like an
		// empty key, so all of a topic's go to one partition and keep their order (a
		// follower replays a keyless table's insert and delete in the source's order).
		Balancer:     &kafka.Murmur2Balancer{Consistent: true},
		RequiredAcks: kafka.RequireAll,
		MaxAttempts:  MaxAttempts,
		BatchSize:    opts.BatchSize,
		BatchBytes:   opts.BatchBytes,
		// kafka-go reads 0 as one second; a microsecond sends once the call's messages
		// are batched (the partition's writer holds its lock until then).
		BatchTimeout: time.Microsecond,
		Compression:  codec,
		Transport:    newTransport(),
	}
	if w.BatchSize <= 0 {
		w.BatchSize = DefaultBatchSize
	}
	w.BatchSize = min(w.BatchSize, MaxRequestRecords)
	if w.BatchBytes <= 0 {
		w.BatchBytes = DefaultBatchBytes
	}
	if opts.Logger != nil {
		logger := opts.Logger
		w.ErrorLogger = kafka.LoggerFunc(func(format string, args ...any) {
			logger.Warn(fmt.Sprintf(format, args...), "component", "kafka-go")
		})
	}
	return w, nil
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
