package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
)

func TestMain(m *testing.M) {
	pollInterval = 20 * time.Millisecond
	backoffMin = 50 * time.Millisecond
	testpg.Main(m)
}

// recorder is an event.Handler that keeps everything it is handed.
type recorder struct {
	mu         sync.Mutex
	changes    []*event.Change
	messages   []*event.Message
	commits    []LSN
	heartbeats []LSN
	hbTimes    []time.Time
}

func (r *recorder) Change(_ context.Context, c *event.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
	return nil
}

func (r *recorder) Message(_ context.Context, m *event.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.messages = append(r.messages, m)
	return nil
}

func (r *recorder) Commit(_ context.Context, pos event.Position) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commits = append(r.commits, pos.(LSN))
	return nil
}

func (r *recorder) Heartbeat(_ context.Context, ts time.Time, pos event.Position) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.heartbeats = append(r.heartbeats, pos.(LSN))
	r.hbTimes = append(r.hbTimes, ts)
	return nil
}

func (r *recorder) snapshot() (changes []*event.Change, commits []LSN, hbs []LSN) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*event.Change(nil), r.changes...), append([]LSN(nil), r.commits...), append([]LSN(nil), r.heartbeats...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// start runs a source on dsn until the test ends.
func start(t *testing.T, cfg Config) (*Source, *recorder) {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = dbName(t, cfg.DSN) // slots are per server: one per test
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, rec) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitStreaming(t, cfg.DSN, s.Slot())
	return s, rec
}

// waitStreaming waits until a walsender streams from slot (a slot being created is
// active too, but changes before its consistent point are never decoded).
func waitStreaming(t *testing.T, dsn, slot string) {
	t.Helper()
	waitFor(t, "slot "+slot+" to stream", func() bool {
		var n int
		_ = queryRow(t, dsn, `SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
			WHERE s.slot_name = $1 AND s.confirmed_flush_lsn IS NOT NULL`, []any{slot}, &n)
		return n == 1
	})
}

func queryRow(t *testing.T, dsn, q string, args []any, dst ...any) error {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, q, args...).Scan(dst...)
}

