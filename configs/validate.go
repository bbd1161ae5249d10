package configs

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	pipelineName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
	pgIdentifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	topicChars   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// SnapshotModes are the accepted values of source.snapshot.
var SnapshotModes = []string{"initial", "never", "when_needed"}

// Compressions are the accepted values of kafka.compression.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// Kinds are the accepted values of source.kind.
var Kinds = []string{"postgres", "mysql"}

// SinkKinds are the accepted values of sinks[].kind.
var SinkKinds = []string{"postgres", "mysql", "duckdb"}

// Evolutions are the accepted values of sinks[].schema_evolution.
var Evolutions = []string{"none", "basic", "full"}

// validate checks a decoded pipeline with its defaults applied.
func (d *decoder) validate(p *Pipeline) {
	switch {
	case p.Name == "":
		d.errorf("name", "required")
	case !pipelineName.MatchString(p.Name):
		d.errorf("name", "%s: use letters, digits, _ . and - (at most 100, starting with a letter or digit)", d.show("name", p.Name))
	}
	if p.DataDir == "" {
		d.errorf("data_dir", "must not be empty (leave it out for ./var/<name>)")
	}

	s := &p.Source
	switch s.Kind {
	case "":
		d.errorf("source.kind", "required (one of %s)", strings.Join(Kinds, ", "))
	case "postgres":
		d.pgIdent("source.postgres.slot", s.Postgres.Slot)
		d.pgIdent("source.postgres.publication", s.Postgres.Publication)
		if d.present["source.mysql"] {
			d.errorf("source.mysql", "only read for source.kind mysql; remove it for postgres")
		}
	case "mysql":
		if d.present["source.postgres"] {
			d.errorf("source.postgres", "only read for source.kind postgres; remove it for mysql")
		}
		s.Postgres = Postgres{}
		if s.MySQL.ServerID < 0 || s.MySQL.ServerID > 1<<32-1 {
			d.errorf("source.mysql.server_id", "%d is out of range: 1 to 4294967295 (or 0 to derive one from the name)", s.MySQL.ServerID)
		}
		switch s.MySQL.Flavor {
		case "", "mysql", "mariadb":
		default:
			d.errorf("source.mysql.flavor", "%s is not one of mysql, mariadb (or leave it out to detect it)", d.show("source.mysql.flavor", s.MySQL.Flavor))
		}
	default:
		d.errorf("source.kind", "%s is not one of %s", d.show("source.kind", s.Kind), strings.Join(Kinds, ", "))
	}
	if s.DSN == "" {
		d.errorf("source.dsn", "required")
	}
	for i, t := range s.Tables {
		d.tablePattern(fmt.Sprintf("source.tables[%d]", i), t)
	}
	for i, t := range s.ExcludeTables {
		d.tablePattern(fmt.Sprintf("source.exclude_tables[%d]", i), t)
	}
	for table, cols := range s.KeyColumns {
		key := "source.key_columns." + table
		d.tablePattern(key, table)
		if len(cols) == 0 {
			d.errorf(key, "needs at least one column")
		}
		for i, c := range cols {
			if strings.TrimSpace(c) == "" {
				d.errorf(fmt.Sprintf("%s[%d]", key, i), "empty column name")
			}
		}
	}
	if s.HeartbeatInterval < 0 {
		d.errorf("source.heartbeat_interval", "must not be negative (0s disables heartbeats)")
	}
	if !slices.Contains(SnapshotModes, s.Snapshot) {
		d.errorf("source.snapshot", "%s is not one of %s", d.show("source.snapshot", s.Snapshot), strings.Join(SnapshotModes, ", "))
	}
	if s.SnapshotParallelism < 1 {
		d.errorf("source.snapshot_parallelism", "must be at least 1, got %d", s.SnapshotParallelism)
	}
	if s.SignalTable != "" {
		d.tablePattern("source.signal_table", s.SignalTable)
		if strings.ContainsAny(s.SignalTable, "*?[") {
			d.errorf("source.signal_table", "must name one table, not a pattern")
		}
	}
	if s.SnapshotChunkRows < 1 {
		d.errorf("source.snapshot_chunk_rows", "must be at least 1, got %d", s.SnapshotChunkRows)
	}

	k := &p.Kafka
	for i, b := range k.Brokers {
		d.hostPort(fmt.Sprintf("kafka.brokers[%d]", i), b, false)
	}
	if len(k.Brokers) == 0 && k.Listen == "" {
		d.errorf("kafka.listen", "required when kafka.brokers is empty (the embedded broker listens there)")
	} else if k.Listen != "" {
		d.hostPort("kafka.listen", k.Listen, true)
	}
	switch {
	case k.TopicPrefix == "" && !d.present["kafka.topic_prefix"]:
		// Defaulted from an empty name, which has its own error.
	case k.TopicPrefix == "":
		d.errorf("kafka.topic_prefix", "must not be empty")
	case len(k.TopicPrefix) > 200 || !topicChars.MatchString(k.TopicPrefix):
		d.errorf("kafka.topic_prefix", "%s: a Kafka topic name part uses letters, digits, . _ and - (at most 200)", d.show("kafka.topic_prefix", k.TopicPrefix))
	}
	if k.Partitions < 1 {
		d.errorf("kafka.partitions", "must be at least 1, got %d", k.Partitions)
	}
	switch {
	case k.Replication < 0:
		d.errorf("kafka.replication_factor", "must not be negative (0 uses the broker's default)")
	case k.Replication > 1 && len(k.Brokers) == 0:
		d.errorf("kafka.replication_factor", "the embedded broker is a single node: use 0 or 1, or set kafka.brokers")
	}
	if !slices.Contains(Compressions, k.Compression) {
		d.errorf("kafka.compression", "%s is not one of %s", d.show("kafka.compression", k.Compression), strings.Join(Compressions, ", "))
	}
	if k.BatchSize < 1 {
		d.errorf("kafka.batch_size", "must be at least 1, got %d", k.BatchSize)
	}
	if k.BatchBytes < 1 {
		d.errorf("kafka.batch_bytes", "must be at least 1, got %d", k.BatchBytes)
	}
	if k.Linger < 0 {
		d.errorf("kafka.linger", "must not be negative")
	}

	r := &p.SchemaRegistry
	if r.URL != "" {
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.errorf("schema_registry.url", "%s: expected http(s)://host[:port][/path]", d.show("schema_registry.url", r.URL))
		}
	} else if r.Listen == "" {
		d.errorf("schema_registry.listen", "required when schema_registry.url is empty (the embedded registry listens there)")
	} else {
		d.hostPort("schema_registry.listen", r.Listen, true)
	}

	if p.HTTP.Listen == "off" {
		p.HTTP.Listen = ""
	}
	if p.HTTP.Listen != "" {
		d.hostPort("http.listen", p.HTTP.Listen, true)
	}

	captured := capturedBy(&p.Source)
	d.transforms("transforms", p.Transforms, false, captured)
	if renames(p.Transforms) {
		captured = nil // sinks see the renamed tables
	}
	seen := map[string]string{}
	for i := range p.Sinks {
		if key := fmt.Sprintf("sinks[%d]", i); !d.failed[key] {
			d.sink(key, &p.Sinks[i], seen)
			d.transforms(key+".transforms", p.Sinks[i].Transforms, true, captured)
		}
	}

	listeners := p.listeners()
	for i := range listeners {
		for j := range i {
			if overlap(listeners[i].addr, listeners[j].addr) {
				d.errorf(listeners[i].key, "%s is also %s", listeners[i].addr, listeners[j].key)
			}
		}
	}
}

