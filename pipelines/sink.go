package pipelines

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/dovetail-cdc/dovetail/internal/event"
	dkafka "github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/schema/registry"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/transform"
)

// RecordDecoder turns a record's key and value back into a change (schema.Decoder).
type RecordDecoder interface {
	Change(ctx context.Context, key, value []byte) (schema.ChangeRecord, error)
}

// SinkRunner runs one sink: it consumes a pipeline's change topics as a member of a
// consumer group and applies them to its target. Several workers with the same group
// split the partitions. Each of Parallelism appliers owns some of this member's
// partitions and a target connection; a partition's records are applied in order.
type SinkRunner struct {
	// Name is "<pipeline>/<sink>", for logs and metrics.
	Name    string
	Group   string
	Brokers []string
	// Prefix selects the topics: "<prefix>.<namespace>.<table>" (not the heartbeat,
	// message or schema change topics).
	Prefix  string
	Decoder RecordDecoder
	// Open connects one applier to the target.
	Open   func(ctx context.Context) (sinks.Target, error)
	Naming sinks.Naming
	// Transforms run on each decoded change before it is planned (the sink's
	// transforms); nil for none. Selection then chooses the tables they see (Naming's
	// own table filters see the transformed names).
	Transforms *transform.Chain
	Selection  sinks.Naming

	BatchSize   int
	Linger      time.Duration
	Parallelism int
	// DeadLetter is the dead-letter topic ("" stops on a bad record); Producer writes
	// to it.
	DeadLetter string
	Producer   Producer
	Topics     Topics
	Logger     *slog.Logger
	// TopicRefresh is how often new change topics are looked for (default 5s).
	TopicRefresh time.Duration

	metrics *sinkMetrics
	// topicTables names a change's table after its topic (source-side renames).
	topicTables topicTables
	openMu      sync.Mutex
	// assigned is set once a generation of the group has started.
	assigned atomic.Bool
}

// Ready reports whether the sink is a member of its consumer group with its partitions
// assigned, or has no change topics to consume yet.
func (r *SinkRunner) Ready() bool { return r.assigned.Load() }

type sinkMetrics struct {
	applied, deadLettered, retries prometheus.Counter
	applySeconds                   prometheus.Histogram
}

func newSinkMetrics(reg prometheus.Registerer, name string) *sinkMetrics {
	pipeline, sink, _ := strings.Cut(name, "/")
	l := prometheus.Labels{"pipeline": pipeline, "sink": sink}
	m := &sinkMetrics{
		applied: prometheus.NewCounter(prometheus.CounterOpts{Name: "dovetail_sink_records_total",
			Help: "Records a sink applied to its target (tombstones and records of excluded tables included).", ConstLabels: l}),
		deadLettered: prometheus.NewCounter(prometheus.CounterOpts{Name: "dovetail_sink_dead_letters_total",
			Help: "Records a sink sent to its dead-letter topic.", ConstLabels: l}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "dovetail_sink_retries_total",
			Help: "Target transactions retried after a failure of the target.", ConstLabels: l}),
		applySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "dovetail_sink_apply_seconds",
			Help: "Time to apply one batch to the target.", ConstLabels: l, Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}),
	}
	if reg != nil {
		reg.MustRegister(m.applied, m.deadLettered, m.retries, m.applySeconds)
	}
	return m
}

func (r *SinkRunner) log() *slog.Logger {
	l := r.Logger
	if l == nil {
		l = slog.Default()
	}
	return l.With("sink", r.Name)
}

