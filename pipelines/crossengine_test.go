package pipelines_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/pipelines"
)

// TestMariaDBToFollowers streams a MariaDB table of many types into a Postgres follower
// and a MariaDB follower at once, with a write script of inserts, updates and deletes
// and a DDL mid-stream; Verify then finds both followers equal to the source.
func TestMariaDBToFollowers(t *testing.T) {
	t.Parallel()
	src := testmaria.NewDB(t)
	db := mariaDB(t, src)
	pgDst, myDst := testpg.NewDB(t), testmaria.NewDB(t)
	testmaria.Exec(t, src, `CREATE TABLE orders (
		id BIGINT UNSIGNED PRIMARY KEY,
		customer VARCHAR(40) CHARACTER SET utf8mb4 NOT NULL,
		note TEXT CHARACTER SET latin1,
		amount DECIMAL(12,2) NOT NULL,
		ratio DOUBLE,
		small TINYINT UNSIGNED,
		status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
		flags SET('a','b','c'),
		placed DATETIME(6),
		stamp TIMESTAMP(3) NULL,
		day DATE,
		took TIME(3),
		doc JSON,
		raw VARBINARY(16),
		yr YEAR
	)`)
	h := newHarness(t, src, []string{db + ".orders"}, "")
	h.kind = "mysql"
	h.addSink("pg", "postgres", pgDst)
	h.addSink("maria", "mysql", myDst)
	h.start()
	var stmts []string
	for i := 1; i <= 300; i++ {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO orders (id, customer, note, amount, ratio, small, status, flags, placed, stamp, day, took, doc, raw, yr)
			VALUES (%d, '%s', '%s', %d.25, %d.5, %d, 'new', 'a,c', '2024-01-02 03:04:05.%06d', '2024-02-03 04:05:06.789',
			'2024-03-%02d', '%d:%02d:01.5', '{"i": %d, "tags": ["x"]}', X'00FF%02x', 2024)`,
			i, fmt.Sprintf("c%d \u00e9\U0001F600", i), fmt.Sprintf("caf\u00e9 %d", i), i*3, i, i%256, i, i%28+1, i%30, i%60, i, i%256))
		if i%3 == 0 {
			stmts = append(stmts, fmt.Sprintf(`UPDATE orders SET status = 'paid', amount = amount + 1, note = NULL WHERE id = %d`, i-1))
		}
		if i%10 == 0 {
			stmts = append(stmts, fmt.Sprintf(`DELETE FROM orders WHERE id = %d`, i-5))
		}
		if i == 150 {
			stmts = append(stmts, `ALTER TABLE orders ADD COLUMN region VARCHAR(8) NOT NULL DEFAULT 'eu'`)
		}
	}
	testmaria.Exec(t, src, stmts...)

	out, equal := h.verify(pipelines.VerifyOptions{Rechecks: 2})
	t.Logf("verify:\n%s", out)
	if !equal {
		t.Fatal("a follower differs from the source")
	}
	for _, sink := range []string{"sink pg (postgres)", "sink maria (mysql)"} {
		if !strings.Contains(out, sink) {
			t.Errorf("no report of %s", sink)
		}
	}
	if n := strings.Count(out, "OK        "+db+".orders -> orders: 270 rows compared"); n != 2 {
		t.Errorf("%d followers equal with 270 rows, want 2", n)
	}
}

// TestPostgresToMariaDB streams Postgres tables of many types into a MariaDB follower
// while they are written; Verify finds it equal to the source.
func TestPostgresToMariaDB(t *testing.T) {
	t.Parallel()
	src, dst := testpg.NewDB(t), testmaria.NewDB(t)
	testpg.Exec(t, src, `CREATE TABLE accounts (
		id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(14,2), rate double precision, active boolean,
		opened date, seen timestamptz, at timestamp(3), tags text[], doc jsonb, uid uuid, raw bytea, small smallint)`)
	h := newHarness(t, src, []string{"public.accounts"}, "")
	h.addSink("maria", "mysql", dst)
	h.start()
	testpg.Exec(t, src,
		`INSERT INTO accounts SELECT i, 'owner ' || i || ' é😀', i * 10.5, i / 3.0, i % 2 = 0, date '2024-01-01' + i,
			timestamptz '2024-01-01 00:00:00+02' + i * interval '1 minute', timestamp '2024-05-06 07:08:09.123' + i * interval '1 second',
			ARRAY['a' || i, 'b'], jsonb_build_object('i', i, 'nested', jsonb_build_object('x', true)), md5(i::text)::uuid,
			decode(lpad(to_hex(i), 4, '0'), 'hex'), i % 100 FROM generate_series(1, 400) i`,
		`UPDATE accounts SET balance = NULL, tags = NULL, active = NULL WHERE id % 7 = 0`,
		`DELETE FROM accounts WHERE id % 13 = 0`)
	out, equal := h.verify(pipelines.VerifyOptions{Rechecks: 2})
	t.Logf("verify:\n%s", out)
	if !equal {
		t.Fatal("a follower differs from the source")
	}
}
