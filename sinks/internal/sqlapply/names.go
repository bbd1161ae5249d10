package sqlapply

// Kafka Connect and Debezium logical type names (event.Type.Name): what a value of a
// type means beyond its kind. Every dialect maps these to its column types.
const (
	NameDecimal        = "org.apache.kafka.connect.data.Decimal"
	NameVarDecimal     = "io.debezium.data.VariableScaleDecimal"
	NameDate           = "io.debezium.time.Date"
	NameTime           = "io.debezium.time.Time"
	NameMicroTime      = "io.debezium.time.MicroTime"
	NameTimestamp      = "io.debezium.time.Timestamp"
	NameMicroTimestamp = "io.debezium.time.MicroTimestamp"
	NameZonedTimestamp = "io.debezium.time.ZonedTimestamp"
	NameZonedTime      = "io.debezium.time.ZonedTime"
	NameMicroDuration  = "io.debezium.time.MicroDuration"
	NameYear           = "io.debezium.time.Year"
	NameJSON           = "io.debezium.data.Json"
	NameUUID           = "io.debezium.data.Uuid"
	NameXML            = "io.debezium.data.Xml"
	NameEnum           = "io.debezium.data.Enum"
	NameEnumSet        = "io.debezium.data.EnumSet"
	NameLtree          = "io.debezium.data.Ltree"
	NameBits           = "io.debezium.data.Bits"
)

// Debezium's stand-ins for Postgres's ±infinity (see sources/postgres), in a Date's days
// and a MicroTimestamp's µs since the epoch.
const (
	DateInfinity        = -2147472692
	DateNegInfinity     = -2147472691
	TsInfinityMicros    = 9223372036825200000
	TsNegInfinityMicros = -9223372036832400000
)
