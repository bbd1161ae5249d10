package mysql

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sources/snapshot"
)

// sameValue reports whether a snapshot value is the streamed one: the same Go type and
// value, floats to the bit (a negative zero included).
func sameValue(a, b any) bool {
	if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
		return false
	}
	switch x := a.(type) {
	case float32:
		return math.Float32bits(x) == math.Float32bits(b.(float32))
	case float64:
		return math.Float64bits(x) == math.Float64bits(b.(float64))
	case *big.Rat:
		return x.Cmp(b.(*big.Rat)) == 0
	case []byte:
		return string(x) == string(b.([]byte))
	}
	return a == b
}

// readAll reads a table whole through a new snapshot view (of now), in chunks of rows
// rows (0: one range), and returns its rows and the number of ranges read.
func readAll(t *testing.T, src *Source, rows int) ([][]any, int) {
	t.Helper()
	ctx := context.Background()
	view, table := openOne(t, src, 2)
	defer view.Close()
	tables := []snapshot.Table{table}
	var points []snapshot.Key
	if rows > 0 {
		var err error
		if points, err = view.Split(ctx, tables[0], rows); err != nil {
			t.Fatal(err)
		}
	}
	var out [][]any
	for i := 0; i <= len(points); i++ {
		var lo, hi snapshot.Key
		if i > 0 {
			lo = points[i-1]
		}
		if i < len(points) {
			hi = points[i]
		}
		if err := view.Read(ctx, i%2, tables[0], lo, hi, func(row []any) error {
			out = append(out, row)
			return nil
		}); err != nil {
			t.Fatalf("read range %d [%v, %v): %v", i, lo, hi, err)
		}
	}
	return out, len(points) + 1
}

