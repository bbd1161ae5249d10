package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// BenchmarkDecodeInsert decodes a typical 8-column row from pgoutput's TupleData.
func BenchmarkDecodeInsert(b *testing.B) {
	cols := []struct {
		oid    uint32
		typmod int32
		val    string
	}{
		{oidInt8, -1, "1234567890"},
		{oidText, -1, "customer name with some length"},
		{oidNumeric, (12<<16 | 2) + 4, "12345.67"},
		{oidTimestampTZ, -1, "2024-07-01 12:00:00.123456+00"},
		{oidBool, -1, "t"},
		{oidJSONB, -1, `{"a": 1, "b": [1, 2, 3]}`},
		{oidDate, -1, "2024-07-01"},
		{1007, -1, "{1,2,NULL,4}"},
	}
	rel := &relation{table: &event.Table{ID: event.TableID{Schema: "public", Table: "t"}}}
	var vals []string
	for i, c := range cols {
		cd, err := codecFor(c.oid, c.typmod, nil)
		if err != nil {
			b.Fatal(err)
		}
		rel.codecs = append(rel.codecs, cd)
		rel.identity = append(rel.identity, i == 0)
		rel.table.Columns = append(rel.table.Columns, event.Column{Name: "c", Type: cd.typ, Optional: true})
		vals = append(vals, c.val)
	}
	td := appendTuple(nil, vals)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := rel.decodeTuple(td, false, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// testColumn is a column of a test relation.
type testColumn struct {
	name   string
	oid    uint32
	typmod int32
}

// testRelation is a relation of columns with the first as key, the first three NOT
// NULL, decoded by the streaming path's codecs.
func testRelation(tb testing.TB, id event.TableID, columns []testColumn) *relation {
	tb.Helper()
	rel := &relation{included: true, table: &event.Table{ID: id, Key: []int{0}}}
	for i, c := range columns {
		cd, err := codecFor(c.oid, c.typmod, nil)
		if err != nil {
			tb.Fatal(err)
		}
		rel.codecs = append(rel.codecs, cd)
		rel.identity = append(rel.identity, i == 0)
		rel.table.Columns = append(rel.table.Columns, event.Column{Name: c.name, Type: cd.typ, Optional: i >= 3})
	}
	return rel
}

// benchColumns is the 10-column table of bench/run.sh (bench_rows).
var benchColumns = []testColumn{
	{"id", oidInt8, -1}, {"qty", oidInt4, -1}, {"label", oidText, -1},
	{"price", oidNumeric, (12<<16 | 2) + 4}, {"ts", oidTimestampTZ, -1}, {"active", oidBool, -1},
	{"attrs", oidJSONB, -1}, {"ref", oidUUID, -1}, {"score", oidFloat8, -1}, {"code", oidVarchar, 32 + 4},
}

// benchRow is row i of bench_rows in pgoutput's text format.
func benchRow(i int) []string {
	return []string{
		strconv.Itoa(i), strconv.Itoa(i % 1000), "customer name " + strconv.Itoa(i),
		fmt.Sprintf("%.2f", float64(i%100000)/100+0.99),
		time.Date(2024, 7, 1, 12, 0, i%60, 0, time.UTC).Format("2006-01-02 15:04:05+00"),
		map[bool]string{true: "t", false: "f"}[i%2 == 0],
		fmt.Sprintf(`{"qty": %d, "sku": "A-%d", "tags": ["x", "y"]}`, i%7, i),
		"c4ca4238-a0b9-3382-8dcc-509a6f75849b", strconv.FormatFloat(float64(i)*1.5, 'g', -1, 64),
		"C" + strconv.Itoa(i%100000),
	}
}

// pgoutput message builders (protocol 1/2 without streaming).
func appendTuple(b []byte, vals []string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(vals)))
	for _, v := range vals {
		if v == "\x00null" {
			b = append(b, 'n')
			continue
		}
		b = append(b, 't')
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b
}

func xlog(lsn uint64, wal []byte) []byte {
	b := []byte{'w'}
	b = binary.BigEndian.AppendUint64(b, lsn)
	b = binary.BigEndian.AppendUint64(b, lsn)
	b = binary.BigEndian.AppendUint64(b, 0)
	return append(b, wal...)
}

// benchTx returns the CopyData payloads of one transaction of n changes on relation
// 16384: 60% inserts, 30% updates (no old tuple), 10% deletes (key tuple), as bench/run.sh
// writes them.
func benchTx(n int, first uint64) [][]byte {
	lsn := first
	var out [][]byte
	begin := []byte{'B'}
	begin = binary.BigEndian.AppendUint64(begin, first+uint64(n)*200)
	begin = binary.BigEndian.AppendUint64(begin, 7e14)
	begin = binary.BigEndian.AppendUint32(begin, 4242)
	out = append(out, xlog(lsn, begin))
	for i := 0; i < n; i++ {
		lsn += 200
		var m []byte
		switch {
		case i < n*6/10:
			m = appendTuple(binary.BigEndian.AppendUint32([]byte{'I'}, 16384), benchRow(i))
			m = append(m[:5], append([]byte{'N'}, m[5:]...)...)
		case i < n*9/10:
			m = appendTuple(append(binary.BigEndian.AppendUint32([]byte{'U'}, 16384), 'N'), benchRow(i))
		default:
			key := make([]string, len(benchColumns))
			for j := range key {
				key[j] = "\x00null"
			}
			key[0] = strconv.Itoa(i)
			m = appendTuple(append(binary.BigEndian.AppendUint32([]byte{'D'}, 16384), 'K'), key)
		}
		out = append(out, xlog(lsn, m))
	}
	commit := []byte{'C', 0}
	commit = binary.BigEndian.AppendUint64(commit, lsn)
	commit = binary.BigEndian.AppendUint64(commit, lsn+100)
	commit = binary.BigEndian.AppendUint64(commit, 7e14)
	return append(out, xlog(lsn, commit))
}

// nopHandler drops everything.
type nopHandler struct{}

func (nopHandler) Change(context.Context, *event.Change) error                { return nil }
func (nopHandler) Message(context.Context, *event.Message) error              { return nil }
func (nopHandler) Commit(context.Context, event.Position) error               { return nil }
func (nopHandler) Heartbeat(context.Context, time.Time, event.Position) error { return nil }

// benchDecoder is a session decoder that knows relation 16384 as bench_rows.
func benchDecoder(tb testing.TB, h event.Handler) *decoder {
	tb.Helper()
	s := &Source{cfg: Config{Name: "bench"}, info: serverInfo{database: "db"}}
	rel := testRelation(tb, event.TableID{Database: "db", Schema: "public", Table: "bench_rows"}, benchColumns)
	return &decoder{src: s, h: h, rels: map[uint32]*relation{16384: rel}}
}

// BenchmarkDecodeStream decodes captured replication messages (XLogData of one
// 1000-change transaction on bench/run.sh's table) through the session's decoder, as
// Source.session does after ReceiveMessage; ns/op and allocs/op are per change.
func BenchmarkDecodeStream(b *testing.B) {
	const n = 1000
	msgs := benchTx(n, 1<<32)
	d := benchDecoder(b, nopHandler{})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range (b.N + n - 1) / n {
		for _, m := range msgs {
			xld, err := pglogrepl.ParseXLogData(m[1:])
			if err != nil {
				b.Fatal(err)
			}
			if err := d.handle(ctx, xld); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestDecodeStream(t *testing.T) {
	msgs := benchTx(10, 1<<32)
	rec := &recorder{}
	d := benchDecoder(t, rec)
	for _, m := range msgs {
		xld, err := pglogrepl.ParseXLogData(m[1:])
		if err != nil {
			t.Fatal(err)
		}
		if err := d.handle(context.Background(), xld); err != nil {
			t.Fatal(err)
		}
		for i := range m {
			m[i] = 0xff // the connection reuses its buffer: no value may point into it
		}
	}
	changes, commits, _ := rec.snapshot()
	if len(changes) != 10 || len(commits) != 1 {
		t.Fatalf("%d changes, %d commits", len(changes), len(commits))
	}
	c := changes[1]
	want := []any{int64(1), int32(1), "customer name 1", rat("1.00"), "2024-07-01T12:00:01.000000Z", false,
		`{"qty": 1, "sku": "A-1", "tags": ["x", "y"]}`, "c4ca4238-a0b9-3382-8dcc-509a6f75849b", 1.5, "C1"}
	if c.Op != event.OpCreate || c.Before != nil || len(c.After) != len(want) {
		t.Fatalf("insert = %+v", c)
	}
	for i := range want {
		if !equalValue(c.After[i], want[i]) {
			t.Errorf("column %s = %#v, want %#v", benchColumns[i].name, c.After[i], want[i])
		}
	}
	if c.Source.Sequence != `["4294969296","4294967696"]` || c.Source.LSN != 4294967696 || c.Source.TxID != 4242 {
		t.Errorf("source = %+v", c.Source)
	}
	if u := changes[6]; u.Op != event.OpUpdate || u.Before != nil || u.After[0] != int64(6) {
		t.Errorf("update = %+v", u)
	}
	del := changes[9]
	if del.Op != event.OpDelete || del.After != nil || del.Before[0] != int64(9) || del.Before[1] != int32(0) || del.Before[2] != "" ||
		del.Before[3] != nil {
		t.Errorf("delete = %+v", del.Before) // required non-key columns get Debezium's zero value
	}
	if del.Source.Sequence != `["4294969296","4294969296"]` {
		t.Errorf("delete sequence = %s", del.Source.Sequence)
	}
}

// FuzzDecodeTuple feeds outside bytes to the tuple decoder of bench/run.sh's table.
func FuzzDecodeTuple(f *testing.F) {
	for _, m := range benchTx(10, 1) {
		if len(m) > 31 {
			f.Add(m[25+6:])
		}
	}
	rel := benchDecoder(f, nopHandler{}).rels[16384]
	f.Fuzz(func(t *testing.T, b []byte) {
		row, rest, err := rel.decodeTuple(b, false, 1)
		if err == nil && (len(row) != len(benchColumns) || len(rest) > len(b)) {
			t.Fatalf("%d values, %d bytes left of %d", len(row), len(rest), len(b))
		}
	})
}
