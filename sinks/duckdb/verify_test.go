package duckdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/verify"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
)

// fakeSource is a verify.Reader over rows held in memory, in key order: the other side
// of a comparison with a DuckDB file, without a server.
type fakeSource struct {
	tables map[string]*fakeTable
}

type fakeTable struct {
	t    verify.Table
	rows [][]verify.Value // key columns first, in key order
}

func (f *fakeSource) open(context.Context, string) (verify.Reader, error) { return f, nil }
func (f *fakeSource) Close() error                                        { return nil }

func (f *fakeSource) Table(_ context.Context, ref verify.TableRef) (*verify.Table, error) {
	ft := f.tables[ref.Name]
	if ft == nil {
		return nil, verify.ErrNoTable
	}
	t := ft.t
	return &t, nil
}

// cmpKey orders keys as the engines do: numbers by value, the rest by their text (bytes;
// chronological for canonical dates and timestamps).
func cmpKey(a, b verify.Key) int {
	for i := range a {
		if a[i].Kind == verify.KindNumber && b[i].Kind == verify.KindNumber {
			x, _ := strconv.ParseInt(a[i].S, 10, 64)
			y, _ := strconv.ParseInt(b[i].S, 10, 64)
			if c := x - y; c != 0 {
				return int(c)
			}
			continue
		}
		if c := strings.Compare(a[i].S, b[i].S); c != 0 {
			return c
		}
	}
	return 0
}

func (f *fakeSource) scan(s verify.Scan) [][]verify.Value {
	ft := f.tables[s.Table.Ref.Name]
	var out [][]verify.Value
	for _, r := range ft.rows {
		k := verify.Key(r[:len(s.Key)])
		if s.Range.After != nil && cmpKey(k, s.Range.After) <= 0 || s.Range.Through != nil && cmpKey(k, s.Range.Through) > 0 {
			continue
		}
		var row []verify.Value
		for _, n := range append(append([]string(nil), s.Key...), s.Columns...) {
			row = append(row, r[slices.IndexFunc(ft.t.Columns, func(c verify.Column) bool { return c.Name == n })])
		}
		out = append(out, row)
	}
	return out
}

func (f *fakeSource) KeyAt(_ context.Context, s verify.Scan, offset int64) (verify.Key, bool, error) {
	rows := f.scan(s)
	if offset >= int64(len(rows)) {
		return nil, false, nil
	}
	return rows[offset][:len(s.Key)], true, nil
}

