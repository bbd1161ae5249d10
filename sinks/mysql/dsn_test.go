package mysql

import (
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, want, err string
	}{
		{"root:pw@tcp(127.0.0.1:3306)/shop", "root:pw@127.0.0.1:3306/shop", ""},
		{"u:p@ss:w@tcp(db)/a%20b?timeout=5s", "u:p%40ss%3Aw@db:3306/a%20b?timeout=5s", ""},
		{"mysql://u:p%40x@db.example:3307/shop?ssl=true", "u:p%40x@db.example:3307/shop?ssl=true", ""},
		{"mariadb://u@db/shop", "u:@db:3306/shop", ""},
		{"root:pw@tcp(127.0.0.1:3306)/", "", "dsn: no database"},
		{"mysql://u:p@db:3306", "", "dsn: no database"},
		{"root:pw@unix(/tmp/s)/db", "", "only the tcp(host:port)"},
		{"mysql://db/shop", "", "no user"},
		{"mysql://u@db:port/shop", "", "not a valid URL"},
	} {
		c, err := parseDSN(tc.dsn)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseDSN(%q) = %v, want error %q", tc.dsn, err, tc.err)
			}
			continue
		}
		if err != nil || c.driverDSN() != tc.want {
			t.Errorf("parseDSN(%q) = %q, %v; want %q", tc.dsn, c.driverDSN(), err, tc.want)
		}
	}
}

// TestFits checks which existing target columns hold which source types.
func TestFits(t *testing.T) {
	my, pg := sqlapply.FromMySQL, sqlapply.FromPostgres
	for _, tc := range []struct {
		typ  event.Type
		src  sqlapply.Source
		have string
		key  bool
		fits bool
	}{
		{sinktest.Type(event.KindInt32, "", "int"), my, "bigint", false, true},
		{sinktest.Type(event.KindInt32, "", "int"), my, "int(11)", false, true},
		{sinktest.Type(event.KindInt64, "", "int unsigned"), my, "int(10) unsigned", false, true},
		{sinktest.Type(event.KindInt64, "", "int unsigned"), my, "int", false, false},
		{sinktest.Type(event.KindInt64, "", "bigint"), my, "decimal(19,0)", false, true},
		{sinktest.Type(event.KindInt64, "", "int8"), pg, "int", false, false},
		{sinktest.Type(event.KindInt32, sqlapply.NameYear, "year"), my, "smallint", false, true},
		{sinktest.Decimal(20, 0, "bigint unsigned"), my, "bigint unsigned", false, true},
		{sinktest.Decimal(20, 0, "bigint unsigned"), my, "bigint", false, false},
		{sinktest.Decimal(10, 2, "decimal(10,2)"), my, "decimal(12,2)", false, true},
		{sinktest.Decimal(10, 2, "decimal(10,2)"), my, "decimal(10,1)", false, false},
		{sinktest.Decimal(10, 2, "decimal(10,2)"), my, "decimal(10,2) unsigned", false, false},
		{sinktest.Type(event.KindFloat32, "", "float"), my, "double", false, true},
		{sinktest.Type(event.KindFloat64, "", "double"), my, "float", false, false},
		{sinktest.Type(event.KindString, "", "varchar(10)"), my, "varchar(12)", false, true},
		{sinktest.Type(event.KindString, "", "varchar(10)"), my, "varchar(9)", false, false},
		{sinktest.Type(event.KindString, "", "varchar(10)"), my, "tinytext", false, true},
		{sinktest.Type(event.KindString, "", "text"), my, "tinytext", false, false},
		{sinktest.Type(event.KindString, "", "text"), pg, "text", false, false},
		{sinktest.Type(event.KindString, "", "text"), pg, "longtext", false, true},
		{sinktest.Type(event.KindString, "", "text"), pg, "varchar(255)", false, false},
		{sinktest.Type(event.KindString, "", "text"), pg, "varchar(255)", true, true},
		{sinktest.Type(event.KindString, sqlapply.NameJSON, "jsonb"), pg, "json", false, true},
		{sinktest.Type(event.KindString, sqlapply.NameUUID, "uuid"), pg, "varchar(36)", false, true},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(6)"), my, "time(3)", false, false},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), my, "datetime(6)", false, true},
		{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(3)"), my, "datetime(6)", false, true},
		{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), pg, "time(6)", false, true},
		{sinktest.Bits(10, "bit(10)"), my, "bit(12)", false, true},
		{sinktest.Bits(10, "bit(10)"), my, "bit(8)", false, false},
		{sinktest.Type(event.KindBytes, "", "bytea"), pg, "blob", false, false},
		{sinktest.Type(event.KindBytes, "", "bytea"), pg, "varbinary(255)", true, true},
		{sinktest.Type(event.KindBytes, "", "point"), my, "geometry", false, true},
		{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), pg, "json", false, true},
		{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), pg, "int", false, false},
	} {
		have := sqlapply.Column{Name: "c", Type: normalizeType(tc.have)}
		if tc.key {
			have.Class = keyClass
		}
		_, err := Dialect{}.Converter(&tc.typ, tc.src, have)
		if (err == nil) != tc.fits {
			t.Errorf("%s %s (%s) from %s into %s (key %v): err %v, want fits=%v", tc.typ.Kind, tc.typ.Name, tc.typ.SourceType, tc.src, tc.have, tc.key, err, tc.fits)
		}
	}
}
