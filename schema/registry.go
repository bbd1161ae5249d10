package schema

import "context"

// Registry is what the Encoder and Decoder need of a Confluent-compatible schema
// registry. Package schema/registry provides a REST client and an embedded server.
type Registry interface {
	// Register registers an Avro schema under subject and returns its global id. Registering
	// the same schema again returns the same id.
	Register(ctx context.Context, subject, schema string) (int, error)
	// Schema returns the schema text registered under a global id.
	Schema(ctx context.Context, id int) (string, error)
}
