package verify

// The canonical forms of the Kinds, for Readers that live outside this package (the
// DuckDB sink's): one set of normalizers, so that every engine's values compare alike.

// ParseAs reads text as a value of kind k (bits: a float's precision, 32 or 64) in its
// canonical form, and reports whether the text is one.
func ParseAs(s string, k Kind, bits int) (Value, bool) { return parseAs(s, k, bits) }

// FloatText is a float's canonical text at bits (32 or 64) of precision.
func FloatText(f float64, bits int) string { return float(f, bits) }

// ParseFloat reads a float's text, infinities and NaN included.
func ParseFloat(s string) (float64, bool) { return parseFloat(s) }

// TimeMicros reads "[-]H+:MM:SS[.f]" (a time or a duration) as microseconds.
func TimeMicros(s string) (int64, bool) { return timeMicros(s) }

// MicrosText is a KindTime value's canonical text for a duration in microseconds.
func MicrosText(us int64) string { return formatMicros(us) }
