// Package avro is the little of Avro that package schema and its registry need beyond
// goavro: a schema parser into a resolved tree, the schema resolution check behind
// registry compatibility levels, and a bounds check of binary data against a schema
// (goavro preallocates array and map blocks from counts in the data, so outside bytes
// must be checked before goavro decodes them).
package avro
