package pipelines

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/tablepattern"
	"github.com/dovetail-cdc/dovetail/sources/mysql"
	"github.com/dovetail-cdc/dovetail/sources/snapshot"
)

// snapshotter is a source whose tables package snapshot can copy.
type snapshotter interface {
	Snapshotter() snapshot.Engine
}

// snapshotCapture is a capture that snapshots its tables (package snapshot) before it
// streams. It passes the other interfaces of the capture it wraps on.
type snapshotCapture struct {
	capture
	snap *snapshot.Capture
}

// withSnapshot wraps src when its engine can snapshot.
func withSnapshot(cfg *configs.Pipeline, src capture, log *slog.Logger, only bool, tables []string, terminal io.Writer) capture {
	sn, ok := src.(snapshotter)
	if !ok {
		return src
	}
	return &snapshotCapture{capture: src, snap: snapshot.New(sn.Snapshotter(), src, snapshot.Config{
		Mode:      snapshot.Mode(cfg.Source.Snapshot),
		Readers:   cfg.Source.SnapshotParallelism,
		ChunkRows: cfg.Source.SnapshotChunkRows,
		Tables:    tables,
		Only:      only,
		Signal:    cfg.Source.SignalTable,
		Terminal:  terminal,
		Logger:    log.With("pipeline", cfg.Name),
	})}
}

func (s *snapshotCapture) Run(ctx context.Context, h event.Handler) error { return s.snap.Run(ctx, h) }
func (s *snapshotCapture) Ack(pos event.Position)                         { s.snap.Ack(pos) }
func (s *snapshotCapture) Resume(text []byte) error                       { return s.snap.Resume(text) }

// UseHistory hands a MySQL source its schema history.
func (s *snapshotCapture) UseHistory(h mysql.History) {
	if hu, ok := s.capture.(HistoryUser); ok {
		hu.UseHistory(h)
	}
}

// Ready reports whether the source streams (a snapshot is not ready yet).
func (s *snapshotCapture) Ready() bool {
	r, ok := s.capture.(Readier)
	return ok && r.Ready()
}

// Mark is the source's Mark.
func (s *snapshotCapture) Mark(ctx context.Context) (string, error) {
	pr, ok := s.capture.(progress)
	if !ok {
		return "", fmt.Errorf("the source cannot report its progress")
	}
	return pr.Mark(ctx)
}

// Reached is the source's Reached, given the stream position a finished snapshot
// stored; an unfinished snapshot has reached nothing.
func (s *snapshotCapture) Reached(ctx context.Context, mark string, stored []byte) (bool, error) {
	pr, ok := s.capture.(progress)
	if !ok {
		return false, fmt.Errorf("the source cannot report its progress")
	}
	stream, ok := snapshot.StreamOf(stored)
	if !ok {
		return false, nil
	}
	return pr.Reached(ctx, mark, stream)
}

// registerSnapshotMetrics exports a snapshot's progress on reg.
func registerSnapshotMetrics(reg prometheus.Registerer, name string, c *snapshot.Capture) {
	if reg == nil {
		return
	}
	l := prometheus.Labels{"pipeline": name}
	gauge := func(metric, help string, f func(snapshot.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metric, Help: help, ConstLabels: l},
			func() float64 { return f(c.Stats()) })
	}
	reg.MustRegister(
		gauge("dovetail_snapshot_running", "1 while the source copies its tables' rows.", func(s snapshot.Stats) float64 {
			if s.Running {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "dovetail_snapshot_rows_total", ConstLabels: l,
			Help: "Rows read by the snapshot since the process started it."}, func() float64 { return float64(c.Stats().Rows) }),
		gauge("dovetail_snapshot_rows_estimated", "The catalog's estimate of the rows the snapshot reads.",
			func(s snapshot.Stats) float64 { return float64(s.EstimatedRows) }),
		gauge("dovetail_snapshot_chunks_done", "Chunks of the snapshot done (stored).",
			func(s snapshot.Stats) float64 { return float64(s.ChunksDone) }),
		gauge("dovetail_snapshot_chunks", "Chunks of the snapshot.",
			func(s snapshot.Stats) float64 { return float64(s.ChunksTotal) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "dovetail_snapshot_incremental_chunks_total", ConstLabels: l,
			Help: "Chunks incremental snapshots handed over."}, func() float64 { return float64(c.Stats().IncrementalChunks) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "dovetail_snapshot_incremental_tables_total", ConstLabels: l,
			Help: "Tables incremental snapshots finished."}, func() float64 { return float64(c.Stats().IncrementalTables) }),
	)
}

