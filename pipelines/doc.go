// Package pipelines is Dovetail's runtime. A Worker runs pipelines; a Pipeline wires a
// source to the Avro encoder and the Kafka producer, batches what the source hands over,
// and acknowledges a source position only after Kafka has acknowledged every record up to
// it. It owns retries, backpressure, draining on shutdown and the HTTP endpoints
// (/healthz, /readyz, /metrics).
//
// It knows the parts only through small interfaces (Source, Encoder, Producer, Topics);
// Build turns a config into real parts.
package pipelines
