// Package sinktest holds the fixtures the sink engines' tests share: event types,
// tables and changes as the sources emit them, a Feed that numbers changes as the
// records of one Kafka topic partition and plans them into batches, and the upsert
// benchmark every engine runs.
//
// Only _test.go files import it. It opens no database and knows no engine: what
// differs between engines (servers, catalog queries, expected column types and texts)
// stays in each engine's tests.
package sinktest
