package postgres

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// snapColumns is bench/snapshot.sh's table bench.snap_rows.
var snapColumns = []testColumn{
	{"id", oidInt8, -1}, {"qty", oidInt4, -1}, {"label", oidVarchar, 64 + 4},
	{"price", oidNumeric, (12<<16 | 2) + 4}, {"ts", oidTimestamp, 6}, {"active", oidInt2, -1},
	{"attrs", oidJSONB, -1}, {"ref", oidBPChar, 36 + 4}, {"score", oidFloat8, -1}, {"code", oidVarchar, 32 + 4},
}

func snapRelation(tb testing.TB) *relation {
	tb.Helper()
	return testRelation(tb, event.TableID{Database: "db", Schema: "bench", Table: "snap_rows"}, snapColumns)
}

// snapLine is row g of bench.snap_rows as COPY ... TO STDOUT writes it, newline included.
func snapLine(g int) []byte {
	ts := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(g)*time.Second + time.Duration(g%1000000)*time.Microsecond)
	fields := []string{
		strconv.Itoa(g), strconv.Itoa(g % 1000), "customer name " + strconv.Itoa(g),
		fmt.Sprintf("%.2f", float64(g%100000)/100+0.99), ts.Format("2006-01-02 15:04:05.999999"), strconv.Itoa(g % 2),
		fmt.Sprintf(`{"qty": %d, "sku": "A-%d", "tags": ["x", "y"]}`, g%7, g),
		fmt.Sprintf("%016x", uint64(g)*0x9e3779b97f4a7c15) + "0123456789abcdef0123", strconv.FormatFloat(float64(g)*1.5, 'g', -1, 64),
		"C" + strconv.Itoa(g%100000),
	}
	return []byte(strings.Join(fields, "\t") + "\n")
}

