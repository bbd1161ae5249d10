package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/linkedin/goavro/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got (JSON text) indented with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(got), "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v", name, err)
	}
	b.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("%s differs from the golden file; run go test ./schema -update and review the diff\ngot:\n%s", name, b.String())
	}
}

func TestTableSchemasGolden(t *testing.T) {
	s, err := TableSchemas("dove", ConnectorPostgres, everyTypeTable())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "every_type.key.avsc", s.Key)
	golden(t, "every_type.value.avsc", s.Value)
	golden(t, "every_type.envelope.avsc", s.Envelope)

	my := everyTypeTable()
	my.ID = event.TableID{Database: "shop", Table: "every_type"}
	s, err = TableSchemas("dove", ConnectorMySQL, my)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "every_type.mysql.envelope.avsc", s.Envelope)

	golden(t, "heartbeat.key.avsc", HeartbeatKeySchema())
	golden(t, "heartbeat.value.avsc", HeartbeatValueSchema())
	golden(t, "message.key.avsc", MessageKeySchema())
	golden(t, "message.value.avsc", MessageValueSchema())
}

func TestSchemasCompile(t *testing.T) {
	s, err := TableSchemas("dove", ConnectorPostgres, everyTypeTable())
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"key": s.Key, "value": s.Value, "envelope": s.Envelope,
		"heartbeat key": HeartbeatKeySchema(), "heartbeat value": HeartbeatValueSchema(),
		"message key": MessageKeySchema(), "message value": MessageValueSchema(),
	} {
		if _, err := goavro.NewCodec(text); err != nil {
			t.Errorf("%s schema does not compile: %v", name, err)
		}
	}
}

func TestEnvelopeFieldOrder(t *testing.T) {
	s, err := TableSchemas("dove", ConnectorPostgres, everyTypeTable())
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Name, Namespace string
		Fields          []struct{ Name string }
		Version         int    `json:"connect.version"`
		ConnectName     string `json:"connect.name"`
	}
	if err := json.Unmarshal([]byte(s.Envelope), &env); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range env.Fields {
		names = append(names, f.Name)
	}
	want := []string{"before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"}
	if !slices.Equal(names, want) {
		t.Errorf("envelope fields %v, want %v", names, want)
	}
	if env.Namespace != "dove.public.every_type" || env.ConnectName != "dove.public.every_type.Envelope" || env.Version != 2 {
		t.Errorf("envelope naming: %+v", env)
	}
}

func TestNoKeySchema(t *testing.T) {
	tb := everyTypeTable()
	tb.Key = nil
	s, err := TableSchemas("dove", ConnectorPostgres, tb)
	if err != nil || s.Key != "" {
		t.Fatalf("key %q, err %v; want no key schema", s.Key, err)
	}
}

func TestSchemaErrors(t *testing.T) {
	for name, tb := range map[string]*event.Table{
		"invalid kind":  {ID: event.TableID{Schema: "s", Table: "t"}, Columns: []event.Column{{Name: "a"}}},
		"array no elem": {ID: event.TableID{Schema: "s", Table: "t"}, Columns: []event.Column{{Name: "a", Type: event.Type{Kind: event.KindArray}}}},
		"collision": {ID: event.TableID{Schema: "s", Table: "t"}, Columns: []event.Column{
			{Name: "a-b", Type: event.Type{Kind: event.KindInt32}}, {Name: "a_b", Type: event.Type{Kind: event.KindInt32}}}},
		"key out of range": {ID: event.TableID{Schema: "s", Table: "t"}, Columns: []event.Column{
			{Name: "a", Type: event.Type{Kind: event.KindInt32}}}, Key: []int{3}},
	} {
		if _, err := TableSchemas("p", ConnectorPostgres, tb); !errors.Is(err, ErrSchema) {
			t.Errorf("%s: err %v, want ErrSchema", name, err)
		}
	}
	if _, err := TableSchemas("p", "oracle", everyTypeTable()); !errors.Is(err, ErrSchema) {
		t.Errorf("unknown connector: err %v, want ErrSchema", err)
	}
}

func TestAvroNames(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           "plain",
		"my-server":       "my_server",
		"1st":             "_1st",
		"":                "_",
		"a b$c":           "a_b_c",
		"ünï":             "_n_",
		"my-db.public.t1": "my_db.public.t1",
		"p.9lives.t":      "p._9lives.t",
	} {
		if got := AvroFullName(in); got != want {
			t.Errorf("AvroFullName(%q) = %q, want %q", in, got, want)
		}
	}
	tb := &event.Table{ID: event.TableID{Database: "d", Table: "order-items"},
		Columns: []event.Column{{Name: "unit price", Type: event.Type{Kind: event.KindInt32}}}}
	s, err := TableSchemas("my-server", ConnectorMySQL, tb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := goavro.NewCodec(s.Envelope); err != nil {
		t.Fatalf("sanitized schema does not compile: %v", err)
	}
	if !bytes.Contains([]byte(s.Envelope), []byte(`"my_server.d.order_items.Envelope"`)) ||
		!bytes.Contains([]byte(s.Envelope), []byte(`"unit_price"`)) {
		t.Errorf("names not sanitized: %s", s.Envelope)
	}
}

func TestTopicsAndSubjects(t *testing.T) {
	id := event.TableID{Database: "shop", Schema: "public", Table: "orders"}
	if got := Topic("dove", id); got != "dove.public.orders" {
		t.Errorf("Topic = %q", got)
	}
	if got := Topic("dove", event.TableID{Database: "shop", Table: "orders"}); got != "dove.shop.orders" {
		t.Errorf("MySQL Topic = %q", got)
	}
	// Characters a topic name cannot hold become '_', one per character.
	for table, want := range map[string]string{"Order Items": "dove.My-Schema.Order_Items", "données": "dove.My-Schema.donn_es",
		"a/b\\c'd": "dove.My-Schema.a_b_c_d", "v1.2_x-y": "dove.My-Schema.v1.2_x-y"} {
		if got := Topic("dove", event.TableID{Schema: "My-Schema", Table: table}); got != want {
			t.Errorf("Topic of %q = %q, want %q", table, got, want)
		}
	}
	if HeartbeatTopic("dove") != "__debezium-heartbeat.dove" || MessageTopic("dove") != "dove.message" ||
		KeySubject("t") != "t-key" || ValueSubject("t") != "t-value" {
		t.Error("topic or subject naming")
	}
}
