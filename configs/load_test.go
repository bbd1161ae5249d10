package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// envOf is a fixed environment for tests: no test reads the process environment.
func envOf(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

var testEnv = envOf(map[string]string{
	"PG_DSN":      "postgres://dovetail:hunter2@db:5432/shop",
	"PG_PASSWORD": "hunter2",
	"SHOP_PG_DSN": "postgres://dovetail:hunter2@db:5432/shop",
})

func ptr[T any](v T) *T { return &v }

// defaults is what a pipeline named shop with only the required keys loads as.
func defaults(file string) *Pipeline {
	return &Pipeline{
		File:    file,
		Name:    "shop",
		DataDir: "./var/shop",
		Source: Source{
			Kind:                "postgres",
			DSN:                 "postgres://dovetail:hunter2@db:5432/shop",
			HeartbeatInterval:   10 * time.Second,
			Snapshot:            "initial",
			SnapshotParallelism: 2,
			SnapshotChunkRows:   50000,
			Postgres:            Postgres{Slot: "dovetail_shop", Publication: "dovetail_shop"},
		},
		Kafka: Kafka{
			Listen:      "127.0.0.1:9092",
			TopicPrefix: "shop",
			Partitions:  1,
			Compression: "lz4",
			Tombstones:  ptr(true),
			BatchSize:   10000,
			BatchBytes:  1 << 20,
			Linger:      20 * time.Millisecond,
		},
		SchemaRegistry: SchemaRegistry{Listen: "127.0.0.1:8081"},
		HTTP:           HTTP{Listen: "127.0.0.1:8083"},
	}
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		file string
		env  map[string]string // nil: testEnv
		want func(p *Pipeline) // edits defaults(file) into the expected pipeline
	}{
		{file: "minimal.yaml", want: func(*Pipeline) {}},
		{file: "minimal.json", want: func(*Pipeline) {}},
		{file: "minimal.toml", want: func(*Pipeline) {}},
		{file: "full.toml", want: func(p *Pipeline) {
			p.Name = "Shop-EU"
			p.DataDir = "/srv/dovetail/shop-eu"
			p.Source.Tables = []string{"public.orders", "sales.*", "public.line_item_[0-9]"}
			p.Source.ExcludeTables = []string{"sales.tmp_*"}
			// Keys keep their case: viper.ReadConfig would have lower-cased this one.
			p.Source.KeyColumns = map[string][]string{"public.Audit_Log": {"id", "ts"}}
			p.Source.HeartbeatInterval = 0
			p.Source.Postgres = Postgres{Slot: "dovetail_shop_eu", Publication: "dovetail_shop_eu"}
			p.Kafka.Brokers = []string{"kafka-1:9092", "kafka-2:9092"}
			p.Kafka.TopicPrefix = "Shop-EU"
			p.Kafka.Partitions = 6
			p.Kafka.Replication = 3
			p.Kafka.Compression = "zstd"
			p.Kafka.Tombstones = ptr(false)
			p.Kafka.BatchSize = 500
			p.Kafka.Linger = 5 * time.Millisecond
			p.SchemaRegistry.URL = "https://registry.example:8081"
			p.HTTP.Listen = "" // "off"
		}},
		{file: "mysql.yaml", want: func(p *Pipeline) {
			p.Name = "inventory"
			p.DataDir = "./var/inventory"
			p.Source.Kind = "mysql"
			p.Source.DSN = "dovetail:hunter2@tcp(mysql:3306)/inventory"
			p.Source.Tables = []string{"inventory.*"}
			p.Source.Postgres = Postgres{}
			p.Kafka.TopicPrefix = "inventory"
		}},
		{file: "sinks.yaml", want: func(p *Pipeline) {
			p.Sinks = []Sink{
				{Name: "replica", Kind: "postgres", DSN: "postgres://replica:secret@replica:5432/shop", TableName: "{table}",
					CreateTables: ptr(true), SchemaEvolution: "basic", BatchSize: 2000, Linger: 100 * time.Millisecond, Parallelism: 4},
				{Name: "warehouse", Kind: "duckdb", DSN: "/srv/warehouse.duckdb", Tables: []string{"public.*"},
					ExcludeTables: []string{"public.tmp_*"}, TableName: "analytics.{schema}_{table}", CreateTables: ptr(false),
					SchemaEvolution: "full", BatchSize: 500, Linger: time.Second, Parallelism: 2, Group: "wh",
					DeadLetterTopic: "shop.dlq", History: true},
			}
		}},
		{file: "mysql_options.yaml", want: func(p *Pipeline) {
			p.Name = "inventory"
			p.DataDir = "./var/inventory"
			p.Source.Kind = "mysql"
			p.Source.DSN = "dovetail:hunter2@tcp(mysql:3306)/inventory"
			p.Source.Tables = []string{"inventory.*"}
			p.Source.Postgres = Postgres{}
			p.Source.MySQL = MySQL{ServerID: 5401, Flavor: "mariadb"}
			p.Kafka.TopicPrefix = "inventory"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			env := testEnv
			if tt.env != nil {
				env = envOf(tt.env)
			}
			path := filepath.Join("testdata", tt.file)
			got, err := Load(path, env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := defaults(path)
			tt.want(want)
			// Compare through Value: Secret's printing redacts.
			if got.Source.DSN.Value() != want.Source.DSN.Value() {
				t.Errorf("dsn differs")
			}
			if !reflect.DeepEqual(normalize(got), normalize(want)) {
				t.Errorf("got\n%s\nwant\n%s", got.Redacted(), want.Redacted())
			}
		})
	}
}

// normalize treats nil and empty slices and maps alike.
func normalize(p *Pipeline) *Pipeline {
	q := *p
	if len(q.Source.Tables) == 0 {
		q.Source.Tables = nil
	}
	if len(q.Source.ExcludeTables) == 0 {
		q.Source.ExcludeTables = nil
	}
	if len(q.Source.KeyColumns) == 0 {
		q.Source.KeyColumns = nil
	}
	if len(q.Kafka.Brokers) == 0 {
		q.Kafka.Brokers = nil
	}
	return &q
}

func TestLoadInterpolation(t *testing.T) {
	path := "testdata/interpolate.yaml"
	// Make topic_prefix valid: the file's shop$$x is a literal $, which topics reject.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parse(path, "yaml", []byte(strings.Replace(string(data), "shop$$x", "shop_x", 1)), envOf(map[string]string{
		"PG_PASSWORD": "hunter2",
		"PARTITIONS":  "", // set but empty: ${PARTITIONS:-3} takes the default
		"TOMBSTONES":  "true",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"name", p.Name, "shop"},
		{"source.dsn", p.Source.DSN.Value(), "postgres://dovetail:hunter2@localhost:5432/shop"},
		{"source.tables", p.Source.Tables, []string{"public.orders"}},
		{"kafka.partitions", p.Kafka.Partitions, 3},
		{"kafka.linger", p.Kafka.Linger, 50 * time.Millisecond},
		{"kafka.tombstones_on_delete", *p.Kafka.Tombstones, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.key, c.got, c.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		env  map[string]string
		want []string // each a whole line of the joined error, without the file prefix
	}{
		{file: "sinks_bad.yaml", want: []string{
			`sinks[1].tabel_name: unknown key (did you mean table_name?)`,
			`sinks[3]: expected a mapping of name, kind, dsn, tables, exclude_tables, table_name, create_tables, schema_evolution, batch_size, linger, parallelism, group, dead_letter_topic, history, transforms, got a string "just a string"`,
			`sinks[0].kind: "oracle" is not one of postgres, mysql, duckdb`,
			`sinks[0].dsn: required`,
			`sinks[1].name: "replica" is also the name of sinks[0]; sink names must differ`,
			`sinks[1].tables[0]: "nodot": expected schema.table (MySQL: database.table), each part a name or a glob`,
			`sinks[1].schema_evolution: "sometimes" is not one of none, basic, full`,
			`sinks[1].batch_size: must be at least 1, got 0`,
			`sinks[1].parallelism: must be at least 1, got -1`,
			`sinks[1].dead_letter_topic: "bad topic": a Kafka topic name uses letters, digits, . _ and - (at most 249)`,
			`sinks[1].history: only duckdb sinks keep history tables`,
			`sinks[2].name: required`,
			`sinks[2].dsn: required: the DuckDB database file`,
			`sinks[2].table_name: must not be empty (leave it out for {table})`,
		}},
		{file: "missing.yaml", want: []string{
			"name: required",
			"source.kind: required (one of postgres, mysql)",
			"source.dsn: required",
		}},
		{file: "empty.yaml", want: []string{
			"name: required",
			"source.kind: required (one of postgres, mysql)",
			"source.dsn: required",
		}},
		{file: "unknown_keys.yaml", want: []string{
			"source.postgres.slott: unknown key (did you mean slot?)",
			"source.slot: unknown key (did you mean source.postgres.slot? it belongs under source.postgres)",
			"kafka.frobnicate: unknown key (known keys here: brokers, listen, topic_prefix, partitions, replication_factor, compression, tombstones_on_delete, batch_size, batch_bytes, linger)",
			"kafka.partitons: unknown key (did you mean partitions?)",
			"Name: unknown key (did you mean name?)",
		}},
		{file: "wrong_types.yaml", want: []string{
			`name: expected a string, got an integer "42" (quote it)`,
			`source.tables: expected a list of strings, got the string "public.x" (a scalar is not taken as a one-element list: write [public.x])`,
			`source.exclude_tables: expected a list of strings, got a mapping`,
			`source.key_columns.public.audit: expected a list of strings, got the string "id" (a scalar is not taken as a one-element list: write [id])`,
			`source.heartbeat_interval: expected a duration like 10s or 250ms, got an integer "10"`,
			`source.postgres: expected a mapping of slot, publication, got a string "dovetail_shop"`,
			`kafka.partitions: expected an integer, got "many"`,
			`kafka.tombstones_on_delete: expected true or false, got "yes"`,
			`kafka.batch_size: expected an integer, got a number "1.5"`,
			`kafka.linger: expected a duration like 10s or 250ms, got "fast"`,
		}},
		{file: "unset_var.yaml", env: map[string]string{}, want: []string{
			"source.dsn: environment variable SHOP_PG_DSN is not set and ${SHOP_PG_DSN} has no default (write ${SHOP_PG_DSN:-default})",
			"source.tables[0]: environment variable SCHEMA is not set and ${SCHEMA} has no default (write ${SCHEMA:-default})",
			"kafka.listen: unterminated ${ (write $$ for a literal $)",
		}},
		{file: "interpolate.yaml", env: map[string]string{"PG_PASSWORD": "x"}, want: []string{
			`kafka.topic_prefix: "shop$x": a Kafka topic name part uses letters, digits, . _ and - (at most 200)`,
		}},
		{file: "invalid_values.yaml", want: []string{
			`name: "shop/eu": use letters, digits, _ . and - (at most 100, starting with a letter or digit)`,
			`data_dir: must not be empty (leave it out for ./var/<name>)`,
			`source.kind: "oracle" is not one of postgres, mysql`,
			`source.tables[0]: "public": expected schema.table (MySQL: database.table), each part a name or a glob`,
			`source.tables[1]: "public.orders.x": expected schema.table (MySQL: database.table), each part a name or a glob`,
			`source.tables[2]: "pub[lic.orders": bad glob (use * ? and [...])`,
			`source.tables[3]: "public. orders": a table pattern's parts cannot start or end with spaces, nor hold tabs or line breaks`,
			`source.key_columns.public.audit: needs at least one column`,
			`source.heartbeat_interval: must not be negative (0s disables heartbeats)`,
			`kafka.brokers[0]: "kafka-1": expected host:port`,
			`kafka.brokers[1]: "kafka-2:0": bad port`,
			`kafka.topic_prefix: "shop eu": a Kafka topic name part uses letters, digits, . _ and - (at most 200)`,
			`kafka.partitions: must be at least 1, got 0`,
			`kafka.replication_factor: must not be negative (0 uses the broker's default)`,
			`kafka.compression: "brotli" is not one of none, gzip, snappy, lz4, zstd`,
			`kafka.batch_size: must be at least 1, got 0`,
			`kafka.linger: must not be negative`,
			`schema_registry.url: "ftp://registry": expected http(s)://host[:port][/path]`,
			`http.listen: "localhost": expected host:port`,
		}},
		{file: "bad_postgres.yaml", want: []string{
			`source.postgres.slot: "Bad-Slot" is not a valid Postgres identifier: [a-z0-9_], not starting with a digit, at most 63 bytes`,
			`source.postgres.publication: "a_very_long_publication_name_that_goes_on_and_on_past_sixty_three_bytes" is not a valid Postgres identifier: [a-z0-9_], not starting with a digit, at most 63 bytes`,
		}},
		{file: "long_name.yaml", want: []string{
			`source.postgres.slot: "dovetail_a_pipeline_name_so_long_that_the_default_slot_name_passes_63_bytes" is not a valid Postgres identifier: [a-z0-9_], not starting with a digit, at most 63 bytes (the default, from the pipeline name; set it explicitly)`,
			`source.postgres.publication: "dovetail_a_pipeline_name_so_long_that_the_default_slot_name_passes_63_bytes" is not a valid Postgres identifier: [a-z0-9_], not starting with a digit, at most 63 bytes (the default, from the pipeline name; set it explicitly)`,
		}},
		{file: "mysql_with_postgres.yaml", want: []string{
			"source.postgres: only read for source.kind postgres; remove it for mysql",
		}},
		{file: "transforms_bad.yaml", want: []string{
			"transforms[8].frobnicate: unknown key (known keys here: mask, hash, truncate, drop_columns, columns, rename, route, filter, skip_ops, key_columns, unwrap)",
			"transforms[13]: expected a mapping, got null",
			"transforms[0] (mask): with (a string) or chars (a positive number) is required",
			"transforms[1] (hash): salt is required",
			`transforms[2] (hash): algorithm "md5" is not one of sha256, sha512`,
			`transforms[3] (truncate): column "customers.notes": expected namespace.table.column, each part a name or a glob`,
			"transforms[3] (truncate): length must be at least 1, got 0",
			"transforms[4] (drop_columns): columns is required: a list of namespace.table.column",
			"transforms[5] (mask): table public.custmers is not captured by source.tables / source.exclude_tables",
			"transforms[6] (unwrap): unwrap runs at sinks only (sinks[].transforms): Kafka's records stay Debezium envelopes",
			`transforms[7] (skip_ops): operation "x" is not one of c, u, d, t`,
			"transforms[9]: one transform per list entry, got mask and hash: write each as its own - entry",
			`transforms[10] (rename): table "public.*": name one table, not a glob`,
			"transforms[11] (route): regex \"(\": error parsing regexp: missing closing ): `(`",
			"transforms[12] (filter): where (a CEL expression) is required",
			`sinks[0].transforms[0] (unwrap): delete_handling "keep" is not one of drop, rewrite, tombstone`,
			"sinks[0].transforms[1] (rename): to is required",
		}},
		{file: "mysql_bad_options.yaml", want: []string{
			"source.mysql.server_id: 4294967296 is out of range: 1 to 4294967295 (or 0 to derive one from the name)",
			`source.mysql.flavor: "oracle" is not one of mysql, mariadb (or leave it out to detect it)`,
		}},
		{file: "postgres_with_mysql.yaml", want: []string{
			"source.mysql: only read for source.kind mysql; remove it for postgres",
		}},
		{file: "listen_clash.yaml", want: []string{
			"http.listen: 127.0.0.1:8083 is also kafka.listen",
		}},
		{file: "secret_map.yaml", want: []string{"source.dsn: expected a string, got a mapping"}},
		{file: "shop.ini", want: []string{"unknown config format: use .yaml, .yml, .json or .toml"}},
		{file: "syntax.yaml", want: []string{"parse yaml: yaml: line 4: mapping values are not allowed in this context"}},
		{file: "does_not_exist.yaml", want: []string{"read config: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			env := testEnv
			if tt.env != nil {
				env = envOf(tt.env)
			}
			path := filepath.Join("testdata", tt.file)
			p, err := Load(path, env)
			if err == nil {
				t.Fatalf("Load succeeded, want errors:\n%s", p.Redacted())
			}
			if p != nil {
				t.Errorf("Load returned a pipeline with its error")
			}
			var lines []string
			for _, line := range strings.Split(err.Error(), "\n") {
				// Every error starts with the file path.
				rest, ok := strings.CutPrefix(line, path+": ")
				if !ok && !strings.HasPrefix(line, "  ") { // continuation of a parser message
					t.Errorf("error line does not start with %q: %s", path+": ", line)
				}
				lines = append(lines, rest)
			}
			if !reflect.DeepEqual(lines, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(tt.want, "\n"))
			}
			var ce *Error
			if tt.file != "does_not_exist.yaml" && !errors.As(err, &ce) {
				t.Errorf("error is not a *configs.Error: %T", err)
			}
		})
	}
}

