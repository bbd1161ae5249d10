package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/internal/broker"
	"github.com/dovetail-cdc/dovetail/internal/check"
	"github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/internal/tail"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/schema/registry"
	"github.com/dovetail-cdc/dovetail/sources/mysql"
	"github.com/dovetail-cdc/dovetail/sources/postgres"
	"github.com/dovetail-cdc/dovetail/transform"
)

// ErrUnsupported marks a config the runtime cannot run yet (mysql sources).
var ErrUnsupported = errors.New("not supported yet")

// capture is what the runtime needs of a source: streaming and prerequisite checks.
type capture interface {
	Source
	Validate(ctx context.Context) ([]check.Problem, error)
}

// newSource builds the configured source.
func newSource(cfg *configs.Pipeline, log *slog.Logger) (capture, error) {
	switch cfg.Source.Kind {
	case "postgres":
		return postgres.New(postgres.Config{
			DSN:               cfg.Source.DSN.Value(),
			Name:              cfg.Kafka.TopicPrefix,
			Tables:            withSignalTable(cfg.Source.Tables, cfg.Source.SignalTable),
			ExcludeTables:     cfg.Source.ExcludeTables,
			Slot:              cfg.Source.Postgres.Slot,
			Publication:       cfg.Source.Postgres.Publication,
			HeartbeatInterval: cfg.Source.HeartbeatInterval,
			KeyColumns:        cfg.Source.KeyColumns,
			Logger:            log,
		})
	case "mysql":
		return mysql.New(mysql.Config{
			DSN:               cfg.Source.DSN.Value(),
			Name:              cfg.Kafka.TopicPrefix,
			Tables:            withSignalTable(cfg.Source.Tables, cfg.Source.SignalTable),
			ExcludeTables:     cfg.Source.ExcludeTables,
			ServerID:          uint32(cfg.Source.MySQL.ServerID),
			Flavor:            cfg.Source.MySQL.Flavor,
			HeartbeatInterval: cfg.Source.HeartbeatInterval,
			KeyColumns:        cfg.Source.KeyColumns,
			Logger:            log,
		})
	default:
		return nil, fmt.Errorf("%s: source.kind %q: %w", cfg.File, cfg.Source.Kind, ErrUnsupported)
	}
}

// Validate checks a pipeline's source prerequisites.
func Validate(ctx context.Context, cfg *configs.Pipeline) ([]check.Problem, error) {
	if _, err := chainOf(cfg.File, "transforms", cfg.Kafka.TopicPrefix, cfg.Transforms); err != nil {
		return nil, err
	}
	specs, err := sinkSpecsOf(cfg, slog.Default())
	if err != nil {
		return nil, err
	}
	src, err := newSource(cfg, slog.Default().With("pipeline", cfg.Name))
	if err != nil {
		return nil, err
	}
	problems, err := src.Validate(ctx)
	if err != nil || check.Blocking(problems) {
		return problems, err
	}
	return append(problems, transformProblems(ctx, cfg, specs)...), nil
}

// endpoints are a pipeline's Kafka brokers and registry, embedded ones started on demand.
type endpoints struct {
	brokers  []string
	registry string
	closers  []io.Closer
}

func (e *endpoints) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i].Close())
	}
	return errors.Join(errs...)
}

// startEndpoints starts the embedded broker and registry where the config names none.
func startEndpoints(ctx context.Context, cfg *configs.Pipeline, log *slog.Logger) (*endpoints, error) {
	e := &endpoints{brokers: cfg.Kafka.Brokers, registry: cfg.SchemaRegistry.URL}
	if len(e.brokers) == 0 {
		b, err := broker.Start(ctx, broker.Options{
			DataDir: filepath.Join(cfg.DataDir, "kafka"),
			Listen:  cfg.Kafka.Listen,
			Logger:  log,
		})
		if err != nil {
			return nil, fmt.Errorf("start embedded kafka broker on %s: %w", cfg.Kafka.Listen, err)
		}
		e.closers = append(e.closers, b)
		e.brokers = []string{b.Addr()}
		log.Info("embedded kafka broker", "addr", b.Addr())
	}
	if e.registry == "" {
		srv, err := registry.NewServer(filepath.Join(cfg.DataDir, "registry"))
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("open embedded schema registry: %w", err)
		}
		rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		url, wait, err := srv.Start(rctx, cfg.SchemaRegistry.Listen)
		if err != nil {
			stop()
			e.Close()
			return nil, fmt.Errorf("start embedded schema registry on %s: %w", cfg.SchemaRegistry.Listen, err)
		}
		e.closers = append(e.closers, closerFunc(func() error { stop(); return wait() }))
		e.registry = url
		log.Info("embedded schema registry", "url", e.registry)
	}
	return e, nil
}

