package postgres

import (
	"testing"

	"github.com/jackc/pglogrepl"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// BenchmarkDecodeInsert decodes a typical 8-column row from pgoutput text.
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
	td := &pglogrepl.TupleData{}
	for i, c := range cols {
		cd, err := codecFor(c.oid, c.typmod, nil)
		if err != nil {
			b.Fatal(err)
		}
		rel.codecs = append(rel.codecs, cd)
		rel.identity = append(rel.identity, i == 0)
		rel.table.Columns = append(rel.table.Columns, event.Column{Name: "c", Type: cd.typ, Optional: true})
		td.Columns = append(td.Columns, &pglogrepl.TupleDataColumn{DataType: 't', Data: []byte(c.val)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rel.decode(td, false, 1); err != nil {
			b.Fatal(err)
		}
	}
}