// refDecode decodes a COPY text line (without its newline) the plain way: split at
// tabs, \N is NULL, undo the escapes, decode with the column's codec.
func refDecode(rel *relation, l []byte) ([]any, error) {
	fields := bytes.Split(l, []byte{'\t'})
	if len(fields) != len(rel.codecs) {
		return nil, fmt.Errorf("%d fields", len(fields))
	}
	out := make([]any, len(fields))
	for i, f := range fields {
		if string(f) == `\N` {
			continue
		}
		var u []byte
		for j := 0; j < len(f); j++ {
			if f[j] != '\\' || j+1 == len(f) {
				u = append(u, f[j])
				continue
			}
			j++
			u = append(u, map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'b': '\b', 'f': '\f', 'v': '\v'}[f[j]])
			if u[len(u)-1] == 0 {
				u[len(u)-1] = f[j]
			}
		}
		v, err := rel.codecs[i].decode(u)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// TestCopyReader: rows written in pieces of any size, with NULLs and escapes, decode as
// each field alone would, and no value refers to the written bytes.
func TestCopyReader(t *testing.T) {
	rel := snapRelation(t)
	var text []byte
	for g := range 200 {
		text = append(text, snapLine(g*7919)...)
	}
	odd := []string{
		"1\t2\t\\N\t\\N\t2024-01-01 00:00:00\t\\N\t\\N\t\\N\t\\N\t\\N\n",
		"2\t-3\ta\\tb\\nc\\\\d\\re\t-0.50\t1999-12-31 23:59:59.5\t-1\t{\"a\": \"x\\\\\"y\", \"b\": \"\\\\\\\\\"}\tx\\\\\t-0\t\\\\N\n",
		"3\t0\t\t0\t2000-01-01 00:00:00\t0\t{}\t\t1e+300\t\\b\\f\\v\\z\\\n",
		"4\t1\tÄÖÜ ☃\t9999999999.99\t2024-01-01 00:00:00.000001\t32767\t[]\t                                    \t-Infinity\tend\\\\\n",
	}
	for _, l := range odd {
		text = append(text, l...)
	}
	var want [][]any
	for _, l := range bytes.SplitAfter(text, []byte{'\n'}) {
		if len(l) == 0 {
			continue
		}
		row, err := refDecode(rel, l[:len(l)-1])
		if err != nil {
			t.Fatalf("reference decode of %q: %v", l, err)
		}
		want = append(want, row)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, piece := range []int{0, 1, 2, 7, 100, 4096, len(text)} {
		var got [][]any
		r := &copyReader{rel: rel, row: func(row []any) error { got = append(got, row); return nil }}
		for rest := text; len(rest) > 0; {
			n := piece
			if n == 0 {
				n = 1 + rnd.IntN(300)
			}
			n = min(n, len(rest))
			p := bytes.Clone(rest[:n])
			if _, err := r.Write(p); err != nil {
				t.Fatal(err)
			}
			for i := range p {
				p[i] = 0xff // the connection reuses its buffer
			}
			rest = rest[n:]
		}
		if len(r.buf) != 0 {
			t.Fatalf("pieces of %d: %d bytes left", piece, len(r.buf))
		}
		if len(got) != len(want) {
			t.Fatalf("pieces of %d: %d rows, want %d", piece, len(got), len(want))
		}
		for i := range want {
			for j := range want[i] {
				if !equalValue(got[i][j], want[i][j]) || (got[i][j] == nil) != (want[i][j] == nil) {
					t.Errorf("pieces of %d: row %d column %s = %#v, want %#v", piece, i, snapColumns[j].name, got[i][j], want[i][j])
				}
			}
		}
	}
}

// TestCopyReaderErrors: a row with too few fields, or a field its codec refuses, fails.
func TestCopyReaderErrors(t *testing.T) {
	rel := snapRelation(t)
	for _, l := range []string{
		"1\t2\tx\n",
		"x\t2\tx\t1.00\t2024-01-01 00:00:00\t0\t{}\tr\t1.5\tc\n",
		"1\t2\tx\t1.00\tnot a time\t0\t{}\tr\t1.5\tc\n",
	} {
		r := &copyReader{rel: rel, row: func([]any) error { return nil }}
		if _, err := r.Write([]byte(l)); err == nil {
			t.Errorf("%q: no error", l)
		}
	}
}

// BenchmarkCopyReader decodes bench.snap_rows rows from COPY's text format, one
// CopyData message (one row) per Write as Postgres sends them; an op is a row. From
// `go test ./sources/postgres -run XXX -bench CopyReader -benchmem` on a shared, noisy
// 2-CPU machine: ~820 -> ~580 ns/op, 677 -> 469 B/op, 18 -> 11 allocs/op once a row's
// strings shared one allocation and fields were no longer copied to be unescaped. Of
// the 11 left: the row, its text bytes, a string header per text value (boxing a string
// in an interface allocates), and the boxed numbers and decimal. With rows, strings and
// numbers boxed from slabs (internal/slab): ~330 ns/op, 3 allocs/op (the text bytes and
// the decimal).
func BenchmarkCopyReader(b *testing.B) {
	rel := snapRelation(b)
	lines := make([][]byte, 1000)
	for i := range lines {
		lines[i] = snapLine(1_000_000 + i)
	}
	r := &copyReader{rel: rel, row: func([]any) error { return nil }}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := r.Write(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestCodecText: the codecs marked text decode a value to its text, the others do not
// (the COPY reader makes the strings of text codecs itself).
func TestCodecText(t *testing.T) {
	oids := []uint32{oidBool, oidBytea, oidChar, oidName, oidInt8, oidInt2, oidInt4, oidText, oidOID, oidJSON, oidXML,
		oidPoint, oidCIDR, oidFloat4, oidFloat8, oidMacaddr8, oidMoney, oidMacaddr, oidInet, oidBPChar, oidVarchar,
		oidDate, oidTime, oidTimestamp, oidTimestampTZ, oidInterval, oidTimeTZ, oidBit, oidVarbit, oidNumeric, oidUUID,
		oidJSONB, 1007, 1009, 99999}
	lookup := func(oid uint32) (*pgType, error) {
		return &pgType{Name: "mood", Type: 'e', EnumVals: []string{"ok"}}, nil
	}
	texts := 0
	for _, oid := range oids {
		for _, lk := range []typeLookup{nil, lookup} {
			c, err := codecFor(oid, -1, lk)
			if err != nil {
				t.Fatal(err)
			}
			const in = "12"
			v, err := c.decode([]byte(in))
			isText := err == nil && v == any(in) && c.typ.Kind == event.KindString
			if c.text != isText {
				t.Errorf("type %d: text %v, but decode(%q) = %#v, %v", oid, c.text, in, v, err)
			}
			if c.text {
				texts++
			}
		}
	}
	if texts == 0 {
		t.Error("no text codec")
	}
}

// TestParseWordMatchesDecode: for every codec with a word kind, the COPY reader's
// parseWord gives the value (type, bits) and the error its decode gives.
func TestParseWordMatchesDecode(t *testing.T) {
	inputs := map[uint32][]string{
		oidInt2:      {"0", "1", "-1", "255", "256", "32767", "-32768", "", "x", "1.5", " 1"},
		oidInt4:      {"0", "7", "-7", "2147483647", "-2147483648", "2147483648", "abc", ""},
		oidInt8:      {"0", "200", "300", "-300", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e3", ""},
		oidOID:       {"0", "4294967295", "x"},
		oidFloat8:    {"0", "-0", "1.5", "NaN", "Infinity", "-Infinity", "1e-320", "1.7976931348623157e+308", "2e308", "x", ""},
		oidTimestamp: {"2024-07-01 12:00:00", "2024-07-01 12:00:00.000001", "1969-12-31 23:59:59.999999", "infinity", "-infinity", "0099-01-01 00:00:00 BC", "nope", ""},
	}
	var r copyReader
	seen := map[wordKind]bool{}
	for oid, vals := range inputs {
		c, err := codecFor(oid, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.word == notWord {
			t.Fatalf("type %d has no word kind", oid)
		}
		seen[c.word] = true
		for _, in := range vals {
			want, werr := c.decode([]byte(in))
			got, gerr := r.parseWord(c.word, []byte(in))
			if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
				t.Errorf("type %d %q: error %v, decode's %v", oid, in, gerr, werr)
				continue
			}
			if werr != nil {
				continue
			}
			if g, w := fmt.Sprintf("%T %#v", got, got), fmt.Sprintf("%T %#v", want, want); g != w {
				t.Errorf("type %d %q: %s, decode gives %s", oid, in, g, w)
			}
			if f, ok := want.(float64); ok && math.Float64bits(f) != math.Float64bits(got.(float64)) {
				t.Errorf("type %d %q: bits of %v differ from decode's %v", oid, in, got, want)
			}
		}
	}
	for w := notWord + 1; w <= wordTimestampMicros; w++ {
		if !seen[w] {
			t.Errorf("word kind %d not tested", w)
		}
	}
}