func confirmedFlush(t *testing.T, dsn, slot string) LSN {
	t.Helper()
	var s string
	if err := queryRow(t, dsn, `SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1`, []any{slot}, &s); err != nil {
		t.Fatal(err)
	}
	l, err := ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func rat(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }

func TestTypes(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	var db string
	_ = queryRow(t, dsn, "SELECT current_database()", nil, &db)
	// The server's zone for this database is not UTC; the source must not care.
	testpg.Exec(t, dsn,
		"ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" SET timezone = 'Asia/Kathmandu'",
		"CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
		"CREATE DOMAIN price AS numeric(5,2)")

	type tc struct {
		sqlType string
		literal string
		want    any
		kind    event.Kind
		name    string
		params  map[string]string
	}
	ms := func(s string) int64 { tm, _ := time.Parse("2006-01-02 15:04:05.999999", s); return tm.UnixMilli() }
	us := func(s string) int64 { tm, _ := time.Parse("2006-01-02 15:04:05.999999", s); return tm.UnixMicro() }
	cases := []tc{
		{"int2", "-32768", int32(-32768), event.KindInt16, "", nil},
		{"int4", "2147483647", int32(2147483647), event.KindInt32, "", nil},
		{"int8", "-9223372036854775808", int64(math.MinInt64), event.KindInt64, "", nil},
		{"oid", "4000000000", int64(4000000000), event.KindInt64, "", nil},
		{"float4", "'NaN'", float32(math.NaN()), event.KindFloat32, "", nil},
		{"float4", "'-Infinity'", float32(math.Inf(-1)), event.KindFloat32, "", nil},
		{"float4", "1.5", float32(1.5), event.KindFloat32, "", nil},
		{"float8", "'Infinity'", math.Inf(1), event.KindFloat64, "", nil},
		{"float8", "0.1", 0.1, event.KindFloat64, "", nil},
		{"float8", "1e308", 1e308, event.KindFloat64, "", nil},
		{"numeric(10,2)", "-12345678.91", rat("-1234567891/100"), event.KindDecimal, "org.apache.kafka.connect.data.Decimal", map[string]string{"scale": "2", "connect.decimal.precision": "10"}},
		{"numeric", "1.500", event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}, event.KindVarDecimal, "io.debezium.data.VariableScaleDecimal", nil},
		{"numeric", "123456789012345678901234567890", event.VarDecimal{Unscaled: func() *big.Int { b, _ := new(big.Int).SetString("123456789012345678901234567890", 10); return b }()}, event.KindVarDecimal, "io.debezium.data.VariableScaleDecimal", nil},
		{"price", "999.99", rat("99999/100"), event.KindDecimal, "org.apache.kafka.connect.data.Decimal", nil},
		{"money", "-1234.56", rat("-123456/100"), event.KindDecimal, "org.apache.kafka.connect.data.Decimal", map[string]string{"scale": "2"}},
		{"bool", "true", true, event.KindBoolean, "", nil},
		{"text", "'héllo ☃'", "héllo ☃", event.KindString, "", nil},
		{"varchar(5)", "'abc'", "abc", event.KindString, "", nil},
		{"char(3)", "'ab'", "ab ", event.KindString, "", nil},
		{`"char"`, "'x'", "x", event.KindString, "", nil},
		{"name", "'nm'", "nm", event.KindString, "", nil},
		{"bytea", `'\x00ff10'`, []byte{0, 255, 16}, event.KindBytes, "", nil},
		{"date", "'2024-02-29'", int32(19782), event.KindInt32, "io.debezium.time.Date", nil},
		{"date", "'0044-03-15 BC'", int32(daysFromCivil(-43, 3, 15)), event.KindInt32, "io.debezium.time.Date", nil},
		{"date", "'infinity'", int32(-2147472692), event.KindInt32, "io.debezium.time.Date", nil},
		{"time", "'12:34:56.789012'", int64(45296789012), event.KindInt64, "io.debezium.time.MicroTime", nil},
		{"time(3)", "'12:34:56.789'", int32(45296789), event.KindInt32, "io.debezium.time.Time", nil},
		{"timetz", "'12:34:56.5+05:30'", "07:04:56.5Z", event.KindString, "io.debezium.time.ZonedTime", nil},
		{"timestamp", "'2024-01-02 03:04:05.123456'", us("2024-01-02 03:04:05.123456"), event.KindInt64, "io.debezium.time.MicroTimestamp", nil},
		{"timestamp(3)", "'2024-01-02 03:04:05.123'", ms("2024-01-02 03:04:05.123"), event.KindInt64, "io.debezium.time.Timestamp", nil},
		{"timestamp(0)", "'1900-01-01 00:00:00'", ms("1900-01-01 00:00:00"), event.KindInt64, "io.debezium.time.Timestamp", nil},
		{"timestamp", "'infinity'", int64(9223372036825200000), event.KindInt64, "io.debezium.time.MicroTimestamp", nil},
		{"timestamptz", "'2024-07-01 12:00:00'", "2024-07-01T16:00:00.000000Z", event.KindString, "io.debezium.time.ZonedTimestamp", nil}, // session zone New York
		{"timestamptz", "'2024-01-01 00:00:00.5+00'", "2024-01-01T00:00:00.500000Z", event.KindString, "io.debezium.time.ZonedTimestamp", nil},
		{"timestamptz(0)", "'2024-01-01 00:00:00.4+00'", "2024-01-01T00:00:00Z", event.KindString, "io.debezium.time.ZonedTimestamp", nil},
		{"timestamptz", "'-infinity'", "-infinity", event.KindString, "io.debezium.time.ZonedTimestamp", nil},
		{"interval", "'1 year 2 mons 3 days 04:05:06.5'", int64(37091106500000), event.KindInt64, "io.debezium.time.MicroDuration", nil},
		{"interval", "'-1 day -1.5 seconds'", int64(-86401500000), event.KindInt64, "io.debezium.time.MicroDuration", nil},
		{"uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", event.KindString, "io.debezium.data.Uuid", nil},
		{"json", `'{"a":  1}'`, `{"a":  1}`, event.KindString, "io.debezium.data.Json", nil},
		{"jsonb", `'{"a":  1}'`, `{"a": 1}`, event.KindString, "io.debezium.data.Json", nil},
		{"xml", "'<a>x</a>'", "<a>x</a>", event.KindString, "io.debezium.data.Xml", nil},
		{"mood", "'ok'", "ok", event.KindString, "io.debezium.data.Enum", map[string]string{"allowed": "sad,ok,happy"}},
		{"inet", "'192.168.0.1/24'", "192.168.0.1/24", event.KindString, "", nil},
		{"cidr", "'10.0.0.0/8'", "10.0.0.0/8", event.KindString, "", nil},
		{"macaddr", "'08:00:2b:01:02:03'", "08:00:2b:01:02:03", event.KindString, "", nil},
		{"macaddr8", "'08:00:2b:01:02:03:04:05'", "08:00:2b:01:02:03:04:05", event.KindString, "", nil},
		{"point", "'(1.5,2)'", "(1.5,2)", event.KindString, "", nil},
		{"int4range", "'[1,5)'", "[1,5)", event.KindString, "", nil},
		{"bit(1)", "B'1'", true, event.KindBoolean, "", nil},
		{"bit(10)", "B'1000000001'", []byte{0x01, 0x02}, event.KindBytes, "io.debezium.data.Bits", map[string]string{"length": "10"}},
		{"varbit(20)", "B'101'", []byte{0x05}, event.KindBytes, "io.debezium.data.Bits", map[string]string{"length": "20"}},
		{"varbit", "B'000'", []byte{}, event.KindBytes, "io.debezium.data.Bits", map[string]string{"length": "2147483647"}},
		{"int4[]", "'{1,NULL,3}'", []any{int32(1), nil, int32(3)}, event.KindArray, "", nil},
		{"text[]", `'{"a,b",NULL,"NULL","q\"x"}'`, []any{"a,b", nil, "NULL", `q"x`}, event.KindArray, "", nil},
		{"numeric(4,1)[]", "'{1.5,NULL}'", []any{rat("3/2"), nil}, event.KindArray, "", nil},
		{"timestamptz[]", "'{\"2024-07-01 12:00:00\"}'", []any{"2024-07-01T16:00:00.000000Z"}, event.KindArray, "", nil},
		{"mood[]", "'{sad,happy}'", []any{"sad", "happy"}, event.KindArray, "", nil},
		{"int2[]", "'{{1,2},{3,4}}'", []any{int32(1), int32(2), int32(3), int32(4)}, event.KindArray, "", nil},
	}
	var cols, vals, nulls []string
	for i, c := range cases {
		cols = append(cols, fmt.Sprintf("c%d %s", i, c.sqlType))
		vals = append(vals, c.literal)
		nulls = append(nulls, "NULL")
	}
	testpg.Exec(t, dsn, "CREATE TABLE types (id int PRIMARY KEY, "+strings.Join(cols, ", ")+")")

	_, rec := start(t, Config{DSN: dsn, Tables: []string{"public.types"}})
	testpg.Exec(t, dsn, "SET TimeZone = 'America/New_York'",
		"INSERT INTO types VALUES (1, "+strings.Join(vals, ", ")+")",
		"INSERT INTO types VALUES (2, "+strings.Join(nulls, ", ")+")")
	waitFor(t, "two inserts", func() bool { ch, _, _ := rec.snapshot(); return len(ch) >= 2 })
	changes, _, _ := rec.snapshot()
	row, nullRow := changes[0], changes[1]
	if row.Op != event.OpCreate || row.Before != nil {
		t.Fatalf("op %s before %v", row.Op, row.Before)
	}
	for i, c := range cases {
		col := row.Table.Columns[i+1]
		got := row.After[i+1]
		if !sameValue(got, c.want) {
			t.Errorf("%s %s: got %#v (%T), want %#v (%T)", c.sqlType, c.literal, got, got, c.want, c.want)
		}
		if col.Type.Kind != c.kind || col.Type.Name != c.name {
			t.Errorf("%s: type %s %q, want %s %q", c.sqlType, col.Type.Kind, col.Type.Name, c.kind, c.name)
		}
		for k, v := range c.params {
			if col.Type.Params[k] != v {
				t.Errorf("%s: param %s = %q, want %q", c.sqlType, k, col.Type.Params[k], v)
			}
		}
		if !col.Optional {
			t.Errorf("%s: nullable column not optional", c.sqlType)
		}
		if c.kind == event.KindArray && (col.Type.Elem == nil || col.Type.Elem.Kind == event.KindInvalid) {
			t.Errorf("%s: array without element type", c.sqlType)
		}
		if nullRow.After[i+1] != nil {
			t.Errorf("%s NULL: got %#v", c.sqlType, nullRow.After[i+1])
		}
	}
	if row.Table.Columns[0].Optional || len(row.Table.Key) != 1 || row.Table.Key[0] != 0 {
		t.Errorf("id column: optional=%v key=%v", row.Table.Columns[0].Optional, row.Table.Key)
	}
	src := row.Source
	if src.Connector != "postgresql" || src.Version != Version || src.Name != db || src.DB != db ||
		src.Schema != "public" || src.Table != "types" || src.Snapshot != "false" || src.TxID == 0 || src.LSN == 0 ||
		src.Commit.IsZero() || !strings.HasSuffix(src.Sequence, fmt.Sprintf(`,"%d"]`, src.LSN)) {
		t.Errorf("source block %+v", src)
	}
}

