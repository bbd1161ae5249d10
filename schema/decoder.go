package schema

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

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
// whatever writer schema the bytes name. It caches compiled codecs by id and is safe for
// concurrent use.
type Decoder struct {
	reg Registry

	mu     sync.RWMutex
	codecs map[int]*goavro.Codec
}

// NewDecoder returns a Decoder that fetches writer schemas from reg.
func NewDecoder(reg Registry) *Decoder {
	return &Decoder{reg: reg, codecs: map[int]*goavro.Codec{}}
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
	codec, err := d.Codec(ctx, id)
	if err != nil {
		return nil, id, err
	}
	value, rest, err := codec.NativeFromBinary(data[5:])
	if err != nil {
		return nil, id, fmt.Errorf("decode avro with schema %d: %w", id, err)
	}
	if len(rest) > 0 {
		return nil, id, fmt.Errorf("decode avro with schema %d: %d trailing bytes", id, len(rest))
	}
	return value, id, nil
}

// Codec returns the compiled writer schema of an id, fetching it on first use.
func (d *Decoder) Codec(ctx context.Context, id int) (*goavro.Codec, error) {
	d.mu.RLock()
	c := d.codecs[id]
	d.mu.RUnlock()
	if c != nil {
		return c, nil
	}
	text, err := d.reg.Schema(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("fetch schema %d: %w", id, err)
	}
	if c, err = goavro.NewCodec(text); err != nil {
		return nil, fmt.Errorf("compile schema %d: %w", id, err)
	}
	d.mu.Lock()
	d.codecs[id] = c
	d.mu.Unlock()
	return c, nil
}
