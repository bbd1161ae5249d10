package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"
)

// ReadAll returns every record of topic, partition by partition in offset order, from
// each partition's first offset up to its high watermark as it was when ReadAll
// started. Null keys and values (tombstones) stay nil. It reads everything into
// memory: it is for tests, the tail command and small state topics (schema history).
func ReadAll(ctx context.Context, brokers []string, topic string) ([]kafka.Message, error) {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second, Transport: newTransport()}
	defer client.Transport.(*kafka.Transport).CloseIdleConnections()

	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("read topic %s: metadata: %w", topic, err)
	}
	var partitions []int
	for _, tm := range md.Topics {
		if tm.Name == topic {
			if tm.Error != nil {
				return nil, fmt.Errorf("read topic %s: %w", topic, tm.Error)
			}
			for _, p := range tm.Partitions {
				partitions = append(partitions, p.ID)
			}
		}
	}
	if len(partitions) == 0 {
		return nil, fmt.Errorf("read topic %s: %w", topic, kafka.UnknownTopicOrPartition)
	}

	reqs := make([]kafka.OffsetRequest, 0, 2*len(partitions))
	for _, p := range partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("read topic %s: list offsets: %w", topic, err)
	}
	var out []kafka.Message
	for _, po := range sortedByPartition(offs.Topics[topic]) {
		if po.Error != nil {
			return nil, fmt.Errorf("read topic %s partition %d: list offsets: %w", topic, po.Partition, po.Error)
		}
		msgs, err := readPartition(ctx, client, topic, po.Partition, po.FirstOffset, po.LastOffset)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

func sortedByPartition(pos []kafka.PartitionOffsets) []kafka.PartitionOffsets {
	out := slices.Clone(pos)
	slices.SortFunc(out, func(a, b kafka.PartitionOffsets) int { return cmp.Compare(a.Partition, b.Partition) })
	return out
}

// readPartition fetches [from, end) of one partition.
func readPartition(ctx context.Context, client *kafka.Client, topic string, partition int, from, end int64) ([]kafka.Message, error) {
	var out []kafka.Message
	for offset := from; offset < end; {
		res, err := client.Fetch(ctx, &kafka.FetchRequest{
			Topic: topic, Partition: partition, Offset: offset,
			MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 500 * time.Millisecond,
		})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			return nil, fmt.Errorf("read topic %s partition %d at offset %d: %w", topic, partition, offset, err)
		}
		next, msgs, err := records(res.Records, topic, partition, offset, end)
		if err != nil {
			return nil, fmt.Errorf("read topic %s partition %d at offset %d: %w", topic, partition, offset, err)
		}
		out = append(out, msgs...)
		if next == offset {
			// Nothing readable before end: the rest is control records (transaction
			// markers) or was compacted away.
			break
		}
		offset = next
	}
	return out, nil
}

// records turns a fetch's records into messages, skipping those before from (a fetch
// may start at the beginning of a batch) and from end on. It returns the offset to
// fetch next.
func records(rr kafka.RecordReader, topic string, partition int, from, end int64) (int64, []kafka.Message, error) {
	next := from
	var out []kafka.Message
	for {
		rec, err := rr.ReadRecord()
		if errors.Is(err, io.EOF) {
			return next, out, nil
		}
		if err != nil {
			return next, out, err
		}
		if rec.Offset < from || rec.Offset >= end {
			continue
		}
		key, err := readBytes(rec.Key)
		if err != nil {
			return next, out, fmt.Errorf("key at offset %d: %w", rec.Offset, err)
		}
		value, err := readBytes(rec.Value)
		if err != nil {
			return next, out, fmt.Errorf("value at offset %d: %w", rec.Offset, err)
		}
		out = append(out, kafka.Message{
			Topic: topic, Partition: partition, Offset: rec.Offset,
			Key: key, Value: value, Headers: copyHeaders(rec.Headers), Time: rec.Time,
		})
		next = rec.Offset + 1
	}
}

// readBytes copies a record's key or value; nil (null in Kafka) stays nil.
func readBytes(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	buf := make([]byte, b.Len())
	_, err := io.ReadFull(b, buf)
	return buf, err
}

// copyHeaders copies headers out of the fetch buffer, which the next read reuses.
func copyHeaders(hs []kafka.Header) []kafka.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]kafka.Header, len(hs))
	for i, h := range hs {
		out[i] = kafka.Header{Key: h.Key, Value: append([]byte(nil), h.Value...)}
	}
	return out
}

// ListTopics returns the names of the cluster's topics, asked fresh (a transport of its
// own, so no cached metadata hides a topic created a moment ago).
func ListTopics(ctx context.Context, brokers []string) ([]string, error) {
	tr := newTransport()
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: tr}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	out := make([]string, 0, len(md.Topics))
	for _, t := range md.Topics {
		if t.Error == nil {
			out = append(out, t.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}
