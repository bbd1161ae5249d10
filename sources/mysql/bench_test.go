package mysql

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sources/snapshot"
)

// benchTable is a typical OLTP row.
const benchTable = "CREATE TABLE d.orders (id BIGINT NOT NULL, customer VARCHAR(64), amount DECIMAL(12,2), " +
	"created DATETIME(6), updated TIMESTAMP NULL, status TINYINT, note TEXT CHARACTER SET latin1, PRIMARY KEY (id))"

// BenchmarkDecodeRow measures the source's own per-row work: go-mysql's values to the
// event model's (go-mysql's binlog parsing is not included; BenchmarkStream has it).
//
//	go test -run XXX -bench DecodeRow -benchmem ./sources/mysql/
func BenchmarkDecodeRow(b *testing.B) {
	p := newDDLParser()
	s := newSchema("utf8mb4")
	stmt, rw, err := p.parse(benchTable)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.applyDDL(stmt, rw, "d"); err != nil {
		b.Fatal(err)
	}
	et, codecs, err := eventTable(s.get("d", "orders"), nil)
	if err != nil {
		b.Fatal(err)
	}
	r := &relation{t: s.get("d", "orders"), table: et, codecs: codecs}
	d := &decoder{}
	raw := []any{int64(123456789), "customer-42", "12345.67", "2024-01-02 03:04:05.123456",
		"2024-01-02 03:04:05", int8(3), []byte("caf\xe9 note")}
	b.ReportAllocs()
	for b.Loop() {
		row, err := d.decodeRow(r, raw, event.Source{})
		if err != nil || row[6] != "café note" {
			b.Fatal(row, err)
		}
	}
}

// BenchmarkStream measures rows per second through Run against the test server: one
// transaction of n rows, from the binlog to Handler.Change.
//
//	go test -run XXX -bench Stream ./sources/mysql/
func BenchmarkStream(b *testing.B) {
	dsn := testmaria.NewDB(b)
	testmaria.Exec(b, dsn, strings.Replace(benchTable, "d.orders", "orders", 1))
	const n = 20000
	var vals []string
	for i := range n {
		vals = append(vals, fmt.Sprintf("(%d, 'customer-%d', %d.25, '2024-01-02 03:04:05.123456', NOW(), 1, 'note')", i, i, i))
	}
	db, _ := testmaria.ParseDSN(dsn)
	src, err := New(Config{DSN: testmaria.WithDatabase(dsn, ""), Name: "bench", Tables: []string{db.DB + ".orders"}})
	if err != nil {
		b.Fatal(err)
	}
	h := &countHandler{ch: make(chan struct{}, 1), want: n}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, h) }()
	<-h.ch // the start heartbeat
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i > 0 {
			b.StopTimer()
			testmaria.Exec(b, dsn, "DELETE FROM orders")
			<-h.ch
			b.StartTimer()
		}
		testmaria.Exec(b, dsn, "INSERT INTO orders VALUES "+strings.Join(vals, ","))
		<-h.ch
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// countHandler signals the first heartbeat and every want changes. (It used to signal
// every commit, which blocked the source at the second position inside a transaction
// of more than CheckpointEvery rows.)
type countHandler struct {
	ch   chan struct{}
	want int
	n    int
}

func (h *countHandler) Change(context.Context, *event.Change) error {
	h.n++
	if h.n%h.want == 0 {
		h.ch <- struct{}{}
	}
	return nil
}
func (h *countHandler) Message(context.Context, *event.Message) error { return nil }
func (h *countHandler) Commit(context.Context, event.Position) error  { return nil }
func (h *countHandler) Heartbeat(context.Context, time.Time, event.Position) error {
	select {
	case h.ch <- struct{}{}:
	default:
	}
	return nil
}

