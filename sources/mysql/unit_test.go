package mysql

import (
	"slices"
	"strings"
	"testing"
)

func TestPositionText(t *testing.T) {
	for _, p := range []Position{
		{GTID: "0-1-42,1-2-7", File: "binlog.000003", Pos: 1234},
		{GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7", File: "mysql-bin.000001", Pos: 4},
		{File: "mysql-bin.000001", Pos: 4294967295},
		{GTID: "0-1-1"},
		{GTID: "0-1-41", File: "binlog.000003", Pos: 1000, Skip: 5000},
	} {
		text, err := p.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var q Position
		if err := q.UnmarshalText(text); err != nil || q != p {
			t.Errorf("%+v -> %q -> %+v, %v", p, text, q, err)
		}
	}
	for _, bad := range []string{"", "gtid=", "file=a", "pos=4", "file=a pos=x", "nope=1", "gtid=0-1-1 pos=4", "gtid=0-1-1 skip=-1", "gtid=0-1-1 skip=x"} {
		if _, err := ParsePosition(bad); err == nil {
			t.Errorf("ParsePosition(%q) succeeded", bad)
		}
	}
}

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, host, user, pw string
	}{
		{"mysql://u:p%40ss@db.example:3307", "db.example:3307", "u", "p@ss"},
		{"mysql://u@db.example", "db.example:3306", "u", ""},
		{"u:p@ss:w@tcp(127.0.0.1:3306)/", "127.0.0.1:3306", "u", "p@ss:w"},
		{"root@tcp(h:1)/db?x=y", "h:1", "root", ""},
	} {
		c, err := parseDSN(tc.dsn)
		if err != nil || c.host != tc.host || c.user != tc.user || c.password != tc.pw {
			t.Errorf("parseDSN(%q) = %+v, %v", tc.dsn, c, err)
		}
	}
	for _, bad := range []string{"nohost", "u:secret@unix(/s)/", "mysql://:secret@h", "u:secret@tcp(h:99999)/"} {
		_, err := parseDSN(bad)
		if err == nil {
			t.Errorf("parseDSN(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("parseDSN(%q): error shows the password: %v", bad, err)
		}
	}
	for in, want := range map[string]string{
		"dial mysql://u:secret@h:1 failed": "dial mysql://u:xxxxx@h:1 failed",
		"u:secret@tcp(h:1)/":               "u:xxxxx@tcp(h:1)/",
		"password=secret x":                "password=xxxxx x",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	a, err := Config{DSN: "u@tcp(h:1)/", Name: "a"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Config{DSN: "u@tcp(h:1)/", Name: "b"}.withDefaults()
	if a.ServerID < DefaultServerIDMin || a.ServerID == b.ServerID {
		t.Errorf("default server ids %d, %d", a.ServerID, b.ServerID)
	}
	for _, bad := range []Config{
		{Name: "x"},
		{DSN: "u@tcp(h:1)/"},
		{DSN: "u@tcp(h:1)/", Name: "x", Flavor: "oracle"},
		{DSN: "u@tcp(h:1)/", Name: "x", Tables: []string{"nodot"}},
		{DSN: "u@tcp(h:1)/", Name: "x", KeyColumns: map[string][]string{"d.*": {"a"}}},
		{DSN: "u@tcp(h:1)/", Name: "x", Start: &Position{}},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	cfg := Config{Tables: []string{"shop.*", "crm.users"}, ExcludeTables: []string{"shop.tmp_*"}}
	for _, tc := range []struct {
		db, table string
		want      bool
	}{{"shop", "orders", true}, {"shop", "tmp_x", false}, {"crm", "users", true}, {"crm", "other", false}, {"mysql", "user", false}} {
		if got := cfg.included(tc.db, tc.table); got != tc.want {
			t.Errorf("included(%s.%s) = %v", tc.db, tc.table, got)
		}
	}
	if (&Config{}).included("mysql", "user") || !(&Config{}).included("app", "t") {
		t.Error("empty Tables: want every table outside the system databases")
	}
}

func TestRewriteForTiDB(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		spatial map[string]string
		charset string
	}{
		{"CREATE TABLE t (g POINT NOT NULL SRID 4326, `p` geometry, point INT)",
			"CREATE TABLE t (g LONGBLOB NOT NULL , `p` LONGBLOB, point INT)", map[string]string{"g": "point", "p": "geometry"}, ""},
		{"CREATE OR REPLACE TABLE t (a INT)", "CREATE  TABLE t (a INT)", map[string]string{}, ""},
		{"CREATE TABLE t (a TEXT COLLATE utf8mb4_uca1400_ai_ci, b TEXT CHARACTER SET cp1251) DEFAULT CHARSET=cp1251 COLLATE=cp1251_bin",
			"CREATE TABLE t (a TEXT , b TEXT CHARACTER SET gb18030) DEFAULT CHARSET=gb18030 ", map[string]string{}, "cp1251"},
		{"ALTER TABLE t ADD COLUMN c VARCHAR(3) COMMENT 'point, COLLATE x'", "ALTER TABLE t ADD COLUMN c VARCHAR(3) COMMENT 'point, COLLATE x'", map[string]string{}, ""},
	} {
		rw, err := rewriteForTiDB(tc.in)
		if err != nil || rw.sql != tc.out || !mapsEqual(rw.spatial, tc.spatial) || rw.charset != tc.charset {
			t.Errorf("rewrite %q:\n got %q %v %q %v\nwant %q %v %q", tc.in, rw.sql, rw.spatial, rw.charset, err, tc.out, tc.spatial, tc.charset)
		}
	}
	if _, err := rewriteForTiDB("CREATE TABLE t (a TEXT CHARSET cp1251, b TEXT CHARSET koi8r)"); err == nil {
		t.Error("two unknown character sets accepted")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestApplyDDL applies statements to a schema and checks the resulting shapes.
func TestApplyDDL(t *testing.T) {
	p := newDDLParser()
	s := newSchema("latin1")
	s.dbCharset["d"] = "utf8mb4"
	apply := func(q string) []string {
		t.Helper()
		stmt, rw, err := p.parse(q)
		if err != nil {
			t.Fatalf("parse %q: %v", q, err)
		}
		changed, err := s.applyDDL(stmt, rw, "d")
		if err != nil {
			t.Fatalf("apply %q: %v", q, err)
		}
		return changed
	}
	shape := func(db, name string) string {
		tb := s.get(db, name)
		if tb == nil {
			return "<none>"
		}
		var parts []string
		for _, c := range tb.cols {
			n := ""
			if !c.nullable {
				n = " not null"
			}
			cs := ""
			if c.charset != "" {
				cs = " " + c.charset
			}
			parts = append(parts, c.name+" "+c.sourceType()+cs+n)
		}
		return strings.Join(parts, ", ") + " pk(" + strings.Join(tb.pk, ",") + ")"
	}
	steps := []struct {
		sql, table, want string
		changed          []string
	}{
		{"CREATE TABLE t (id INT UNSIGNED NOT NULL AUTO_INCREMENT, a VARCHAR(10), j JSON, g GEOMETRY, " +
			"e ENUM('x','y') CHARACTER SET latin1, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci",
			"t", "id int unsigned not null, a varchar(10) utf8mb4, j json, g geometry, e enum('x','y') latin1 pk(id)", []string{"d.t"}},
		{"ALTER TABLE t ADD COLUMN b DECIMAL(12,3) FIRST, DROP COLUMN j, MODIFY a TEXT CHARACTER SET cp1251 NOT NULL",
			"t", "b decimal(12,3), id int unsigned not null, a text cp1251 not null, g geometry, e enum('x','y') latin1 pk(id)", []string{"d.t"}},
		{"ALTER TABLE t CHANGE id id2 BIGINT NOT NULL, RENAME COLUMN b TO b2, ADD COLUMN IF NOT EXISTS b2 INT",
			"t", "b2 decimal(12,3), id2 bigint not null, a text cp1251 not null, g geometry, e enum('x','y') latin1 pk(id2)", []string{"d.t"}},
		{"ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (e, id2)",
			"t", "b2 decimal(12,3), id2 bigint not null, a text cp1251 not null, g geometry, e enum('x','y') latin1 not null pk(e,id2)", []string{"d.t"}},
		{"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
			"t", "b2 decimal(12,3), id2 bigint not null, a text utf8mb4 not null, g geometry, e enum('x','y') utf8mb4 not null pk(e,id2)", []string{"d.t"}},
		{"RENAME TABLE t TO t2, d.x TO d.y", "t2",
			"b2 decimal(12,3), id2 bigint not null, a text utf8mb4 not null, g geometry, e enum('x','y') utf8mb4 not null pk(e,id2)", []string{"d.t", "d.t2", "d.x", "d.y"}},
		{"CREATE TABLE other.u LIKE t2", "", "", []string{"other.u"}},
		{"ALTER TABLE t2 RENAME TO t3", "t3", "b2 decimal(12,3), id2 bigint not null, a text utf8mb4 not null, g geometry, e enum('x','y') utf8mb4 not null pk(e,id2)", []string{"d.t2", "d.t3"}},
		{"CREATE DATABASE z CHARACTER SET latin1", "", "", nil},
		{"CREATE TABLE z.v (c CHAR(2), bits BIT(7), f FLOAT(7,3), tm TIME(3), ts TIMESTAMP(6) NULL, y YEAR, y2 YEAR( 2 ) NOT NULL, bn BINARY(3), vb VARBINARY(9), bl MEDIUMBLOB)", "",
			"", []string{"z.v"}},
		{"DROP TABLE IF EXISTS t3, nope", "t3", "<none>", []string{"d.t3"}},
		{"DROP DATABASE other", "", "", []string{"other.u"}},
	}
	for _, st := range steps {
		changed := apply(st.sql)
		if !slices.Equal(changed, st.changed) {
			t.Errorf("%s: changed %v, want %v", st.sql, changed, st.changed)
		}
		if st.table != "" {
			if got := shape("d", st.table); got != st.want {
				t.Errorf("%s:\n got %s\nwant %s", st.sql, got, st.want)
			}
		}
	}
	if got, want := shape("z", "v"), "c char(2) latin1, bits bit(7), f float(7,3), tm time(3), ts timestamp(6), y year, y2 year(2) not null, bn binary(3) binary, vb varbinary(9) binary, bl mediumblob binary pk()"; got != want {
		t.Errorf("z.v:\n got %s\nwant %s", got, want)
	}
	if s.get("other", "u") != nil {
		t.Error("DROP DATABASE left a table")
	}
	for _, q := range []string{"INSERT INTO t VALUES (1)", "GRANT SELECT ON *.* TO x", "CREATE PROCEDURE p() BEGIN END", "SAVEPOINT a"} {
		if _, _, err := p.parse(q); err != errNotTableDDL {
			t.Errorf("parse(%q) = %v, want errNotTableDDL", q, err)
		}
	}
}

func TestDDLTargets(t *testing.T) {
	for q, want := range map[string][]string{
		"ALTER TABLE t ADD COLUMN u UUID":              {"d.t"},
		"ALTER TABLE `x`.`t` ADD u UUID":               {"x.t"},
		"CREATE TABLE IF NOT EXISTS t (u UUID, v INT)": {"d.t"},
		"RENAME TABLE a TO b, x.c TO d":                {"d.a", "d.b", "x.c", "d.d"},
		"DROP TABLE IF EXISTS a, b":                    {"d.a", "d.b"},
		"DROP DATABASE shop":                           {"shop"},
	} {
		if got := ddlTargets(tokenize(q), "d"); !slices.Equal(got, want) {
			t.Errorf("ddlTargets(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestDecoders(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int64
	}{{"00:00:00", 0}, {"-838:59:59.000000", -3020399000000}, {"12:34:56.5", 45296500000}, {"-00:00:00.000001", -1}} {
		if got, err := parseClock(tc.s); err != nil || got != tc.want {
			t.Errorf("parseClock(%q) = %d, %v", tc.s, got, err)
		}
	}
	for _, bad := range []string{"", "1:2", "12:60:00", "aa:00:00", "00:00:00.1234567"} {
		if _, err := parseClock(bad); err == nil {
			t.Errorf("parseClock(%q) succeeded", bad)
		}
	}
	dt := datetimeDecoder(true, false)
	if v, err := dt("1970-01-01 00:00:00.000001"); err != nil || v != int64(1) {
		t.Errorf("datetime: %v %v", v, err)
	}
	if v, err := dt("2020-00-10 00:00:00"); err != nil || v != nil {
		t.Errorf("datetime with a zero month: %v %v, want null", v, err)
	}
	ts := timestampDecoder(false, 2)
	if v, err := ts("0000-00-00 00:00:00.00"); err != nil || v != "1970-01-01T00:00:00.00Z" {
		t.Errorf("zero timestamp NOT NULL: %v %v", v, err)
	}
	if v, err := ts("2024-01-02 03:04:05.1"); err != nil || v != "2024-01-02T03:04:05.10Z" {
		t.Errorf("timestamp: %v %v", v, err)
	}
	if _, err := intDecoder("x"); err == nil {
		t.Error("intDecoder took a string")
	}
	if v, _ := uintDecoder(24)(int32(-1)); v != int32(16777215) {
		t.Errorf("mediumint unsigned -1 -> %v", v)
	}
	if _, err := enumDecoder([]string{"a"})(int64(2)); err == nil {
		t.Error("enum index out of range accepted")
	}
	if _, err := setDecoder([]string{"a"})(int64(2)); err == nil {
		t.Error("set bit out of range accepted")
	}
	if _, err := charsetEncoding("utf32"); err == nil {
		t.Error("utf32 accepted")
	}
}

// FuzzRewrite: the DDL rewriter and tokenizer take any statement from the binlog.
func FuzzRewrite(f *testing.F) {
	f.Add("CREATE TABLE t (g POINT SRID 4326, a TEXT COLLATE x CHARSET cp1251)")
	f.Add("ALTER TABLE `a``b` ADD c INT COMMENT 'it''s', ADD d INT -- x\n")
	f.Add("/* c */ CREATE OR REPLACE TABLE t (\"x\" INT)")
	p := newDDLParser()
	f.Fuzz(func(t *testing.T, q string) {
		_, _ = rewriteForTiDB(q)
		_ = ddlTargets(tokenize(q), "d")
		if stmt, rw, err := p.parse(q); err == nil {
			_, _ = newSchema("utf8mb4").applyDDL(stmt, rw, "d")
		}
	})
}

// FuzzPosition: positions come back from Kafka.
func FuzzPosition(f *testing.F) {
	f.Add("gtid=0-1-42,1-2-7 file=binlog.000003 pos=1234")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePosition(s)
		if err != nil {
			return
		}
		q, err := ParsePosition(p.String())
		if err != nil || q != p {
			t.Errorf("%q -> %+v -> %q -> %+v, %v", s, p, p.String(), q, err)
		}
	})
}