// sink checks one sink; seen maps the names of the sinks before it to their keys.
func (d *decoder) sink(key string, s *Sink, seen map[string]string) {
	switch {
	case s.Name == "":
		d.errorf(key+".name", "required")
	case !pipelineName.MatchString(s.Name):
		d.errorf(key+".name", "%s: use letters, digits, _ . and - (at most 100, starting with a letter or digit)", d.show(key+".name", s.Name))
	case seen[s.Name] != "":
		d.errorf(key+".name", "%q is also the name of %s; sink names must differ", s.Name, seen[s.Name])
	default:
		seen[s.Name] = key
	}
	switch {
	case s.Kind == "":
		d.errorf(key+".kind", "required (one of %s)", strings.Join(SinkKinds, ", "))
	case !slices.Contains(SinkKinds, s.Kind):
		d.errorf(key+".kind", "%s is not one of %s", d.show(key+".kind", s.Kind), strings.Join(SinkKinds, ", "))
	}
	if s.DSN == "" {
		what := "required"
		if s.Kind == "duckdb" {
			what = "required: the DuckDB database file"
		}
		d.errorf(key+".dsn", "%s", what)
	}
	for i, t := range s.Tables {
		d.tablePattern(fmt.Sprintf("%s.tables[%d]", key, i), t)
	}
	for i, t := range s.ExcludeTables {
		d.tablePattern(fmt.Sprintf("%s.exclude_tables[%d]", key, i), t)
	}
	if s.TableName == "" {
		d.errorf(key+".table_name", "must not be empty (leave it out for {table})")
	}
	if !slices.Contains(Evolutions, s.SchemaEvolution) {
		d.errorf(key+".schema_evolution", "%s is not one of %s", d.show(key+".schema_evolution", s.SchemaEvolution), strings.Join(Evolutions, ", "))
	}
	if s.BatchSize < 1 {
		d.errorf(key+".batch_size", "must be at least 1, got %d", s.BatchSize)
	}
	if s.Parallelism < 1 {
		d.errorf(key+".parallelism", "must be at least 1, got %d", s.Parallelism)
	}
	if s.Linger < 0 {
		d.errorf(key+".linger", "must not be negative")
	}
	if s.DeadLetterTopic != "" && (len(s.DeadLetterTopic) > 249 || !topicChars.MatchString(s.DeadLetterTopic)) {
		d.errorf(key+".dead_letter_topic", "%s: a Kafka topic name uses letters, digits, . _ and - (at most 249)", d.show(key+".dead_letter_topic", s.DeadLetterTopic))
	}
	if s.History && s.Kind != "duckdb" {
		d.errorf(key+".history", "only duckdb sinks keep history tables")
	}
}

