package postgres

import (
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// TestColumnTypeWithoutSourceType maps types that carry no source type name, as a
// decoder of Avro without Debezium's column type parameters leaves them.
func TestColumnTypeWithoutSourceType(t *testing.T) {
	str := event.Type{Kind: event.KindString}
	for _, tc := range []struct {
		typ  event.Type
		want string
	}{
		{sinktest.Type(event.KindInt32, sqlapply.NameDate, ""), "date"},
		{sinktest.Type(event.KindInt32, sqlapply.NameTime, ""), "time(3) without time zone"},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, ""), "time without time zone"},
		{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, ""), "timestamp(3) without time zone"},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, ""), "timestamp without time zone"},
		{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, ""), "timestamp with time zone"},
		{sinktest.Type(event.KindString, sqlapply.NameZonedTime, ""), "time with time zone"},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, ""), "interval"},
		{sinktest.Type(event.KindString, sqlapply.NameJSON, ""), "jsonb"},
		{sinktest.Type(event.KindString, sqlapply.NameUUID, ""), "uuid"},
		{sinktest.Type(event.KindString, sqlapply.NameEnum, ""), "text"},
		{sinktest.Bits(12, ""), "bit(12)"},
		{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, ""), "numeric"},
		{sinktest.Decimal(7, 3, ""), "numeric(7,3)"},
		{sinktest.Decimal(0, 2, ""), "numeric"},
		{sinktest.Type(event.KindInt8, "", ""), "smallint"},
		{sinktest.Type(event.KindBoolean, "", ""), "boolean"},
		{str, "text"},
		{sinktest.Type(event.KindBytes, "", ""), "bytea"},
		{event.Type{Kind: event.KindArray, Elem: &str}, "text[]"},
	} {
		for _, src := range []sqlapply.Source{sqlapply.FromMySQL, sqlapply.FromPostgres} {
			want := tc.want
			if src == sqlapply.FromMySQL && (tc.typ.Name == sqlapply.NameTime || tc.typ.Name == sqlapply.NameMicroTime) {
				want = "interval" // a MySQL TIME is a duration
			}
			if got, err := columnType(&tc.typ, src); err != nil || got != want {
				t.Errorf("%s %s from %s: %q, %v; want %q", tc.typ.Kind, tc.typ.Name, src, got, err, want)
			}
		}
	}
}

// TestFits checks which existing target columns hold which source types.
func TestFits(t *testing.T) {
	for _, tc := range []struct {
		typ  event.Type
		src  sqlapply.Source
		have string
		fits bool
	}{
		{sinktest.Type(event.KindInt32, "", "int4"), sqlapply.FromPostgres, "bigint", true},
		{sinktest.Type(event.KindInt64, "", "int8"), sqlapply.FromPostgres, "integer", false},
		{sinktest.Type(event.KindInt64, "", "int8"), sqlapply.FromPostgres, "numeric", true},
		{sinktest.Type(event.KindFloat32, "", "float4"), sqlapply.FromPostgres, "double precision", true},
		{sinktest.Type(event.KindFloat64, "", "float8"), sqlapply.FromPostgres, "real", false},
		{sinktest.Decimal(10, 2, "numeric(10,2)"), sqlapply.FromPostgres, "numeric(12,2)", true},
		{sinktest.Decimal(10, 2, "numeric(10,2)"), sqlapply.FromPostgres, "numeric(10,1)", false},
		{sinktest.Decimal(10, 2, "numeric(10,2)"), sqlapply.FromPostgres, "numeric(9,2)", false},
		{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), sqlapply.FromPostgres, "numeric(30,10)", false},
		{sinktest.Type(event.KindString, "", "varchar(10)"), sqlapply.FromMySQL, "text", true},
		{sinktest.Type(event.KindString, "", "varchar(10)"), sqlapply.FromMySQL, "character varying(10)", true},
		{sinktest.Type(event.KindString, "", "varchar(10)"), sqlapply.FromMySQL, "character varying(9)", false},
		{sinktest.Type(event.KindString, "", "text"), sqlapply.FromMySQL, "character varying(255)", false},
		{sinktest.Type(event.KindString, "", "text"), sqlapply.FromMySQL, "integer", false},
		{sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), sqlapply.FromMySQL, "json", true},
		{sinktest.Type(event.KindString, sqlapply.NameUUID, "uuid"), sqlapply.FromPostgres, "text", true},
		{sinktest.Type(event.KindString, sqlapply.NameUUID, "uuid"), sqlapply.FromPostgres, "bytea", false},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), sqlapply.FromMySQL, "interval", true},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(6)"), sqlapply.FromMySQL, "time(3) without time zone", false},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), sqlapply.FromMySQL, "timestamp without time zone", true},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), sqlapply.FromMySQL, "timestamp(6) with time zone", false},
		{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(3)"), sqlapply.FromMySQL, "timestamp(6) with time zone", true},
		{sinktest.Bits(10, "bit(10)"), sqlapply.FromMySQL, "bytea", true},
		{sinktest.Bits(10, "bit(10)"), sqlapply.FromMySQL, "bit varying(12)", true},
		{sinktest.Bits(10, "bit(10)"), sqlapply.FromMySQL, "bit(8)", false},
		{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), sqlapply.FromPostgres, "bigint[]", true},
		{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), sqlapply.FromPostgres, "integer", false},
		{sinktest.Type(event.KindInt32, "", "int4"), sqlapply.FromPostgres, "integer[]", false},
	} {
		_, err := converter(&tc.typ, tc.src, sqlapply.Column{Name: "c", Type: tc.have})
		if (err == nil) != tc.fits {
			t.Errorf("%s %s (%s) from %s into %s: err %v, want fits=%v", tc.typ.Kind, tc.typ.Name, tc.typ.SourceType, tc.src, tc.have, err, tc.fits)
		}
	}
}
