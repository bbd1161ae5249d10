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
// Transforms are pure: [Chain.Apply] never changes the change it is given and returns a
// new one (sharing the input's rows where no step writes to them). [Chain.ApplyOwned]
// gives the same result for a change its caller hands over, changing it in place: the
// pipeline's way, since copying a change costs more than the transforms. Errors name the
// transform and its position in the list, as "transforms[2] (hash): ...".
//
// Of Dovetail's packages it imports the event model only (filters use
// github.com/google/cel-go); configs are turned into transforms by the runtime (package
// pipelines).
package transform