// Snapshot runs cfg's snapshot phase once (tables restricts it to those patterns) and
// returns when it is done and its position stored: a later `dovetail run` streams from
// there. With a position already stored it does nothing. A non-nil terminal shows
// progress bars.
func Snapshot(ctx context.Context, cfg *configs.Pipeline, tables []string, terminal io.Writer, log *slog.Logger) error {
	for _, p := range tables {
		if _, _, err := splitTablePattern(p); err != nil {
			return fmt.Errorf("--tables: %w", err)
		}
	}
	w := &Worker{Metrics: NewMetrics(), Logger: log, HTTPListen: cfg.HTTP.Listen, Profiling: cfg.HTTP.Pprof}
	defer w.Close()
	if err := buildPipelineWith(ctx, cfg, RoleSource, log, w, &snapshotOptions{only: true, tables: tables, terminal: terminal}); err != nil {
		return err
	}
	if len(w.Pipelines) != 1 {
		return fmt.Errorf("%s: the pipeline has no source", cfg.File)
	}
	p := w.Pipelines[0]
	if _, ok := p.Source.(*snapshotCapture); !ok {
		return fmt.Errorf("%s: source kind %s cannot snapshot", cfg.File, cfg.Source.Kind)
	}
	// The worker serves /metrics (snapshot progress) while the pipeline runs; the
	// pipeline returns once the snapshot is in Kafka and its position is stored.
	return w.Run(ctx)
}

func splitTablePattern(p string) (string, string, error) { return tablepattern.Split(p, "namespace") }

// snapshotOptions configure the snapshot phase of `dovetail snapshot`.
type snapshotOptions struct {
	only     bool
	tables   []string
	terminal io.Writer
}

// withSignalTable adds the signal table to the captured tables (an empty list captures
// every table, the signal table too).
func withSignalTable(tables []string, signal string) []string {
	if signal == "" || len(tables) == 0 {
		return tables
	}
	return append(append([]string(nil), tables...), signal)
}

// SignalIncrementalSnapshot writes an execute-snapshot signal for tables into cfg's
// signal table: the running pipeline snapshots them without pausing its stream.
func SignalIncrementalSnapshot(ctx context.Context, cfg *configs.Pipeline, tables []string, log *slog.Logger) error {
	if cfg.Source.SignalTable == "" {
		return fmt.Errorf("%s: incremental snapshots need source.signal_table", cfg.File)
	}
	if len(tables) == 0 {
		return fmt.Errorf("--incremental needs --tables")
	}
	src, err := newSource(cfg, log)
	if err != nil {
		return err
	}
	sn, ok := src.(snapshotter)
	if !ok {
		return fmt.Errorf("%s: source kind %s cannot snapshot", cfg.File, cfg.Source.Kind)
	}
	sig, ok := sn.Snapshotter().(snapshot.Signaler)
	if !ok {
		return fmt.Errorf("%s: source kind %s cannot write signals", cfg.File, cfg.Source.Kind)
	}
	id := snapshot.NewSignalID()
	if err := sig.Signal(ctx, cfg.Source.SignalTable, id, snapshot.SignalExecuteSnapshot, snapshot.ExecuteSnapshotData(tables)); err != nil {
		return err
	}
	log.Info("incremental snapshot signalled", "id", id, "tables", strings.Join(tables, ","))
	return nil
}
