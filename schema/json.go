package schema

import (
	"bytes"
	"encoding/json"
)

// member is one key of an ordered JSON object.
type member struct {
	k string
	v any
}

// object is a JSON object that keeps its keys in the order written, so generated schemas
// read like the ones Confluent's AvroConverter registers for Debezium.
type object []member

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeJSON(&b, m.k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := writeJSON(&b, m.v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeJSON appends v as JSON without HTML escaping.
func writeJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// marshalSchema renders a schema tree as compact JSON text.
func marshalSchema(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(b.Bytes())), nil
}
