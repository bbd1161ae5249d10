package pipelines

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/tablepattern"
	"github.com/dovetail-cdc/dovetail/internal/verify"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/duckdb"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Sink names the sink to verify; empty verifies every sink.
	Sink string
	// Tables restricts the source tables compared ("namespace.table" patterns).
	Tables []string
	// Wait bounds waiting for the follower to apply the source's current position;
	// 0 compares at once.
	Wait time.Duration
	// Rechecks is how many times tables that differ are compared again after waiting
	// once more (rows written during a comparison show up as differences).
	Rechecks int
	Compare  verify.Options
	// Openers connect verify readers of target kinds the verify package does not know,
	// by sink kind; duckdb defaults to duckdb.VerifyOpener.
	Openers map[string]verify.Opener
	// Brokers replace the config's Kafka brokers (default: kafka.brokers, else the
	// embedded broker's kafka.listen).
	Brokers []string
}

// progress is a source that can say whether everything its database has logged up to
// now is in Kafka.
type progress interface {
	Mark(ctx context.Context) (string, error)
	Reached(ctx context.Context, mark string, stored []byte) (bool, error)
}

// Verify compares the pipeline's source tables with each sink's follower tables and
// prints a report per table to out. First it waits until the source's current position
// is in Kafka and every record in Kafka then is applied by the sink. It returns whether
// every table is equal.
func Verify(ctx context.Context, cfg *configs.Pipeline, opts VerifyOptions, out io.Writer, log *slog.Logger) (bool, error) {
	specs, err := sinkSpecsOf(cfg, log)
	if err != nil {
		return false, err
	}
	if opts.Sink != "" {
		specs = filterSinks(specs, opts.Sink)
		if len(specs) == 0 {
			return false, fmt.Errorf("%s: no sink named %q", cfg.File, opts.Sink)
		}
	}
	if len(specs) == 0 {
		return false, fmt.Errorf("%s: the pipeline has no sinks to verify", cfg.File)
	}
	// Followers of transformed changes differ from the source by design.
	if len(cfg.Transforms) > 0 {
		return false, fmt.Errorf("%s: verify compares followers with the source's rows, which the pipeline's transforms change: %w", cfg.File, ErrUnsupported)
	}
	for _, s := range specs {
		if s.transforms != nil {
			return false, fmt.Errorf("%s: sink %s: verify compares followers with the source's rows, which the sink's transforms change (verify the other sinks with --sink): %w", cfg.File, s.cfg.Name, ErrUnsupported)
		}
	}
	for _, p := range opts.Tables {
		if _, _, err := tablepattern.Split(p, "namespace"); err != nil {
			return false, fmt.Errorf("--tables: %w", err)
		}
	}
	src, err := newSource(cfg, log)
	if err != nil {
		return false, err
	}
	src = withSnapshot(cfg, src, log, false, nil, nil)
	srcEnd := verify.Endpoint{Kind: cfg.Source.Kind, DSN: cfg.Source.DSN.Value()}
	tables, err := verify.Tables(ctx, srcEnd)
	if err != nil {
		return false, fmt.Errorf("source: %w", err)
	}
	var captured []verify.TableRef
	for _, t := range tables {
		if tablepattern.Included(cfg.Source.Tables, cfg.Source.ExcludeTables, t.Schema, t.Name, false) &&
			(len(opts.Tables) == 0 || tablepattern.Included(opts.Tables, nil, t.Schema, t.Name, false)) {
			captured = append(captured, t)
		}
	}
	brokers := opts.Brokers
	if len(brokers) == 0 {
		brokers = cfg.Kafka.Brokers
	}
	if len(brokers) == 0 {
		brokers = []string{cfg.Kafka.Listen}
	}
	equal := true
	for _, s := range specs {
		pairs := sinkPairs(cfg, s, captured)
		dst := verify.Endpoint{Kind: s.cfg.Kind, DSN: s.cfg.DSN.Value(), Open: opts.Openers[s.cfg.Kind]}
		if dst.Open == nil && s.cfg.Kind == "duckdb" {
			dst.Open = duckdb.VerifyOpener
		}
		fmt.Fprintf(out, "sink %s (%s): %d tables\n", s.cfg.Name, s.cfg.Kind, len(pairs))
		for round := 0; ; round++ {
			if opts.Wait > 0 {
				if err := waitApplied(ctx, cfg, s, src, brokers, opts.Wait, log); err != nil {
					return false, fmt.Errorf("sink %s: %w", s.cfg.Name, err)
				}
			}
			copts := opts.Compare
			if copts.TargetName == nil {
				copts.TargetName = schema.AvroName // as the sinks name columns after the records' fields
			}
			reports, err := verify.Compare(ctx, srcEnd, dst, pairs, copts)
			if err != nil {
				return false, fmt.Errorf("sink %s: %w", s.cfg.Name, err)
			}
			var differ []verify.Pair
			for i := range reports {
				if !reports[i].Equal() {
					differ = append(differ, pairs[i])
				}
			}
			if len(differ) == 0 || round >= opts.Rechecks || opts.Wait == 0 {
				for i := range reports {
					printReport(out, &reports[i])
					if !reports[i].Equal() {
						equal = false
					}
				}
				break
			}
			log.Info("tables differ; waiting for the follower and comparing them again", "tables", len(differ))
			pairs = differ
		}
	}
	return equal, nil
}

func filterSinks(specs []sinkSpec, name string) []sinkSpec {
	for _, s := range specs {
		if s.cfg.Name == name {
			return []sinkSpec{s}
		}
	}
	return nil
}