// TestSnapshotMatchesStream writes every column type with its edge values, streams the
// rows, then snapshots the same rows: each snapshot value must be exactly the streamed
// one (the binlog's value through the column's codec), NULLs included.
func TestSnapshotMatchesStream(t *testing.T) {
	t.Parallel()
	maxDec := "99999999999999999999999999999999999.999999999999999999999999999999"
	cases := []struct {
		def  string
		lits []string // one a row; rows past them are NULL (NOT NULL columns: lits[0])
	}{
		{"TINYINT", []string{"-128", "127", "0"}},
		{"TINYINT UNSIGNED", []string{"255", "0", "128"}},
		{"BOOL", []string{"1", "0"}},
		{"SMALLINT", []string{"-32768", "32767"}},
		{"SMALLINT UNSIGNED", []string{"65535", "32768"}},
		{"MEDIUMINT", []string{"-8388608", "8388607"}},
		{"MEDIUMINT UNSIGNED", []string{"16777215", "8388608"}},
		{"INT", []string{"-2147483648", "2147483647", "0"}},
		{"INT UNSIGNED", []string{"4294967295", "2147483648", "0"}},
		{"BIGINT", []string{"-9223372036854775808", "9223372036854775807", "0"}},
		{"BIGINT UNSIGNED", []string{"18446744073709551615", "9223372036854775808", "0"}},
		{"YEAR", []string{"1901", "2155", "0", "2024"}},
		{"DECIMAL(65,30)", []string{"-" + maxDec, maxDec, "0.000000000000000000000000000001", "0"}},
		{"DECIMAL(10,2) UNSIGNED", []string{"0.01", "99999999.99"}},
		{"DECIMAL(5,2)", []string{"-1.5", "999.99", "-0.01"}},
		{"DECIMAL(18,0)", []string{"999999999999999999", "-999999999999999999"}},
		{"DECIMAL(19,0)", []string{"9999999999999999999", "-1000000000000000000"}},
		{"DECIMAL(12,6)", []string{"-123456.000001", "0.5"}},
		// FLOAT prints with 6 digits in the text protocol: these need the exact double.
		{"FLOAT", []string{"1.5", "-0.1", "3.1415927", "16777217", "3.4028234e38", "1.17549435e-38", "1e-45", "123456789", "-1e0 * 0"}},
		{"FLOAT(7,3)", []string{"1234.5", "1.1", "-0.001", "0.333"}},
		{"FLOAT(10,4)", []string{"123.4567", "-99999.9999"}},
		{"DOUBLE", []string{"0.1", "-1.7976931348623157e308", "5e-324", "1e0 / 3", "0.1e0 + 0.2e0", "2.2250738585072014e-308", "123456789.12345678", "-1e0 * 0"}},
		{"DOUBLE(10,3)", []string{"1.234", "-0.5", "1234567.891"}},
		{"BIT(1)", []string{"b'1'", "b'0'"}},
		{"BIT(10)", []string{"b'1000000001'", "b'0'"}},
		{"BIT(64)", []string{"b'" + strings.Repeat("1", 64) + "'", "b'1" + strings.Repeat("0", 63) + "'", "b'0'"}},
		{"VARCHAR(20) CHARACTER SET utf8mb4", []string{"'😀é'", "''", `'it''s \\ "q"'`, "'trailing  '"}},
		{"CHAR(5) CHARACTER SET utf8mb4", []string{"'ab'", "''", "'😀b'"}},
		{"CHAR(4) CHARACTER SET latin1", []string{"'Ä'", "'a'"}},
		{"VARCHAR(10) CHARACTER SET latin1", []string{"'é€ÿ'", "''"}},
		{"TEXT CHARACTER SET latin1", []string{"'café – naïve'"}},
		{"VARCHAR(10) CHARACTER SET ucs2", []string{"'Ab'", "'é€'"}},
		{"VARCHAR(10) CHARACTER SET utf16le", []string{"'Ab'", "'é€'"}},
		{"TEXT CHARACTER SET utf8mb4", []string{"'𝄞 clef\n'", "''"}},
		{"LONGTEXT", []string{"'𝄞 clef'"}},
		{"VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", []string{"'Zz'"}},
		{"BINARY(4)", []string{"x'0102'", "x''", "x'01020304'"}},
		{"VARBINARY(10)", []string{"x'00ff00'", "x''"}},
		{"BLOB", []string{"x'deadbeef00'", "''"}},
		{"LONGBLOB", []string{"x'00'"}},
		{"DATE", []string{"'2024-02-29'", "'1000-01-01'", "'9999-12-31'", "'1969-12-31'", "'0000-00-00'", "'2024-00-15'", "'0000-01-01'"}},
		{"DATE NOT NULL", []string{"'0000-00-00'", "'2024-01-02'"}},
		{"TIME", []string{"'12:34:56'", "'-838:59:59'", "'00:00:00'", "'-00:00:01'"}},
		{"TIME(6)", []string{"'838:59:59.000000'", "'-00:00:01.000001'", "'00:00:00'", "'-838:59:59.000000'"}},
		{"TIME(1)", []string{"'25:00:00.5'", "'-100:00:00.1'"}},
		{"TIME(3)", []string{"'-12:00:00.5'", "'23:59:59.999'"}},
		{"DATETIME", []string{"'2024-02-29 23:59:59'", "'1000-01-01 00:00:00'", "'0000-00-00 00:00:00'", "'0000-01-01 10:00:00'", "'1969-12-31 23:59:59'"}},
		{"DATETIME(1)", []string{"'2024-02-29 12:34:56.1'", "'2024-02-29 12:34:56.0'", "'1969-12-31 23:59:59.9'"}},
		{"DATETIME(2)", []string{"'2024-02-29 12:34:56.12'", "'0000-00-00 00:00:00'"}},
		{"DATETIME(3)", []string{"'2024-02-29 12:34:56.123'", "'1969-12-31 23:59:59.999'", "'2024-01-00 10:00:00.000'", "'2024-02-29 12:34:56.000'"}},
		{"DATETIME(4)", []string{"'2024-02-29 12:34:56.1234'", "'1969-12-31 23:59:59.9999'"}},
		{"DATETIME(5)", []string{"'2024-02-29 12:34:56.12345'", "'1000-01-01 00:00:00.00001'"}},
		{"DATETIME(6)", []string{"'2024-02-29 12:34:56.123456'", "'9999-12-31 23:59:59.999999'", "'0000-00-00 00:00:00.000000'", "'1969-12-31 23:59:59.999999'", "'2024-02-29 12:34:56.000000'"}},
		{"DATETIME NOT NULL", []string{"'0000-00-00 00:00:00'", "'2024-01-02 03:04:05'"}},
		{"DATETIME(6) NOT NULL", []string{"'0000-00-00 00:00:00'", "'2024-01-02 03:04:05.000001'"}},
		// Inserted at time_zone +02:00; read in UTC by both paths.
		{"TIMESTAMP NULL", []string{"'2024-02-29 12:34:56'", "'2038-01-19 05:14:07'", "'0000-00-00 00:00:00'", "'1970-01-01 02:00:01'"}},
		{"TIMESTAMP(1) NULL", []string{"'2024-02-29 12:34:56.1'", "'2024-02-29 12:34:56.0'"}},
		{"TIMESTAMP(2) NULL", []string{"'2024-02-29 12:34:56.10'"}},
		{"TIMESTAMP(3) NULL", []string{"'2024-02-29 12:34:56.12'", "'0000-00-00 00:00:00'"}},
		{"TIMESTAMP(4) NULL", []string{"'2024-02-29 12:34:56.1234'"}},
		{"TIMESTAMP(5) NULL", []string{"'2024-02-29 01:00:00.00001'"}},
		{"TIMESTAMP(6) NULL", []string{"'1970-01-01 02:00:01.000001'", "'2038-01-19 05:14:07.999999'", "'2024-02-29 12:34:56.000000'"}},
		{"TIMESTAMP(3) NOT NULL DEFAULT '2000-01-01 00:00:00'", []string{"'0000-00-00 00:00:00'", "'2024-02-29 12:34:56.5'"}},
		{"ENUM('small','medium','it''s')", []string{"'it''s'", "'small'", "''"}},
		{"ENUM('a','b') NOT NULL", []string{"'b'", "'a'"}},
		{"SET('x','y','z')", []string{"'z,x'", "''", "'y,z,x'", "'y'"}},
		{"YEAR(2)", []string{"1999", "2005", "2069", "1970", "'2000'"}},
		{"YEAR", []string{"1999", "2155", "0", "1901"}},
		{"ENUM('é','b','Ä') CHARACTER SET latin1", []string{"'Ä'", "'é'", "'b'"}},
		{"SET('é','b','Ä') CHARACTER SET latin1", []string{"'Ä,é'", "'b'", "''"}},
		{"JSON", []string{`'{"a": [1, 2.5, "😀"], "b": null}'`, `'"s"'`, "'[]'"}},
		{"GEOMETRY", []string{"ST_GeomFromText('POINT(1 2)')", "ST_GeomFromText('LINESTRING(0 0, 1.5 -2.25)')"}},
		{"POINT", []string{"ST_GeomFromText('POINT(1 2)', 4326)"}},
		{"LINESTRING", []string{"ST_GeomFromText('LINESTRING(0 0, 1.5 -2.25)')"}},
	}
	dsn := testmaria.NewDB(t)
	rows := 0
	var defs []string
	for i, c := range cases {
		defs = append(defs, fmt.Sprintf("c%d %s", i, c.def))
		rows = max(rows, len(c.lits))
	}
	rows++ // one more row: NULL in every nullable column
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY, "+strings.Join(defs, ", ")+") CHARACTER SET utf8mb4")
	r := start(t, testConfig(t, dsn))
	stmts := []string{"SET time_zone = '+02:00'", "SET sql_mode = ''", "SET NAMES utf8mb4"}
	for row := range rows {
		vals := []string{fmt.Sprint(row + 1)}
		for _, c := range cases {
			switch {
			case row < len(c.lits):
				vals = append(vals, c.lits[row])
			case strings.Contains(c.def, "NOT NULL"):
				vals = append(vals, c.lits[0])
			default:
				vals = append(vals, "NULL")
			}
		}
		stmts = append(stmts, "INSERT INTO t VALUES ("+strings.Join(vals, ", ")+")")
	}
	testmaria.Exec(t, dsn, stmts...)
	streamed := map[int32][]any{}
	for _, c := range r.rec.waitChanges(t, rows) {
		streamed[c.After[0].(int32)] = c.After
	}
	// Read in one range, and in ranges of two rows.
	for _, chunk := range []int{0, 2} {
		snap, ranges := readAll(t, r.src, chunk)
		if len(snap) != rows || chunk > 0 && ranges < 2 {
			t.Fatalf("chunk %d: snapshot read %d rows in %d ranges, want %d rows", chunk, len(snap), ranges, rows)
		}
		for _, got := range snap {
			id := got[0].(int32)
			want := streamed[id]
			if len(got) != len(want) {
				t.Fatalf("row %d: snapshot has %d values, streamed %d", id, len(got), len(want))
			}
			for i, c := range cases {
				if g, w := got[i+1], want[i+1]; !sameValue(g, w) {
					lit := "NULL"
					if int(id) <= len(c.lits) {
						lit = c.lits[id-1]
					}
					t.Errorf("%s = %s (row %d): snapshot %T %#v, streamed %T %#v", c.def, lit, id, g, g, w, w)
				}
			}
		}
	}
}