// sameValue compares decoded values, NaN equal to NaN.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float32:
		y, ok := b.(float32)
		return ok && (x == y || x != x && y != y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || x != x && y != y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	}
	if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
		return false
	}
	return equalValue(a, b)
}

func TestNumericNaNFails(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE n (id int PRIMARY KEY, v numeric(5,2))")
	s, err := New(Config{DSN: dsn, Name: dbName(t, dsn)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, &recorder{}) }()
	waitStreaming(t, dsn, s.Slot())
	testpg.Exec(t, dsn, "INSERT INTO n VALUES (1, 'NaN')")
	err = <-done
	if !errors.Is(err, ErrSpecialNumeric) || !strings.Contains(err.Error(), "public.n column v") {
		t.Fatalf("Run = %v, want ErrSpecialNumeric naming the column", err)
	}
}

func TestOperations(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn,
		"CREATE TABLE d (id int PRIMARY KEY, v text NOT NULL, n int, big text)",
		"ALTER TABLE d ALTER COLUMN big SET STORAGE EXTERNAL",
		"CREATE TABLE f (a int, b text)",
		"ALTER TABLE f REPLICA IDENTITY FULL",
		"CREATE TABLE skipped (id int PRIMARY KEY)")
	_, rec := start(t, Config{DSN: dsn, Tables: []string{"public.d", "public.f"}})
	testpg.Exec(t, dsn,
		"INSERT INTO d VALUES (1, 'one', 10, repeat('x', 10000))",
		"INSERT INTO skipped VALUES (1)",
		"UPDATE d SET n = 11 WHERE id = 1",            // big unchanged: TOAST placeholder
		"UPDATE d SET id = 2, v = 'two' WHERE id = 1", // key change: delete + create
		"DELETE FROM d WHERE id = 2",
		"INSERT INTO f VALUES (1, 'a')",
		"UPDATE f SET b = 'b'",
		"DELETE FROM f",
		"TRUNCATE d, f")
	waitFor(t, "all changes", func() bool { ch, _, _ := rec.snapshot(); return len(ch) >= 10 })
	ch, commits, _ := rec.snapshot()
	type exp struct {
		table  string
		op     event.Op
		before []any
		after  []any
	}
	big := strings.Repeat("x", 10000)
	want := []exp{
		{"d", event.OpCreate, nil, []any{int32(1), "one", int32(10), big}},
		{"d", event.OpUpdate, nil, []any{int32(1), "one", int32(11), event.Unavailable}},
		{"d", event.OpDelete, []any{int32(1), "", nil, nil}, nil}, // key tuple: required v gets Debezium's fallback
		{"d", event.OpCreate, nil, []any{int32(2), "two", int32(11), event.Unavailable}},
		{"d", event.OpDelete, []any{int32(2), "", nil, nil}, nil},
		{"f", event.OpCreate, nil, []any{int32(1), "a"}},
		{"f", event.OpUpdate, []any{int32(1), "a"}, []any{int32(1), "b"}},
		{"f", event.OpDelete, []any{int32(1), "b"}, nil},
		{"d", event.OpTruncate, nil, nil},
		{"f", event.OpTruncate, nil, nil},
	}
	if len(ch) != len(want) {
		t.Fatalf("got %d changes, want %d", len(ch), len(want))
	}
	for i, w := range want {
		c := ch[i]
		if c.Table.ID.Table != w.table || c.Op != w.op || !sameRow(c.Before, w.before) || !sameRow(c.After, w.after) {
			t.Errorf("change %d: %s %s before=%v after=%v; want %s %s before=%v after=%v",
				i, c.Table.ID.Table, c.Op, short(c.Before), short(c.After), w.table, w.op, short(w.before), short(w.after))
		}
	}
	if k := ch[0].Key(); len(k) != 1 || k[0] != int32(1) {
		t.Errorf("key of insert = %v", k)
	}
	if k := ch[4].Key(); len(k) != 1 || k[0] != int32(2) {
		t.Errorf("key of delete = %v", k)
	}
	if ch[5].Table.Key != nil {
		t.Errorf("table without primary key has key %v", ch[5].Table.Key)
	}
	if ch[0].Table.Columns[1].Optional || !ch[0].Table.Columns[2].Optional {
		t.Error("NOT NULL not reflected in Optional")
	}
	// One commit per transaction, increasing (INSERT INTO skipped commits too: empty for us).
	for i := 1; i < len(commits); i++ {
		if commits[i] <= commits[i-1] {
			t.Errorf("commits not increasing: %v", commits)
		}
	}
	// As in Debezium, both halves of a key change come from one WAL record: same position.
	if ch[3].Source.Sequence != ch[2].Source.Sequence || ch[2].Source.LSN == 0 {
		t.Error("delete and create of a key change should share the UPDATE's position")
	}
}