func (d *decoder) pgIdent(key, name string) {
	if !pgIdentifier.MatchString(name) {
		why := ""
		if !d.present[key] {
			why = " (the default, from the pipeline name; set it explicitly)"
		}
		d.errorf(key, "%s is not a valid Postgres identifier: [a-z0-9_], not starting with a digit, at most 63 bytes%s", d.show(key, name), why)
	}
}

// tablePattern checks "schema.table" where each part may hold the globs * ? [...].
func (d *decoder) tablePattern(key, pattern string) {
	schema, table, ok := strings.Cut(pattern, ".")
	switch {
	case !ok || schema == "" || table == "" || strings.Contains(table, "."):
		d.errorf(key, "%s: expected schema.table (MySQL: database.table), each part a name or a glob", d.show(key, pattern))
		return
	case strings.ContainsAny(pattern, "\t\r\n") || strings.TrimSpace(schema) != schema || strings.TrimSpace(table) != table:
		// A space inside a name is a name's ("public.Order Items"); around a part it
		// is a typo ("public. orders").
		d.errorf(key, "%s: a table pattern's parts cannot start or end with spaces, nor hold tabs or line breaks", d.show(key, pattern))
		return
	}
	for _, part := range []string{schema, table} {
		if _, err := path.Match(part, ""); err != nil {
			d.errorf(key, "%s: bad glob (use * ? and [...])", d.show(key, pattern))
			return
		}
	}
}

// hostPort checks host:port. For a listen address the host may be empty (every
// interface) and the port 0 (any free port); a broker address needs both.
func (d *decoder) hostPort(key, addr string, listen bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		d.errorf(key, "%s: expected host:port", d.show(key, addr))
		return
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !listen) {
		d.errorf(key, "%s: bad port", d.show(key, addr))
		return
	}
	if host == "" && !listen {
		d.errorf(key, "%s: expected host:port", d.show(key, addr))
	}
}

type listener struct{ key, addr string }

// listeners are the addresses this pipeline binds: the embedded broker and registry
// only when they run, the HTTP endpoint unless disabled.
func (p *Pipeline) listeners() []listener {
	var ls []listener
	if len(p.Kafka.Brokers) == 0 && p.Kafka.Listen != "" {
		ls = append(ls, listener{"kafka.listen", p.Kafka.Listen})
	}
	if p.SchemaRegistry.URL == "" && p.SchemaRegistry.Listen != "" {
		ls = append(ls, listener{"schema_registry.listen", p.SchemaRegistry.Listen})
	}
	if p.HTTP.Listen != "" {
		ls = append(ls, listener{"http.listen", p.HTTP.Listen})
	}
	return ls
}

// overlap reports whether two listen addresses would collide: the same port on the same
// host, or on a host that includes the other (the unspecified address). Port 0 never
// collides.
func overlap(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	norm := func(h string) string {
		switch h {
		case "", "0.0.0.0", "::", "[::]":
			return "*"
		case "localhost":
			return "127.0.0.1"
		}
		return h
	}
	ha, hb = norm(ha), norm(hb)
	return ha == hb || ha == "*" || hb == "*"
}
