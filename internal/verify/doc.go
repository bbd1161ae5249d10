// Package verify compares a source table with its follower table, across engines, and
// reports per table the rows compared, the rows missing in the target, the extra rows
// in the target and the rows whose values differ, with a sample of their keys. It is
// the engine behind `dovetail verify`; the CLI, and waiting until the follower has
// applied the source's current position, are not its business.
//
// # Algorithm
//
// The comparison algorithm is written once; each engine implements Reader (describe a
// table, the key at an offset of a key range, the normalized rows of a key range).
// Per table, the source's keys are read in order in chunks of Options.ChunkRows rows.
// For each chunk's key range (After, Through] both sides stream their rows and reduce
// them to an aggregate: the row count and the sums of 128-bit row hashes, which is
// order-independent. Equal aggregates end the range. Otherwise the range is bisected
// at the median key of the side with more rows until both sides together hold at most
// Options.LeafRows rows; those are read and matched by key. The first chunk is open
// below and the last open above, so target rows outside the source's key span are
// found too. Memory is bounded by LeafRows (rows held for matching) and Sample, not by
// the table or by ChunkRows. Hashing is client-side; a Reader that could hash a range
// on the server would save the transfer, not change the algorithm.
//
// Both engines must agree on the order of keys, since a range is sent to both as
// bounds: numbers by value, dates and times chronologically, text by its UTF-8 bytes
// (Postgres compares text keys with COLLATE "C", MySQL as CAST(... AS BINARY), which
// cannot use an index of a non-binary collation: text keys on MySQL are slower).
//
// Tables without a primary key (and no Pair.Key) are compared as multisets of whole
// rows in one pass: counts and equal-or-not, without locating the differing rows.
//
// # Normalization
//
// A row's hash covers its key and the columns present in both tables (matched by
// name, exactly or else ignoring case); columns only in the source are reported as
// MissingColumns, only in the target as ExtraColumns. Each Reader turns values into a
// Value of a Kind, so equal data compares equal across engines the way Dovetail maps
// types (docs/EVENT-FORMAT.md):
//
//   - integers, decimals, bigint unsigned, year, money: exact decimal text without
//     leading or trailing zeros (1.50 = 1.5; -0 = 0).
//   - float/real and double: the shortest text that round-trips, at 32 bits for
//     FLOAT/real; a float32 column compared with a double one is compared at 32 bits.
//     NaN and ±Infinity are themselves; -0 = 0.
//   - char/varchar/text, enum, set, uuid (lowercase), inet and other types without a
//     rule: UTF-8 text; CHAR on either side compares without trailing spaces.
//   - binary/varbinary/blob/bytea: bytes; MySQL spatial values: WKB without the SRID.
//   - bool, bit(1): true/false; tinyint(1) (a number) against a bool: 0 is false.
//   - bit(n): the bit string.
//   - date: YYYY-MM-DD. datetime/timestamp without zone: "YYYY-MM-DD HH:MM:SS.ffffff".
//     MySQL TIMESTAMP and timestamptz: the instant in UTC, same text; a timestamp
//     without zone against one with zone is taken as UTC.
//   - MySQL zero dates (0000-00-00, zero month or day) as the source writes them into
//     events and so the sinks into followers: NULL in a nullable column, the epoch in
//     a NOT NULL one.
//   - time: "[-]HH:MM:SS.ffffff", hours beyond 23 and negative values kept (MySQL TIME).
//   - json/jsonb (and MariaDB's longtext with a json_valid check): canonical JSON with
//     sorted keys, no spaces and numbers by exact value ({"b":1.0,"a":2} =
//     {"a":2,"b":1}).
//   - text against a typed column: the text is parsed as that type (an ISO timestamp or
//     JSON kept as text); text that does not parse differs.
//
// Kinds with no rule between them (say bytes against a date) are listed in
// IncompatibleColumns, and every row with a non-NULL value there differs.
package verify
