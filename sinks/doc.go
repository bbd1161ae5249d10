// Package sinks is the home of Dovetail's sink appliers: sinks/postgres, sinks/mysql and
// sinks/duckdb consume a pipeline's topics and replay the changes onto a follower, storing
// the position they applied in the same target transaction as the rows.
//
// Nothing lives here yet (the appliers are issue 4). A sink may import the event model
// and package schema's types, never pipelines or a source.
package sinks
