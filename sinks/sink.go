package sinks

import (
	"context"
	"fmt"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/tablepattern"
)

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// Offsets are the last applied offset of each topic partition.
type Offsets map[TopicPartition]int64

// Record is one change read from Kafka and where it was read. Tombstones are not
// records: the runtime skips them (the delete before each one carries the change).
type Record struct {
	Change *event.Change
	TopicPartition
	Offset int64
}

// Batch is what a Target applies in one transaction.
type Batch struct {
	// Tables are the planned statements, table by table in the order each table first
	// appears in the records (see Plan).
	Tables []*TableBatch
	// Offsets holds, per partition, the offset of the batch's last record: the target
	// stores them with the rows.
	Offsets Offsets
	// Positions holds, per partition, the source position of the batch's last record
	// (informational: stored next to the offsets for people and `dovetail verify`).
	Positions map[TopicPartition]string
	// Records are the records the batch was planned from, in order and unreduced (Plan
	// sets them): for targets that keep every change, such as the DuckDB history.
	// Targets must not change them.
	Records []Record
}

// Target is a target database of one sink.
type Target interface {
	// Offsets returns the offsets stored by earlier batches of this sink.
	Offsets(ctx context.Context) (Offsets, error)
	// Apply makes the batch's tables exist in their shape (as the sink's options allow),
	// applies its steps in order and stores its offsets and positions, all in one
	// transaction: after an error nothing of it is applied.
	Apply(ctx context.Context, b *Batch) error
	Close() error
}

// Options are what every target kind takes from the sink's config.
type Options struct {
	// Name is the sink's name: the key of its stored offsets.
	Name string
	// Naming maps source tables to target tables.
	Naming Naming
	// CreateTables creates missing tables from the changes' shapes.
	CreateTables bool
	// Evolution is how far a target table follows a source table's new shapes.
	Evolution Evolution
}

// Evolution is the schema_evolution setting.
type Evolution string

// Evolution levels.
const (
	// EvolveNone never changes a target table; a change it cannot apply is an error.
	EvolveNone Evolution = "none"
	// EvolveBasic adds columns that appear.
	EvolveBasic Evolution = "basic"
	// EvolveFull also drops columns that disappear and changes column types.
	EvolveFull Evolution = "full"
)

// ParseEvolution reads the schema_evolution setting ("" is basic).
func ParseEvolution(s string) (Evolution, error) {
	switch Evolution(s) {
	case "":
		return EvolveBasic, nil
	case EvolveNone, EvolveBasic, EvolveFull:
		return Evolution(s), nil
	}
	return "", fmt.Errorf("schema_evolution %q: want none, basic or full", s)
}

// TargetTable is a table in the target: Schema is empty for the target's default
// namespace (Postgres search_path, the MySQL DSN's database, DuckDB's main).
type TargetTable struct {
	Schema, Name string
}

func (t TargetTable) String() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// Naming maps source tables to target tables with a table_name template and filters
// them with table patterns.
type Naming struct {
	// Template is the table_name setting: {database}, {schema} and {table} are replaced
	// with the source table's parts; a dot separates the target schema from the name.
	// Empty means "{table}".
	Template string
	// Tables and ExcludeTables filter source tables ("namespace.table" patterns, the
	// namespace being the Postgres schema or the MySQL database); empty Tables takes all.
	Tables, ExcludeTables []string
}

// Validate checks the template and the patterns.
func (n Naming) Validate() error {
	tmpl := n.template()
	rest := tmpl
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fmt.Errorf("table_name %q: unclosed {", tmpl)
		}
		switch rest[i : i+j+1] {
		case "{database}", "{schema}", "{table}":
		default:
			return fmt.Errorf("table_name %q: unknown placeholder %s (want {database}, {schema} or {table})", tmpl, rest[i:i+j+1])
		}
		rest = rest[i+j+1:]
	}
	if strings.Count(tmpl, ".") > 1 {
		return fmt.Errorf("table_name %q: at most one dot (schema.table)", tmpl)
	}
	for _, p := range append(append([]string(nil), n.Tables...), n.ExcludeTables...) {
		if _, _, err := tablepattern.Split(p, "namespace"); err != nil {
			return fmt.Errorf("tables: %w", err)
		}
	}
	return nil
}

func (n Naming) template() string {
	if n.Template == "" {
		return "{table}"
	}
	return n.Template
}

// namespace is the part of a source table id the patterns match: the Postgres schema,
// else the MySQL database.
func namespace(id event.TableID) string {
	if id.Schema != "" {
		return id.Schema
	}
	return id.Database
}

// Includes reports whether the sink takes changes of the source table id.
func (n Naming) Includes(id event.TableID) bool {
	return tablepattern.Included(n.Tables, n.ExcludeTables, namespace(id), id.Table, false)
}

// Target returns the target table of the source table id.
func (n Naming) Target(id event.TableID) TargetTable {
	name := strings.NewReplacer("{database}", id.Database, "{schema}", id.Schema, "{table}", id.Table).Replace(n.template())
	if s, t, ok := strings.Cut(name, "."); ok {
		return TargetTable{Schema: s, Name: t}
	}
	return TargetTable{Name: name}
}
