// Package tail prints a pipeline's Kafka records decoded, one JSON object per line, as
// Confluent's kafka-avro-console-consumer does (Avro's JSON encoding). It is what
// `dovetail tail` and the demo show; it reads Kafka and the registry only, like any
// outside consumer.
package tail

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/dovetail-cdc/dovetail/schema"
)

// Options select what to print.
type Options struct {
	Brokers []string
	// Topics is a regular expression of the topics to read.
	Topics string
	// Follow keeps reading new records; otherwise Tail returns at the end of every
	// partition that existed when it started.
	Follow bool
}

// Record is one printed line.
type Record struct {
	Topic     string          `json:"topic"`
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
	Key       json.RawMessage `json:"key"`
	Value     json.RawMessage `json:"value"`
}

// Tail prints the records of the matching topics to w, from the beginning.
func Tail(ctx context.Context, dec *schema.Decoder, opts Options, w io.Writer) error {
	if _, err := regexp.Compile(opts.Topics); err != nil {
		return fmt.Errorf("topics pattern %q: %w", opts.Topics, err)
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(opts.Brokers...),
		kgo.ConsumeRegex(),
		kgo.ConsumeTopics(opts.Topics),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.MetadataMinAge(250e6),
	)
	if err != nil {
		return fmt.Errorf("connect to kafka %v: %w", opts.Brokers, err)
	}
	defer cl.Close()
	var ends map[string]map[int32]int64
	if !opts.Follow {
		if ends, err = highWatermarks(ctx, cl, opts.Topics); err != nil {
			return err
		}
		if len(ends) == 0 {
			return nil
		}
	}
	enc := json.NewEncoder(w)
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			ferr = fmt.Errorf("fetch %s/%d: %w", t, p, err)
		})
		if ferr != nil {
			return ferr
		}
		var rerr error
		fs.EachRecord(func(r *kgo.Record) {
			if rerr != nil {
				return
			}
			rec := Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
			if rec.Key, rerr = text(ctx, dec, r.Key); rerr != nil {
				rerr = fmt.Errorf("decode key of %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, rerr)
				return
			}
			if rec.Value, rerr = text(ctx, dec, r.Value); rerr != nil {
				rerr = fmt.Errorf("decode value of %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, rerr)
				return
			}
			rerr = enc.Encode(rec)
			if ends != nil && r.Offset+1 >= ends[r.Topic][r.Partition] {
				delete(ends[r.Topic], r.Partition)
				if len(ends[r.Topic]) == 0 {
					delete(ends, r.Topic)
				}
			}
		})
		if rerr != nil {
			return rerr
		}
		if ends != nil && len(ends) == 0 {
			return nil
		}
	}
}

// text renders framed Avro bytes in Avro's JSON encoding; nil stays null.
func text(ctx context.Context, dec *schema.Decoder, data []byte) (json.RawMessage, error) {
	if len(data) == 0 {
		return json.RawMessage("null"), nil
	}
	native, id, err := dec.Decode(ctx, data)
	if err != nil {
		return nil, err
	}
	codec, err := dec.Codec(ctx, id)
	if err != nil {
		return nil, err
	}
	b, err := codec.TextualFromNative(nil, native)
	if err != nil {
		return nil, fmt.Errorf("render schema %d as json: %w", id, err)
	}
	return b, nil
}
