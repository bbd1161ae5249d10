package pipelines

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// fixedEncoder encodes every change as the same record.
type fixedEncoder struct{ key, value []byte }

func (e fixedEncoder) Change(context.Context, *event.Change) (string, []byte, []byte, error) {
	return "t", e.key, e.value, nil
}
func (e fixedEncoder) Message(context.Context, *event.Message) (string, []byte, []byte, error) {
	return "t", e.key, e.value, nil
}
func (e fixedEncoder) Heartbeat(context.Context, time.Time) (string, []byte, []byte, error) {
	return "t", e.key, e.value, nil
}
func (e fixedEncoder) SchemaChange(context.Context, *event.SchemaChange) (string, []byte, []byte, error) {
	return "t", e.key, e.value, nil
}

// countProducer counts the records written and checks that every write holds the
// records of one source change each, in order (their keys count up).
type countProducer struct {
	mu   sync.Mutex
	n    int
	next byte
	bad  int
}

func (p *countProducer) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range msgs {
		if len(m.Key) == 1 {
			if m.Key[0] != p.next {
				p.bad++
			}
			p.next++
		}
	}
	p.n += len(msgs)
	return nil
}

type nopTopics struct{}

func (nopTopics) Ensure(context.Context, string, int, int) error { return nil }

// chunkPos is a snapshot chunk's end: stored at once.
type chunkPos int

func (p chunkPos) String() string { return "chunk" }
func (p chunkPos) StoreNow() bool { return true }

// rowSource hands over n changes of one table, with a commit to store at once after
// every chunk of them, as a snapshot does.
type rowSource struct {
	n, chunk int
	mu       sync.Mutex
	acked    int
}