// BenchmarkStreamBacklog measures the source alone on a backlog like bench/mysql.sh's
// phase 1 (its 10-column table, 60% inserts, 30% updates, 10% deletes, 1000-row
// transactions): each iteration starts a new Source at the position before the workload
// and times it until it handed over every change. Compare rows/s with `mariadb-binlog
// --read-from-remote-server -v` on the same binlog (bench/mysql.sh prints it).
//
//	go test -run XXX -bench StreamBacklog -benchtime 5x ./sources/mysql/
func BenchmarkStreamBacklog(b *testing.B) {
	dsn := testmaria.NewDB(b)
	testmaria.Exec(b, dsn, `CREATE TABLE bench_rows (id bigint NOT NULL PRIMARY KEY, qty int NOT NULL,
		label varchar(64) NOT NULL, price decimal(12,2), ts datetime(6) NOT NULL, active tinyint,
		attrs json, ref char(36), score double, code varchar(32))`)
	gtid := testmaria.QueryString(b, dsn, "SELECT @@gtid_binlog_pos")
	const ins, upd, del, tx = 60000, 30000, 10000, 1000
	var stmts []string
	for k := 1; k <= ins; k += tx {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO bench_rows
			SELECT seq, seq %% 1000, CONCAT('customer name ', seq), (seq %% 100000) / 100 + 0.99,
				TIMESTAMP'2024-07-01 12:00:00' + INTERVAL seq SECOND + INTERVAL (seq %% 1000000) MICROSECOND,
				seq %% 2, JSON_OBJECT('sku', CONCAT('A-', seq), 'qty', seq %% 7, 'tags', JSON_ARRAY('x', 'y')),
				MD5(seq), seq * 1.5, CONCAT('C', seq %% 100000)
			FROM seq_%d_to_%d`, k, k+tx-1))
	}
	for k := 1; k <= upd; k += tx {
		stmts = append(stmts, fmt.Sprintf(`UPDATE bench_rows SET qty = qty + 1, price = price + 1,
			score = score * 2, active = 1 - active, ts = ts + INTERVAL 1 DAY WHERE id BETWEEN %d AND %d`, k, k+tx-1))
	}
	for k := ins - del + 1; k <= ins; k += tx {
		stmts = append(stmts, fmt.Sprintf("DELETE FROM bench_rows WHERE id BETWEEN %d AND %d", k, k+tx-1))
	}
	testmaria.Exec(b, dsn, stmts...)
	db, _ := testmaria.ParseDSN(dsn)
	const n = ins + upd + del
	b.ResetTimer()
	for b.Loop() {
		src, err := New(Config{DSN: testmaria.WithDatabase(dsn, ""), Name: "bench", Tables: []string{db.DB + ".bench_rows"},
			Start: &Position{GTID: gtid}})
		if err != nil {
			b.Fatal(err)
		}
		h := &countHandler{ch: make(chan struct{}, 1), want: n}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- src.Run(ctx, h) }()
		select {
		case <-h.ch:
		case err := <-done:
			b.Fatal(err)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSnapshotRead measures the snapshot reader's per-row cost: n rows of
// bench/mysql.sh's 10-column table read through myView.Read in one range, from the
// server to the decoded []any rows. ns/row is wall time (the server's work included);
// cpu-ns/row is the test process's CPU (user+system), the reader's own cost, and
// server-cpu-ns/row the server's, when it runs on this machine (its pid file readable).
//
//	go test -run XXX -bench SnapshotRead -benchtime 5x ./sources/mysql/
func BenchmarkSnapshotRead(b *testing.B) {
	dsn := testmaria.NewDB(b)
	const n = 50000
	testmaria.Exec(b, dsn, `CREATE TABLE bench_rows (id bigint NOT NULL PRIMARY KEY, qty int NOT NULL,
		label varchar(64) NOT NULL, price decimal(12,2), ts datetime(6) NOT NULL, active smallint,
		attrs json, ref char(36), score double, code varchar(32))`,
		fmt.Sprintf(`INSERT INTO bench_rows
			SELECT seq, seq %% 1000, CONCAT('customer name ', seq), (seq %% 100000) / 100 + 0.99,
				TIMESTAMP'2024-07-01 12:00:00' + INTERVAL seq SECOND + INTERVAL (seq %% 1000000) MICROSECOND,
				seq %% 2, JSON_OBJECT('sku', CONCAT('A-', seq), 'qty', seq %% 7, 'tags', JSON_ARRAY('x', 'y')),
				MD5(seq), seq * 1.5, CONCAT('C', seq %% 100000)
			FROM seq_1_to_%d`, n))
	db, _ := testmaria.ParseDSN(dsn)
	src, err := New(Config{DSN: testmaria.WithDatabase(dsn, ""), Name: "bench", Tables: []string{db.DB + ".bench_rows"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	view, table := openOne(b, src, 1)
	defer view.Close()
	tables := []snapshot.Table{table}
	pidFile := testmaria.QueryString(b, dsn, "SELECT @@pid_file")
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU(b)
	server0, serverOK := serverCPU(pidFile)
	b.ResetTimer()
	for b.Loop() {
		rows := 0
		if err := view.Read(ctx, 0, tables[0], nil, nil, func(row []any) error {
			rows++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.StopTimer()
	cpu := processCPU(b) - cpu0
	server1, _ := serverCPU(pidFile)
	runtime.ReadMemStats(&ms1)
	total := float64(n) * float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/total, "cpu-ns/row")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/total, "allocs/row")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/total, "B/row")
	if serverOK {
		b.ReportMetric(float64((server1-server0).Nanoseconds())/total, "server-cpu-ns/row")
	}
}

// serverCPU is the CPU time (user and system) of the process whose pid is in pidFile,
// if it is on this machine; Linux's /proc counts it in ticks of 10ms.
func serverCPU(pidFile string) (time.Duration, bool) {
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, false
	}
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command, which is in parentheses: utime and stime are the
	// 12th and 13th.
	_, rest, ok := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * 10 * time.Millisecond, true
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
