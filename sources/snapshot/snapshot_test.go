package snapshot

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

func TestSplitInts(t *testing.T) {
	tests := []struct {
		lo, hi, rows int64
		per          int
		want         []string
	}{
		{1, 100, 100, 100, nil},
		{1, 100, 100, 25, []string{"26", "51", "76"}},
		{1, 10, 1000, 100, []string{"2", "3", "4", "5", "6", "7", "8", "9", "10"}},
		{5, 5, 1000, 1, nil},
		{-9223372036854775808, 9223372036854775807, 4, 1, []string{"-4611686018427387904", "0", "4611686018427387904"}},
	}
	for _, tt := range tests {
		var got []string
		for _, k := range SplitInts(tt.lo, tt.hi, tt.rows, tt.per) {
			got = append(got, k[0])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitInts(%d, %d, %d, %d) = %v, want %v", tt.lo, tt.hi, tt.rows, tt.per, got, tt.want)
		}
	}
}

// recorder is an event.Handler that keeps what it gets.
type recorder struct {
	marks   []string
	commits []string
	// processed are the changes' Processed times.
	processed []time.Time
}

func (r *recorder) Change(_ context.Context, c *event.Change) error {
	r.marks = append(r.marks, fmt.Sprintf("%s:%v:%s", c.Table.ID.Table, c.After[0], c.Source.Snapshot))
	r.processed = append(r.processed, c.Processed)
	return nil
}
func (r *recorder) Message(context.Context, *event.Message) error { return nil }
func (r *recorder) Commit(_ context.Context, pos event.Position) error {
	r.commits = append(r.commits, pos.String())
	return nil
}
func (r *recorder) Heartbeat(context.Context, time.Time, event.Position) error { return nil }

// TestEmitterMarks: rows of two tables, their chunks interleaved, get Debezium's
// source.snapshot marks, and each chunk's end is committed with the progress.
func TestEmitterMarks(t *testing.T) {
	a := &Table{Table: &event.Table{ID: event.TableID{Schema: "s", Table: "a"}}}
	b := &Table{Table: &event.Table{ID: event.TableID{Schema: "s", Table: "b"}}}
	p := &progress{Stream: "0/1", Order: []string{"s.a", "s.b"}, Tables: map[string]*tableProgress{
		"s.a": {Splits: []Key{{"10"}}, Done: []bool{false, false}},
		"s.b": {Done: []bool{false}},
	}}
	sa, sb := &tableStat{id: "s.a"}, &tableStat{id: "s.b"}
	a0 := &chunk{t: a, tp: p.Tables["s.a"], index: 0, stat: sa}
	a1 := &chunk{t: a, tp: p.Tables["s.a"], index: 1, stat: sa}
	b0 := &chunk{t: b, tp: p.Tables["s.b"], index: 0, stat: sb}
	r := &recorder{}
	e := newEmitter(r, p, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	before := time.Now()
	steps := []struct {
		ch  *chunk
		row any // nil: the chunk ends
	}{
		{a0, 1}, {a1, 10}, {a0, 2}, {b0, 100}, {a0, nil}, {b0, 101}, {a1, 11}, {a1, nil}, {b0, 102}, {b0, nil},
	}
	for _, s := range steps {
		var err error
		if s.row == nil {
			err = e.chunkDone(ctx, s.ch)
		} else {
			err = e.rows(ctx, s.ch, [][]any{{s.row}})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// A table's row is handed over when its next row or its chunk's end comes.
	want := []string{"a:1:first", "a:10:true", "a:2:true", "b:100:first_in_data_collection",
		"a:11:last_in_data_collection", "b:101:true", "b:102:last"}
	if !reflect.DeepEqual(r.marks, want) {
		t.Errorf("marks\n got %v\nwant %v", r.marks, want)
	}
	// Each row carries the time its batch was handed over, for the envelope's ts_ms.
	for i, at := range r.processed {
		if at.Before(before) || at.After(time.Now()) {
			t.Errorf("change %d: Processed %v, not the time of its batch", i, at)
		}
	}
	if len(r.commits) != 3 {
		t.Fatalf("%d commits, want one per chunk: %v", len(r.commits), r.commits)
	}
	last, err := parseProgress([]byte(strings.TrimSuffix(r.commits[2], "...")))
	if err != nil {
		t.Fatalf("the last commit's progress: %v", err)
	}
	if last.chunksDone() != 0 || !last.Tables["s.a"].Finished || !last.Tables["s.b"].Finished {
		t.Errorf("after every chunk the progress says %+v", last)
	}
}

// TestStreamOf: what a stored position means to the stream.
func TestStreamOf(t *testing.T) {
	running := (&progress{Stream: "0/16", Order: []string{"s.a"}, Tables: map[string]*tableProgress{"s.a": {Done: []bool{false}}}}).position()
	tests := []struct {
		stored string
		want   string
		ok     bool
	}{
		{"gtid=0-1-5 file=binlog.000001 pos=4", "gtid=0-1-5 file=binlog.000001 pos=4", true},
		{running.text, "", false},
		{`snapshot {"stream":"0/16","done":true}`, "0/16", true},
		{`incremental {"stream":"0/20","incremental":{"table":"s.a","planned":true,"next":3}}`, "0/20", true},
	}
	for _, tt := range tests {
		got, ok := StreamOf([]byte(tt.stored))
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("StreamOf(%q) = %q, %v; want %q, %v", tt.stored, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRenderBars(t *testing.T) {
	got := renderBars([]bar{
		{name: "public.items", rows: 25, est: 100, rate: 10, eta: 8 * time.Second},
		{name: "public.small", rows: 7, est: 5, rate: 0, done: true},
		{name: "total", rows: 32, est: 105, rate: 10},
	}, 12)
	want := "" +
		"public.items [######------------------]         25/100         25%       10 rows/s  ETA 8s\n" +
		"public.small [########################]          7/7          100%        0 rows/s  done\n" +
		"total        [#######-----------------]         32/105         30%       10 rows/s\n"
	if got != want {
		t.Errorf("bars\n%s\nwant\n%s", got, want)
	}
}

// TestTerminalRedraw: the second drawing moves the cursor back over the first.
func TestTerminalRedraw(t *testing.T) {
	var b strings.Builder
	term := &terminal{w: &b}
	ts := &tableStat{id: "s.a", estimated: 10}
	st := &stats{}
	st.estimated.Store(10)
	st.chunksTotal.Store(1)
	now := time.Now()
	term.draw([]*tableStat{ts}, st, now)
	ts.rows.Store(10)
	ts.done.Store(true)
	st.rows.Store(10)
	st.chunksDone.Store(1)
	b.Reset()
	term.draw([]*tableStat{ts}, st, now.Add(time.Second))
	out := b.String()
	if !strings.HasPrefix(out, "\x1b[2A") || strings.Count(out, "\x1b[2K") != 2 || strings.Count(out, "done") != 2 {
		t.Errorf("redraw = %q", out)
	}
}