// TestSnapshotChunkKeys snapshots tables keyed by text under a case-insensitive
// collation (utf8mb4 and latin1, with 4-byte characters, quotes, backslashes and
// trailing spaces), by a compound key, by bytes, by FLOAT and by DECIMAL and DATETIME, in
// chunks of a few rows: every row must be read exactly once. The server's sql_mode has
// NO_BACKSLASH_ESCAPES and ANSI_QUOTES, and its character set (the readers' connection
// character set) is latin1, so the chunk bounds must not depend on either.
// TestSnapshotPadChar: on a server whose sql_mode has PAD_CHAR_TO_FULL_LENGTH, which pads
// CHAR values read by queries, the snapshot's CHAR values are still the streamed ones,
// without the padding.
func TestSnapshotPadChar(t *testing.T) {
	t.Parallel()
	srv := testmaria.NewWith(t, testmaria.Options{Args: []string{"--sql-mode=STRICT_TRANS_TABLES,PAD_CHAR_TO_FULL_LENGTH"}})
	dsn := srv.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY, c CHAR(8), n CHAR(4) NOT NULL, b BINARY(4))")
	r := start(t, testConfig(t, dsn))
	testmaria.Exec(t, dsn, "INSERT INTO t VALUES (1, 'ab', 'x', 'y'), (2, '', '', ''), (3, ' lead', 'full', NULL)")
	streamed := map[int32][]any{}
	for _, c := range r.rec.waitChanges(t, 3) {
		streamed[c.After[0].(int32)] = c.After
	}
	snap, _ := readAll(t, r.src, 0)
	if len(snap) != 3 {
		t.Fatalf("snapshot read %d rows, want 3", len(snap))
	}
	for _, got := range snap {
		want := streamed[got[0].(int32)]
		for i := range got {
			if !sameValue(got[i], want[i]) {
				t.Errorf("row %v column %d: snapshot %#v, streamed %#v", got[0], i, got[i], want[i])
			}
		}
	}
	if got := streamed[1][1]; got != "ab" {
		t.Errorf("streamed CHAR(8) 'ab' = %#v", got)
	}
}

