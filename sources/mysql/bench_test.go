package mysql

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
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

// countHandler signals each heartbeat and every commit.
type countHandler struct {
	ch   chan struct{}
	want int
	n    int
}

func (h *countHandler) Change(context.Context, *event.Change) error   { h.n++; return nil }
func (h *countHandler) Message(context.Context, *event.Message) error { return nil }
func (h *countHandler) Commit(context.Context, event.Position) error  { h.ch <- struct{}{}; return nil }
func (h *countHandler) Heartbeat(context.Context, time.Time, event.Position) error {
	select {
	case h.ch <- struct{}{}:
	default:
	}
	return nil
}
