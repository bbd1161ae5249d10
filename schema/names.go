package schema

import (
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Connector names as written in the source block's connector field.
const (
	ConnectorPostgres = "postgresql"
	ConnectorMySQL    = "mysql"
)

// Topic returns the topic of a table's row changes: "<prefix>.<namespace>.<table>", each
// character Kafka does not allow in a topic name (outside [A-Za-z0-9._-]) replaced by
// '_', as Debezium's topic naming does: "public.Order Items" goes to
// "<prefix>.public.Order_Items".
func Topic(prefix string, id event.TableID) string {
	return prefix + "." + topicPart(id.Namespace()) + "." + topicPart(id.Table)
}

// topicPart replaces the characters of s that a topic name cannot hold with '_'.
func topicPart(s string) string { return replaceInvalid(s, isTopicChar) }

func isTopicChar(c byte) bool { return isNameChar(c) || c == '.' || c == '-' }

// HeartbeatTopic returns Debezium's heartbeat topic for a prefix.
func HeartbeatTopic(prefix string) string { return "__debezium-heartbeat." + prefix }

// MessageTopic returns the topic of Postgres logical decoding messages for a prefix.
func MessageTopic(prefix string) string { return prefix + ".message" }

// KeySubject is the registry subject of a topic's keys (TopicNameStrategy).
func KeySubject(topic string) string { return topic + "-key" }

// ValueSubject is the registry subject of a topic's values (TopicNameStrategy).
func ValueSubject(topic string) string { return topic + "-value" }

// AvroFullName sanitizes a dotted name into a valid Avro full name the way Debezium's
// avro schema name adjustment does: every character outside [A-Za-z0-9_.] becomes '_'. A
// part (between dots) that would start with a digit, or be empty, gets a leading '_'.
func AvroFullName(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = AvroName(p)
	}
	return strings.Join(parts, ".")
}

// AvroName sanitizes a simple Avro name (a record or field name): every character outside
// [A-Za-z0-9_] becomes '_', and a leading digit (or an empty name) gets a leading '_'.
func AvroName(name string) string {
	if name == "" || isDigit(name[0]) {
		return "_" + replaceInvalid(name, isNameChar)
	}
	return replaceInvalid(name, isNameChar)
}

// replaceInvalid returns s with each character (rune) that valid refuses replaced by '_'.
func replaceInvalid(s string, valid func(byte) bool) string {
	ok := true
	for i := 0; ok && i < len(s); i++ {
		ok = valid(s[i])
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && valid(byte(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isNameChar(c byte) bool {
	return c == '_' || isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
