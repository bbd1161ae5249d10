// Package kafka holds what Dovetail's runtime needs from github.com/segmentio/kafka-go,
// set up so that it behaves the same against the embedded broker (package
// internal/broker) and a real cluster: a Writer that never loses a record silently,
// topic creation, and reading a topic to its end.
//
// # Writing
//
// [NewWriter] returns a [Writer] built on kafka-go's produce requests, with
// RequiredAcks = RequireAll (kafka-go's zero value is acks=0, fire-and-forget, under
// which a record the broker rejects, for instance one over its message.max.bytes, is
// dropped without a word), a Murmur2
// balancer (the Java client's partitioner, so a key lands on the same partition
// whichever client wrote it, and always the same partition for a fixed partition
// count), the configured compression, and synchronous writes: WriteMessages returns
// only when every message is acknowledged or has failed.
//
// How WriteMessages(ctx, msgs...) reports failures (as kafka-go's Writer did):
//   - a message larger than the writer's BatchBytes fails the whole call before
//     anything is sent, with a kafka.MessageTooLargeError (errors.Is
//     kafka.MessageSizeTooLarge) carrying the message and the others (Remaining);
//   - otherwise, when some batches fail, the error is a kafka.WriteErrors: one entry
//     per message, in the order given, nil for the messages that were written; the
//     entry is the broker's error for that message's batch (a kafka.Error such as
//     kafka.MessageSizeTooLarge, possibly wrapped) or the transport error of the
//     last attempt. Use [Failed] to get the failed indexes;
//   - a cancelled ctx returns ctx.Err(), and then nothing is known: messages may still
//     be written after the call returned. Treat the whole call as failed and write it
//     again (at-least-once; Dovetail's sinks deduplicate by source position).
//
// kafka-go has no idempotent producer: a batch retried after a lost acknowledgement can
// be written twice. Per partition, batches are written one after another, and once one
// failed the partition's later batches of the call are not sent (they fail with the
// same error), so retries do not reorder a partition's records.
//
// # Topics
//
// [Topics] creates topics when they are missing, caching what it has seen. An existing
// topic is never changed: if its partition count differs from the one asked for, Ensure
// logs a warning and keeps it, since adding partitions would move keys to other
// partitions and break per-key order.
//
// # Reading
//
// [ReadAll] reads every partition of a topic from its first offset up to the high
// watermark at the time of the call, for tests and the tail command; it is not a
// consumer group and commits nothing.
package kafka
