package pipelines

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/duckdb"
	"github.com/dovetail-cdc/dovetail/sinks/mysql"
	"github.com/dovetail-cdc/dovetail/sinks/postgres"
	"github.com/dovetail-cdc/dovetail/transform"
)

// sinkSpec is a sink config checked and turned into what a SinkRunner needs.
type sinkSpec struct {
	cfg    *configs.Sink
	group  string
	naming sinks.Naming
	open   func(ctx context.Context) (sinks.Target, error)
	// transforms are the sink's transforms, nil for none; selection then holds the
	// sink's tables and exclude_tables, applied before them (naming has none).
	transforms *transform.Chain
	selection  sinks.Naming
}

// sinkSpecsOf checks a pipeline's sinks beyond what configs can (the table_name
// template) and picks their target kinds.
func sinkSpecsOf(cfg *configs.Pipeline, log *slog.Logger) ([]sinkSpec, error) {
	var out []sinkSpec
	for i := range cfg.Sinks {
		s := &cfg.Sinks[i]
		key := fmt.Sprintf("%s: sinks[%d]", cfg.File, i)
		naming := sinks.Naming{Template: s.TableName, Tables: s.Tables, ExcludeTables: s.ExcludeTables}
		if err := naming.Validate(); err != nil {
			return nil, fmt.Errorf("%s.table_name: %w", key, err)
		}
		chain, err := chainOf(cfg.File, fmt.Sprintf("sinks[%d].transforms", i), cfg.Kafka.TopicPrefix, s.Transforms)
		if err != nil {
			return nil, err
		}
		selection := naming
		if chain != nil {
			// The sink's tables are chosen by their names before the transforms rename them.
			naming.Tables, naming.ExcludeTables = nil, nil
		}
		evolution, err := sinks.ParseEvolution(s.SchemaEvolution)
		if err != nil {
			return nil, fmt.Errorf("%s.schema_evolution: %w", key, err)
		}
		opts := sinks.Options{
			Name:         cfg.Name + "/" + s.Name,
			Naming:       naming,
			CreateTables: s.CreateTables == nil || *s.CreateTables,
			Evolution:    evolution,
		}
		open, err := targetOpener(s, opts, log)
		if err != nil {
			return nil, fmt.Errorf("%s.kind: %w", key, err)
		}
		group := s.Group
		if group == "" {
			group = "dovetail-" + cfg.Name + "-" + s.Name
		}
		out = append(out, sinkSpec{cfg: s, group: group, naming: naming, open: open, transforms: chain, selection: selection})
	}
	return out, nil
}

// targetOpener returns how to connect to a sink's target.
func targetOpener(s *configs.Sink, opts sinks.Options, log *slog.Logger) (func(ctx context.Context) (sinks.Target, error), error) {
	dsn := s.DSN.Value()
	log = log.With("sink", opts.Name)
	switch s.Kind {
	case "postgres":
		return func(ctx context.Context) (sinks.Target, error) { return postgres.New(ctx, dsn, opts, log) }, nil
	case "mysql":
		return func(ctx context.Context) (sinks.Target, error) { return mysql.New(ctx, dsn, opts, log) }, nil
	case "duckdb":
		history := s.History
		return func(ctx context.Context) (sinks.Target, error) { return duckdb.New(ctx, dsn, opts, history, log) }, nil
	default:
		return nil, fmt.Errorf("sink kind %q: %w", s.Kind, ErrUnsupported)
	}
}
