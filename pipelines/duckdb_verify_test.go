package pipelines_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the driver, to damage a stopped sink's file

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/internal/verify"
	"github.com/dovetail-cdc/dovetail/pipelines"
)

// damageDuckDB runs statements on a DuckDB file no one in the process has open.
func damageDuckDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// verifyStopped runs Verify at once (no waiting: the pipeline is stopped), so the
// DuckDB reader opens the file read-only itself.
func verifyStopped(t *testing.T, h *harness) (string, bool) {
	t.Helper()
	var out strings.Builder
	equal, err := pipelines.Verify(context.Background(), h.cfg, pipelines.VerifyOptions{Brokers: h.brokers}, &out, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	return out.String(), equal
}

// TestVerifyDuckDB streams a Postgres table of many types into a DuckDB sink; Verify,
// run in the process that holds the file (the reader shares the sink's instance), finds
// it equal. Then, the pipeline stopped, rows of the DuckDB table are damaged and Verify,
// opening the file read-only, reports exactly those.
func TestVerifyDuckDB(t *testing.T) {
	t.Parallel()
	src := testpg.NewDB(t)
	path := filepath.Join(t.TempDir(), "warehouse.duckdb")
	testpg.Exec(t, src, `CREATE TABLE kinds (
		id int PRIMARY KEY, i2 smallint, i8 bigint, n numeric(12,3), wide numeric, m money,
		r real, d double precision, b bool, t text, c char(5), vc varchar(10) NOT NULL DEFAULT '',
		by bytea, dt date, ts timestamp(6), tz timestamptz, tm time, ttz timetz, iv interval,
		u uuid, j jsonb, js json, bits bit(4), ints int[], texts text[])`)
	h := newHarness(t, src, []string{"public.kinds"}, "")
	h.addSink("warehouse", "duckdb", path, "batch_size: 50", "parallelism: 2")
	h.start()
	testpg.Exec(t, src,
		`INSERT INTO kinds SELECT i, i % 100, i::bigint * 1000000000, i * 1.125, 12345678901234567890123456789012345678901234.5678 + i, i * 0.5,
			i * 0.1, i / 3.0, i % 2 = 0, 'caf\u00e9 ' || i, 'ab', 'v' || i, decode('00ff' || lpad(to_hex(i % 256), 2, '0'), 'hex'),
			'2024-01-01'::date + i, '2024-01-02 03:04:05.123456'::timestamp + i * interval '1 second',
			'2024-01-02 03:04:05.5+02'::timestamptz + i * interval '1 minute', '12:34:56.5', '07:04:56.5+00',
			interval '1 day 02:03:04.5' * i, md5(i::text)::uuid, jsonb_build_object('i', i, 'f', 1.50, 'a', ARRAY[1, 2]),
			json_build_object('z', i, 'a', 'x</>'), (i % 16)::bit(4), ARRAY[i, NULL, -i], ARRAY['a', NULL, 'b"' || i]
		FROM generate_series(1, 300) i`,
		`INSERT INTO kinds (id, r, d, dt, ts, tz) VALUES (1000, 'NaN', '-Infinity', 'infinity', '-infinity', 'infinity')`,
		`INSERT INTO kinds (id) VALUES (1002)`,
		`UPDATE kinds SET t = NULL, n = -0.5, ints = '{}' WHERE id % 10 = 0`,
		`DELETE FROM kinds WHERE id % 7 = 0`)

	out, equal := h.verify(pipelines.VerifyOptions{Rechecks: 2, Compare: verifyOpts})
	t.Logf("verify:\n%s", out)
	if !equal || !strings.Contains(out, "OK        public.kinds -> kinds: 260 rows compared, 0 missing, 0 extra, 0 different") {
		t.Fatal("the DuckDB sink differs from the source")
	}

	h.stop()
	damageDuckDB(t, path, `DELETE FROM kinds WHERE id = 5`, `UPDATE kinds SET n = 1.126, texts = ['a'] WHERE id = 200`,
		`UPDATE kinds SET tz = tz + INTERVAL 1 MICROSECOND WHERE id = 201`)
	out, equal = verifyStopped(t, h)
	t.Logf("verify of the damaged sink:\n%s", out)
	if equal {
		t.Fatal("the damaged DuckDB sink compared equal")
	}
	for _, want := range []string{"1 missing, 0 extra, 2 different", "missing 5\n", "different 200 [n texts]", "different 201 [tz]"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// verifyOpts makes Verify chunk and bisect often: small chunks and leaves, so key bounds
// go from each engine to the other.
var verifyOpts = verify.Options{ChunkRows: 64, LeafRows: 8}

// TestVerifyDuckDBFromMariaDB streams a MariaDB table of many types into a DuckDB sink
// (MySQL TIME as INTERVAL, unsigned bigint as UBIGINT, wide decimals as VARCHAR) and
// verifies it, then damages it as above.
func TestVerifyDuckDBFromMariaDB(t *testing.T) {
	t.Parallel()
	src := testmaria.NewDB(t)
	db := mariaDB(t, src)
	path := filepath.Join(t.TempDir(), "warehouse.duckdb")
	testmaria.Exec(t, src, `CREATE TABLE orders (
		id BIGINT UNSIGNED PRIMARY KEY,
		customer VARCHAR(40) CHARACTER SET utf8mb4 NOT NULL,
		code CHAR(4),
		amount DECIMAL(12,2) NOT NULL,
		huge DECIMAL(50,10),
		ratio DOUBLE,
		f FLOAT,
		small TINYINT UNSIGNED,
		big BIGINT UNSIGNED,
		status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
		flags SET('a','b','c'),
		placed DATETIME(6),
		stamp TIMESTAMP(3) NULL,
		day DATE,
		took TIME(3),
		doc JSON,
		raw VARBINARY(16),
		yr YEAR,
		b1 BIT(1),
		b5 BIT(5)
	)`)
	h := newHarness(t, src, []string{db + ".orders"}, "")
	h.kind = "mysql"
	h.addSink("warehouse", "duckdb", path)
	h.start()
	var stmts []string
	for i := 1; i <= 200; i++ {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO orders VALUES (%d, '%s', 'ab', %d.25, 1234567890123456789012345678901234567890.%d,
			%d.5, 0.1, %d, %d, 'new', 'a,c', '2024-01-02 03:04:05.%06d', '2024-02-03 04:05:06.789', '2024-03-%02d',
			'%s%d:%02d:01.5', '{"i": %d, "tags": ["x"], "f": 1.50}', X'00FF%02x', 2024, b'%d', b'%05b')`,
			i, fmt.Sprintf("c%d \u00e9\U0001F600", i), i*3, i, i, i%256, uint64(1)<<63+uint64(i), i, i%28+1,
			map[bool]string{true: "-", false: ""}[i%4 == 0], i*4, i%60, i, i%256, i%2, i%32))
		if i%3 == 0 {
			stmts = append(stmts, fmt.Sprintf(`UPDATE orders SET status = 'paid', amount = amount + 1, huge = NULL WHERE id = %d`, i-1))
		}
		if i%10 == 0 {
			stmts = append(stmts, fmt.Sprintf(`DELETE FROM orders WHERE id = %d`, i-5))
		}
	}
	testmaria.Exec(t, src, stmts...)

	out, equal := h.verify(pipelines.VerifyOptions{Rechecks: 2})
	t.Logf("verify:\n%s", out)
	if !equal || !strings.Contains(out, "OK        "+db+".orders -> orders: 180 rows compared, 0 missing, 0 extra, 0 different") {
		t.Fatal("the DuckDB sink differs from the source")
	}

	h.stop()
	damageDuckDB(t, path, `DELETE FROM orders WHERE id = 1`, `UPDATE orders SET took = took + INTERVAL 1 SECOND WHERE id = 2`,
		`INSERT INTO orders (id, customer, amount, status) VALUES (100000, 'x', 0, 'new')`)
	out, equal = verifyStopped(t, h)
	t.Logf("verify of the damaged sink:\n%s", out)
	if equal {
		t.Fatal("the damaged DuckDB sink compared equal")
	}
	for _, want := range []string{"1 missing, 1 extra, 1 different", "missing 1\n", "different 2 [took]", "extra 100000"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
