package pipelines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/dovetail-cdc/dovetail/internal/event"
	dkafka "github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/transform"
)

// Source is a change capture: it streams into h until ctx is done (then it returns nil after
// a last acknowledgement to the database) or a fatal error. Ack may be called from another
// goroutine: every event up to pos is durable in Kafka.
type Source interface {
	Run(ctx context.Context, h event.Handler) error
	Ack(pos event.Position)
}

// ErrProduce marks a failure to write to Kafka, after the producer's own retries.
var ErrProduce = errors.New("produce to kafka")

// Pipeline is one running source → Kafka flow.
type Pipeline struct {
	Name     string
	Source   Source
	Encoder  Encoder
	Producer Producer
	Topics   Topics
	Logger   *slog.Logger
	// Brokers and RegistryURL say where the records go (informational; Build sets them).
	Brokers     []string
	RegistryURL string

	Partitions  int
	Replication int
	Tombstones  bool
	BatchSize   int
	Linger      time.Duration
	// DrainTimeout bounds the last flush on shutdown.
	DrainTimeout time.Duration
	// Transforms run on every change before it is encoded (the config's transforms);
	// nil for none.
	Transforms *transform.Chain

	metrics *pipelineMetrics
	acked   atomic.Pointer[ackState]
	// offsets keeps the positions of a Resumer source in Kafka; nil for other sources.
	offsets *offsetStore
	// history keeps a HistoryUser source's schema history in Kafka; nil for others.
	history *kafkaHistory
}

type ackState struct {
	pos event.Position
	at  time.Time
}

// LastAck returns the last position acknowledged to the source, or nil.
func (p *Pipeline) LastAck() event.Position {
	if s := p.acked.Load(); s != nil {
		return s.pos
	}
	return nil
}

// Run runs the pipeline until ctx is done, then drains: what the source handed over up to
// its last commit is written and acknowledged, and the source stops. It returns nil after a
// clean drain.
func (p *Pipeline) Run(ctx context.Context) error {
	if p.metrics == nil {
		p.metrics = newPipelineMetrics(nil, p.Name)
	}
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("pipeline", p.Name)
	if hu, ok := p.Source.(HistoryUser); ok && p.history != nil {
		p.history.retry = func(ctx context.Context, what string, op func() error) error {
			return retry(ctx, log, what, p.metrics.retries, op)
		}
		hu.UseHistory(p.history)
	}
	if err := p.resume(ctx); err != nil {
		return err
	}
	b := newBatcher(p.Encoder, p.Topics, max(p.Partitions, 1), max(p.Replication, 1),
		max(p.BatchSize, 1), p.Tombstones, p.metrics, log)
	b.transforms = p.Transforms

	srcCtx, stopSource := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSource()
	g, gctx := errgroup.WithContext(srcCtx)
	lingerCtx, stopLinger := context.WithCancel(gctx)
	defer stopLinger()
	finish := make(chan *batch)
	flusherDone := make(chan struct{})
	srcDone := make(chan struct{})

	// The flusher writes batches in order and acknowledges their positions. After the
	// last batch of a drain it writes whatever was queued before it, then that batch.
	g.Go(func() error {
		defer close(flusherDone)
		// Positions are stored at most once per offsets.every; while the source is idle
		// (no batch, no heartbeat) the tick stores the one held back, so a stopped
		// stream's last position reaches Kafka without waiting for another change.
		var stored <-chan time.Time
		if p.offsets != nil {
			tick := time.NewTicker(max(p.offsets.every, 100*time.Millisecond))
			defer tick.Stop()
			stored = tick.C
		}
		for {
			select {
			case bt := <-b.out:
				if err := p.flush(gctx, bt, false); err != nil {
					return err
				}
				b.recycle(bt)
			case <-stored:
				err := retry(gctx, log, "store position", p.metrics.retries, func() error {
					return p.offsets.store(gctx, nil, false)
				})
				if err != nil {
					return fmt.Errorf("%w: %w", ErrProduce, err)
				}
			case last := <-finish:
				for {
					select {
					case bt := <-b.out:
						if err := p.flush(gctx, bt, false); err != nil {
							return err
						}
						b.recycle(bt)
						continue
					default:
					}
					return p.flush(gctx, last, true)
				}
			case <-gctx.Done():
				return nil
			}
		}
	})
	// The linger loop sends partial batches, so records and acks never wait for a full one.
	g.Go(func() error {
		t := time.NewTicker(max(p.Linger, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-lingerCtx.Done():
				return nil
			case <-t.C:
				if err := b.send(lingerCtx, true); err != nil && lingerCtx.Err() == nil {
					return err
				}
			}
		}
	})
	g.Go(func() error {
		defer close(srcDone)
		err := p.Source.Run(gctx, b)
		if err != nil && gctx.Err() == nil {
			return fmt.Errorf("source: %w", err)
		}
		return nil
	})
	// The drainer waits for shutdown (or the source's own end), writes what is committed,
	// and only then stops the source, so the source's last status carries the last ack.
	g.Go(func() error {
		select {
		case <-gctx.Done():
			return nil
		case <-srcDone:
		case <-ctx.Done():
			log.Info("draining")
		}
		close(b.draining)
		stopLinger()
		last := b.takeCommitted()
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(p.DrainTimeout, 10*time.Second))
		defer cancel()
		defer stopSource()
		select {
		case finish <- last:
		case <-gctx.Done():
			return nil
		case <-dctx.Done():
			return fmt.Errorf("drain pipeline %s: %w", p.Name, dctx.Err())
		}
		select {
		case <-flusherDone:
			return nil
		case <-dctx.Done():
			return fmt.Errorf("drain pipeline %s: %w", p.Name, dctx.Err())
		}
	})
	if err := g.Wait(); err != nil {
		return err
	}
	if pos := p.LastAck(); pos != nil {
		log.Info("stopped", "position", pos.String())
	}
	return nil
}

