package postgres

import (
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
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
		{ty(event.KindInt32, sqlapply.NameDate, ""), "date"},
		{ty(event.KindInt32, sqlapply.NameTime, ""), "time(3) without time zone"},
		{ty(event.KindInt64, sqlapply.NameMicroTime, ""), "time without time zone"},
		{ty(event.KindInt64, sqlapply.NameTimestamp, ""), "timestamp(3) without time zone"},
		{ty(event.KindInt64, sqlapply.NameMicroTimestamp, ""), "timestamp without time zone"},
		{ty(event.KindString, sqlapply.NameZonedTimestamp, ""), "timestamp with time zone"},
		{ty(event.KindString, sqlapply.NameZonedTime, ""), "time with time zone"},
		{ty(event.KindInt64, sqlapply.NameMicroDuration, ""), "interval"},
		{ty(event.KindString, sqlapply.NameJSON, ""), "jsonb"},
		{ty(event.KindString, sqlapply.NameUUID, ""), "uuid"},
		{ty(event.KindString, sqlapply.NameEnum, ""), "text"},
		{bitsType(12, ""), "bit(12)"},
		{ty(event.KindVarDecimal, sqlapply.NameVarDecimal, ""), "numeric"},
		{decimalType(7, 3, ""), "numeric(7,3)"},
		{decimalType(0, 2, ""), "numeric"},
		{ty(event.KindInt8, "", ""), "smallint"},
		{ty(event.KindBoolean, "", ""), "boolean"},
		{str, "text"},
		{ty(event.KindBytes, "", ""), "bytea"},
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
		{ty(event.KindInt32, "", "int4"), sqlapply.FromPostgres, "bigint", true},
		{ty(event.KindInt64, "", "int8"), sqlapply.FromPostgres, "integer", false},
		{ty(event.KindInt64, "", "int8"), sqlapply.FromPostgres, "numeric", true},
		{ty(event.KindFloat32, "", "float4"), sqlapply.FromPostgres, "double precision", true},
		{ty(event.KindFloat64, "", "float8"), sqlapply.FromPostgres, "real", false},
		{decimalType(10, 2, "numeric(10,2)"), sqlapply.FromPostgres, "numeric(12,2)", true},
		{decimalType(10, 2, "numeric(10,2)"), sqlapply.FromPostgres, "numeric(10,1)", false},
		{decimalType(10, 2, "numeric(10,2)"), sqlapply.FromPostgres, "numeric(9,2)", false},
		{ty(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), sqlapply.FromPostgres, "numeric(30,10)", false},
		{ty(event.KindString, "", "varchar(10)"), sqlapply.FromMySQL, "text", true},
		{ty(event.KindString, "", "varchar(10)"), sqlapply.FromMySQL, "character varying(10)", true},
		{ty(event.KindString, "", "varchar(10)"), sqlapply.FromMySQL, "character varying(9)", false},
		{ty(event.KindString, "", "text"), sqlapply.FromMySQL, "character varying(255)", false},
		{ty(event.KindString, "", "text"), sqlapply.FromMySQL, "integer", false},
		{ty(event.KindString, sqlapply.NameJSON, "json"), sqlapply.FromMySQL, "json", true},
		{ty(event.KindString, sqlapply.NameUUID, "uuid"), sqlapply.FromPostgres, "text", true},
		{ty(event.KindString, sqlapply.NameUUID, "uuid"), sqlapply.FromPostgres, "bytea", false},
		{ty(event.KindInt64, sqlapply.NameMicroTime, "time"), sqlapply.FromMySQL, "interval", true},
		{ty(event.KindInt64, sqlapply.NameMicroTime, "time(6)"), sqlapply.FromMySQL, "time(3) without time zone", false},
		{ty(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), sqlapply.FromMySQL, "timestamp without time zone", true},
		{ty(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), sqlapply.FromMySQL, "timestamp(6) with time zone", false},
		{ty(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(3)"), sqlapply.FromMySQL, "timestamp(6) with time zone", true},
		{bitsType(10, "bit(10)"), sqlapply.FromMySQL, "bytea", true},
		{bitsType(10, "bit(10)"), sqlapply.FromMySQL, "bit varying(12)", true},
		{bitsType(10, "bit(10)"), sqlapply.FromMySQL, "bit(8)", false},
		{arrayType(ty(event.KindInt32, "", "int4")), sqlapply.FromPostgres, "bigint[]", true},
		{arrayType(ty(event.KindInt32, "", "int4")), sqlapply.FromPostgres, "integer", false},
		{ty(event.KindInt32, "", "int4"), sqlapply.FromPostgres, "integer[]", false},
	} {
		_, err := converter(&tc.typ, tc.src, sqlapply.Column{Name: "c", Type: tc.have})
		if (err == nil) != tc.fits {
			t.Errorf("%s %s (%s) from %s into %s: err %v, want fits=%v", tc.typ.Kind, tc.typ.Name, tc.typ.SourceType, tc.src, tc.have, err, tc.fits)
		}
	}
}
