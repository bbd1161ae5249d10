package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// Target is a DuckDB analytics replica: the current state of each source table and,
// with history, an append-only history table next to it.
type Target struct {
	*sqlapply.Target
	file      *file
	closeOnce sync.Once
}

var _ sinks.Target = (*Target)(nil)

// New opens (creating it if missing) the DuckDB database file at path, and creates the
// offsets table (sqlapply.OffsetsTable, in schema main) if it is missing. With history,
// every change a batch carries is also appended to the history table of its target table
// (the target table's name with HistorySuffix, see docs/SINKS.md), in the same
// transaction. logger may be nil.
//
// Targets on the same file in one process share one database instance (DuckDB lets one
// process write a file) and take turns: one transaction at a time per file (see
// bulkDB). A transaction that still loses a conflict fails with an error
// sinks.Unavailable reports, and the runtime retries it. Another process that holds the
// file makes New fail, with an error sinks.Unavailable also reports.
func New(ctx context.Context, path string, opts sinks.Options, history bool, logger *slog.Logger) (*Target, error) {
	if logger == nil {
		logger = slog.Default()
	}
	f, err := openFile(ctx, path, false)
	if err != nil {
		return nil, fmt.Errorf("duckdb sink %s: open %s: %w", opts.Name, path, classify(err))
	}
	if f.d.NoJSON {
		logger.Warn("duckdb: the json extension does not load; JSON columns are VARCHAR", "sink", opts.Name, "path", path)
	}
	t, err := sqlapply.New(ctx, newBulkDB(f.db, &f.writes), f.d, opts, logger)
	if err != nil {
		f.release()
		return nil, fmt.Errorf("duckdb sink %s: %w", opts.Name, classify(err))
	}
	if history {
		if opts.Evolution == "" {
			opts.Evolution = sinks.EvolveBasic // as sqlapply.New reads it
		}
		h := &historian{d: f.d, opts: opts, log: logger, tables: map[sinks.TargetTable]*histTable{}}
		t.SetHook(h.write)
	}
	return &Target{Target: t, file: f}, nil
}

// Offsets returns the offsets stored by this sink's earlier batches.
func (t *Target) Offsets(ctx context.Context) (sinks.Offsets, error) {
	offs, err := t.Target.Offsets(ctx)
	return offs, classify(err)
}

// Apply applies b in one transaction (see sinks.Target).
func (t *Target) Apply(ctx context.Context, b *sinks.Batch) error {
	return classify(t.Target.Apply(ctx, b))
}

// Close gives up the target's share of the file; the last one closes it.
func (t *Target) Close() error {
	var err error
	t.closeOnce.Do(func() { err = t.file.release() })
	return err
}

// file is one DuckDB database file open in this process.
type file struct {
	key      string
	db       *sql.DB
	d        Dialect
	refs     int  // guarded by files.mu
	readOnly bool // opened by a verify reader with nobody writing it in this process
	// writes orders the sinks' transactions on the file one at a time (see bulkDB).
	writes sync.Mutex
}

// files are the DuckDB files open in this process, by absolute path. DuckDB allows one
// database instance per file and process; every Target on a file shares it.
var files = struct {
	mu   sync.Mutex
	open map[string]*file
}{open: map[string]*file{}}

// fileKey names the file of a path (the driver's ?options kept) so that every spelling
// of one file shares one instance.
func fileKey(path string) (string, error) {
	p, opts, _ := strings.Cut(path, "?")
	if p == "" || p == ":memory:" {
		return "", errors.New("want a file path (an in-memory database would be lost on restart)")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	if opts != "" {
		return abs + "?" + opts, nil
	}
	return abs, nil
}

// errReadOnly is returned to a sink that opens a file a verify reader of this process
// has open read-only: the sink retries (it is unavailable until the comparison ends).
var errReadOnly = errors.New("the file is open read-only in this process by `dovetail verify`")

// openFile shares the file's instance when it is open in this process; otherwise it
// opens it, read-only when readOnly. A writer (readOnly false) cannot share a read-only
// instance: it gets errReadOnly, retryable like another process's lock.
func openFile(ctx context.Context, path string, readOnly bool) (*file, error) {
	key, err := fileKey(path)
	if err != nil {
		return nil, err
	}
	files.mu.Lock()
	defer files.mu.Unlock()
	if f := files.open[key]; f != nil {
		if f.readOnly && !readOnly {
			return nil, &retryable{err: errReadOnly, state: "55P03"}
		}
		f.refs++
		return f, nil
	}
	dsn := key
	if readOnly {
		sep := "?"
		if strings.Contains(key, "?") {
			sep = "&"
		}
		dsn += sep + "access_mode=READ_ONLY"
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	f := &file{key: key, db: db, refs: 1, readOnly: readOnly}
	if _, err := db.ExecContext(ctx, `SELECT '{}'::JSON`); err != nil {
		f.d.NoJSON = true
	}
	files.open[key] = f
	return f, nil
}

func (f *file) release() error {
	files.mu.Lock()
	defer files.mu.Unlock()
	f.refs--
	if f.refs > 0 {
		return nil
	}
	delete(files.open, f.key)
	return f.db.Close()
}

// classify marks DuckDB's transaction conflicts (two transactions writing the same row,
// or one writing a table another altered) and a file lock held by another process as
// errors sinks.Unavailable retries.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch {
		case de.Type == duckdb.ErrorTypeTransaction:
			return &retryable{err: err, state: "40001"} // serialization_failure
		case de.Type == duckdb.ErrorTypeIO && strings.Contains(de.Msg, "Could not set lock on file"):
			return &retryable{err: err, state: "55P03"} // lock_not_available
		}
	}
	// The appender reports a conflict as text in an error of another type.
	if strings.Contains(err.Error(), "Transaction conflict") {
		return &retryable{err: err, state: "40001"}
	}
	return err
}

// retryable carries the SQLSTATE sinks.Unavailable knows for a DuckDB error.
type retryable struct {
	err   error
	state string
}

func (e *retryable) Error() string    { return e.err.Error() }
func (e *retryable) Unwrap() error    { return e.err }
func (e *retryable) SQLState() string { return e.state }