// Role says which parts of its pipelines a worker runs.
type Role string

// Roles.
const (
	// RoleAll runs the sources and the sinks.
	RoleAll Role = "all"
	// RoleSource runs the sources only (sinks run on other workers).
	RoleSource Role = "source"
	// RoleSinks runs the sinks only: more workers of a sink's consumer group split its
	// partitions, so applying scales past one machine.
	RoleSinks Role = "sinks"
)

// Build makes a Worker running cfgs, starting embedded brokers and registries where a
// config names none. The HTTP endpoints listen on the first config's http.listen. Close
// the Worker after Run.
func Build(ctx context.Context, cfgs []*configs.Pipeline, log *slog.Logger) (*Worker, error) {
	return BuildRole(ctx, cfgs, RoleAll, log)
}

// BuildRole is Build for the parts role names.
func BuildRole(ctx context.Context, cfgs []*configs.Pipeline, role Role, log *slog.Logger) (*Worker, error) {
	w := &Worker{Metrics: NewMetrics(), Logger: log}
	if len(cfgs) > 0 {
		w.HTTPListen = cfgs[0].HTTP.Listen
		w.Profiling = cfgs[0].HTTP.Pprof
	}
	for _, cfg := range cfgs {
		if err := buildPipeline(ctx, cfg, role, log, w); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

func buildPipeline(ctx context.Context, cfg *configs.Pipeline, role Role, base *slog.Logger, w *Worker) error {
	return buildPipelineWith(ctx, cfg, role, base, w, &snapshotOptions{})
}

// buildPipelineWith is buildPipeline; so configures the source's snapshot phase for
// `dovetail snapshot`.
func buildPipelineWith(ctx context.Context, cfg *configs.Pipeline, role Role, base *slog.Logger, w *Worker, so *snapshotOptions) error {
	log := base.With("pipeline", cfg.Name)
	var src capture
	var transforms *transform.Chain
	if role != RoleSinks {
		var err error
		if src, err = newSource(cfg, log); err != nil {
			return err
		}
		src = withSnapshot(cfg, src, base, so.only, so.tables, so.terminal)
		if transforms, err = chainOf(cfg.File, "transforms", cfg.Kafka.TopicPrefix, cfg.Transforms); err != nil {
			return err
		}
	}
	var sinkSpecs []sinkSpec
	if role != RoleSource {
		var err error
		if sinkSpecs, err = sinkSpecsOf(cfg, log); err != nil {
			return err
		}
	}
	if role != RoleSinks {
		// An unknown table or column in a transform is a config error at start-up, as in
		// `dovetail validate`, not a stop at the table's first change.
		var msgs []string
		for _, p := range transformProblems(ctx, cfg, sinkSpecs) {
			if p.Level == check.Error {
				msgs = append(msgs, p.What+" ("+p.Fix+")")
			}
		}
		if len(msgs) > 0 {
			return &configs.Error{File: cfg.File, Msg: strings.Join(msgs, "; ")}
		}
	}
	var ep *endpoints
	if role == RoleSinks {
		// The source's worker serves the embedded broker and registry, if any.
		ep = &endpoints{brokers: cfg.Kafka.Brokers, registry: cfg.SchemaRegistry.URL}
		if len(ep.brokers) == 0 {
			ep.brokers = []string{cfg.Kafka.Listen}
		}
		if ep.registry == "" {
			ep.registry = "http://" + cfg.SchemaRegistry.Listen
		}
	} else {
		var err error
		if ep, err = startEndpoints(ctx, cfg, log); err != nil {
			return err
		}
	}
	w.closers = append(w.closers, ep)
	writer, err := kafka.NewWriter(ep.brokers, kafka.WriterOptions{
		Compression: cfg.Kafka.Compression,
		BatchSize:   cfg.Kafka.BatchSize,
		BatchBytes:  cfg.Kafka.BatchBytes,
		Linger:      cfg.Kafka.Linger,
		Logger:      log,
	})
	if err != nil {
		return fmt.Errorf("%s: kafka: %w", cfg.File, err)
	}
	w.closers = append(w.closers, writer)
	tombstones := cfg.Kafka.Tombstones == nil || *cfg.Kafka.Tombstones
	topics := kafka.TopicsFor(writer, log)
	reg, err := registry.NewClient(ep.registry, nil)
	if err != nil {
		return fmt.Errorf("%s: schema registry: %w", cfg.File, err)
	}
	if len(sinkSpecs) > 0 && cfg.Kafka.Partitions > 1 {
		log.Warn("kafka.partitions > 1: a follower applies a TRUNCATE in order with the rows of its own partition only; rows of the other partitions may land before or after it")
	}
	for _, s := range sinkSpecs {
		w.Sinks = append(w.Sinks, &SinkRunner{
			Name:        cfg.Name + "/" + s.cfg.Name,
			Group:       s.group,
			Brokers:     ep.brokers,
			Prefix:      cfg.Kafka.TopicPrefix,
			Decoder:     schema.NewDecoder(reg),
			Open:        s.open,
			Naming:      s.naming,
			Transforms:  s.transforms,
			Selection:   s.selection,
			BatchSize:   s.cfg.BatchSize,
			Linger:      s.cfg.Linger,
			Parallelism: s.cfg.Parallelism,
			DeadLetter:  s.cfg.DeadLetterTopic,
			Producer:    writer,
			Topics:      topics,
			Logger:      base.With("pipeline", cfg.Name),
		})
	}
	if src == nil {
		return nil
	}
	p := &Pipeline{
		Name:        cfg.Name,
		Source:      src,
		Encoder:     schema.NewEncoder(reg, cfg.Kafka.TopicPrefix),
		Producer:    writer,
		Topics:      topics,
		Logger:      base,
		Brokers:     ep.brokers,
		RegistryURL: ep.registry,
		Partitions:  cfg.Kafka.Partitions,
		Replication: cfg.Kafka.Replication,
		Tombstones:  tombstones,
		BatchSize:   cfg.Kafka.BatchSize,
		Linger:      cfg.Kafka.Linger,
		Transforms:  transforms,
	}
	if _, ok := src.(HistoryUser); ok {
		p.history = &kafkaHistory{brokers: ep.brokers, topic: HistoryTopic(cfg.Name), key: []byte(cfg.Name),
			writer: writer, topics: topics}
	}
	if _, ok := src.(Resumer); ok {
		p.offsets = &offsetStore{brokers: ep.brokers, topic: OffsetsTopic(cfg.Name), key: []byte(cfg.Name),
			writer: writer, topics: compacted{topics}, every: time.Second}
	}
	p.metrics = newPipelineMetrics(w.Metrics, p.Name)
	if sc, ok := src.(*snapshotCapture); ok {
		registerSnapshotMetrics(w.Metrics, p.Name, sc.snap)
	}
	w.Pipelines = append(w.Pipelines, p)
	return nil
}

// compacted creates topics with cleanup.policy=compact.
type compacted struct{ t *kafka.Topics }

func (c compacted) Ensure(ctx context.Context, topic string, partitions, replication int) error {
	return c.t.EnsureCompacted(ctx, topic, partitions, replication)
}

// Tail prints the records of a pipeline's topics decoded (see package tail). It reads the
// configured brokers and registry, or the embedded ones a running `dovetail run` serves.
// topics is a regular expression; empty means the pipeline's change topics.
func Tail(ctx context.Context, cfg *configs.Pipeline, topics string, follow bool, out io.Writer) error {
	brokers, reg := cfg.Kafka.Brokers, cfg.SchemaRegistry.URL
	if len(brokers) == 0 {
		brokers = []string{cfg.Kafka.Listen}
	}
	if reg == "" {
		reg = "http://" + cfg.SchemaRegistry.Listen
	}
	if topics == "" {
		topics = "^" + regexp.QuoteMeta(cfg.Kafka.TopicPrefix+".")
	}
	client, err := registry.NewClient(reg, nil)
	if err != nil {
		return fmt.Errorf("%s: schema registry: %w", cfg.File, err)
	}
	dec := schema.NewDecoder(client)
	return tail.Tail(ctx, dec, tail.Options{Brokers: brokers, Topics: topics, Follow: follow}, out)
}

// closerFunc adapts a function to io.Closer.
type closerFunc func() error

func (f closerFunc) Close() error { return f() }
