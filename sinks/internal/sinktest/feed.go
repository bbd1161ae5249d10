package sinktest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
)

// Ctx is a context for one test: cancelled after two minutes or when the test ends.
func Ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// Feed numbers changes as records of one topic partition, in order, across batches.
type Feed struct {
	TP   sinks.TopicPartition
	Next int64 // the offset of the next record
	// Source is the source position given to a change at offset n that has none.
	Source func(n int64) event.Source
}

// Batch plans the changes as the next records of the feed.
func (f *Feed) Batch(t testing.TB, naming sinks.Naming, changes ...*event.Change) *sinks.Batch {
	t.Helper()
	var recs []sinks.Record
	for _, c := range changes {
		if c.Source.Connector == "" {
			c.Source = f.Source(f.Next)
		}
		recs = append(recs, sinks.Record{Change: c, TopicPartition: f.TP, Offset: f.Next})
		f.Next++
	}
	b, err := sinks.Plan(recs, naming)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return b
}

// Apply plans and applies changes, failing t on error.
func (f *Feed) Apply(t testing.TB, tg sinks.Target, changes ...*event.Change) {
	t.Helper()
	if err := tg.Apply(Ctx(t), f.Batch(t, sinks.Naming{}, changes...)); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// WantRows reports an error unless the rows got from query q are want, in order.
func WantRows(t testing.TB, q string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", q, got, want)
	}
}