// resume hands a Resumer source the last position stored in Kafka.
func (p *Pipeline) resume(ctx context.Context) error {
	if p.offsets == nil {
		return nil
	}
	r, ok := p.Source.(Resumer)
	if !ok {
		return nil
	}
	text, err := p.offsets.load(ctx)
	if err != nil {
		return err
	}
	if text == nil {
		p.log().Info("no stored position: the source starts where it is now")
		return nil
	}
	if err := r.Resume(text); err != nil {
		return fmt.Errorf("resume from stored position %s: %w", text, err)
	}
	p.log().Info("resuming", "position", string(text))
	return nil
}

// flush writes a batch's records and acknowledges its position. Failures Kafka may get
// over (a broker down, a leader moving) are retried with backoff, rewriting only the
// records that failed, for as long as ctx lasts: the source waits meanwhile, so nothing
// is skipped. A record Kafka can never take (too large, invalid) stops the pipeline.
func (p *Pipeline) flush(ctx context.Context, bt *batch, final bool) error {
	msgs := bt.msgs
	start := time.Now()
	err := retry(ctx, p.log(), "kafka write", p.metrics.retries, func() error {
		if len(msgs) == 0 {
			return nil
		}
		err := p.Producer.WriteMessages(ctx, msgs...)
		if err != nil {
			bt.failed = true
		}
		if err != nil && !permanent(err) {
			failed := dkafka.Failed(err, len(msgs))
			left := make([]kafka.Message, 0, len(failed))
			for _, i := range failed {
				left = append(left, msgs[i])
			}
			msgs = left
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: write %d records: %w", ErrProduce, len(msgs), describeWriteError(err))
	}
	if len(bt.msgs) > 0 {
		p.metrics.records.Add(float64(len(bt.msgs)))
		p.metrics.flushSeconds.Observe(time.Since(start).Seconds())
	}
	if !bt.commit.IsZero() {
		p.metrics.lag.Set(time.Since(bt.commit).Seconds())
	}
	if p.offsets != nil && (bt.ack != nil || final) {
		var pos any
		if bt.ack != nil {
			pos = bt.ack
		}
		err := retry(ctx, p.log(), "store position", p.metrics.retries, func() error {
			return p.offsets.store(ctx, pos, final || storeNow(bt.ack))
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProduce, err)
		}
	}
	if bt.ack != nil {
		p.Source.Ack(bt.ack)
		p.acked.Store(&ackState{pos: bt.ack, at: time.Now()})
		p.metrics.acks.Inc()
	}
	return nil
}

// retry calls op until it succeeds, fails permanently (see permanent) or ctx ends,
// waiting 100ms doubling to 30s between tries, logging and counting each failure.
func retry(ctx context.Context, log *slog.Logger, what string, retries prometheus.Counter, op func() error) error {
	backoff := 100 * time.Millisecond
	for {
		err := op()
		if err == nil || ctx.Err() != nil || permanent(err) {
			return err
		}
		log.Warn(what+" failed; retrying", "backoff", backoff, "err", describeWriteError(err))
		retries.Inc()
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// permanent reports whether a write error will not go away by retrying: a record larger
// than the producer or the broker allows, or another error Kafka marks as not retriable.
func permanent(err error) bool {
	var tooLarge kafka.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return true
	}
	check := func(e error) bool {
		var ke kafka.Error
		return errors.As(e, &ke) && !ke.Temporary()
	}
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil && check(e) {
				return true
			}
		}
		return false
	}
	return check(err)
}

func (p *Pipeline) log() *slog.Logger {
	if p.Logger == nil {
		return slog.Default().With("pipeline", p.Name)
	}
	return p.Logger.With("pipeline", p.Name)
}

// describeWriteError names the first failed record of a kafka-go batch error.
func describeWriteError(err error) error {
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for i, e := range we {
			if e != nil {
				return fmt.Errorf("record %d of %d (and %d more failed): %w", i, len(we), we.Count()-1, e)
			}
		}
	}
	return err
}
