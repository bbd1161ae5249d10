package configs

import "time"

// Pipeline is one pipeline config file.
//
// A field's default sits in its `default` tag and is applied when the key is absent (or
// null) in the file; an explicit value, even an empty one, is kept. In a default, {name}
// stands for the pipeline's name and {ident} for the name as a Postgres identifier
// (lower case, anything outside [a-z0-9_] turned into _).
type Pipeline struct {
	// File is the path the config was loaded from (not a config key).
	File string `mapstructure:"-"`

	Name string `mapstructure:"name"` // required; default topic prefix
	// DataDir holds the embedded broker's log, the embedded registry and local state;
	// a relative path is relative to the working directory, not to the config file.
	DataDir        string         `mapstructure:"data_dir" default:"./var/{name}"`
	Source         Source         `mapstructure:"source"`
	Kafka          Kafka          `mapstructure:"kafka"`
	SchemaRegistry SchemaRegistry `mapstructure:"schema_registry"`
	HTTP           HTTP           `mapstructure:"http"`
	// Transforms run at the source, before Kafka, in order: what they drop or mask never
	// reaches Kafka, and they apply to every consumer.
	Transforms []Transform `mapstructure:"transforms"`
	// Sinks consume the pipeline's topics and apply the changes to followers.
	Sinks []Sink `mapstructure:"sinks"`
}

// Sink configures one sink applier.
type Sink struct {
	// Name identifies the sink: its consumer group and its stored offsets. Required,
	// unique in the pipeline.
	Name string `mapstructure:"name"`
	Kind string `mapstructure:"kind"` // required: postgres | mysql | duckdb
	// DSN of the target; for duckdb a file path.
	DSN Secret `mapstructure:"dsn"`
	// Tables filters the source tables applied, as source.tables patterns; empty: all.
	Tables        []string `mapstructure:"tables"`
	ExcludeTables []string `mapstructure:"exclude_tables"`
	// TableName is the target table of a source table: {database} {schema} {table} are
	// replaced by its parts; "schema.table" names a target schema.
	TableName string `mapstructure:"table_name" default:"{table}"`
	// CreateTables creates missing target tables from the changes' schemas.
	CreateTables *bool `mapstructure:"create_tables" default:"true"`
	// SchemaEvolution: none | basic (add columns) | full (also drop and alter columns).
	SchemaEvolution string `mapstructure:"schema_evolution" default:"basic"`
	// BatchSize is the most records applied in one target transaction.
	BatchSize int `mapstructure:"batch_size" default:"2000"`
	// Linger is how long a partial batch waits for more records.
	Linger time.Duration `mapstructure:"linger" default:"100ms"`
	// Parallelism is how many target transactions run at once (partitions are split
	// among them; a row's changes stay in order).
	Parallelism int `mapstructure:"parallelism" default:"4"`
	// Group is the Kafka consumer group; workers in one group split the partitions.
	// Default: dovetail-<pipeline>-<sink>.
	Group string `mapstructure:"group"`
	// DeadLetterTopic receives records that cannot be decoded or applied, with the cause
	// in headers, and the sink goes on; empty stops the sink on such a record.
	DeadLetterTopic string `mapstructure:"dead_letter_topic"`
	// History (duckdb) keeps an append-only history table per source table.
	History bool `mapstructure:"history"`
	// Transforms run at this sink only, in order, after Tables and ExcludeTables.
	Transforms []Transform `mapstructure:"transforms"`
}