// Run consumes and applies until ctx is done (then it returns nil) or a record cannot
// be applied and there is no dead-letter topic.
func (r *SinkRunner) Run(ctx context.Context) error {
	if r.metrics == nil {
		r.metrics = newSinkMetrics(nil, r.Name)
	}
	r.topicTables.prefix = r.Prefix
	par := max(r.Parallelism, 1)
	appliers := make([]*applier, par)
	defer func() {
		for _, a := range appliers {
			if a != nil && a.target != nil {
				_ = a.target.Close()
			}
		}
	}()
	for i := range appliers {
		appliers[i] = &applier{r: r, index: i}
	}
	refresh := r.TopicRefresh
	if refresh <= 0 {
		refresh = 5 * time.Second
	}
	for {
		topics, err := r.changeTopics(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log().Warn("list topics failed; retrying", "err", err)
		}
		if len(topics) == 0 {
			r.assigned.Store(err == nil) // nothing to consume yet is ready
			if !sleep(ctx, refresh) {
				return nil
			}
			continue
		}
		err = r.member(ctx, topics, appliers, refresh)
		if ctx.Err() != nil {
			return nil
		}
		var fatal *sinkError
		if errors.As(err, &fatal) {
			return err
		}
		if err != nil {
			r.log().Warn("consumer group session ended; rejoining", "err", err)
			if !sleep(ctx, time.Second) {
				return nil
			}
		}
	}
}

// sinkError is a record the sink cannot apply and may not skip.
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// changeTopics lists the topics of the prefix that hold changes.
func (r *SinkRunner) changeTopics(ctx context.Context) ([]string, error) {
	all, err := dkafka.ListTopics(ctx, r.Brokers)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range all {
		rest, ok := strings.CutPrefix(t, r.Prefix+".")
		if !ok || strings.Count(rest, ".") != 1 {
			continue // the schema change topic, <prefix>.message, <prefix>.transaction
		}
		out = append(out, t)
	}
	return out, nil
}

// member is one membership of the consumer group: until the topic set changes, the
// group rebalances, or an error.
func (r *SinkRunner) member(ctx context.Context, topics []string, appliers []*applier, refresh time.Duration) error {
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                     r.Group,
		Brokers:                r.Brokers,
		Topics:                 topics,
		StartOffset:            kafka.FirstOffset,
		WatchPartitionChanges:  true,
		PartitionWatchInterval: refresh,
		HeartbeatInterval:      time.Second,
		// Kafka's least (group.min.session.timeout.ms): a killed member's partitions
		// move to the others this soon.
		SessionTimeout:   6 * time.Second,
		RebalanceTimeout: 10 * time.Second,
		JoinGroupBackoff: time.Second,
	})
	if err != nil {
		return fmt.Errorf("join consumer group %s: %w", r.Group, err)
	}
	defer cg.Close()
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A new change topic (a table captured since) needs a new membership.
	go func() {
		t := time.NewTicker(refresh)
		defer t.Stop()
		for {
			select {
			case <-mctx.Done():
				return
			case <-t.C:
				now, err := r.changeTopics(mctx)
				if err == nil && !slices.Equal(now, topics) {
					r.log().Info("change topics changed; rejoining the group", "topics", len(now))
					cancel()
					return
				}
			}
		}
	}()
	for {
		gen, err := cg.Next(mctx)
		if err != nil {
			if mctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("consumer group %s: %w", r.Group, err)
		}
		if err := r.generation(mctx, gen, appliers); err != nil {
			return err
		}
	}
}

