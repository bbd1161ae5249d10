package schema

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/schema/internal/avro"
	"github.com/linkedin/goavro/v2"
)

// ErrNotFramed reports bytes that do not start with the Confluent wire format header.
var ErrNotFramed = errors.New("not in the confluent wire format")

// SchemaID returns the writer schema id of framed bytes.
func SchemaID(data []byte) (int, error) {
	if len(data) < 5 {
		return 0, fmt.Errorf("%w: %d bytes, want at least 5", ErrNotFramed, len(data))
	}
	if data[0] != magic {
		return 0, fmt.Errorf("%w: magic byte %#x", ErrNotFramed, data[0])
	}
	return int(binary.BigEndian.Uint32(data[1:5])), nil
}

// Decoder turns framed Avro bytes back into goavro native values (records as
// map[string]any, unions as map[string]any{branch: value}, decimals as *big.Rat), with
// whatever writer schema the bytes name, or, with Change, back into change events. It
// caches compiled codecs by id and is safe for concurrent use.
type Decoder struct {
	reg Registry

	mu     sync.RWMutex
	codecs map[int]*writerSchema
	tables map[decodedTable]*event.Table // Change's tables, see tableOf
}

// writerSchema is a compiled writer schema and its parsed tree, used to bound-check
// outside bytes before goavro decodes them.
type writerSchema struct {
	codec *goavro.Codec
	tree  *avro.Type

	// What Change builds from the schema on first use, as a value or as a key schema.
	valueOnce sync.Once
	value     *valuePlan
	valueErr  error
	keyOnce   sync.Once
	keyFields []string
	keyErr    error
}

// NewDecoder returns a Decoder that fetches writer schemas from reg.
func NewDecoder(reg Registry) *Decoder {
	return &Decoder{reg: reg, codecs: map[int]*writerSchema{}, tables: map[decodedTable]*event.Table{}}
}

// Decode decodes framed bytes and returns the value and its writer schema id. A nil or
// empty input (a tombstone) decodes to nil with id 0.
func (d *Decoder) Decode(ctx context.Context, data []byte) (value any, id int, err error) {
	if len(data) == 0 {
		return nil, 0, nil
	}
	if id, err = SchemaID(data); err != nil {
		return nil, 0, err
	}
	ws, err := d.writer(ctx, id)
	if err != nil {
		return nil, id, err
	}
	// goavro preallocates from block counts in the data: check them against the input
	// size first.
	n, err := ws.tree.Check(data[5:])
	if err != nil {
		return nil, id, fmt.Errorf("decode avro with schema %d: %w", id, err)
	}
	if n != len(data)-5 {
		return nil, id, fmt.Errorf("decode avro with schema %d: %d trailing bytes", id, len(data)-5-n)
	}
	value, _, err = ws.codec.NativeFromBinary(data[5:])
	if err != nil {
		return nil, id, fmt.Errorf("decode avro with schema %d: %w", id, err)
	}
	return value, id, nil
}

// Codec returns the compiled writer schema of an id, fetching it on first use.
func (d *Decoder) Codec(ctx context.Context, id int) (*goavro.Codec, error) {
	ws, err := d.writer(ctx, id)
	if err != nil {
		return nil, err
	}
	return ws.codec, nil
}

func (d *Decoder) writer(ctx context.Context, id int) (*writerSchema, error) {
	d.mu.RLock()
	ws := d.codecs[id]
	d.mu.RUnlock()
	if ws != nil {
		return ws, nil
	}
	text, err := d.reg.Schema(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("fetch schema %d: %w", id, err)
	}
	ws = &writerSchema{}
	if ws.codec, err = goavro.NewCodec(text); err != nil {
		return nil, fmt.Errorf("compile schema %d: %w", id, err)
	}
	if ws.tree, err = avro.Parse(text); err != nil {
		return nil, fmt.Errorf("parse schema %d: %w", id, err)
	}
	d.mu.Lock()
	d.codecs[id] = ws
	d.mu.Unlock()
	return ws, nil
}