func TestSnapshotChunkKeys(t *testing.T) {
	t.Parallel()
	srv := testmaria.NewWith(t, testmaria.Options{Args: []string{
		"--sql-mode=NO_BACKSLASH_ESCAPES,ANSI_QUOTES,STRICT_TRANS_TABLES",
		"--character-set-server=latin1", "--collation-server=latin1_swedish_ci"}})
	const n = 300
	type keyed struct {
		name, ddl string
		key       func(i int) string // the key's SQL literal (utf8mb4 session)
	}
	text := func(i int) string {
		s := fmt.Sprintf("k%03d", i)
		switch i % 6 {
		case 1:
			s = strings.ToUpper(s)
		case 2:
			s += `\'` // the two characters \ and '
		case 3:
			s = "😀" + s
		case 4:
			s = "é" + s + " x"
		case 5:
			s = s + "\u00a0"
		}
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	tables := []keyed{
		{"ci_utf8mb4", "(k VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY, v INT)", text},
		{"ci_unicode", "(k VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PRIMARY KEY, v INT)", text},
		{"ci_latin1", "(k VARCHAR(40) CHARACTER SET latin1 COLLATE latin1_swedish_ci PRIMARY KEY, v INT)", func(i int) string {
			return fmt.Sprintf("'%sK%03d'", []string{"", "é", "Ö", "z", "'' ", "Ä"}[i%6], i)
		}},
		{"compound", "(name VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, n INT, " +
			"PRIMARY KEY (name, n), v INT)", func(i int) string {
			return fmt.Sprintf("'%s', %d", []string{"a", "B", "c", "ß", "😀"}[i%5], i/5)
		}},
		{"binary", "(k VARBINARY(16) PRIMARY KEY, v INT)", func(i int) string {
			return fmt.Sprintf("x'%02x27005c%02x'", i%256, i/256)
		}},
		{"floats", "(f FLOAT, n INT, PRIMARY KEY (f, n), v INT)", func(i int) string {
			return fmt.Sprintf("%d / 7e0, %d", i%50, i)
		}},
		// ENUM keys sort by the labels' indexes, not by their text.
		{"enum", "(e ENUM('zeta', 'alpha', 'Mü', 'beta', '') CHARACTER SET utf8mb4, n INT, PRIMARY KEY (e, n), v INT)", func(i int) string {
			return fmt.Sprintf("'%s', %d", []string{"zeta", "alpha", "Mü", "beta", ""}[i%5], i/5)
		}},
		{"enum_alone", "(e ENUM(" + enumLabels(n) + ") PRIMARY KEY, v INT)", func(i int) string {
			return fmt.Sprintf("%d", n-i) // by index: the labels' text sorts the other way
		}},
		{"decimal_time", "(d DECIMAL(12,3), at DATETIME(3), PRIMARY KEY (d, at), v INT)", func(i int) string {
			return fmt.Sprintf("%d.%03d, '2024-01-01 00:00:00' + INTERVAL %d MICROSECOND", i%17-8, i%1000, i*1500000)
		}},
	}
	for _, tc := range tables {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := srv.NewDB(t)
			stmts := []string{"SET NAMES utf8mb4", "CREATE TABLE t " + tc.ddl}
			for i := range n {
				stmts = append(stmts, fmt.Sprintf("INSERT INTO t VALUES (%s, %d)", tc.key(i), i))
			}
			testmaria.Exec(t, dsn, stmts...)
			src, err := New(testConfig(t, dsn))
			if err != nil {
				t.Fatal(err)
			}
			c, err := connect(context.Background(), src.conn)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The premise: a reader's session has another character set than the keys.
			if r, err := c.Execute("SELECT @@character_set_connection, @@sql_mode"); err != nil {
				t.Fatal(err)
			} else if cs, _ := r.GetString(0, 0); cs != "latin1" {
				mode, _ := r.GetString(0, 1)
				t.Fatalf("session character set %s, sql_mode %s; want latin1", cs, mode)
			}
			explainRange(t, src)
			rows, ranges := readAll(t, src, 7)
			if ranges < n/10 {
				t.Errorf("%d ranges of 7 rows for %d rows", ranges, n)
			}
			seen := make([]int, n)
			for _, row := range rows {
				v := row[len(row)-1].(int32)
				seen[v]++
			}
			for i, k := range seen {
				if k != 1 {
					t.Errorf("row %d (key %s) read %d times", i, tc.key(i), k)
				}
			}
			if len(rows) != n {
				t.Errorf("read %d rows, want %d", len(rows), n)
			}
			if tc.name == "enum" {
				// The labels come from information_schema in UTF-8 whatever the
				// server's default character set (latin1 here).
				labels := map[any]int{}
				for _, row := range rows {
					labels[row[0]]++
				}
				if labels["Mü"] != n/5 || labels["zeta"] != n/5 {
					t.Errorf("enum labels read: %v", labels)
				}
			}
		})
	}
}