// generation applies the partitions assigned in gen until it ends.
func (r *SinkRunner) generation(ctx context.Context, gen *kafka.Generation, appliers []*applier) error {
	shards := make([][]sinks.TopicPartition, len(appliers))
	n := 0
	for topic, parts := range gen.Assignments {
		for _, p := range parts {
			tp := sinks.TopicPartition{Topic: topic, Partition: p.ID}
			h := fnv.New32a()
			h.Write([]byte(tp.String()))
			i := int(h.Sum32() % uint32(len(appliers)))
			shards[i] = append(shards[i], tp)
			n++
		}
	}
	r.log().Info("partitions assigned", "generation", gen.ID, "partitions", n)
	r.assigned.Store(true)
	var mu sync.Mutex
	var failure error
	var wg sync.WaitGroup
	for i, tps := range shards {
		if len(tps) == 0 {
			continue
		}
		wg.Add(1)
		gen.Start(func(gctx context.Context) {
			defer wg.Done()
			// The generation's context ends on rebalance; ctx on shutdown.
			actx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-gctx.Done():
					cancel()
				case <-actx.Done():
				}
			}()
			err := appliers[i].run(actx, gen, tps)
			if err != nil && actx.Err() == nil {
				mu.Lock()
				failure = errors.Join(failure, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failure
}

// applier applies some partitions with its own target connection.
type applier struct {
	r      *SinkRunner
	index  int
	target sinks.Target
}

// message is a fetched record of one partition.
type message struct {
	tp  sinks.TopicPartition
	msg kafka.Message
}

func (a *applier) run(ctx context.Context, gen *kafka.Generation, tps []sinks.TopicPartition) error {
	r := a.r
	log := r.log().With("applier", a.index)
	if err := a.connect(ctx); err != nil {
		return err
	}
	stored, err := a.offsets(ctx)
	if err != nil {
		return err
	}
	msgs := make(chan message, max(r.BatchSize, 1))
	g, gctx := errgroup.WithContext(ctx)
	for _, tp := range tps {
		g.Go(func() error { return r.fetch(gctx, tp, stored, msgs) })
	}
	// Two stages that overlap: while the target applies one batch, the next is read,
	// decoded and planned.
	ready := make(chan *prepared, 1)
	g.Go(func() error {
		defer close(ready)
		linger := r.Linger
		if linger <= 0 {
			linger = 100 * time.Millisecond
		}
		var batch []message
		timer := time.NewTimer(time.Hour)
		defer timer.Stop()
		for {
			select {
			case <-gctx.Done():
				return nil
			case m := <-msgs:
				if len(batch) == 0 {
					timer.Reset(linger)
				}
				batch = append(batch, m)
				if len(batch) < max(r.BatchSize, 1) {
					continue
				}
			case <-timer.C:
				if len(batch) == 0 {
					continue
				}
			}
			p, err := a.prepare(gctx, batch)
			if err != nil {
				return err
			}
			select {
			case ready <- p:
			case <-gctx.Done():
				return nil
			}
			batch = nil
		}
	})
	g.Go(func() error {
		for p := range ready {
			if err := a.apply(gctx, p, log); err != nil {
				return err
			}
			commit := map[string]map[int]int64{}
			for _, m := range p.msgs {
				if commit[m.tp.Topic] == nil {
					commit[m.tp.Topic] = map[int]int64{}
				}
				commit[m.tp.Topic][m.tp.Partition] = m.msg.Offset + 1
			}
			// The group's offsets are for lag monitoring only: the target's are the truth.
			if err := gen.CommitOffsets(commit); err != nil && gctx.Err() == nil {
				log.Debug("commit offsets to the group failed", "err", err)
			}
		}
		return nil
	})
	return g.Wait()
}

// prepared is a batch read from Kafka, decoded and planned.
type prepared struct {
	msgs []message
	recs []sinks.Record
	plan *sinks.Batch // nil when planning failed: apply finds the record at fault
}

// connect opens the applier's target connection, retrying while the target is
// unavailable; a refusal (wrong password, missing privilege) stops the sink.
func (a *applier) connect(ctx context.Context) error {
	if a.target != nil {
		return nil
	}
	return a.r.retryUnavailable(ctx, "connect to the target", func() error {
		// One at a time: the first connection sets the target up (its offsets table).
		a.r.openMu.Lock()
		defer a.r.openMu.Unlock()
		t, err := a.r.Open(ctx)
		if err != nil {
			return err
		}
		a.target = t
		return nil
	})
}

func (a *applier) offsets(ctx context.Context) (sinks.Offsets, error) {
	var stored sinks.Offsets
	err := a.r.retryUnavailable(ctx, "read stored offsets", func() (err error) {
		stored, err = a.target.Offsets(ctx)
		return err
	})
	return stored, err
}

// retryUnavailable is retry for errors sinks.Unavailable accepts; others stop the sink.
func (r *SinkRunner) retryUnavailable(ctx context.Context, what string, op func() error) error {
	var refused error
	err := r.retry(ctx, what, func() error {
		err := op()
		if err != nil && !sinks.Unavailable(err) {
			refused = err
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if refused != nil {
		return &sinkError{fmt.Errorf("sink %s: %s: %w", r.Name, what, refused)}
	}
	return nil
}

// fetch reads one partition from after its stored offset into msgs.
func (r *SinkRunner) fetch(ctx context.Context, tp sinks.TopicPartition, stored sinks.Offsets, msgs chan<- message) error {
	rd := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   r.Brokers,
		Topic:     tp.Topic,
		Partition: tp.Partition,
		MinBytes:  1,
		MaxBytes:  16 << 20,
		MaxWait:   200 * time.Millisecond,
	})
	defer rd.Close()
	start := kafka.FirstOffset
	if off, ok := stored[tp]; ok {
		start = off + 1
	}
	if err := rd.SetOffset(start); err != nil {
		return fmt.Errorf("seek %s to %d: %w", tp, start, err)
	}
	for {
		m, err := rd.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read %s: %w", tp, err)
		}
		select {
		case msgs <- message{tp: tp, msg: m}:
		case <-ctx.Done():
			return nil
		}
	}
}

// apply decodes and applies one batch, retrying while the target is unavailable. A
// batch the target rejects is applied record by record to find the bad one, which goes
// to the dead-letter topic, or stops the sink.
func (a *applier) prepare(ctx context.Context, batch []message) (*prepared, error) {
	r := a.r
	recs := make([]sinks.Record, 0, len(batch))
	for _, m := range batch {
		rec := sinks.Record{TopicPartition: m.tp, Offset: m.msg.Offset}
		var cr schema.ChangeRecord
		var bad error
		err := r.retry(ctx, "decode a record", func() error {
			var err error
			cr, err = r.Decoder.Change(ctx, m.msg.Key, m.msg.Value)
			if errors.Is(err, schema.ErrData) || errors.Is(err, schema.ErrSchema) || errors.Is(err, schema.ErrNotChangeRecord) ||
				errors.Is(err, registry.ErrNotFound) {
				bad, err = err, nil
			}
			return err // others: the registry could not be asked; retry
		})
		if err != nil {
			return nil, err
		}
		if bad != nil {
			if err := r.reject(ctx, m, fmt.Errorf("decode: %w", bad)); err != nil {
				return nil, err
			}
		}
		if cr.Kind == schema.RecordChange {
			c, err := r.transform(m.tp.Topic, cr.Change)
			if err != nil {
				if err := r.reject(ctx, m, err); err != nil {
					return nil, err
				}
			}
			rec.Change = c
		}
		recs = append(recs, rec) // tombstones, messages and rejected records move the offset only
	}
	p := &prepared{msgs: batch, recs: recs}
	if b, err := sinks.Plan(recs, r.Naming); err == nil {
		p.plan = b
	}
	return p, nil
}

// transform names a decoded change's table after its topic and runs the sink's
// transforms on it; it returns nil for a change that is not applied.
func (r *SinkRunner) transform(topic string, c *event.Change) (*event.Change, error) {
	if t := r.topicTables.table(topic, c.Table); t != c.Table {
		cp := *c
		cp.Table = t
		c = &cp
	}
	if r.Transforms == nil {
		return c, nil
	}
	if !r.Selection.Includes(c.Table.ID) {
		return nil, nil
	}
	// The decoded change is the runner's: the transforms change it in place.
	out, keep, err := r.Transforms.ApplyOwned(c)
	if err != nil {
		return nil, fmt.Errorf("transform: %w", err)
	}
	if !keep {
		return nil, nil
	}
	return out, nil
}

// apply applies a prepared batch, retrying while the target is unavailable. A batch
// the target rejects is applied record by record to find the bad one, which goes to
// the dead-letter topic, or stops the sink.
func (a *applier) apply(ctx context.Context, p *prepared, log *slog.Logger) error {
	r := a.r
	err := errors.New("the batch could not be planned")
	if p.plan != nil {
		err = a.applyPlan(ctx, p.plan, len(p.recs))
	}
	if err == nil || ctx.Err() != nil {
		return err
	}
	if len(p.recs) == 1 {
		return r.rejectRecord(ctx, p.msgs, p.recs[0], err)
	}
	log.Warn("target rejected a batch; applying its records one by one to find the bad one", "err", err, "records", len(p.recs))
	for _, rec := range p.recs {
		if err := a.applyRecords(ctx, []sinks.Record{rec}); err != nil {
			if ctx.Err() != nil {
				return err
			}
			if err := r.rejectRecord(ctx, p.msgs, rec, err); err != nil {
				return err
			}
			// Move the offset past the bad record.
			if err := a.applyRecords(ctx, []sinks.Record{{TopicPartition: rec.TopicPartition, Offset: rec.Offset}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyRecords plans and applies records in one target transaction, retrying with
// backoff while the target is unavailable. It returns the target's rejection.
func (a *applier) applyRecords(ctx context.Context, recs []sinks.Record) error {
	b, err := sinks.Plan(recs, a.r.Naming)
	if err != nil {
		return err
	}
	return a.applyPlan(ctx, b, len(recs))
}

// applyPlan applies a planned batch of n records in one target transaction, retrying
// with backoff while the target is unavailable. It returns the target's rejection.
func (a *applier) applyPlan(ctx context.Context, b *sinks.Batch, n int) error {
	r := a.r
	var rejected error
	err := r.retry(ctx, "apply a batch", func() error {
		start := time.Now()
		err := a.target.Apply(ctx, b)
		if err == nil {
			r.metrics.applySeconds.Observe(time.Since(start).Seconds())
			r.metrics.applied.Add(float64(n))
			return nil
		}
		if sinks.Unavailable(err) {
			return err
		}
		rejected = err
		return nil
	})
	if err != nil {
		return err
	}
	return rejected
}

// rejectRecord handles a record the target rejected.
func (r *SinkRunner) rejectRecord(ctx context.Context, batch []message, rec sinks.Record, cause error) error {
	for _, m := range batch {
		if m.tp == rec.TopicPartition && m.msg.Offset == rec.Offset {
			return r.reject(ctx, m, fmt.Errorf("apply: %w", cause))
		}
	}
	return &sinkError{fmt.Errorf("sink %s: %s offset %d: apply: %w", r.Name, rec.TopicPartition, rec.Offset, cause)}
}

// reject sends a bad record to the dead-letter topic, or stops the sink naming it.
func (r *SinkRunner) reject(ctx context.Context, m message, cause error) error {
	if r.DeadLetter == "" {
		return &sinkError{fmt.Errorf("sink %s: record %s offset %d: %w (configure dead_letter_topic to set such records aside)", r.Name, m.tp, m.msg.Offset, cause)}
	}
	headers := append(slices.Clone(m.msg.Headers),
		kafka.Header{Key: "dovetail.error", Value: []byte(cause.Error())},
		kafka.Header{Key: "dovetail.topic", Value: []byte(m.tp.Topic)},
		kafka.Header{Key: "dovetail.partition", Value: []byte(strconv.Itoa(m.tp.Partition))},
		kafka.Header{Key: "dovetail.offset", Value: []byte(strconv.FormatInt(m.msg.Offset, 10))},
		kafka.Header{Key: "dovetail.sink", Value: []byte(r.Name)},
	)
	err := r.retry(ctx, "write to the dead-letter topic", func() error {
		if err := r.Topics.Ensure(ctx, r.DeadLetter, 1, 0); err != nil {
			return err
		}
		return r.Producer.WriteMessages(ctx, kafka.Message{Topic: r.DeadLetter, Key: m.msg.Key, Value: m.msg.Value, Headers: headers})
	})
	if err != nil {
		return err
	}
	r.metrics.deadLettered.Inc()
	r.log().Warn("record sent to the dead-letter topic", "topic", m.tp.Topic, "partition", m.tp.Partition,
		"offset", m.msg.Offset, "dead_letter_topic", r.DeadLetter, "err", cause)
	return nil
}

// retry runs op until it succeeds or ctx ends, with exponential backoff.
func (r *SinkRunner) retry(ctx context.Context, what string, op func() error) error {
	backoff := 200 * time.Millisecond
	for {
		err := op()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.log().Warn(what+" failed; retrying", "backoff", backoff, "err", err)
		r.metrics.retries.Inc()
		if !sleep(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}