func (f *fakeSource) Rows(_ context.Context, s verify.Scan, fn func([]verify.Value) error) error {
	for _, r := range f.scan(s) {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// compare compares the fake source's tables with the DuckDB file's tables of the same
// names.
func compare(t *testing.T, src *fakeSource, path string, opts verify.Options, names ...string) []verify.TableReport {
	t.Helper()
	var pairs []verify.Pair
	for _, n := range names {
		pairs = append(pairs, verify.Pair{Source: verify.TableRef{Name: n}, Target: verify.TableRef{Name: n}})
	}
	reps, err := verify.Compare(sinktest.Ctx(t), verify.Endpoint{Kind: "fake", Open: src.open},
		verify.Endpoint{Kind: "duckdb", DSN: path, Open: VerifyOpener}, pairs, opts)
	if err != nil {
		t.Fatalf("compare: %v", err)
	}
	for _, r := range reps {
		if r.Err != nil {
			t.Fatalf("compare %s: %v", r.Source, r.Err)
		}
		if len(r.IncompatibleColumns) > 0 || len(r.MissingColumns) > 0 || len(r.ExtraColumns) > 0 {
			t.Errorf("%s: incompatible %v, missing %v, extra %v columns", r.Source, r.IncompatibleColumns, r.MissingColumns, r.ExtraColumns)
		}
	}
	return reps
}

func text(s string) verify.Value { return verify.Value{Kind: verify.KindString, S: s} }
func num(s string) verify.Value  { return verify.Value{Kind: verify.KindNumber, S: s} }

// TestVerifyForms reads a DuckDB table of every type the sink creates and compares it
// with a source that holds the values as text: internal/verify parses that text into
// the DuckDB column's kind with its own normalizers, so equal reports mean the reader's
// forms are verify's. Then damaged rows are reported as exactly those.
func TestVerifyForms(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	tg := newTarget(t, path, sinks.Options{}, false)
	exec(t, tg, `CREATE TABLE forms (
		id INTEGER PRIMARY KEY, dec DECIMAL(10,2), ub UBIGINT, hi HUGEINT, wide VARCHAR, f FLOAT, d DOUBLE,
		b BOOLEAN, dt DATE, ts TIMESTAMP, tz TIMESTAMP WITH TIME ZONE, tm TIME, iv INTERVAL, ttz TIME WITH TIME ZONE,
		js JSON, u UUID, bits BIT, bl BLOB, txt VARCHAR, li INTEGER[], lt VARCHAR[], lf FLOAT[], ld DECIMAL(5,2)[],
		lts TIMESTAMP[], ltz TIMESTAMP WITH TIME ZONE[], lu UUID[], lb BOOLEAN[])`,
		`INSERT INTO forms VALUES
		(1, 1.50, 18446744073709551615, -170141183460469231731687303715884105728, '123456789012345678901234567890123456789012.50',
		 0.1, 0.1, true, '2024-02-29', '2024-01-02 03:04:05.5', '2024-01-02 03:04:05.5+02', '12:34:56.5', '838:59:59',
		 '07:04:56.5+00', '{"b": 1.0, "a": [1, "x</>"]}', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '0101', '\x01\xFF'::BLOB, 'é',
		 [1, NULL, 3], ['a', 'b"', NULL], [0.1::FLOAT, 'nan'::FLOAT], [1.50, -0.25], ['2024-01-02 03:04:05.5', '2024-01-02 03:04:05'],
		 ['2024-01-02 03:04:05+02'], ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'], [true, false]),
		(2, -0.00, 0, 0, '-1e3', 'inf', '-inf', false, 'infinity', '-infinity', 'infinity', '24:00:00', '-838:59:59.000001',
		 NULL, '[]', NULL, '1', ''::BLOB, '', [], [], [], [], [], [], [], []),
		(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	names := []string{"id", "dec", "ub", "hi", "wide", "f", "d", "b", "dt", "ts", "tz", "tm", "iv", "ttz", "js", "u",
		"bits", "bl", "txt", "li", "lt", "lf", "ld", "lts", "ltz", "lu", "lb"}
	src := &fakeSource{tables: map[string]*fakeTable{"forms": {
		t: verify.Table{Ref: verify.TableRef{Name: "forms"}, PrimaryKey: []string{"id"}},
		rows: [][]verify.Value{
			{num("1"), text("1.5"), text("18446744073709551615"), text("-170141183460469231731687303715884105728"),
				num("123456789012345678901234567890123456789012.5"), text("0.1"), text("0.1"), text("t"),
				text("2024-02-29"), text("2024-01-02T03:04:05.5"), text("2024-01-02 01:04:05.5Z"), text("12:34:56.5"),
				text("838:59:59"), text("07:04:56.5+00"), text(`{"a":[1,"x</>"],"b":1}`), text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
				text("0101"), text("\x01\xff"), text("é"), text("[1,null,3]"), text(`["a","b\"",null]`),
				text(`[0.1,"NaN"]`), text(`[1.5,-0.25]`), text(`["2024-01-02T03:04:05.5","2024-01-02T03:04:05"]`),
				text(`["2024-01-02T01:04:05+00:00"]`), text(`["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]`), text(`[true,false]`)},
			{num("2"), text("0"), text("0"), text("0"), num("-1000"), text("Infinity"), text("-Infinity"), text("false"),
				// as the Postgres reader has them: text that is no date kept in the column's kind
				{Kind: verify.KindDate, S: "infinity"}, {Kind: verify.KindTimestamp, S: "-infinity"},
				{Kind: verify.KindTimestampTZ, S: "infinity"}, text("24:00:00"), text("-838:59:59.000001"),
				verify.Null, text("[]"), verify.Null, text("1"), text(""), text(""), text("[]"), text("[]"), text("[]"),
				text("[]"), text("[]"), text("[]"), text("[]"), text("[]")},
			{num("3"), verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null,
				verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null,
				verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null, verify.Null,
				verify.Null, verify.Null},
		},
	}}}
	for _, n := range names {
		c := verify.Column{Name: n, Kind: verify.KindString, Nullable: n != "id"}
		if n == "id" || n == "wide" {
			c.Kind = verify.KindNumber
		}
		src.tables["forms"].t.Columns = append(src.tables["forms"].t.Columns, c)
	}
	// Row by row (LeafRows 2 < 3 rows): a hash mismatch names the columns that differ.
	rep := compare(t, src, path, verify.Options{ChunkRows: 2, LeafRows: 2}, "forms")[0]
	if !rep.Equal() || rep.SourceRows != 3 || rep.TargetRows != 3 {
		t.Errorf("forms: not equal: %+v", rep)
	}

	exec(t, tg, `DELETE FROM forms WHERE id = 2`, `UPDATE forms SET dec = 1.51, lt = ['a'] WHERE id = 1`,
		`INSERT INTO forms (id) VALUES (4)`)
	rep = compare(t, src, path, verify.Options{ChunkRows: 2, LeafRows: 2}, "forms")[0]
	got := fmt.Sprint(rep.Missing, rep.Extra, rep.Different, rep.Samples)
	if want := "1 1 1 [different 1 [dec lt] missing 2 extra 4]"; got != want {
		t.Errorf("damaged forms: got %s, want %s", got, want)
	}
}

