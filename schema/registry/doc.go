// Package registry speaks the Confluent Schema Registry REST API for Avro schemas.
//
// Client talks to any Confluent-compatible registry (it satisfies schema.Registry, with an
// in-memory cache). Server is Dovetail's embedded registry, used when no registry is
// configured: an http.Handler serving the REST subset Dovetail and common consumers use,
// with Avro compatibility checks (BACKWARD by default) and its state persisted in a data
// directory, so schema ids never change or get reused across restarts.
//
// The package must not know about tables or change events: it stores schema text.
// Deleting subjects or versions, references and non-Avro schema types are not supported.
package registry