func (s *rowSource) Run(ctx context.Context, h event.Handler) error {
	c := &event.Change{Table: &event.Table{ID: event.TableID{Schema: "s", Table: "t"}}, Op: event.OpRead}
	for i := range s.n {
		if err := h.Change(ctx, c); err != nil {
			return err
		}
		if (i+1)%s.chunk == 0 || i == s.n-1 {
			if err := h.Commit(ctx, chunkPos(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *rowSource) Ack(event.Position) {
	s.mu.Lock()
	s.acked++
	s.mu.Unlock()
}

// keyEncoder gives the i-th change the key {byte(i)}.
type keyEncoder struct {
	fixedEncoder
	i byte
}

func (e *keyEncoder) Change(context.Context, *event.Change) (string, []byte, []byte, error) {
	k := []byte{e.i}
	e.i++
	return "t", k, e.value, nil
}

// TestPipelineWritesInOrder: every change of a source becomes one record, written in
// order, over batches of every size, and every chunk end is acknowledged.
func TestPipelineWritesInOrder(t *testing.T) {
	for _, tc := range []struct{ n, chunk, batch int }{{25_001, 5000, 1000}, {10_000, 3, 7}, {1, 1, 10_000}, {30_000, 50_000, 10_000}} {
		src := &rowSource{n: tc.n, chunk: tc.chunk}
		prod := &countProducer{}
		p := &Pipeline{Name: "t", Source: src, Encoder: &keyEncoder{fixedEncoder: fixedEncoder{value: make([]byte, 200)}},
			Producer: prod, Topics: nopTopics{}, Logger: slog.New(slog.DiscardHandler), BatchSize: tc.batch, Linger: time.Millisecond}
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if prod.n != tc.n || prod.bad != 0 {
			t.Errorf("%+v: %d records written, %d out of order", tc, prod.n, prod.bad)
		}
		if want := (tc.n + tc.chunk - 1) / tc.chunk; src.acked != want {
			t.Errorf("%+v: %d acks, want %d", tc, src.acked, want)
		}
	}
}

// BenchmarkPipelineRecords measures the pipeline's own cost per record (an op): batching
// snapshot changes (chunks of 50000) into batches of 10000 and handing them to the
// producer, which drops them; the encoder returns the same bytes every time. From
// `go test ./pipelines -run XXX -bench PipelineRecords -benchmem` on a shared, noisy
// 2-CPU machine: ~200-245 -> ~41-45 ns/op and 282 -> 1 B/op once batches reused their
// message slices and runs of one table skipped the counter and topic maps.
func BenchmarkPipelineRecords(b *testing.B) {
	src := &rowSource{n: b.N, chunk: 50_000}
	p := &Pipeline{Name: "b", Source: src, Encoder: fixedEncoder{key: make([]byte, 10), value: make([]byte, 300)},
		Producer: &countProducer{}, Topics: nopTopics{}, Logger: slog.New(slog.DiscardHandler), BatchSize: 10_000, Linger: time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	if err := p.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// TestBatcherRecycle: a written batch's message slice comes back empty for a new batch,
// holding no record.
func TestBatcherRecycle(t *testing.T) {
	b := newBatcher(fixedEncoder{}, nopTopics{}, 1, 1, 10, false, newPipelineMetrics(nil, "t"), slog.New(slog.DiscardHandler))
	msgs := make([]kafka.Message, 3, 10)
	for i := range msgs {
		msgs[i] = kafka.Message{Topic: "t", Value: []byte("v")}
	}
	b.recycle(&batch{msgs: msgs})
	got := b.newMsgs(0)
	if len(got) != 0 || cap(got) != 10 {
		t.Fatalf("recycled slice: len %d cap %d", len(got), cap(got))
	}
	for i, m := range got[:3] {
		if m.Topic != "" || m.Value != nil {
			t.Errorf("message %d still holds %+v", i, m)
		}
	}
	if fresh := b.newMsgs(4); cap(fresh) != 4 {
		t.Errorf("with nothing recycled: cap %d, want the last batch's length", cap(fresh))
	}
	b.recycle(&batch{msgs: make([]kafka.Message, 0, 100)}) // outsized: dropped
	if got := b.newMsgs(0); cap(got) != 0 {
		t.Errorf("an outsized slice was kept (cap %d)", cap(got))
	}
	b.recycle(&batch{msgs: make([]kafka.Message, 0, 10), failed: true}) // a write failed: dropped
	if got := b.newMsgs(0); cap(got) != 0 {
		t.Errorf("the slice of a batch whose write failed was kept (cap %d)", cap(got))
	}
}

// TestBatcherCounts: changes are counted per table and op, in runs or interleaved.
func TestBatcherCounts(t *testing.T) {
	reg := prometheus.NewRegistry()
	b := newBatcher(fixedEncoder{}, nopTopics{}, 1, 1, 10, false, newPipelineMetrics(reg, "t"), slog.New(slog.DiscardHandler))
	t1 := &event.Table{ID: event.TableID{Schema: "s", Table: "a"}}
	t2 := &event.Table{ID: event.TableID{Schema: "s", Table: "b"}}
	t1v2 := &event.Table{ID: t1.ID} // a new version of s.a
	for _, c := range []struct {
		t  *event.Table
		op event.Op
	}{{t1, "r"}, {t1, "r"}, {t2, "r"}, {t1, "c"}, {t1, "r"}, {t1v2, "r"}, {t2, "r"}, {t2, "r"}} {
		b.count(c.t, c.op)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "dovetail_source_changes_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["table"]+" "+labels["op"]] = m.GetCounter().GetValue()
		}
	}
	if want := map[string]float64{"s.a r": 4, "s.a c": 1, "s.b r": 3}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes counted %v, want %v", got, want)
	}
}

// TestBatcherEnsure: each topic is created once, whatever the order of records.
func TestBatcherEnsure(t *testing.T) {
	topics := &countTopics{n: map[string]int{}}
	b := newBatcher(fixedEncoder{}, topics, 1, 1, 10, false, newPipelineMetrics(nil, "t"), slog.New(slog.DiscardHandler))
	for _, topic := range []string{"a", "a", "b", "a", "c", "c", "b"} {
		if err := b.ensure(context.Background(), topic); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(topics.n) != "map[a:1 b:1 c:1]" {
		t.Errorf("topics created %v", topics.n)
	}
	topics.fail = true
	if err := b.ensure(context.Background(), "d"); err == nil {
		t.Fatal("a failed creation was not reported")
	}
	topics.fail = false
	if err := b.ensure(context.Background(), "d"); err != nil || topics.n["d"] != 1 {
		t.Errorf("after a failure: err %v, created %d times", err, topics.n["d"])
	}
}

type countTopics struct {
	n    map[string]int
	fail bool
}

func (c *countTopics) Ensure(_ context.Context, topic string, _, _ int) error {
	if c.fail {
		return errPermanent
	}
	c.n[topic]++
	return nil
}

// errPermanent is a Kafka error that retry does not retry.
var errPermanent = kafka.TopicAuthorizationFailed
