package schema

import (
	"context"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// FuzzDecode feeds outside bytes to the Decoder: it may reject them, never panic.
func FuzzDecode(f *testing.F) {
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove")
	tb := everyTypeTable()
	_, k, v, err := enc.Change(ctx, &event.Change{Table: tb, Op: event.OpCreate, After: everyTypeRow(), Source: pgSource()})
	if err != nil {
		f.Fatal(err)
	}
	_, hk, hv, err := enc.Heartbeat(ctx, processed)
	if err != nil {
		f.Fatal(err)
	}
	_, mk, mv, err := enc.Message(ctx, &event.Message{Prefix: "p", Content: []byte("c"), Source: pgSource()})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{k, v, hk, hv, mk, mv, nil, {0}, {0, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		f.Add(seed)
	}
	dec := NewDecoder(reg)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = dec.Decode(ctx, data)
	})
}

// FuzzChange feeds outside bytes to Decoder.Change as a record's key and value: it may
// reject them, never panic.
func FuzzChange(f *testing.F) {
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove")
	tb := allKindsTable()
	for _, c := range []*event.Change{
		{Table: tb, Op: event.OpUpdate, Before: unavailableRow(tb, allKindsRow()), After: allKindsRow(), Source: pgSource()},
		{Table: tb, Op: event.OpDelete, Before: nullRow(tb, allKindsRow()), Source: pgSource()},
		{Table: mysqlTable(allKindsTable()), Op: event.OpTruncate, Source: mysqlSource()},
	} {
		_, k, v, err := enc.Change(ctx, c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(k, v)
	}
	_, mk, mv, err := enc.Message(ctx, &event.Message{Prefix: "p", Content: []byte("c"), Source: pgSource()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mk, mv)
	f.Add([]byte(nil), []byte{0, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f})
	dec := NewDecoder(reg)
	f.Fuzz(func(t *testing.T, key, value []byte) {
		_, _ = dec.Change(ctx, key, value)
	})
}
