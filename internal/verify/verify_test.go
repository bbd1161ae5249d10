package verify_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/internal/verify"
)

func TestMain(m *testing.M) {
	os.Exit(testpg.With(func() int { return testmaria.With(m.Run) }))
}

func pg(t *testing.T) (verify.Endpoint, string) {
	dsn := testpg.NewDB(t)
	return verify.Endpoint{Kind: "postgres", DSN: dsn}, dsn
}

func maria(t *testing.T) (verify.Endpoint, string) {
	dsn := testmaria.NewDB(t)
	return verify.Endpoint{Kind: "mysql", DSN: dsn}, dsn
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// compare runs Compare on one table of the same name on both sides.
func compare(t *testing.T, src, dst verify.Endpoint, table string, opts verify.Options) verify.TableReport {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ref := verify.TableRef{Name: table}
	reps, err := verify.Compare(ctx, src, dst, []verify.Pair{{Source: ref, Target: ref}}, opts)
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	if len(reps) != 1 {
		t.Fatalf("got %d reports", len(reps))
	}
	if reps[0].Err != nil {
		t.Fatalf("report error: %v", reps[0].Err)
	}
	return reps[0]
}

func wantEqual(t *testing.T, r verify.TableReport, rows int64) {
	t.Helper()
	if !r.Equal() || r.SourceRows != rows || r.TargetRows != rows {
		t.Fatalf("want %d equal rows, got %+v", rows, summary(r))
	}
}

func summary(r verify.TableReport) string {
	return fmt.Sprintf("source %d target %d missing %d extra %d different %d samples %v missing cols %v extra cols %v incompatible %v chunks %d ranges %d",
		r.SourceRows, r.TargetRows, r.Missing, r.Extra, r.Different, r.Samples, r.MissingColumns, r.ExtraColumns,
		r.IncompatibleColumns, r.Chunks, r.Ranges)
}

// samples formats the report's samples for comparison.
func samples(r verify.TableReport) []string {
	var s []string
	for _, d := range r.Samples {
		s = append(s, d.String())
	}
	return s
}

func TestPostgresToPostgres(t *testing.T) {
	t.Parallel()
	src, sdsn := pg(t)
	dst, ddsn := pg(t)
	testpg.Exec(t, sdsn, `CREATE TABLE t (id int PRIMARY KEY, amount numeric(10,2), r real, d double precision,
			ts timestamptz, doc json, name text, b bytea, ok bool, day date, at timestamp(3), tm time, u uuid,
			bits bit(4), c char(4), tags text[])`,
		`INSERT INTO t SELECT i, i * 1.5, i / 3.0, i / 7.0, '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 second',
			'{"b": 1.0, "a": [1, 2]}', 'name ' || i, decode('00ff', 'hex'), i % 2 = 0, '2024-02-29', '2024-02-29 12:00:00.123',
			'23:59:59.999999', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', B'1010', 'ab', ARRAY['x', 'y']
			FROM generate_series(1, 200) i`)
	// The target has the same data in other spellings: numeric without scale, double
	// for real, jsonb with other key order, the same instants in another zone.
	testpg.Exec(t, ddsn, `CREATE TABLE t (id int PRIMARY KEY, amount numeric, r double precision, d double precision,
			ts timestamptz, doc jsonb, name text, b bytea, ok bool, day date, at timestamp(3), tm time, u uuid,
			bits bit(4), c text, tags text[])`,
		`SET TIME ZONE 'Asia/Kolkata'`,
		`INSERT INTO t SELECT i, (i * 1.5)::numeric(10,2)::text::numeric, (i / 3.0)::real, i / 7.0,
			('2024-01-01 05:30:00'::timestamp + i * interval '1 second')::timestamptz,
			'{"a": [1, 2.0], "b": 1}', 'name ' || i, decode('00ff', 'hex'), i % 2 = 0, '2024-02-29', '2024-02-29 12:00:00.123',
			'23:59:59.999999', '6BA7B810-9DAD-11D1-80B4-00C04FD430C8', B'1010', 'ab  ', ARRAY['x', 'y']
			FROM generate_series(1, 200) i`)
	r := compare(t, src, dst, "t", verify.Options{ChunkRows: 50, LeafRows: 8, Parallelism: 3})
	wantEqual(t, r, 200)
	if r.Chunks != 5 || r.Ranges != 5 {
		t.Errorf("chunks %d ranges %d, want 5 and 5", r.Chunks, r.Ranges)
	}

	// One missing, one extra, and values that differ subtly; 1.50 and 1.5 do not.
	testpg.Exec(t, ddsn,
		`DELETE FROM t WHERE id = 3`,
		`INSERT INTO t SELECT 1000, amount, r, d, ts, doc, name, b, ok, day, at, tm, u, bits, c, tags FROM t WHERE id = 1`,
		`UPDATE t SET amount = 1.5 WHERE id = 1`, // 1.50 in the source
		`UPDATE t SET r = r + 0.00001 WHERE id = 10`,
		`UPDATE t SET ts = ts + interval '1 microsecond' WHERE id = 20`,
		`UPDATE t SET doc = '{"b": 1, "a": [1, 2, 3]}' WHERE id = 30`,
		`UPDATE t SET ts = ts AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Paris' WHERE id = 40`, // local Paris read as UTC: 1h off
		`UPDATE t SET c = 'ab' WHERE id = 50`,                                               // trailing spaces do not count against char(n)
	)
	r = compare(t, src, dst, "t", verify.Options{ChunkRows: 50, LeafRows: 8, Parallelism: 3, Sample: 3})
	if r.Missing != 1 || r.Extra != 1 || r.Different != 4 || r.SourceRows != 200 || r.TargetRows != 200 {
		t.Fatalf("want 1 missing, 1 extra, 4 different: %s", summary(r))
	}
	want := []string{"missing 3", "different 10 [r]", "different 20 [ts]"}
	if got := samples(r); !slices.Equal(got, want) {
		t.Errorf("samples %q, want %q", got, want)
	}
	r = compare(t, src, dst, "t", verify.Options{ChunkRows: 1000, Sample: 100})
	want = []string{"missing 3", "different 10 [r]", "different 20 [ts]", "different 30 [doc]", "different 40 [ts]", "extra 1000"}
	if got := samples(r); !slices.Equal(got, want) {
		t.Errorf("samples %q, want %q", got, want)
	}
}

func TestCompositeTextKey(t *testing.T) {
	t.Parallel()
	src, sdsn := pg(t)
	dst, ddsn := maria(t)
	testpg.Exec(t, sdsn, `CREATE TABLE k (region text, n bigint, v text, PRIMARY KEY (region, n))`,
		`INSERT INTO k SELECT r, n, r || n FROM unnest(ARRAY['B', 'a', 'é', 'Z', 'b ', 'b']) r, generate_series(1, 30) n`)
	testmaria.Exec(t, ddsn, "CREATE TABLE k (region varchar(10) COLLATE utf8mb4_nopad_bin, n bigint, v text, PRIMARY KEY (region, n))")
	var vals []string
	for _, r := range []string{"B", "a", "é", "Z", "b ", "b"} {
		for n := 1; n <= 30; n++ {
			vals = append(vals, fmt.Sprintf("('%s', %d, '%s%d')", r, n, r, n))
		}
	}
	testmaria.Exec(t, ddsn, "INSERT INTO k VALUES "+strings.Join(vals, ", "))
	r := compare(t, src, dst, "k", verify.Options{ChunkRows: 17, LeafRows: 4, Parallelism: 4})
	wantEqual(t, r, 180)

	testmaria.Exec(t, ddsn, "DELETE FROM k WHERE region = 'é' AND n = 7",
		"UPDATE k SET v = 'x' WHERE region = 'B' AND n = 30",
		"INSERT INTO k VALUES ('a', 31, 'a31')")
	r = compare(t, src, dst, "k", verify.Options{ChunkRows: 17, LeafRows: 4, Parallelism: 4})
	want := []string{"different (B, 30) [v]", "extra (a, 31)", "missing (é, 7)"}
	if got := samples(r); !slices.Equal(got, want) || r.Missing != 1 || r.Extra != 1 || r.Different != 1 {
		t.Errorf("samples %q, want %q: %s", got, want, summary(r))
	}
}

// TestMariaDBToPostgres compares a MariaDB table of many types with a Postgres table
// of the types the sinks map them to, holding the same data.
func TestMariaDBToPostgres(t *testing.T) {
	t.Parallel()
	src, sdsn := maria(t)
	dst, ddsn := pg(t)
	testmaria.Exec(t, sdsn, "SET SESSION sql_mode = ''", `CREATE TABLE m (
		id int PRIMARY KEY, ti tinyint, flag tinyint(1), si smallint unsigned, mi mediumint, i int unsigned,
		bi bigint, ubi bigint unsigned, dec1 decimal(10,2), f float, d double, b1 bit(1), b10 bit(10),
		ch char(5), vc varchar(20), tx text, bin binary(4), vb varbinary(10), bl blob,
		dt date, dz date, dzn date NOT NULL, tm time(6), dt3 datetime(3), dt6 datetime(6), ts timestamp(6) NULL,
		yr year, e enum('x', 'y'), s set('a', 'b', 'c'), j json, u char(36), lat varchar(10) CHARACTER SET latin1, tl time)`,
		`INSERT INTO m VALUES
		(1, -128, 1, 65535, -8388608, 4294967295, -9223372036854775808, 18446744073709551615, 12345678.90,
		 3.1415927, 2.718281828459045, b'1', b'1000000001', 'ab', 'héllo', 'long text', 'ab', 0x00ff, 0xdeadbeef,
		 '2024-02-29', '0000-00-00', '0000-00-00', '23:59:59.999999', '2024-02-29 12:34:56.789', '1999-12-31 23:59:59.999999',
		 '2038-01-19 03:14:07.499999', 2024, 'y', 'a,c', '{"b": 1.50, "a": [true, null]}', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'café', '-838:59:59'),
		(2, 0, 0, 0, 0, 0, 0, 0, 0.00, 0, -0.0, b'0', b'0', '', '', '', '', '', '',
		 NULL, NULL, '1970-01-01', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00', NULL,
		 1901, 'x', '', '[]', '', '', '100:00:01'),
		(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		 NULL, NULL, '2000-01-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	testpg.Exec(t, ddsn, `CREATE TABLE m (
		id int PRIMARY KEY, ti smallint, flag smallint, si int, mi int, i bigint,
		bi bigint, ubi numeric(20,0), dec1 numeric(10,2), f real, d double precision, b1 boolean, b10 bit varying(10),
		ch text, vc text, tx text, bin bytea, vb bytea, bl bytea,
		dt date, dz date, dzn date NOT NULL, tm time(6), dt3 timestamp(3), dt6 timestamp(6), ts timestamptz(6),
		yr int, e text, s text, j jsonb, u uuid, lat text, tl interval)`,
		`INSERT INTO m VALUES
		(1, -128, 1, 65535, -8388608, 4294967295, -9223372036854775808, 18446744073709551615, 12345678.9,
		 3.1415927, 2.718281828459045, true, B'1000000001', 'ab', 'héllo', 'long text', '\x61620000', '\x00ff', '\xdeadbeef',
		 '2024-02-29', NULL, '1970-01-01', '23:59:59.999999', '2024-02-29 12:34:56.789', '1999-12-31 23:59:59.999999',
		 '2038-01-19 04:14:07.499999+01', 2024, 'y', 'a,c', '{"a": [true, null], "b": 1.5}', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'café', '-838:59:59'),
		(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, B'0000000000', '', '', '', '\x00000000', '', '',
		 NULL, NULL, '1970-01-01', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00', NULL,
		 1901, 'x', '', '[]', NULL, '', '4 days 04:00:01'),
		(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		 NULL, NULL, '2000-01-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	r := compare(t, src, dst, "m", verify.Options{})
	if r.Different == 1 && len(r.Samples) == 1 && slices.Equal(r.Samples[0].Columns, []string{"u"}) {
		t.Log("row 2: MariaDB's '' in a char(36) against Postgres's NULL uuid differ, as they should")
	}
	// Row 2's empty uuid text has no Postgres uuid; make both NULL.
	testmaria.Exec(t, sdsn, "UPDATE m SET u = NULL WHERE id = 2")
	r = compare(t, src, dst, "m", verify.Options{})
	wantEqual(t, r, 3)
	if len(r.IncompatibleColumns) != 0 {
		t.Errorf("incompatible columns %v", r.IncompatibleColumns)
	}

	// Not vacuous: one changed value in each of a few columns is found.
	testpg.Exec(t, ddsn, `UPDATE m SET f = 3.1415926 WHERE id = 1`, `UPDATE m SET ts = ts + interval '1 microsecond' WHERE id = 1`,
		`UPDATE m SET j = '{"a": [true, null], "b": 1.51}' WHERE id = 1`, `UPDATE m SET dzn = '1970-01-02' WHERE id = 2`)
	r = compare(t, src, dst, "m", verify.Options{})
	want := []string{"different 1 [f ts j]", "different 2 [dzn]"}
	if got := samples(r); !slices.Equal(got, want) || r.Different != 2 {
		t.Errorf("samples %q, want %q: %s", got, want, summary(r))
	}
}

func TestMariaDBToMariaDB(t *testing.T) {
	t.Parallel()
	src, sdsn := maria(t)
	dst, ddsn := maria(t)
	for _, dsn := range []string{sdsn, ddsn} {
		testmaria.Exec(t, dsn, "SET SESSION sql_mode = ''",
			`CREATE TABLE x (a int, b varchar(10), tm time(6), d datetime NOT NULL, j json, f float, PRIMARY KEY (a, b))`,
			`INSERT INTO x SELECT seq % 10, concat('k', seq), '-838:59:59', '0000-00-00 00:00:00', '{"x": 1}', seq / 3
				FROM seq_1_to_500`)
	}
	r := compare(t, src, dst, "x", verify.Options{ChunkRows: 64, LeafRows: 16})
	wantEqual(t, r, 500)
	testmaria.Exec(t, ddsn, "UPDATE x SET tm = '-838:59:58' WHERE a = 1 AND b = 'k11'",
		`UPDATE x SET j = '{ "x" : 1.0 }' WHERE a = 2`, // equal JSON
		"DELETE FROM x WHERE a = 9 AND b = 'k99'")
	r = compare(t, src, dst, "x", verify.Options{ChunkRows: 64, LeafRows: 16})
	want := []string{"different (1, k11) [tm]", "missing (9, k99)"}
	if got := samples(r); !slices.Equal(got, want) || r.Different != 1 || r.Missing != 1 || r.Extra != 0 {
		t.Errorf("samples %q, want %q: %s", got, want, summary(r))
	}
}

func TestPostgresToMariaDB(t *testing.T) {
	t.Parallel()
	src, sdsn := pg(t)
	dst, ddsn := maria(t)
	testpg.Exec(t, sdsn, `CREATE TABLE p (id bigint PRIMARY KEY, ok bool, n numeric(12,4), r real, d double precision,
			ts timestamptz(6), at timestamp(6), day date, tm time(6), doc jsonb, u uuid, b bytea, name varchar(50))`,
		`INSERT INTO p SELECT i, i % 3 = 0, i / 8.0, i / 3.0, i / 7.0, '2024-06-01 10:00:00+02'::timestamptz + i * interval '1 ms',
			'2024-06-01 10:00:00'::timestamp + i * interval '1 day', '2024-06-01'::date + i, '08:00:00'::time + i * interval '1 s',
			jsonb_build_object('i', i, 'half', i / 2.0), gen_random_uuid(), int4send(i), 'name ' || i
			FROM generate_series(1, 300) i`)
	testmaria.Exec(t, ddsn, `CREATE TABLE p (id bigint PRIMARY KEY, ok tinyint(1), n decimal(12,4), r float, d double,
			ts timestamp(6) NULL, at datetime(6), day date, tm time(6), doc json, u char(36), b longblob, name varchar(50))`)
	// Copy through Compare's own reading would be circular; copy with SQL literals.
	copyPostgresToMariaDB(t, sdsn, ddsn)
	r := compare(t, src, dst, "p", verify.Options{ChunkRows: 100})
	wantEqual(t, r, 300)
}

// copyPostgresToMariaDB copies table p's rows as text literals Postgres formats.
func copyPostgresToMariaDB(t *testing.T, sdsn, ddsn string) {
	t.Helper()
	out := testpgQuery(t, sdsn, `SELECT string_agg(format('(%s, %s, %s, %s, %s, %L, %L, %L, %L, %L, %L, %s, %L)',
			id, ok::int, n, r::text, d::text, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), at, day, tm, doc, u,
			'0x' || encode(b, 'hex'), name), ', ' ORDER BY id) FROM p`)
	testmaria.Exec(t, ddsn, "SET time_zone = '+00:00'", "INSERT INTO p VALUES "+out)
}

func TestKeylessAndMissing(t *testing.T) {
	t.Parallel()
	src, sdsn := pg(t)
	dst, ddsn := pg(t)
	for _, dsn := range []string{sdsn, ddsn} {
		testpg.Exec(t, dsn, `CREATE TABLE log (at int, msg text)`, `INSERT INTO log SELECT i % 5, 'm' FROM generate_series(1, 20) i`)
	}
	testpg.Exec(t, sdsn, `CREATE TABLE wide (id int PRIMARY KEY, a int, gone int)`)
	testpg.Exec(t, ddsn, `CREATE TABLE wide (id int PRIMARY KEY, a int, added int)`)
	r := compare(t, src, dst, "log", verify.Options{})
	if !r.Keyless || !r.Equal() || r.SourceRows != 20 || r.TargetRows != 20 {
		t.Errorf("keyless identical: %v %s", r.Keyless, summary(r))
	}
	testpg.Exec(t, ddsn, `UPDATE log SET msg = 'x' WHERE ctid = (SELECT min(ctid) FROM log)`)
	r = compare(t, src, dst, "log", verify.Options{})
	if !r.MultisetDiffers || r.Equal() {
		t.Errorf("keyless differing: %s", summary(r))
	}
	r = compare(t, src, dst, "wide", verify.Options{})
	if !slices.Equal(r.MissingColumns, []string{"gone"}) || !slices.Equal(r.ExtraColumns, []string{"added"}) || r.Equal() {
		t.Errorf("columns: %s", summary(r))
	}

	ctx := context.Background()
	reps, err := verify.Compare(ctx, src, dst, []verify.Pair{
		{Source: verify.TableRef{Name: "nope"}, Target: verify.TableRef{Name: "nope"}},
		{Source: verify.TableRef{Name: "log"}, Target: verify.TableRef{Name: "log"}, Key: []string{"missing"}},
		{Source: verify.TableRef{Schema: "public", Name: "wide"}, Target: verify.TableRef{Name: "wide"}},
		{Source: verify.TableRef{Name: "log"}, Target: verify.TableRef{Name: "log"}, Key: []string{"at"}},
	}, verify.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(reps[0].Err, verify.ErrNoTable) || reps[1].Err == nil || reps[2].Err != nil ||
		reps[3].Err == nil || !strings.Contains(reps[3].Err.Error(), "nullable") {
		t.Errorf("errors: %v / %v / %v / %v", reps[0].Err, reps[1].Err, reps[2].Err, reps[3].Err)
	}
	failing := func(context.Context, string) (verify.Reader, error) { return nil, errors.New("no such engine here") }
	if _, err := verify.Compare(ctx, verify.Endpoint{Kind: "failing", Open: failing}, dst, nil, verify.Options{}); err == nil ||
		!strings.Contains(err.Error(), "no such engine here") {
		t.Errorf("registered opener: %v", err)
	}
	if _, err := verify.Compare(ctx, verify.Endpoint{Kind: "oracle"}, dst, nil, verify.Options{}); err == nil {
		t.Error("unknown kind: no error")
	}
}

// TestChunks100k compares a 100k-row MariaDB table with its Postgres copy in chunks:
// the number of chunks and of ranges hashed is bounded, and a difference in the middle
// is found by bisection.
func TestChunks100k(t *testing.T) {
	t.Parallel()
	src, sdsn := maria(t)
	dst, ddsn := pg(t)
	const n = 100_000
	testmaria.Exec(t, sdsn, "CREATE TABLE big (id bigint PRIMARY KEY, v varchar(40), x decimal(12,3), at datetime(6))",
		fmt.Sprintf(`INSERT INTO big SELECT seq, concat('value ', seq), seq / 1000, '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_%d`, n))
	testpg.Exec(t, ddsn, "CREATE TABLE big (id bigint PRIMARY KEY, v text, x numeric(12,3), at timestamp(6))",
		fmt.Sprintf(`INSERT INTO big SELECT i, 'value ' || i, i / 1000.0, '2024-01-01'::timestamp + i * interval '1 second' FROM generate_series(1, %d) i`, n))
	opts := verify.Options{ChunkRows: 10_000, LeafRows: 100, Parallelism: 2}
	start := time.Now()
	r := compare(t, src, dst, "big", opts)
	t.Logf("100k rows equal: %s in %v", summary(r), time.Since(start))
	wantEqual(t, r, n)
	if max := n/opts.ChunkRows + 1; r.Chunks > max || r.Ranges != r.Chunks {
		t.Errorf("chunks %d (max %d), ranges %d", r.Chunks, max, r.Ranges)
	}

	testpg.Exec(t, ddsn, "UPDATE big SET x = x + 0.001 WHERE id = 54321")
	start = time.Now()
	r = compare(t, src, dst, "big", opts)
	t.Logf("one difference: %s in %v", summary(r), time.Since(start))
	if got := samples(r); !slices.Equal(got, []string{"different 54321 [x]"}) || r.SourceRows != n {
		t.Errorf("samples %q: %s", got, summary(r))
	}
	// A chunk of 10000 rows a side bisected until both sides hold at most 100 rows:
	// 8 levels of two halves.
	if r.Ranges > r.Chunks+2*8 {
		t.Errorf("ranges %d, want at most %d", r.Ranges, r.Chunks+16)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Minute {
		t.Errorf("took %v", elapsed)
	}
}

// testpgQuery returns the first column of the first row of query as text.
func testpgQuery(t *testing.T, dsn, query string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, query).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}
