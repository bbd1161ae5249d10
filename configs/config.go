// Package configs owns the pipeline config: its shape, loading with viper, ${VAR}
// interpolation from the environment, defaults and validation with errors that name the
// file and the key. It imports nothing of Dovetail's but the event model.
package configs

import "time"

// Pipeline is one pipeline config file.
type Pipeline struct {
	// File is the path the config was loaded from (not a config key).
	File string `mapstructure:"-"`

	Name           string         `mapstructure:"name"`     // required; default topic prefix
	DataDir        string         `mapstructure:"data_dir"` // default ./var/<name>
	Source         Source         `mapstructure:"source"`
	Kafka          Kafka          `mapstructure:"kafka"`
	SchemaRegistry SchemaRegistry `mapstructure:"schema_registry"`
	HTTP           HTTP           `mapstructure:"http"`
}

// Source configures the capture side.
type Source struct {
	Kind          string   `mapstructure:"kind"` // postgres | mysql
	DSN           Secret   `mapstructure:"dsn"`  // required
	Tables        []string `mapstructure:"tables"`
	ExcludeTables []string `mapstructure:"exclude_tables"`
	// KeyColumns chooses the message key of tables without a primary key:
	// "schema.table" -> column names.
	KeyColumns map[string][]string `mapstructure:"key_columns"`
	// HeartbeatInterval between heartbeats; default 10s, 0s disables.
	HeartbeatInterval time.Duration `mapstructure:"heartbeat_interval"`
	Postgres          Postgres      `mapstructure:"postgres"`
}

// Postgres holds the Postgres source's own keys.
type Postgres struct {
	Slot        string `mapstructure:"slot"`        // default dovetail_<name>
	Publication string `mapstructure:"publication"` // default dovetail_<name>
}

// Kafka configures the producer and, when Brokers is empty, the embedded broker.
type Kafka struct {
	Brokers     []string `mapstructure:"brokers"`
	Listen      string   `mapstructure:"listen"`       // default 127.0.0.1:9092
	TopicPrefix string   `mapstructure:"topic_prefix"` // default Name
	Partitions  int      `mapstructure:"partitions"`   // default 1
	Replication int      `mapstructure:"replication_factor"`
	Compression string   `mapstructure:"compression"` // none|gzip|snappy|lz4|zstd; default lz4
	// Tombstones after deletes; default true.
	Tombstones *bool `mapstructure:"tombstones_on_delete"`
	// BatchSize is the most records in one produce batch; default 10000.
	BatchSize int `mapstructure:"batch_size"`
	// Linger is how long a partial batch waits for more records; default 20ms.
	Linger time.Duration `mapstructure:"linger"`
}

// SchemaRegistry configures the registry client and, when URL is empty, the embedded one.
type SchemaRegistry struct {
	URL    string `mapstructure:"url"`
	Listen string `mapstructure:"listen"` // default 127.0.0.1:8081
}

// HTTP configures the health and metrics endpoint.
type HTTP struct {
	Listen string `mapstructure:"listen"` // default 127.0.0.1:8083; "" or "off" disables
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
