package avro

import (
	"encoding/json"
	"errors"
	"testing"
)

func mustParse(t *testing.T, s string) *Type {
	t.Helper()
	typ, err := Parse(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return typ
}

func TestCanRead(t *testing.T) {
	v1 := `{"type":"record","name":"V","namespace":"n","fields":[{"name":"a","type":"int"}]}`
	for name, tc := range map[string]struct {
		reader, writer string
		ok             bool
	}{
		"same":              {v1, v1, true},
		"add optional":      {`{"type":"record","name":"V","fields":[{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}]}`, v1, true},
		"add required":      {`{"type":"record","name":"V","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}`, v1, false},
		"drop field":        {`{"type":"record","name":"V","fields":[]}`, v1, true},
		"promote int long":  {`{"type":"record","name":"V","fields":[{"name":"a","type":"long"}]}`, v1, true},
		"narrow long int":   {v1, `{"type":"record","name":"V","fields":[{"name":"a","type":"long"}]}`, false},
		"renamed record":    {`{"type":"record","name":"W","fields":[{"name":"a","type":"int"}]}`, v1, false},
		"alias record":      {`{"type":"record","name":"W","namespace":"n","aliases":["V"],"fields":[{"name":"a","type":"int"}]}`, v1, true},
		"nullable widening": {`{"type":"record","name":"V","fields":[{"name":"a","type":["null","int"]}]}`, v1, true},
		"nullable narrow":   {v1, `{"type":"record","name":"V","fields":[{"name":"a","type":["null","int"]}]}`, false},
		"enum add symbol":   {`{"type":"enum","name":"E","symbols":["A","B"]}`, `{"type":"enum","name":"E","symbols":["A"]}`, true},
		"enum drop symbol":  {`{"type":"enum","name":"E","symbols":["A"]}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, false},
		"recursive":         {`{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}`, `{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}`, true},
	} {
		err := CanRead(mustParse(t, tc.reader), mustParse(t, tc.writer))
		if (err == nil) != tc.ok {
			t.Errorf("%s: CanRead = %v, want ok=%v", name, err, tc.ok)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{`nope`, `"Unknown"`, `{"type":"record","fields":[]}`, `[["int"]]`,
		`{"type":"record","name":"A","fields":[{"name":"x","type":"A"},{"name":"y","type":{"type":"record","name":"A","fields":[]}}]}`} {
		if _, err := Parse(s); !errors.Is(err, ErrSchema) {
			t.Errorf("Parse(%s) = %v, want ErrSchema", s, err)
		}
	}
}

func TestCheck(t *testing.T) {
	typ := mustParse(t, `{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"long"}},{"name":"u","type":["null","string"]}]}`)
	for name, tc := range map[string]struct {
		data []byte
		n    int
		ok   bool
	}{
		"empty array null":  {[]byte{0, 0}, 2, true},
		"two items, string": {[]byte{4, 2, 4, 0, 2, 2, 'x'}, 7, true},
		"huge block count":  {[]byte{0xfe, 0xff, 0xff, 0xff, 0x0f, 0}, 0, false},
		"negative block":    {[]byte{3, 4, 2, 4, 0, 0}, 6, true},
		"bad union":         {[]byte{0, 6}, 0, false},
		"string too long":   {[]byte{0, 2, 20, 'x'}, 0, false},
		"truncated":         {[]byte{2}, 0, false},
		"trailing is fine":  {[]byte{0, 0, 9}, 2, true},
	} {
		n, err := typ.Check(tc.data)
		if (err == nil) != tc.ok || (tc.ok && n != tc.n) {
			t.Errorf("%s: Check = %d, %v; want %d ok=%v", name, n, err, tc.n, tc.ok)
		}
	}
}

func TestPropsAndDefaults(t *testing.T) {
	typ := mustParse(t, `{"type":"record","name":"R","connect.name":"n.R","fields":[
		{"name":"a","type":{"type":"int","connect.type":"int16"},"default":9007199254740993},
		{"name":"b","type":["null",{"type":"bytes","scale":2,"logicalType":"decimal"}],"default":null},
		{"name":"c","type":"string"},
		{"name":"d","type":["null","R"],"default":null},
		{"name":"e","type":{"type":"fixed","name":"F","size":4}}]}`)
	if typ.Props["connect.name"] != "n.R" {
		t.Errorf("record props %v", typ.Props)
	}
	a := typ.Fields[0]
	if a.Type.Props["connect.type"] != "int16" || !a.HasDefault || a.Default != json.Number("9007199254740993") {
		t.Errorf("field a: props %v, default %#v", a.Type.Props, a.Default)
	}
	b := typ.Fields[1]
	if dec := b.Type.Branches[1]; dec.Props["logicalType"] != "decimal" || dec.Props["scale"] != json.Number("2") ||
		!b.HasDefault || b.Default != nil {
		t.Errorf("field b: %+v", b)
	}
	if c := typ.Fields[2]; c.Type.Props != nil || c.HasDefault {
		t.Errorf("field c: %+v", c)
	}
	if e := typ.Fields[4]; e.Type.Size != 4 {
		t.Errorf("fixed size %d", e.Type.Size)
	}
}