// sinkPairs pairs the captured source tables the sink takes with their target tables.
func sinkPairs(cfg *configs.Pipeline, s sinkSpec, captured []verify.TableRef) []verify.Pair {
	var pairs []verify.Pair
	for _, t := range captured {
		id := event.TableID{Table: t.Name}
		if cfg.Source.Kind == "postgres" {
			id.Schema = t.Schema
		} else {
			id.Database = t.Schema
		}
		if !s.naming.Includes(id) {
			continue
		}
		tt := s.naming.Target(id)
		pairs = append(pairs, verify.Pair{
			Source: t,
			Target: verify.TableRef{Schema: tt.Schema, Name: tt.Name},
			Key:    cfg.Source.KeyColumns[t.String()],
		})
	}
	return pairs
}

// waitApplied waits until the source's current position is in Kafka and the sink has
// applied every change record Kafka held then.
func waitApplied(ctx context.Context, cfg *configs.Pipeline, s sinkSpec, src capture, brokers []string, wait time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	pr, ok := src.(progress)
	if !ok {
		return fmt.Errorf("source kind %s cannot report its progress", cfg.Source.Kind)
	}
	mark, err := pr.Mark(ctx)
	if err != nil {
		return fmt.Errorf("read the source's position: %w", err)
	}
	var store *offsetStore
	if _, ok := src.(Resumer); ok {
		store = &offsetStore{brokers: brokers, topic: OffsetsTopic(cfg.Name)}
	}
	log.Info("waiting for the source position to reach Kafka", "position", mark)
	if err := poll(ctx, func() (bool, error) {
		var stored []byte
		if store != nil {
			var err error
			if stored, err = store.loadFrom(ctx, brokers[0]); err != nil {
				return false, nil // not there yet, or Kafka busy: ask again
			}
		}
		return pr.Reached(ctx, mark, stored)
	}); err != nil {
		return fmt.Errorf("the pipeline did not get the source's position %s into Kafka within %s (is `dovetail run` running?): %w", mark, wait, err)
	}
	ends, err := changeTopicEnds(ctx, brokers, cfg.Kafka.TopicPrefix)
	if err != nil {
		return err
	}
	target, err := s.open(ctx)
	if err != nil {
		return fmt.Errorf("connect to the follower: %w", err)
	}
	defer target.Close()
	var behind string
	if err := poll(ctx, func() (bool, error) {
		applied, err := target.Offsets(ctx)
		if err != nil {
			return false, err
		}
		for tp, end := range ends {
			if off, ok := applied[tp]; !ok || off < end-1 {
				behind = fmt.Sprintf("%s at offset %d of %d", tp, off, end)
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return fmt.Errorf("the follower did not apply Kafka's records within %s (%s; is the sink running?): %w", wait, behind, err)
	}
	return nil
}

// changeTopicEnds returns the end offset of every non-empty partition of the change
// topics.
func changeTopicEnds(ctx context.Context, brokers []string, prefix string) (map[sinks.TopicPartition]int64, error) {
	r := &SinkRunner{Brokers: brokers, Prefix: prefix}
	topics, err := r.changeTopics(ctx)
	if err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return map[sinks.TopicPartition]int64{}, nil
	}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: &kafka.Transport{}}
	defer client.Transport.(*kafka.Transport).CloseIdleConnections()
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("read topic metadata: %w", err)
	}
	reqs := map[string][]kafka.OffsetRequest{}
	for _, t := range md.Topics {
		for _, p := range t.Partitions {
			reqs[t.Name] = append(reqs[t.Name], kafka.LastOffsetOf(p.ID))
		}
	}
	out := map[sinks.TopicPartition]int64{}
	if len(reqs) == 0 {
		return out, nil
	}
	res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: reqs})
	if err != nil {
		return nil, fmt.Errorf("read end offsets: %w", err)
	}
	for topic, parts := range res.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return nil, fmt.Errorf("read end offset of %s/%d: %w", topic, p.Partition, p.Error)
			}
			if p.LastOffset > 0 {
				out[sinks.TopicPartition{Topic: topic, Partition: p.Partition}] = p.LastOffset
			}
		}
	}
	return out, nil
}

// poll calls cond every 200ms until it holds, fails, or ctx ends.
func poll(ctx context.Context, cond func() (bool, error)) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// printReport writes one table's result.
func printReport(out io.Writer, r *verify.TableReport) {
	status := "OK"
	if !r.Equal() {
		status = "DIFFERENT"
	}
	if r.Err != nil {
		fmt.Fprintf(out, "  %-9s %s -> %s: %v\n", "ERROR", r.Source, r.Target, r.Err)
		return
	}
	if r.Keyless {
		fmt.Fprintf(out, "  %-9s %s -> %s: keyless, %d source rows, %d target rows, same rows: %v\n",
			status, r.Source, r.Target, r.SourceRows, r.TargetRows, !r.MultisetDiffers)
	} else {
		fmt.Fprintf(out, "  %-9s %s -> %s: %d rows compared, %d missing, %d extra, %d different (%s)\n",
			status, r.Source, r.Target, r.SourceRows, r.Missing, r.Extra, r.Different, r.Elapsed.Round(time.Millisecond))
	}
	if len(r.MissingColumns) > 0 {
		fmt.Fprintf(out, "            columns missing in the target: %s\n", strings.Join(r.MissingColumns, ", "))
	}
	if len(r.GeneratedColumns) > 0 {
		fmt.Fprintf(out, "            generated columns, not replicated, not compared: %s\n", strings.Join(r.GeneratedColumns, ", "))
	}
	for _, d := range r.Samples {
		fmt.Fprintf(out, "            %s\n", d)
	}
}