// enumLabels lists ENUM labels l<n-1> down to l000 (their text sorts the other way round
// from their indexes).
func enumLabels(n int) string {
	var ls []string
	for i := n - 1; i >= 0; i-- {
		ls = append(ls, fmt.Sprintf("'l%03d'", i))
	}
	return strings.Join(ls, ", ")
}

// explainRange checks that a chunk in the middle of the captured table is read by a
// range of its primary key.
func explainRange(t *testing.T, src *Source) {
	t.Helper()
	ctx := context.Background()
	view, table := openOne(t, src, 1)
	defer view.Close()
	tables := []snapshot.Table{table}
	points, err := view.Split(ctx, tables[0], 7)
	if err != nil || len(points) < 3 {
		t.Fatalf("split: %d points, %v", len(points), err)
	}
	mv := view.(*myView)
	mt := mv.tables[tables[0].Table.ID.String()]
	i := len(points) / 2
	q, err := mt.rangeQuery(points[i], points[i+1])
	if err != nil {
		t.Fatal(err)
	}
	r, err := mv.readers[0].Execute("EXPLAIN " + q)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	typ, _ := r.GetStringByName(0, "type")
	key, _ := r.GetStringByName(0, "key")
	if typ != "range" || key != "PRIMARY" {
		t.Errorf("EXPLAIN %s: access %s by key %q, want a range of PRIMARY", q, typ, key)
	}
}