func TestExampleShopLoads(t *testing.T) {
	path := filepath.Join("examples", "shop.yaml")
	p, err := Load(path, envOf(map[string]string{"SHOP_PG_DSN": "postgres://dovetail:hunter2@db:5432/shop"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := defaults(path)
	want.Source.Tables = []string{"public.orders", "public.customers"}
	want.Kafka.Partitions = 3
	if !reflect.DeepEqual(normalize(p), normalize(want)) {
		t.Errorf("got\n%s\nwant\n%s", p.Redacted(), want.Redacted())
	}
	// The example needs its DSN from the environment.
	if _, err := Load(path, envOf(nil)); err == nil || !strings.Contains(err.Error(), "examples/shop.yaml: source.dsn: environment variable SHOP_PG_DSN is not set") {
		t.Errorf("without SHOP_PG_DSN: %v", err)
	}
}

func TestLoadAll(t *testing.T) {
	dir := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join("testdata", n))
		}
		return out
	}
	if ps, err := LoadAll(dir("minimal.yaml", "external.yaml", "mysql.yaml"), testEnv); err != nil {
		// external.yaml runs no embedded broker or registry, so it does not clash with
		// minimal.yaml's defaults; mysql.yaml clashes on every listener.
		msgs := strings.Split(err.Error(), "\n")
		want := []string{
			"testdata/mysql.yaml: kafka.listen: 127.0.0.1:9092 is also kafka.listen of testdata/minimal.yaml",
			"testdata/mysql.yaml: schema_registry.listen: 127.0.0.1:8081 is also schema_registry.listen of testdata/minimal.yaml",
			"testdata/mysql.yaml: http.listen: 127.0.0.1:8083 is also http.listen of testdata/minimal.yaml",
		}
		if !reflect.DeepEqual(msgs, want) {
			t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
		}
	} else {
		t.Errorf("LoadAll succeeded with clashing listeners: %d pipelines", len(ps))
	}

	_, err := LoadAll(dir("minimal.yaml", "shop_copy.yaml"), testEnv)
	want := []string{
		`testdata/shop_copy.yaml: name: "shop" is also the name of testdata/minimal.yaml`,
		`testdata/shop_copy.yaml: data_dir: "var/shop" is also the data_dir of testdata/minimal.yaml`,
	}
	if err == nil || !reflect.DeepEqual(strings.Split(err.Error(), "\n"), want) {
		t.Errorf("errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}

	ps, err := LoadAll(dir("minimal.yaml", "external.yaml"), testEnv)
	if err != nil || len(ps) != 2 || ps[1].Name != "billing" {
		t.Errorf("LoadAll(minimal, external) = %d pipelines, %v", len(ps), err)
	}

	// A file's own errors come through too.
	if _, err := LoadAll(dir("minimal.yaml", "missing.yaml"), testEnv); err == nil || !strings.Contains(err.Error(), "testdata/missing.yaml: name: required") {
		t.Errorf("LoadAll with a broken file: %v", err)
	}
}
