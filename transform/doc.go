// Package transform holds Dovetail's transforms: pure, ordered functions over change
// events (masks, hashes, truncation, column selection, renames, routes, row filters,
// operation filters, key choice, unwrapping), applied at the source before Kafka or at a
// sink before its target.
//
// A [Transform] is bound once per table shape ([Transform.Bind]): the bound step knows the
// shape of its output (a dropped column is not in it, a hashed column is a string) and maps
// the changes of that shape. A [Chain] runs transforms in order and caches the bound steps
// per input *event.Table, so the hot path neither allocates tables nor re-resolves column
// names, and the Avro encoder, which caches per *event.Table, registers each output shape
// once.
//
// Transforms never change the change they are given: [Chain.Apply] returns a new change
// (sharing the input's rows where no step writes to them). Errors name the transform and
// its position in the list, as "transforms[2] (hash): ...".
//
// The package imports the event model only; configs are turned into transforms by the
// runtime (package pipelines).
package transform