func sameRow(a, b []any) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == event.Unavailable || b[i] == event.Unavailable {
			if a[i] != b[i] {
				return false
			}
			continue
		}
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func short(row []any) string {
	var parts []string
	for _, v := range row {
		s := fmt.Sprint(v)
		if len(s) > 12 {
			s = s[:12] + "…"
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestPublicationFollowsConfig(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE a (id int PRIMARY KEY)", "CREATE TABLE b (id int PRIMARY KEY)",
		"CREATE SCHEMA other", "CREATE TABLE other.c (id int PRIMARY KEY)", "CREATE TABLE tmp_x (id int PRIMARY KEY)")
	slot := dbName(t, dsn)
	pubName := "dovetail_" + slot
	published := func() string {
		var s string
		if err := queryRow(t, dsn, `SELECT COALESCE(string_agg(schemaname||'.'||tablename, ',' ORDER BY schemaname, tablename), '')
			FROM pg_publication_tables WHERE pubname = $1`, []any{pubName}, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, c := range []struct {
		tables, exclude []string
		want            string
	}{
		{[]string{"public.a"}, nil, "public.a"},
		{[]string{"public.*"}, []string{"public.tmp_*"}, "public.a,public.b"},
		{[]string{"other.c", "public.b"}, nil, "other.c,public.b"},
		{nil, []string{"public.*"}, "other.c"},
	} {
		s, err := New(Config{DSN: dsn, Name: slot, Tables: c.tables, ExcludeTables: c.exclude})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx, &recorder{}) }()
		waitFor(t, "publication "+c.want, func() bool { return published() == c.want })
		// The publication is created before the slot: wait for the slot too.
		waitFor(t, "a pgoutput slot", func() bool {
			var n int
			_ = queryRow(t, dsn, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND plugin = 'pgoutput'`, []any{s.Slot()}, &n)
			return n == 1
		})
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	s, _ := New(Config{DSN: dsn, Name: slot, Tables: []string{"public.nope"}})
	if err := s.Run(context.Background(), &recorder{}); !errors.Is(err, ErrMissingTable) || !strings.Contains(err.Error(), "public.nope") {
		t.Errorf("missing table: Run = %v", err)
	}
}

func TestAckMovesSlot(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)")
	s, rec := start(t, Config{DSN: dsn})
	testpg.Exec(t, dsn, "INSERT INTO t VALUES (1)")
	waitFor(t, "commit", func() bool { _, c, _ := rec.snapshot(); return len(c) == 1 })
	_, commits, _ := rec.snapshot()

	// Let the source send several status updates after receiving the commit: the slot
	// must not move before Ack.
	var before time.Time
	_ = queryRow(t, dsn, `SELECT now()`, nil, &before)
	waitFor(t, "a standby status update", func() bool {
		var reply *time.Time
		_ = queryRow(t, dsn, `SELECT max(reply_time) FROM pg_stat_replication WHERE application_name = 'dovetail'`, nil, &reply)
		return reply != nil && reply.After(before.Add(50*time.Millisecond))
	})
	// (The slot may move over idle WAL before the insert, never over an unacked commit.)
	if got := confirmedFlush(t, dsn, s.Slot()); got >= commits[0] {
		t.Fatalf("confirmed_flush_lsn moved to %s before Ack of %s", got, commits[0])
	}
	s.Ack(commits[0])
	waitFor(t, "confirmed_flush_lsn to reach the ack", func() bool { return confirmedFlush(t, dsn, s.Slot()) >= commits[0] })
	s.Ack(commits[0] - 1) // never backwards
	if LSN(s.acked.Load()) != commits[0] {
		t.Errorf("Ack moved backwards")
	}
}

func TestHeartbeat(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)")
	s, rec := start(t, Config{DSN: dsn, HeartbeatInterval: 50 * time.Millisecond})
	initial := confirmedFlush(t, dsn, s.Slot())
	// Another pipeline's heartbeat and a user message in the same database.
	testpg.Exec(t, dsn, "SELECT pg_logical_emit_message(false, 'dovetail_heartbeat', 'other_slot 1')",
		"SELECT pg_logical_emit_message(true, 'app', 'hello')")
	waitFor(t, "heartbeats", func() bool { _, _, hb := rec.snapshot(); return len(hb) >= 3 })
	_, _, hbs := rec.snapshot()
	s.Ack(hbs[len(hbs)-1])
	waitFor(t, "slot to advance on heartbeats", func() bool { return confirmedFlush(t, dsn, s.Slot()) > initial })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if ts := rec.hbTimes[0]; time.Since(ts) > time.Minute || time.Since(ts) < -time.Minute {
		t.Errorf("heartbeat time %s", ts)
	}
	if len(rec.messages) != 1 || rec.messages[0].Prefix != "app" || string(rec.messages[0].Content) != "hello" || !rec.messages[0].Transactional {
		t.Errorf("messages = %+v", rec.messages)
	}
}

func TestReconnect(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)")
	s, rec := start(t, Config{DSN: dsn})
	testpg.Exec(t, dsn, "INSERT INTO t VALUES (1)")
	waitFor(t, "first commit", func() bool { _, c, _ := rec.snapshot(); return len(c) == 1 })
	_, commits, _ := rec.snapshot()
	s.Ack(commits[0])
	waitFor(t, "ack", func() bool { return confirmedFlush(t, dsn, s.Slot()) >= commits[0] })

	for round := 2; round <= 3; round++ {
		var pid int
		if err := queryRow(t, dsn, `SELECT pg_terminate_backend(active_pid)::int FROM pg_replication_slots WHERE slot_name = $1`, []any{s.Slot()}, &pid); err != nil {
			t.Fatal(err)
		}
		testpg.Exec(t, dsn, fmt.Sprintf("INSERT INTO t VALUES (%d)", round))
		waitFor(t, "change after reconnect", func() bool { ch, _, _ := rec.snapshot(); return len(ch) >= round })
	}
	testpg.Exec(t, dsn, "INSERT INTO t VALUES (4)")
	waitFor(t, "last change", func() bool { ch, _, _ := rec.snapshot(); return len(ch) >= 4 })
	ch, _, _ := rec.snapshot()
	var ids []any
	for _, c := range ch {
		ids = append(ids, c.After[0])
	}
	if fmt.Sprint(ids) != "[1 2 3 4]" {
		t.Errorf("ids after reconnects = %v, want [1 2 3 4] (no loss, no duplicates)", ids)
	}
}

func TestRestartServer(t *testing.T) {
	t.Parallel()
	srv := testpg.New(t) // a private server of its own, which the test restarts
	dsn := srv.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)")
	s, rec := start(t, Config{DSN: dsn})
	testpg.Exec(t, dsn, "INSERT INTO t VALUES (1)")
	waitFor(t, "first commit", func() bool { _, c, _ := rec.snapshot(); return len(c) == 1 })
	_, commits, _ := rec.snapshot()
	s.Ack(commits[0]) // a clean shutdown waits for the client to confirm what it was sent
	srv.Restart(t)
	testpg.Exec(t, dsn, "INSERT INTO t VALUES (2)")
	waitFor(t, "change after restart", func() bool { ch, _, _ := rec.snapshot(); return len(ch) >= 2 })
	ch, _, _ := rec.snapshot()
	if len(ch) != 2 || ch[1].After[0] != int32(2) {
		t.Errorf("changes after restart: %d, last %v", len(ch), ch[len(ch)-1].After)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE good (id int PRIMARY KEY)", "CREATE TABLE nopk (v int)",
		"CREATE TABLE secret (id int PRIMARY KEY)")
	role := testpg.NewRole(t, dsn, "NOREPLICATION")
	var roleName string
	_ = queryRow(t, role, "SELECT current_user", nil, &roleName)
	testpg.Exec(t, dsn, "GRANT SELECT ON good, nopk TO "+pgx.Identifier{roleName}.Sanitize(),
		"REVOKE CREATE ON DATABASE "+pgx.Identifier{strings.TrimPrefix(dbName(t, dsn), "")}.Sanitize()+" FROM PUBLIC")

	s, err := New(Config{DSN: role, Name: "v", Tables: []string{"public.good", "public.nopk", "public.secret", "public.missing"}})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.Validate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wants := []struct {
		what, fix string
	}{
		{"neither the REPLICATION attribute", "WITH REPLICATION;"},
		{"public.missing in source.tables does not exist", "remove public.missing"},
		{"cannot SELECT from public.secret", `GRANT SELECT ON "public"."secret"`},
		{"public.nopk has no primary key", `ALTER TABLE "public"."nopk" REPLICA IDENTITY FULL;`},
		{"may not create it", "GRANT CREATE ON DATABASE"},
	}
	for _, w := range wants {
		found := false
		for _, p := range ps {
			if strings.Contains(p.What, w.what) && strings.Contains(p.Fix, w.fix) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem %q with fix %q in:\n%v", w.what, w.fix, ps)
		}
	}
	for _, p := range ps {
		if strings.Contains(p.What, "primary key") && p.Level != 0 {
			t.Errorf("replica identity problem should be a warning: %v", p)
		}
	}

	// A superuser on a well-configured database: only the replica identity warning.
	s, _ = New(Config{DSN: dsn, Name: "v", Tables: []string{"public.good", "public.nopk"}})
	ps, err = s.Validate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || !strings.Contains(ps[0].What, "nopk") {
		t.Errorf("superuser problems: %v", ps)
	}
}

func dbName(t *testing.T, dsn string) string {
	var s string
	if err := queryRow(t, dsn, "SELECT current_database()", nil, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFatalErrorsReturnAtOnce(t *testing.T) {
	t.Parallel()
	dsn := testpg.WithDatabase(testpg.NewDB(t), "no_such_db")
	s, err := New(Config{DSN: testpg.WithUser(dsn, "postgres", "hunter2"), Name: "fatal"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = s.Run(ctx, &recorder{})
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "no_such_db") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Run = %v, want an immediate error naming the database and no password", err)
	}
}

func TestReady(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)")
	s, err := New(Config{DSN: dsn, Name: dbName(t, dsn)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Ready() {
		t.Fatal("ready before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, &recorder{}) }()
	defer func() {
		cancel()
		<-done
	}()
	// An idle database: nothing is ever decoded or acknowledged, yet the source streams.
	waitFor(t, "ready on an idle database", s.Ready)
	waitStreaming(t, dsn, s.Slot())

	// A lost connection: ready again once the next session streams.
	var pid int
	if err := queryRow(t, dsn, `SELECT pg_terminate_backend(active_pid)::int FROM pg_replication_slots WHERE slot_name = $1`, []any{s.Slot()}, &pid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new session", func() bool {
		var n int
		_ = queryRow(t, dsn, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid <> $2`, []any{s.Slot(), pid}, &n)
		return n == 1 && s.Ready()
	})

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	if s.Ready() {
		t.Error("ready after Run returned")
	}
}
