// Package tail prints a pipeline's Kafka records decoded, one JSON object per line. It is
// what `dovetail tail` and the demo show; it reads Kafka and the registry only, like any
// outside consumer.
//
// Values are shown as a person reads them, like Debezium's JSON converter without
// schemas: unions unwrapped ({"int": 5} is 5), decimals as exact decimal strings, bytes
// as base64. Object keys are sorted.
package tail

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strings"
	"time"

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
		kgo.MetadataMinAge(250*time.Millisecond),
		kgo.MetadataMaxAge(time.Second), // find topics created after the start soon
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

// text renders framed Avro bytes as readable JSON; nil stays null.
func text(ctx context.Context, dec *schema.Decoder, data []byte) (json.RawMessage, error) {
	if len(data) == 0 {
		return json.RawMessage("null"), nil
	}
	native, _, err := dec.Decode(ctx, data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(readable(native))
}

// readable turns goavro's native values into plain JSON values.
func readable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, inner := range x {
				if isUnionBranch(k) {
					return readable(inner)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, inner := range x {
			out[k] = readable(inner)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, inner := range x {
			out[i] = readable(inner)
		}
		return out
	case *big.Rat:
		return decimalString(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case float32:
		return floatValue(float64(x))
	case float64:
		return floatValue(x)
	}
	return v
}

// isUnionBranch reports whether k is how goavro names a union branch: a primitive type or
// a named type's full name. Record field names never contain dots.
func isUnionBranch(k string) bool {
	switch k {
	case "boolean", "int", "long", "float", "double", "bytes", "string", "array", "map":
		return true
	}
	return strings.Contains(k, ".")
}

// decimalString renders r exactly with the fewest decimals (Avro decimals always end).
func decimalString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	d := new(big.Int).Set(r.Denom())
	scale := 0
	ten := big.NewInt(10)
	for mod := new(big.Int); scale < 1000; scale++ {
		if mod.Mod(new(big.Int).Exp(ten, big.NewInt(int64(scale)), nil), d).Sign() == 0 {
			break
		}
	}
	return r.FloatString(scale)
}

// floatValue keeps NaN and infinities printable (JSON has no such numbers).
func floatValue(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}