// Source configures the capture side.
type Source struct {
	Kind string `mapstructure:"kind"` // required: postgres | mysql
	DSN  Secret `mapstructure:"dsn"`  // required
	// Tables to capture as "schema.table" (MySQL: "database.table") patterns, where each
	// part may use the globs * ? and [...]. Empty captures every table.
	Tables []string `mapstructure:"tables"`
	// ExcludeTables are patterns like Tables; a table matching both is excluded.
	ExcludeTables []string `mapstructure:"exclude_tables"`
	// KeyColumns chooses the message key of tables without a primary key:
	// "schema.table" -> column names.
	KeyColumns map[string][]string `mapstructure:"key_columns"`
	// HeartbeatInterval between heartbeats; 0s disables.
	HeartbeatInterval time.Duration `mapstructure:"heartbeat_interval" default:"10s"`
	// Snapshot says when the existing rows are copied: initial (on the first start, when
	// no position is stored), never, or when_needed (also when the stored position is gone
	// from the server: a purged binlog, a lost slot).
	Snapshot string `mapstructure:"snapshot" default:"initial"`
	// SnapshotParallelism is how many readers copy chunks at once.
	SnapshotParallelism int `mapstructure:"snapshot_parallelism" default:"2"`
	// SnapshotChunkRows is about how many rows one chunk (one read, one checkpoint) holds.
	SnapshotChunkRows int `mapstructure:"snapshot_chunk_rows" default:"50000"`
	// SignalTable is Debezium's signalling table ("schema.table" or "database.table",
	// columns id, type, data): an execute-snapshot row starts an incremental snapshot.
	// It is captured, but its changes are not published. Empty: no signals.
	SignalTable string `mapstructure:"signal_table"`
	// Postgres is only read for kind postgres.
	Postgres Postgres `mapstructure:"postgres"`
	// MySQL is only read for kind mysql.
	MySQL MySQL `mapstructure:"mysql"`
}

// MySQL holds the MySQL/MariaDB source's own keys.
type MySQL struct {
	// ServerID is the replica id the source uses on the binlog connection; it must be
	// unique among the server's replicas. 0 derives one from the pipeline name.
	ServerID int64 `mapstructure:"server_id"`
	// Flavor is mariadb or mysql; empty detects it from the server's version.
	Flavor string `mapstructure:"flavor"`
}

// Postgres holds the Postgres source's own keys. Both are Postgres identifiers:
// [a-z0-9_], at most 63 bytes.
type Postgres struct {
	Slot        string `mapstructure:"slot" default:"dovetail_{ident}"`
	Publication string `mapstructure:"publication" default:"dovetail_{ident}"`
}

// Kafka configures the producer and, when Brokers is empty, the embedded broker.
type Kafka struct {
	// Brokers of an external cluster as host:port; empty runs the embedded broker.
	Brokers []string `mapstructure:"brokers"`
	// Listen is the embedded broker's address, also the address it advertises.
	Listen      string `mapstructure:"listen" default:"127.0.0.1:9092"`
	TopicPrefix string `mapstructure:"topic_prefix" default:"{name}"`
	Partitions  int    `mapstructure:"partitions" default:"1"`
	// Replication of created topics; 0 leaves it to the broker's default.
	Replication int    `mapstructure:"replication_factor"`
	Compression string `mapstructure:"compression" default:"lz4"` // none|gzip|snappy|lz4|zstd
	// Tombstones after deletes.
	Tombstones *bool `mapstructure:"tombstones_on_delete" default:"true"`
	// BatchSize is the most records in one produce batch.
	BatchSize int `mapstructure:"batch_size" default:"10000"`
	// BatchBytes is the most bytes in one produce request, and so the largest record
	// that can be written; keep it at or below the broker's message.max.bytes.
	BatchBytes int64 `mapstructure:"batch_bytes" default:"1048576"`
	// Linger is how long a partial batch waits for more records.
	Linger time.Duration `mapstructure:"linger" default:"20ms"`
}

// SchemaRegistry configures the registry client and, when URL is empty, the embedded one.
type SchemaRegistry struct {
	URL    string `mapstructure:"url"` // http(s)://host[:port][/path]; empty: embedded
	Listen string `mapstructure:"listen" default:"127.0.0.1:8081"`
}

// HTTP configures the health and metrics endpoint.
type HTTP struct {
	// Listen is host:port; "" or "off" disables the endpoint (Load turns "off" into "").
	Listen string `mapstructure:"listen" default:"127.0.0.1:8083"`
	// Pprof serves Go's profiler under /debug/pprof/ on the same address: CPU and heap
	// profiles of a running worker. Off by default: keep it on a private address.
	Pprof bool `mapstructure:"pprof"`
}

// Secret is a string that never prints: String, GoString and MarshalText redact it.
type Secret string

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return `configs.Secret("[redacted]")` }

// MarshalText redacts the secret in JSON, YAML and slog output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
