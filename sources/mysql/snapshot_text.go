package mysql

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/dovetail-cdc/dovetail/internal/slab"
)

// The snapshot reads rows with the text protocol (a plain query, as mariadb-dump
// does): go-mysql hands integers as parsed integers, the FLOAT and DOUBLE columns'
// select expressions (see selectExpr) as parsed doubles, and every other value as the
// bytes the server sent, in the column's character set (character_set_results is
// binary). A fieldDecoder turns such a value into exactly what the column's codec makes
// of go-mysql's binlog value of the same row, without the binlog value in between.

// fieldDecoder decodes one non-NULL text protocol value of a column. The value's bytes
// belong to go-mysql's row buffer: what is kept is copied. Decoders of text columns
// (usesText) copy it into the row's text (see rowState.keep).
type fieldDecoder func(fv *gmysql.FieldValue, rs *rowState) (any, error)

// rowState is what a reader's field decoders share: the text of the row being decoded,
// and the boxer of its values (numbers and strings boxed one by one were most of a
// snapshot's allocations).
type rowState struct {
	text strings.Builder
	box  slab.Boxer
}

// keep copies b into the row's text and returns it as a string. A row's strings share
// one allocation (its text is sized by Read beforehand), so a string kept alone keeps
// its row's text alive. Written bytes of a strings.Builder never change, even when it
// grows, so the strings stay valid.
func (rs *rowState) keep(b []byte) any {
	if len(b) == 0 {
		return ""
	}
	off := rs.text.Len()
	rs.text.Write(b)
	return rs.box.String(rs.text.String()[off:])
}

// usesText reports whether c's fieldDecoder copies its values into the row's text.
func usesText(c *column) bool {
	switch c.typ {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		return c.charset != "binary"
	case "json":
		return true
	}
	return false
}

// selectExpr is the select list expression that reads column c. MariaDB (and MySQL
// before 8.0) print a FLOAT with 6 significant digits, and a FLOAT(M,D) or DOUBLE(M,D)
// with D decimals: multiplied by the double 1, the value is a double, printed with the
// digits that read back to it exactly (a FLOAT's value widened to a double, which is
// what the binlog's float becomes).
func selectExpr(c *column) string {
	if c.typ == "float" || c.hasScale && (c.typ == "double" || c.typ == "real") {
		return quoteIdent(c.name) + " * 1e0"
	}
	return quoteIdent(c.name)
}

