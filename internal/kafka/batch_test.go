package kafka

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// batchMessages returns records of every shape a batch holds: null and empty keys and
// values, headers with null values, and distinct timestamps (or none).
func batchMessages(withTime bool) []kafka.Message {
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	var msgs []kafka.Message
	for i := range 300 {
		m := kafka.Message{Key: fmt.Appendf(nil, "key-%d", i), Value: fmt.Appendf(nil, "value %d %0200d", i, i)}
		switch i % 7 {
		case 1:
			m.Key = nil
		case 2:
			m.Value = nil // a tombstone
		case 3:
			m.Key, m.Value = []byte{}, []byte{}
		case 4:
			m.Headers = []kafka.Header{{Key: "h", Value: []byte("v")}, {Key: "null", Value: nil}, {Key: "", Value: []byte{}}}
		}
		if withTime {
			m.Time = base.Add(time.Duration(i%50) * time.Millisecond) // not in order
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func allIndexes(n int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	return idx
}

// Uncompressed, a batch is byte for byte what kafka-go's own produce request holds.
func TestBatchMatchesKafkaGo(t *testing.T) {
	msgs := batchMessages(true)
	e := &batchEncoder{}
	got, err := e.encode([]byte("prefix"), msgs, allIndexes(len(msgs)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatalf("encode dropped what dst held")
	}
	got = got[len("prefix"):]
	var records []protocol.Record
	for i, m := range msgs {
		r := protocol.Record{Offset: int64(i), Time: m.Time, Key: protocol.NewBytes(m.Key), Value: protocol.NewBytes(m.Value)}
		for _, h := range m.Headers {
			r.Headers = append(r.Headers, protocol.Header(h))
		}
		records = append(records, r)
	}
	rs := protocol.RecordSet{Version: 2, Records: protocol.NewRecordReader(records...)}
	var want bytes.Buffer
	if _, err := rs.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("batch differs from kafka-go's:\n got %x\nwant %x", got[:min(len(got), 120)], want.Bytes()[:min(want.Len(), 120)])
	}
}

// Every codec's batch reads back, with kafka-go's reader and its codecs (pierrec/lz4's
// frame reader for lz4), as the records written: batches of a few bytes, of mixed
// records, and an incompressible one larger than an lz4 block.
func TestBatchRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	big := make([]kafka.Message, 6)
	for i := range big {
		v := make([]byte, 1<<20)
		for j := range v {
			v[j] = byte(rnd.IntN(256))
		}
		big[i] = kafka.Message{Key: fmt.Appendf(nil, "big-%d", i), Value: v}
	}
	sets := map[string][]kafka.Message{
		"one":          {{Key: []byte("k"), Value: []byte("v")}},
		"mixed":        batchMessages(false),
		"mixed-times":  batchMessages(true),
		"6MiB-random":  big,
		"tombstone":    {{Key: []byte("k")}},
		"empty-values": {{Key: []byte{}, Value: []byte{}}},
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	for _, name := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		codec, err := Compression(name)
		if err != nil {
			t.Fatal(err)
		}
		e := &batchEncoder{codec: codec}
		for set, msgs := range sets {
			b, err := e.encode(nil, msgs, allIndexes(len(msgs)), now)
			if err != nil {
				t.Fatalf("%s %s: %v", name, set, err)
			}
			var rs protocol.RecordSet
			if _, err := rs.ReadFrom(bytes.NewReader(b)); err != nil {
				t.Fatalf("%s %s: read back: %v", name, set, err)
			}
			if rs.Version != 2 || rs.Attributes.Compression() != codec {
				t.Errorf("%s %s: version %d, compression %v", name, set, rs.Version, rs.Attributes.Compression())
			}
			for i := 0; ; i++ {
				r, err := rs.Records.ReadRecord()
				if err == io.EOF {
					if i != len(msgs) {
						t.Errorf("%s %s: read %d records, want %d", name, set, i, len(msgs))
					}
					break
				}
				if err != nil {
					t.Fatalf("%s %s: record %d: %v", name, set, i, err)
				}
				m := msgs[i]
				wantTime := now.Truncate(time.Millisecond)
				if !m.Time.IsZero() {
					wantTime = m.Time
				}
				key, value := readAll(t, r.Key), readAll(t, r.Value)
				if r.Offset != int64(i) || !r.Time.Equal(wantTime) || !sameBytes(key, m.Key) || !sameBytes(value, m.Value) {
					t.Fatalf("%s %s: record %d: offset %d, time %v, key %q, value of %d bytes; want %d, %v, %q, %d bytes",
						name, set, i, r.Offset, r.Time, key, len(value), i, wantTime, m.Key, len(m.Value))
				}
				var hs []kafka.Header
				for _, h := range r.Headers {
					hs = append(hs, kafka.Header(h))
				}
				if !slices.EqualFunc(hs, m.Headers, func(a, b kafka.Header) bool { return a.Key == b.Key && sameBytes(a.Value, b.Value) }) {
					t.Fatalf("%s %s: record %d: headers %v, want %v", name, set, i, hs, m.Headers)
				}
			}
		}
	}
}

// sameBytes tells nil (null) from empty.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func readAll(t *testing.T, b protocol.Bytes) []byte {
	t.Helper()
	if b == nil {
		return nil
	}
	out, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// The LZ4 frame's header is the one pierrec/lz4 writes for the same options, header
// checksum included.
func TestLZ4FrameHeader(t *testing.T) {
	var b bytes.Buffer
	w := lz4.NewWriter(&b)
	if err := w.Apply(lz4.BlockSizeOption(lz4.Block4Mb), lz4.ChecksumOption(false), lz4.BlockChecksumOption(false)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("some data")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := b.Bytes()[:len(lz4FrameHeader)]; !bytes.Equal(got, lz4FrameHeader[:]) {
		t.Errorf("pierrec/lz4 frame header % x, ours % x", got, lz4FrameHeader)
	}
}

func TestEncodeNoRecords(t *testing.T) {
	if _, err := (&batchEncoder{}).encode(nil, nil, nil, time.Now()); err == nil {
		t.Error("encode of no records succeeded")
	}
}