func TestKeyLiteral(t *testing.T) {
	hex := func(s string) string { return fmt.Sprintf("x:%x", s) }
	cases := []struct {
		col     column
		key     string
		want    string
		wantErr bool
	}{
		{column{typ: "int"}, "i:-5", "-5", false},
		{column{typ: "bigint", unsigned: true}, "u:18446744073709551615", "18446744073709551615", false},
		{column{typ: "double"}, "f:0.1", "1e-01", false},
		{column{typ: "float"}, "f:3.1415927410125732", "3.1415927410125732e+00", false},
		{column{typ: "varchar", charset: "utf8mb4", collation: "utf8mb4_general_ci"}, hex("a'b"),
			"CONVERT(X'612762' USING utf8mb4) COLLATE utf8mb4_general_ci", false},
		{column{typ: "char", charset: "latin1", collation: "latin1_swedish_ci"}, "x:", "CONVERT(X'' USING latin1) COLLATE latin1_swedish_ci", false},
		{column{typ: "varchar", charset: "utf8mb4"}, hex("a"), "", true}, // no collation
		{column{typ: "varchar", charset: "utf8mb4", collation: "x) OR (1"}, hex("a"), "", true},
		{column{typ: "varbinary", charset: "binary"}, "x:00ff5c27", "X'00ff5c27'", false},
		{column{typ: "char", charset: "binary"}, "x:00", "X'00'", false},
		{column{typ: "decimal"}, hex("-12.50"), "-12.50", false},
		{column{typ: "decimal"}, hex("1 OR 1=1"), "", true},
		// A key written by the binary protocol's readers: six fraction digits.
		{column{typ: "datetime", fsp: 3}, hex("2024-01-02 03:04:05.123000"), "'2024-01-02 03:04:05.123000'", false},
		{column{typ: "time"}, hex("-838:59:59"), "'-838:59:59'", false},
		{column{typ: "date"}, hex("2024-01-02' OR '1"), "", true},
		{column{typ: "bit", length: 16}, "x:0102", "258", false},
		{column{typ: "int"}, "i:1 OR 1", "", true},
		{column{typ: "int"}, "y:1", "", true},
		{column{typ: "varbinary"}, "x:zz", "", true},
	}
	for _, c := range cases {
		got, err := keyLiteral(&c.col, c.key)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("keyLiteral(%s %q) = %q, %v; want %q (error %v)", c.col.typ, c.key, got, err, c.want, c.wantErr)
		}
	}
	mt := &myTable{t: &table{db: "d", name: "t"}, keys: []*column{{name: "a", typ: "int"}, {name: "b", typ: "int"}, {name: "c", typ: "int"}}}
	for op, want := range map[string]string{
		">=": "(`a` > 1 OR `a` = 1 AND (`b` > 2 OR `b` = 2 AND `c` >= 3))",
		"<":  "(`a` < 1 OR `a` = 1 AND (`b` < 2 OR `b` = 2 AND `c` < 3))",
	} {
		if got, err := mt.keyCompare(snapshot.Key{"i:1", "i:2", "i:3"}, op); err != nil || got != want {
			t.Errorf("keyCompare %s = %q, %v; want %q", op, got, err, want)
		}
	}
	mt.keys = mt.keys[:1]
	if got, err := mt.keyCompare(snapshot.Key{"i:1"}, "<"); err != nil || got != "`a` < 1" {
		t.Errorf("keyCompare of one column = %q, %v", got, err)
	}
	if _, err := mt.keyCompare(snapshot.Key{"i:1", "i:2"}, "<"); err == nil {
		t.Error("keyCompare of two values for one key column: no error")
	}
}

// openOne opens a snapshot view (of now) with readers readers on src, which captures one
// table, and returns the view and that table.
func openOne(tb testing.TB, src *Source, readers int) (snapshot.View, snapshot.Table) {
	tb.Helper()
	ctx := context.Background()
	view, _, err := src.Snapshotter().Open(ctx, readers, snapshot.Now)
	if err != nil {
		tb.Fatal(err)
	}
	tables, err := view.Tables(ctx)
	if err != nil || len(tables) != 1 {
		view.Close()
		tb.Fatalf("tables %v, %v; want one", tables, err)
	}
	return view, tables[0]
}