// TestVerifyKeyOrder compares tables whose keys the engines must order alike across
// chunks and bisected ranges: text by its bytes, composite keys, instants, dates.
func TestVerifyKeyOrder(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	tg := newTarget(t, path, sinks.Options{}, false)
	exec(t, tg, `CREATE TABLE txt (k VARCHAR PRIMARY KEY, v INTEGER)`,
		`INSERT INTO txt VALUES ('B', 1), ('a', 2), ('é', 3), ('z', 4), ('', 5), ('Z', 6), ('ab', 7)`,
		`CREATE TABLE comp (tz TIMESTAMP WITH TIME ZONE, d DATE, s VARCHAR, v INTEGER, PRIMARY KEY (tz, d, s))`,
		`INSERT INTO comp VALUES ('2024-01-01 00:00:00+00', '2000-01-01', 'b', 1), ('2024-01-01 00:00:00+00', '2000-01-01', 'a', 2),
		 ('2024-01-01 00:00:00+00', '2000-01-02', 'a', 3), ('2023-12-31 23:00:00-02', '1999-12-31', 'x', 4),
		 ('2024-01-01 00:00:00.000001+00', '1970-01-01', 'a', 5)`)
	keys := []string{"", "B", "Z", "a", "ab", "z", "é"}
	vals := map[string]string{"B": "1", "a": "2", "é": "3", "z": "4", "": "5", "Z": "6", "ab": "7"}
	txt := &fakeTable{t: verify.Table{Ref: verify.TableRef{Name: "txt"}, PrimaryKey: []string{"k"},
		Columns: []verify.Column{{Name: "k", Kind: verify.KindString}, {Name: "v", Kind: verify.KindNumber, Nullable: true}}}}
	for _, k := range keys {
		txt.rows = append(txt.rows, []verify.Value{text(k), num(vals[k])})
	}
	tzv := func(s string) verify.Value { return verify.Value{Kind: verify.KindTimestampTZ, S: s} }
	dv := func(s string) verify.Value { return verify.Value{Kind: verify.KindDate, S: s} }
	comp := &fakeTable{t: verify.Table{Ref: verify.TableRef{Name: "comp"}, PrimaryKey: []string{"tz", "d", "s"},
		Columns: []verify.Column{{Name: "tz", Kind: verify.KindTimestampTZ}, {Name: "d", Kind: verify.KindDate},
			{Name: "s", Kind: verify.KindString}, {Name: "v", Kind: verify.KindNumber, Nullable: true}}},
		// in key order (the fake's by text, which is chronological here)
		rows: [][]verify.Value{
			{tzv("2024-01-01 00:00:00.000000"), dv("2000-01-01"), text("a"), num("2")},
			{tzv("2024-01-01 00:00:00.000000"), dv("2000-01-01"), text("b"), num("1")},
			{tzv("2024-01-01 00:00:00.000000"), dv("2000-01-02"), text("a"), num("3")},
			{tzv("2024-01-01 00:00:00.000001"), dv("1970-01-01"), text("a"), num("5")},
			{tzv("2024-01-01 01:00:00.000000"), dv("1999-12-31"), text("x"), num("4")},
		}}
	src := &fakeSource{tables: map[string]*fakeTable{"txt": txt, "comp": comp}}
	for _, rep := range compare(t, src, path, verify.Options{ChunkRows: 2, LeafRows: 2}, "txt", "comp") {
		if !rep.Equal() || rep.SourceRows != rep.TargetRows {
			t.Errorf("%s: not equal: %+v", rep.Source, rep)
		}
	}
	// A wrong value in the middle of the byte order is found by bisection alone.
	exec(t, tg, `UPDATE txt SET v = 0 WHERE k = 'ab'`, `DELETE FROM comp WHERE s = 'b'`)
	reps := compare(t, src, path, verify.Options{ChunkRows: 4, LeafRows: 2}, "txt", "comp")
	if got := fmt.Sprint(reps[0].Samples, reps[1].Samples); got != "[different ab [v]] [missing (2024-01-01 00:00:00.000000, 2000-01-01, b)]" {
		t.Errorf("damaged: %s", got)
	}
}

