// Package transform will hold Dovetail's transforms: pure, ordered functions over change
// events (filters, masks, hashes, renames, routes, unwraps), applied at the source before
// Kafka or at a sink.
//
// Nothing lives here yet (transforms are issue 6). A transform may import the event model
// only.
package transform
