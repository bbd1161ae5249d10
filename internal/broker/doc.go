// Package broker runs Dovetail's embedded Kafka broker: one kfake node
// (github.com/twmb/franz-go/pkg/kfake) that speaks the Kafka protocol on a TCP address,
// keeps its log in a data directory, and is used when a pipeline names no external
// brokers. Any Kafka client can use it: kafka-go, franz-go, librdkafka (kcat,
// confluent-kafka), the Java client.
//
// # What it guarantees
//
// The broker advertises exactly the address it listens on (the host of Options.Listen
// with the port actually bound), so clients that bootstrap from Addr reconnect to the
// same place. Topics, partitions, records, committed consumer offsets and producer ids
// persist in Options.DataDir: kfake writes every produced batch to a segment file (in
// Kafka's own RecordBatch format) before it answers the produce request, and writes
// its metadata (topics.json, groups and producer-id logs) as it changes and on Close.
// Start on the same directory reloads all of it. Without Options.SyncWrites a batch is
// in the operating system's page cache, not fsynced, when acknowledged, as with real
// Kafka's defaults: it survives a crash of the process, not of the machine.
//
// Only one process may use a data directory: Start takes an advisory lock on
// DataDir/.lock (flock, on Unix) and fails if another broker holds it.
//
// # What it does not do
//
// It is a single node: replication factors above 1 are refused by the broker. Topics
// are not created automatically on produce or metadata requests; callers create them
// (package internal/kafka's Topics.Ensure). It has no TLS and no SASL: bind it to a
// loopback address unless the network is trusted.
package broker