// TestVerifyOpener: the reader shares the instance a sink of the process has open;
// otherwise it opens the file read-only, and a sink that opens it meanwhile is told to
// retry; a file another process holds is refused with an error that says so.
func TestVerifyOpener(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	tg := newTarget(t, path, sinks.Options{}, false)
	exec(t, tg, `CREATE TABLE t (id INTEGER PRIMARY KEY)`)
	r, err := VerifyOpener(sinktest.Ctx(t), path)
	if err != nil {
		t.Fatal(err)
	}
	if r.(*reader).f != tg.file {
		t.Error("the reader did not share the sink's instance")
	}
	r.Close()
	tg.Close()

	r, err = VerifyOpener(sinktest.Ctx(t), path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.(*reader).f.readOnly {
		t.Error("the reader opened the file for writing")
	}
	if _, err := r.Table(sinktest.Ctx(t), verify.TableRef{Name: "t"}); err != nil {
		t.Errorf("read-only: %v", err)
	}
	_, err = New(sinktest.Ctx(t), path, sinks.Options{Name: "replica"}, false, nil)
	if !errors.Is(err, errReadOnly) || !sinks.Unavailable(err) {
		t.Errorf("New on a file open read-only: %v, want a retryable errReadOnly", err)
	}
	r.Close()
	newTarget(t, path, sinks.Options{}, false).Close()

	if _, err := VerifyOpener(sinktest.Ctx(t), path+".missing"); err == nil {
		t.Error("a missing file opened")
	}

	// Another process holds the file.
	cmd := osexec.Command(os.Args[0], "-test.run=^TestVerifyHolder$")
	cmd.Env = append(os.Environ(), "DOVETAIL_DUCKDB_HOLD="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "holding" {
	}
	_, err = VerifyOpener(sinktest.Ctx(t), path)
	if err == nil || !strings.Contains(err.Error(), "held by another process") {
		t.Errorf("VerifyOpener on a file another process holds: %v", err)
	}
}

// TestVerifyHolder is TestVerifyOpener's other process: it holds the file
// DOVETAIL_DUCKDB_HOLD open until its stdin closes.
func TestVerifyHolder(t *testing.T) {
	path := os.Getenv("DOVETAIL_DUCKDB_HOLD")
	if path == "" {
		t.Skip("run by TestVerifyOpener")
	}
	tg := newTarget(t, path, sinks.Options{}, false)
	defer tg.Close()
	fmt.Println("holding")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}
