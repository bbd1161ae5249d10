package verify

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Pair is a source table and the follower table it is compared with.
type Pair struct {
	Source, Target TableRef
	// Key names the source's key columns (the target's columns of the same names are
	// its key); empty means the source table's primary key.
	Key []string
}

// Options tune a comparison. The zero value works.
type Options struct {
	// ChunkRows is the number of source rows per key-range chunk (default 10000). A
	// chunk's rows are hashed as they stream by, so it bounds round trips, not memory.
	ChunkRows int
	// LeafRows: a range whose hashes differ is bisected until both sides together
	// hold at most this many rows, which are then read and compared row by row
	// (default 256, at most ChunkRows). Memory is bounded by it.
	LeafRows int
	// Sample is the number of differing keys a report keeps per table, the smallest
	// keys (default 10; negative keeps none).
	Sample int
	// Parallelism is the number of chunks compared at once, each with a connection
	// to both databases (default 4).
	Parallelism int
	Logger      *slog.Logger
	// TargetName is the name a sink gives the target column of a source column (for
	// Dovetail's sinks, the record's field name: Avro's rules replace characters such
	// as spaces); a target column is matched by the source's name first, then by this
	// one. Nil matches by the source's name only.
	TargetName func(source string) string
}

func (o Options) withDefaults() Options {
	if o.ChunkRows <= 0 {
		o.ChunkRows = 10000
	}
	if o.LeafRows <= 0 {
		o.LeafRows = 256
	}
	o.LeafRows = max(2, min(o.LeafRows, o.ChunkRows))
	if o.Sample == 0 {
		o.Sample = 10
	}
	o.Sample = max(o.Sample, 0)
	if o.Parallelism <= 0 {
		o.Parallelism = 4
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// DiffKind says how a row differs.
type DiffKind string

const (
	Missing   DiffKind = "missing"   // in the source, not in the target
	Extra     DiffKind = "extra"     // in the target, not in the source
	Different DiffKind = "different" // in both, with different values
)

// Diff is one differing row.
type Diff struct {
	Kind    DiffKind
	Key     Key      // the row's key, normalized
	Columns []string // Different: the (source) names of the columns that differ
}

func (d Diff) String() string {
	if d.Kind == Different {
		return fmt.Sprintf("%s %s %v", d.Kind, d.Key, d.Columns)
	}
	return fmt.Sprintf("%s %s", d.Kind, d.Key)
}

// TableReport is the result of comparing one Pair.
type TableReport struct {
	Source, Target TableRef
	Key            []string // the source's key columns; empty for a keyless table
	// Keyless tables (no primary key and no Pair.Key) are compared as multisets of
	// whole rows, in one pass: the counts and whether the rows are the same, but not
	// which rows differ, so Missing, Extra and Different stay 0 and Samples empty.
	Keyless         bool
	MultisetDiffers bool // Keyless: the tables do not hold the same rows

	SourceRows, TargetRows    int64 // rows compared on each side
	Missing, Extra, Different int64
	Samples                   []Diff   // up to Options.Sample differing rows, smallest keys first
	MissingColumns            []string // source columns the target lacks (not compared)
	GeneratedColumns          []string // generated source columns the target lacks: not replicated, not compared
	ExtraColumns              []string // target columns the source lacks
	IncompatibleColumns       []string // columns whose types cannot be compared: every non-NULL value differs
	Chunks, Ranges            int      // key-range chunks of the source; ranges hashed, with bisected halves
	Elapsed                   time.Duration
	Err                       error // the table could not be compared (missing table or key column, ...)

	// while comparing
	started, finished  time.Time
	plan               *columnPlan
	srcTable, dstTable *Table
}

// Equal reports whether the table was compared, no row differs and the target has
// every source column. Extra target columns (a sink's own bookkeeping, say) do not
// count.
func (r *TableReport) Equal() bool {
	return r.Err == nil && !r.MultisetDiffers && r.Missing == 0 && r.Extra == 0 && r.Different == 0 &&
		len(r.MissingColumns) == 0
}

// Compare compares each pair's source table in src with its target table in dst and
// returns a report per pair, in order. Problems of one table (a missing table or key
// column) are in its report's Err; the error is for failures of the databases or ctx.
//
// The source's keys are read in order in chunks of ChunkRows; the rows of a chunk's
// key range are hashed on both sides and the aggregates (count and sum of row hashes)
// compared; a mismatching range is bisected at the median key until it is small
// enough to compare row by row. Rows written during the comparison may be reported.
func Compare(ctx context.Context, src, dst Endpoint, pairs []Pair, opts Options) ([]TableReport, error) {
	opts = opts.withDefaults()
	reports := make([]*TableReport, len(pairs))
	for i, p := range pairs {
		reports[i] = &TableReport{Source: p.Source, Target: p.Target}
	}
	c := &comparer{opts: opts, src: src, dst: dst}
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job)
	for range opts.Parallelism {
		g.Go(func() error { return c.work(gctx, jobs) })
	}
	g.Go(func() error {
		defer close(jobs)
		return c.produce(gctx, pairs, reports, jobs)
	})
	err := g.Wait()
	out := make([]TableReport, len(reports))
	for i, r := range reports {
		if !r.started.IsZero() {
			r.Elapsed = r.finished.Sub(r.started)
		}
		r.plan, r.srcTable, r.dstTable = nil, nil, nil
		out[i] = *r
		if err == nil {
			l := opts.Logger.With("table", r.Source.String(), "target", r.Target.String())
			if r.Err != nil {
				l.Warn("verify: table not compared", "err", r.Err)
			} else {
				l.Info("verify: table compared", "source_rows", r.SourceRows, "target_rows", r.TargetRows,
					"missing", r.Missing, "extra", r.Extra, "different", r.Different,
					"chunks", r.Chunks, "ranges", r.Ranges, "elapsed", r.Elapsed)
			}
		}
	}
	return out, err
}

type comparer struct {
	opts     Options
	src, dst Endpoint
	mu       sync.Mutex // guards the reports' counters while jobs run
}

// job is one key range of one table (or a whole keyless table).
type job struct {
	r  *TableReport
	rg Range
}

func (c *comparer) openBoth(ctx context.Context) (Reader, Reader, error) {
	s, err := c.src.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	d, err := c.dst.open(ctx)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, d, nil
}

// produce plans each table and sends its chunks: the source's key at every ChunkRows
// rows closes a chunk; the last chunk is open-ended, so target rows past the source's
// last key are in it.
func (c *comparer) produce(ctx context.Context, pairs []Pair, reports []*TableReport, jobs chan<- job) error {
	s, d, err := c.openBoth(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	defer d.Close()
	for i, p := range pairs {
		r := reports[i]
		r.started = time.Now()
		r.finished = r.started
		if err := c.plan(ctx, s, d, p, r); err != nil {
			if errors.Is(err, ErrNoTable) || errors.Is(err, errPlan) {
				r.Err = err
				continue
			}
			return err
		}
		if r.Keyless {
			c.mu.Lock()
			r.Chunks = 1
			c.mu.Unlock()
			if err := send(ctx, jobs, job{r: r}); err != nil {
				return err
			}
			continue
		}
		scan := Scan{Table: r.srcTable, Key: r.plan.srcKey}
		var lo Key
		for {
			scan.Range = Range{After: lo}
			hi, ok, err := s.KeyAt(ctx, scan, int64(c.opts.ChunkRows-1))
			if err != nil {
				return fmt.Errorf("chunk %s: %w", r.Source, err)
			}
			rg := Range{After: lo}
			if ok {
				rg.Through = hi
			}
			c.mu.Lock()
			r.Chunks++
			c.mu.Unlock()
			c.opts.Logger.Debug("verify: chunk", "table", r.Source.String(), "after", rg.After.String(), "through", rg.Through.String())
			if err := send(ctx, jobs, job{r: r, rg: rg}); err != nil {
				return err
			}
			if !ok {
				break
			}
			lo = hi
		}
	}
	return nil
}

func send(ctx context.Context, jobs chan<- job, j job) error {
	select {
	case jobs <- j:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errPlan marks a table that cannot be compared as asked.
var errPlan = errors.New("cannot compare")

func (c *comparer) plan(ctx context.Context, s, d Reader, p Pair, r *TableReport) error {
	st, err := s.Table(ctx, p.Source)
	if err != nil {
		return err
	}
	dt, err := d.Table(ctx, p.Target)
	if err != nil {
		return err
	}
	key := p.Key
	if len(key) == 0 {
		key = st.PrimaryKey
	}
	plan, err := planColumns(st, dt, key, c.opts.TargetName)
	if err != nil {
		return fmt.Errorf("%w: %w", errPlan, err)
	}
	r.Key, r.Keyless = key, len(key) == 0
	r.MissingColumns, r.ExtraColumns, r.IncompatibleColumns = plan.missing, plan.extra, plan.incompatible
	r.GeneratedColumns = plan.generated
	r.plan, r.srcTable, r.dstTable = plan, st, dt
	return nil
}

func (c *comparer) work(ctx context.Context, jobs <-chan job) error {
	var s, d Reader
	defer func() {
		if s != nil {
			s.Close()
			d.Close()
		}
	}()
	for j := range jobs {
		if s == nil {
			var err error
			if s, d, err = c.openBoth(ctx); err != nil {
				return err
			}
		}
		w := &worker{c: c, src: s, dst: d, r: j.r}
		var err error
		if j.r.Keyless {
			err = w.keyless(ctx)
		} else {
			err = w.compareRange(ctx, j.rg, 0)
		}
		if err != nil {
			return fmt.Errorf("verify %s: %w", j.r.Source, err)
		}
		c.mu.Lock()
		j.r.finished = time.Now()
		c.mu.Unlock()
	}
	return nil
}

// worker compares ranges of one table with its own connections.
type worker struct {
	c        *comparer
	src, dst Reader
	r        *TableReport
}

// maxDepth bounds bisection; deeper ranges (possible only while rows change) are read
// row by row whatever their size.
const maxDepth = 64

func (w *worker) scans(rg Range) (Scan, Scan) {
	p := w.r.plan
	return Scan{Table: w.r.srcTable, Key: p.srcKey, Columns: p.srcCols, Range: rg},
		Scan{Table: w.r.dstTable, Key: p.dstKey, Columns: p.dstCols, Range: rg}
}

func (w *worker) compareRange(ctx context.Context, rg Range, depth int) error {
	ss, ds := w.scans(rg)
	var hs, hd aggregate
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { hs, err = hashRows(gctx, w.src, ss, w.r.plan.srcConv); return })
	g.Go(func() (err error) { hd, err = hashRows(gctx, w.dst, ds, w.r.plan.dstConv); return })
	if err := g.Wait(); err != nil {
		return err
	}
	w.c.mu.Lock()
	w.r.Ranges++
	w.c.mu.Unlock()
	if hs == hd {
		w.c.mu.Lock()
		w.r.SourceRows += hs.n
		w.r.TargetRows += hd.n
		w.c.mu.Unlock()
		return nil
	}
	if hs.n+hd.n <= int64(w.c.opts.LeafRows) || depth >= maxDepth {
		return w.leaf(ctx, rg)
	}
	// Split at the median key of the side with more rows; both halves are non-empty on
	// that side, so bisection ends.
	side, scan, n := w.src, ss, hs.n
	if hd.n > hs.n {
		side, scan, n = w.dst, ds, hd.n
	}
	scan.Columns = nil
	mid, ok, err := side.KeyAt(ctx, scan, (n-1)/2)
	if err != nil {
		return err
	}
	if !ok { // rows went away meanwhile
		return w.leaf(ctx, rg)
	}
	if err := w.compareRange(ctx, Range{After: rg.After, Through: mid}, depth+1); err != nil {
		return err
	}
	return w.compareRange(ctx, Range{After: mid, Through: rg.Through}, depth+1)
}

// aggregate is an order-independent hash of a multiset of rows: their number and the
// sums (mod 2^64) of the two halves of their 128-bit row hashes.
type aggregate struct {
	n    int64
	a, b uint64
}

// rowHasher hashes rows of normalized values: FNV-128a over each value's kind, length
// and bytes.
type rowHasher struct {
	buf []byte
	sum []byte
}

func (h *rowHasher) hash(row []Value) (uint64, uint64) {
	h.buf = h.buf[:0]
	for _, v := range row {
		h.buf = append(h.buf, byte(v.Kind))
		h.buf = binary.AppendUvarint(h.buf, uint64(len(v.S)))
		h.buf = append(h.buf, v.S...)
	}
	f := fnv.New128a()
	f.Write(h.buf)
	h.sum = f.Sum(h.sum[:0])
	return binary.BigEndian.Uint64(h.sum[:8]), binary.BigEndian.Uint64(h.sum[8:])
}

func hashRows(ctx context.Context, rd Reader, s Scan, convs []conv) (aggregate, error) {
	var agg aggregate
	var h rowHasher
	conv := make([]Value, len(convs))
	err := rd.Rows(ctx, s, func(row []Value) error {
		for i, v := range row {
			conv[i] = convs[i](v)
		}
		a, b := h.hash(conv)
		agg.n++
		agg.a += a
		agg.b += b
		return nil
	})
	return agg, err
}

// leafRow is a row read for a row-by-row comparison.
type leafRow struct {
	key  string // encoding of the key values, for matching
	vals []Value
}

func readLeaf(ctx context.Context, rd Reader, s Scan, convs []conv) ([]leafRow, error) {
	var rows []leafRow
	nk := len(s.Key)
	err := rd.Rows(ctx, s, func(row []Value) error {
		vals := make([]Value, len(row))
		for i, v := range row {
			vals[i] = convs[i](v)
		}
		rows = append(rows, leafRow{key: encodeKey(vals[:nk]), vals: vals})
		return nil
	})
	return rows, err
}

func encodeKey(k []Value) string {
	var b []byte
	for _, v := range k {
		b = append(b, byte(v.Kind))
		b = binary.AppendUvarint(b, uint64(len(v.S)))
		b = append(b, v.S...)
	}
	return string(b)
}

// leaf compares the rows of a small range one by one.
func (w *worker) leaf(ctx context.Context, rg Range) error {
	ss, ds := w.scans(rg)
	p := w.r.plan
	var srows, drows []leafRow
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { srows, err = readLeaf(gctx, w.src, ss, p.srcConv); return })
	g.Go(func() (err error) { drows, err = readLeaf(gctx, w.dst, ds, p.dstConv); return })
	if err := g.Wait(); err != nil {
		return err
	}
	nk := len(p.srcKey)
	bySrc := make(map[string]int, len(srows))
	for i, r := range srows {
		bySrc[r.key] = i
	}
	var diffs []Diff
	for _, dr := range drows {
		i, ok := bySrc[dr.key]
		if !ok {
			diffs = append(diffs, Diff{Kind: Extra, Key: dr.vals[:nk]})
			continue
		}
		delete(bySrc, dr.key)
		var cols []string
		for j := nk; j < len(dr.vals); j++ {
			if srows[i].vals[j] != dr.vals[j] {
				cols = append(cols, p.names[j])
			}
		}
		if cols != nil {
			diffs = append(diffs, Diff{Kind: Different, Key: dr.vals[:nk], Columns: cols})
		}
	}
	for _, i := range bySrc {
		diffs = append(diffs, Diff{Kind: Missing, Key: srows[i].vals[:nk]})
	}
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.r.SourceRows += int64(len(srows))
	w.r.TargetRows += int64(len(drows))
	for _, d := range diffs {
		switch d.Kind {
		case Missing:
			w.r.Missing++
		case Extra:
			w.r.Extra++
		case Different:
			w.r.Different++
		}
		w.r.addSample(d, w.c.opts.Sample)
	}
	return nil
}

// addSample keeps the n diffs with the smallest keys.
func (r *TableReport) addSample(d Diff, n int) {
	if n == 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(r.Samples, d, func(a, b Diff) int { return compareKeys(a.Key, b.Key) })
	if i >= n {
		return
	}
	r.Samples = slices.Insert(r.Samples, i, d)
	if len(r.Samples) > n {
		r.Samples = r.Samples[:n]
	}
}

// keyless compares a table without key as a multiset of whole rows.
func (w *worker) keyless(ctx context.Context) error {
	ss, ds := w.scans(Range{})
	var hs, hd aggregate
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { hs, err = hashRows(gctx, w.src, ss, w.r.plan.srcConv); return })
	g.Go(func() (err error) { hd, err = hashRows(gctx, w.dst, ds, w.r.plan.dstConv); return })
	if err := g.Wait(); err != nil {
		return err
	}
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.r.Ranges++
	w.r.SourceRows, w.r.TargetRows = hs.n, hd.n
	w.r.MultisetDiffers = hs != hd
	return nil
}
