package pipelines

import (
	"context"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/broker"
	"github.com/dovetail-cdc/dovetail/internal/kafka"
)

type textPos string

func (p textPos) String() string               { return string(p) }
func (p textPos) MarshalText() ([]byte, error) { return []byte(p), nil }

func TestOffsetStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	b, err := broker.Start(ctx, broker.Options{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	newStore := func(addr string) *offsetStore {
		w, err := kafka.NewWriter([]string{addr}, kafka.WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		topics := kafka.TopicsFor(w, nil)
		return &offsetStore{brokers: []string{addr}, topic: OffsetsTopic("shop"), key: []byte("shop"),
			writer: w, topics: compacted{topics}, every: time.Hour}
	}
	o := newStore(b.Addr())
	if text, err := o.load(ctx); err != nil || text != nil {
		t.Fatalf("load from an empty store = %q, %v; want nothing", text, err)
	}
	for _, pos := range []string{"0-1-1", "0-1-2", "0-1-3"} {
		if err := o.store(ctx, textPos(pos), true); err != nil {
			t.Fatal(err)
		}
	}
	// Throttled: within every, a store that is not forced writes nothing.
	if err := o.store(ctx, textPos("0-1-4"), false); err != nil {
		t.Fatal(err)
	}
	if text, err := o.load(ctx); err != nil || string(text) != "0-1-3" {
		t.Fatalf("load = %q, %v; want the last forced position 0-1-3", text, err)
	}
	// A forced store with no new position (the drain's last batch acknowledged nothing)
	// writes the newest one that was held back.
	if err := o.store(ctx, nil, true); err != nil {
		t.Fatal(err)
	}
	if text, err := o.load(ctx); err != nil || string(text) != "0-1-4" {
		t.Fatalf("load = %q, %v; want the held-back position 0-1-4", text, err)
	}
	// Another worker on the same cluster (here: the broker restarted on its data) finds it.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = broker.Start(ctx, broker.Options{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if text, err := newStore(b.Addr()).load(ctx); err != nil || string(text) != "0-1-4" {
		t.Fatalf("load after a restart = %q, %v; want 0-1-4", text, err)
	}
}