// fieldDecoderFor returns the decoder of c's text protocol values; cd is c's codec (see
// codecFor), which the decoder agrees with.
func fieldDecoderFor(c *column, cd codec) (fieldDecoder, error) {
	switch c.typ {
	case "year":
		if c.length == 2 {
			// A YEAR(2) holds 1970 to 2069 (and 0000) and a query shows its last two
			// digits; the binlog, and so the stream, has the year.
			return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
				y := fv.AsInt64()
				switch {
				case y >= 70:
					y += 1900
				case y >= 0:
					y += 2000
				}
				return rs.box.Int32(int32(y)), nil
			}, nil
		}
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) { return rs.box.Int32(int32(fv.AsInt64())), nil }, nil
	case "tinyint", "smallint", "mediumint", "int", "integer":
		switch {
		case !c.unsigned:
			return func(fv *gmysql.FieldValue, rs *rowState) (any, error) { return rs.box.Int32(int32(fv.AsInt64())), nil }, nil
		case c.typ == "int" || c.typ == "integer":
			return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
				return rs.box.Int64(int64(uint32(fv.AsUint64()))), nil
			}, nil
		}
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			return rs.box.Int32(int32(uint32(fv.AsUint64()))), nil
		}, nil
	case "bigint":
		if c.unsigned {
			return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
				return new(big.Rat).SetUint64(fv.AsUint64()), nil
			}, nil
		}
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) { return rs.box.Int64(fv.AsInt64()), nil }, nil
	case "float":
		if c.hasScale {
			return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
				return rs.box.Float64(float64(float32(fv.AsFloat64()))), nil
			}, nil
		}
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) { return float32(fv.AsFloat64()), nil }, nil
	case "double", "real":
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) { return rs.box.Float64(fv.AsFloat64()), nil }, nil
	case "decimal", "numeric":
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			return decimalValue(bytesString(fv.AsString()))
		}, nil
	case "date":
		nullable := c.nullable
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			return dateValue(bytesString(fv.AsString()), nullable)
		}, nil
	case "datetime":
		nullable, millis := c.nullable, c.fsp <= 3
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			us, zero, err := datetimeMicros(bytesString(fv.AsString()), millis)
			if err != nil || zero {
				return zeroValue(nullable, int64(0)), err
			}
			return rs.box.Int64(us), nil
		}, nil
	case "timestamp":
		text := timestampText(c.nullable, c.fsp)
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) { return text(bytesString(fv.AsString())) }, nil
	case "time":
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			us, err := parseClock(bytesString(fv.AsString()))
			if err != nil {
				return nil, err
			}
			return rs.box.Int64(us), nil
		}, nil
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		if c.charset == "binary" {
			return bytesDecoder(c), nil
		}
		enc, err := charsetEncoding(c.charset)
		if err != nil {
			return nil, err
		}
		if enc == nil {
			return func(fv *gmysql.FieldValue, rs *rowState) (any, error) { return rs.keep(fv.AsString()), nil }, nil
		}
		// As textDecoder, whose ASCII text is kept as it is.
		decode, err := textDecoder(c.charset)
		if err != nil {
			return nil, err
		}
		wide := wideCharset(c.charset)
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			if b := fv.AsString(); !wide && isASCII(b) {
				return rs.keep(b), nil
			}
			return decode(fv.AsString())
		}, nil
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return bytesDecoder(c), nil
	case "json":
		// As jsonValue, with the text kept in the row's.
		zero := zeroValue(c.nullable, "{}")
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			if b := fv.AsString(); len(b) > 0 {
				return rs.keep(b), nil
			}
			return zero, nil
		}, nil
	case "enum":
		// The label, as the codec gives it for the binlog's index; '' (index 0) is
		// MySQL's value for an invalid one. The labels are boxed once.
		labels := make([]any, len(c.elems))
		for i, e := range c.elems {
			labels[i] = e
		}
		empty := any("")
		enumIndex, err := enumIndexer(c)
		if err != nil {
			return nil, err
		}
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			i, err := enumIndex(fv.AsString())
			if err != nil || i == 0 {
				return empty, err
			}
			return labels[i-1], nil
		}, nil
	case "set":
		// The binlog's bits, decoded by the codec (which checks them).
		text, err := labelText(c)
		if err != nil {
			return nil, err
		}
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			s, err := text(fv.AsString())
			if err != nil {
				return nil, err
			}
			var bits int64
			for part := range strings.SplitSeq(s, ",") {
				if part == "" {
					continue
				}
				i := slices.Index(c.elems, part)
				if i < 0 {
					return nil, fmt.Errorf("set value %q is not one of its values", part)
				}
				bits |= 1 << i
			}
			return cd.decode(bits)
		}, nil
	case "bit":
		// The text protocol sends the value's bytes, big-endian, as the binlog does.
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
			var x int64
			for _, b := range fv.AsString() {
				x = x<<8 | int64(b)
			}
			return cd.decode(x)
		}, nil
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		return func(fv *gmysql.FieldValue, rs *rowState) (any, error) { return geometryValue(fv.AsString()) }, nil
	}
	return nil, fmt.Errorf("type %s is not supported", c.sourceType())
}

// labelText returns what turns an ENUM or SET value of c (bytes in c's character set)
// into UTF-8 text, as c.elems holds the labels.
func labelText(c *column) (func(b []byte) (string, error), error) {
	if c.charset == "" || c.charset == "binary" {
		return func(b []byte) (string, error) { return string(b), nil }, nil
	}
	decode, err := textDecoder(c.charset)
	if err != nil {
		return nil, err
	}
	return func(b []byte) (string, error) {
		v, err := decode(b)
		if err != nil {
			return "", err
		}
		return v.(string), nil
	}, nil
}

// enumIndexer returns what gives the index of c's ENUM label b (bytes in c's character
// set): 1 for the first label, 0 for the empty string when it is not a label (MySQL's
// value for an invalid one). The labels' lookup and the character set's decoder are
// made once, for all of a column's values.
func enumIndexer(c *column) (func(b []byte) (int, error), error) {
	text, err := labelText(c)
	if err != nil {
		return nil, err
	}
	index := make(map[string]int, len(c.elems))
	for i, e := range c.elems {
		index[e] = i + 1
	}
	wide := wideCharset(c.charset)
	return func(b []byte) (int, error) {
		s := string(b)
		if !isASCII(b) || wide {
			if s, err = text(b); err != nil {
				return 0, err
			}
		}
		if i, ok := index[s]; ok {
			return i, nil
		}
		if s == "" {
			return 0, nil
		}
		return 0, fmt.Errorf("enum value %q is not one of %d values", s, len(c.elems))
	}, nil
}

// bytesDecoder copies a binary string; binary(n) (and char(n) of the binary character
// set) values are padded with zero bytes to n as the codec pads the binlog's (the server
// sends them padded already).
func bytesDecoder(c *column) fieldDecoder {
	pad := 0
	if c.typ == "binary" || c.typ == "char" {
		pad = c.length
	}
	return func(fv *gmysql.FieldValue, rs *rowState) (any, error) {
		return paddedBytes(fv.AsString(), pad), nil
	}
}
