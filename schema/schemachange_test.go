package schema

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// TestSchemaChange encodes a DDL event and decodes it with the registered schema.
func TestSchemaChange(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	enc := NewEncoder(reg, "dove", fixedClock(processed))
	dec := NewDecoder(reg)
	n := func(v int32) *int32 { return &v }
	sc := &event.SchemaChange{
		Database: "shop",
		DDL:      "ALTER TABLE items ADD COLUMN size ENUM('S','M')",
		Source: event.Source{Version: "0.1.0", Connector: ConnectorMySQL, Name: "dove", Commit: time.UnixMilli(1_700_000_000_000),
			Snapshot: "false", DB: "shop", ServerID: 1, GTID: "0-1-7", File: "binlog.000002", Pos: 400},
		Tables: []event.TableChange{
			{Type: "ALTER", ID: event.TableID{Database: "shop", Table: "items"}, Charset: "utf8mb4", PrimaryKey: []string{"id"},
				Columns: []event.ColumnDef{
					{Name: "id", JDBCType: -5, TypeName: "BIGINT UNSIGNED", TypeExpression: "BIGINT UNSIGNED", Position: 1},
					{Name: "price", JDBCType: 3, TypeName: "DECIMAL", TypeExpression: "DECIMAL(10,2)", Length: n(10), Scale: n(2), Position: 2, Optional: true},
					{Name: "size", JDBCType: 1, TypeName: "ENUM", TypeExpression: "ENUM('S','M')", Charset: "utf8mb4", Position: 3, Optional: true, EnumValues: []string{"S", "M"}},
				}},
			{Type: "DROP", ID: event.TableID{Database: "shop", Table: "old"}},
		},
	}
	topic, k, v, err := enc.SchemaChange(ctx, sc)
	if err != nil || topic != "dove" {
		t.Fatalf("topic %q, err %v", topic, err)
	}
	kn, _, err := dec.Decode(ctx, k)
	if err != nil || get(t, kn, "databaseName") != "shop" {
		t.Fatalf("key %v, err %v", kn, err)
	}
	vn, _, err := dec.Decode(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if opt(get(t, vn, "ddl")) != sc.DDL || opt(get(t, vn, "databaseName")) != "shop" || get(t, vn, "schemaName") != nil ||
		get(t, vn, "ts_ms") != processed.UnixMilli() || opt(get(t, vn, "source", "gtid")) != "0-1-7" {
		t.Errorf("value %v", vn)
	}
	tcs := get(t, vn, "tableChanges").([]any)
	if len(tcs) != 2 {
		t.Fatalf("tableChanges %v", tcs)
	}
	if get(t, tcs[0], "type") != "ALTER" || get(t, tcs[0], "id") != `"shop"."items"` ||
		opt(get(t, tcs[0], "table", "defaultCharsetName")) != "utf8mb4" {
		t.Errorf("change 0: %v", tcs[0])
	}
	if pk := opt(get(t, tcs[0], "table", "primaryKeyColumnNames")).([]any); len(pk) != 1 || pk[0] != "id" {
		t.Errorf("primary key %v", pk)
	}
	cols := get(t, tcs[0], "table", "columns").([]any)
	if len(cols) != 3 {
		t.Fatalf("columns %v", cols)
	}
	if get(t, cols[1], "jdbcType") != int32(3) || opt(get(t, cols[1], "length")) != int32(10) || opt(get(t, cols[1], "scale")) != int32(2) ||
		opt(get(t, cols[1], "optional")) != true || get(t, cols[1], "position") != int32(2) || get(t, cols[1], "typeName") != "DECIMAL" {
		t.Errorf("column price %v", cols[1])
	}
	var enums []string
	for _, e := range opt(get(t, cols[2], "enumValues")).([]any) {
		enums = append(enums, e.(string))
	}
	if !slices.Equal(enums, []string{"S", "M"}) || opt(get(t, cols[2], "charsetName")) != "utf8mb4" {
		t.Errorf("column size %v", cols[2])
	}
	if get(t, cols[0], "enumValues") != nil || get(t, cols[0], "length") != nil {
		t.Errorf("column id %v", cols[0])
	}
	if get(t, tcs[1], "type") != "DROP" || len(get(t, tcs[1], "table", "columns").([]any)) != 0 {
		t.Errorf("change 1: %v", tcs[1])
	}
}
