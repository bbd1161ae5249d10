package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// allTypes is a table with a column of every kind a source produces; id is the key.
var allTypes = &event.Table{
	ID: event.TableID{Database: "db", Schema: "public", Table: "all"},
	Columns: []event.Column{
		{Name: "id", Type: event.Type{Kind: event.KindInt64}},
		{Name: "b", Type: event.Type{Kind: event.KindBoolean}, Optional: true},
		{Name: "i8", Type: event.Type{Kind: event.KindInt8}, Optional: true},
		{Name: "i16", Type: event.Type{Kind: event.KindInt16}, Optional: true},
		{Name: "i32", Type: event.Type{Kind: event.KindInt32}, Optional: true},
		{Name: "i64", Type: event.Type{Kind: event.KindInt64}, Optional: true},
		{Name: "f32", Type: event.Type{Kind: event.KindFloat32}, Optional: true},
		{Name: "f64", Type: event.Type{Kind: event.KindFloat64}, Optional: true},
		{Name: "s", Type: event.Type{Kind: event.KindString, SourceType: "varchar(20)"}, Optional: true},
		{Name: "by", Type: event.Type{Kind: event.KindBytes}, Optional: true},
		{Name: "dec", Type: event.Type{Kind: event.KindDecimal, Precision: 10, Scale: 2}, Optional: true},
		{Name: "vd", Type: event.Type{Kind: event.KindVarDecimal, Name: "io.debezium.data.VariableScaleDecimal"}, Optional: true},
		{Name: "arr", Type: event.Type{Kind: event.KindArray, Elem: &event.Type{Kind: event.KindString}}, Optional: true},
	},
	Key: []int{0},
}

// value is a sample of each column of allTypes, and its text as hash reads it.
var samples = []struct {
	col  string
	v    any
	text string
}{
	{"id", int64(7), "7"},
	{"b", true, "true"},
	{"i8", int32(-8), "-8"},
	{"i16", int32(1600), "1600"},
	{"i32", int32(320000), "320000"},
	{"i64", int64(-64000000000), "-64000000000"},
	{"f32", float32(1.5), "1.5"},
	{"f64", 2.25, "2.25"},
	{"s", "héllo wörld", "héllo wörld"},
	{"by", []byte{0xde, 0xad, 0xbe, 0xef}, "\xde\xad\xbe\xef"},
	{"dec", big.NewRat(1250, 100), "12.50"},
	{"vd", event.VarDecimal{Scale: 3, Unscaled: big.NewInt(-12345)}, "-12.345"},
	{"arr", []any{"a", nil, "c"}, "[a,null,c]"},
}

// sampleRow returns a full row of allTypes.
func sampleRow() []any {
	row := make([]any, len(allTypes.Columns))
	for _, s := range samples {
		row[allTypes.ColumnIndex(s.col)] = s.v
	}
	return row
}

func change(t *event.Table, op event.Op, before, after []any) *event.Change {
	return &event.Change{Table: t, Op: op, Before: before, After: after, Source: event.Source{
		Connector: "postgresql", Name: "shop", DB: "db", Schema: t.ID.Schema, Table: t.ID.Table,
		Commit: time.UnixMilli(1_700_000_000_123), LSN: 42, TxID: 9,
	}}
}

// apply runs one transform on c and checks that c is left as it was.
func apply(t *testing.T, tr Transform, c *event.Change) (*event.Change, bool, error) {
	t.Helper()
	before := deepCopy(c)
	out, keep, err := NewChain("transforms", tr).Apply(c)
	if !reflect.DeepEqual(before, deepCopy(c)) {
		t.Fatalf("the input change was modified")
	}
	return out, keep, err
}

func deepCopy(c *event.Change) event.Change {
	cp := *c
	cp.Before = append([]any(nil), c.Before...)
	cp.After = append([]any(nil), c.After...)
	if c.Before == nil {
		cp.Before = nil
	}
	if c.After == nil {
		cp.After = nil
	}
	return cp
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestMask(t *testing.T) {
	var cols []string // every column but the key
	for _, c := range allTypes.Columns[1:] {
		cols = append(cols, "public.all."+c.Name)
	}
	m := must[*Mask](t)(NewMask(cols, "", 4))
	cases := []struct {
		name string
		in   []any
	}{
		{"values", sampleRow()},
		{"nulls", func() []any { r := make([]any, len(allTypes.Columns)); r[0] = int64(1); return r }()},
		{"unavailable", func() []any {
			r := sampleRow()
			r[allTypes.ColumnIndex("s")] = event.Unavailable
			return r
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, keep, err := apply(t, m, change(allTypes, event.OpUpdate, tc.in, tc.in))
			if err != nil || !keep {
				t.Fatalf("keep %v err %v", keep, err)
			}
			for i, col := range out.Table.Columns {
				for _, row := range [][]any{out.Before, out.After} {
					want := any("****")
					if i == 0 {
						want = tc.in[0]
					} else if tc.in[i] == nil || tc.in[i] == event.Unavailable {
						want = tc.in[i]
					}
					if row[i] != want {
						t.Errorf("column %s = %#v, want %#v", col.Name, row[i], want)
					}
				}
				if i > 0 && col.Type.Kind != event.KindString {
					t.Errorf("column %s is %s in the output shape, want string", col.Name, col.Type.Kind)
				}
			}
		})
	}
	if _, err := NewMask([]string{"public.all.s"}, "x", 3); err == nil {
		t.Error("with and chars together: no error")
	}
	if _, err := NewMask([]string{"public.all.s"}, "", 0); err == nil {
		t.Error("neither with nor chars: no error")
	}
	fixed := must[*Mask](t)(NewMask([]string{"public.all.s"}, "<redacted>", 0))
	out, _, _ := apply(t, fixed, change(allTypes, event.OpCreate, nil, sampleRow()))
	if got := out.After[allTypes.ColumnIndex("s")]; got != "<redacted>" {
		t.Errorf("fixed mask gave %v", got)
	}
	key := must[*Mask](t)(NewMask([]string{"public.all.id"}, "x", 0))
	if _, _, err := apply(t, key, change(allTypes, event.OpCreate, nil, sampleRow())); err == nil || !strings.Contains(err.Error(), "transforms[0] (mask): public.all: column id is in the table's key") {
		t.Errorf("masking a key column: %v", err)
	}
	unknown := must[*Mask](t)(NewMask([]string{"public.all.emial"}, "x", 0))
	if _, _, err := apply(t, unknown, change(allTypes, event.OpCreate, nil, sampleRow())); err == nil || !strings.Contains(err.Error(), `no column "emial"`) {
		t.Errorf("unknown column: %v", err)
	}
}

func TestHash(t *testing.T) {
	h := must[*Hash](t)(NewHash([]string{"public.all.*"}, "sha256", "pepper"))
	row := sampleRow()
	out, keep, err := apply(t, h, change(allTypes, event.OpCreate, nil, row))
	if err != nil || !keep {
		t.Fatalf("keep %v err %v", keep, err)
	}
	for _, s := range samples {
		t.Run(s.col, func(t *testing.T) {
			sum := sha256.Sum256([]byte("pepper" + s.text))
			want := hex.EncodeToString(sum[:])
			i := allTypes.ColumnIndex(s.col)
			if got := out.After[i]; got != want {
				t.Errorf("hash of %#v = %v, want sha256(pepper + %q) = %s", s.v, got, s.text, want)
			}
			if k := out.Table.Columns[i].Type; k.Kind != event.KindString || k.SourceType != "" {
				t.Errorf("output type %+v, want a plain string", k)
			}
			if out.Table.Columns[i].Optional != allTypes.Columns[i].Optional {
				t.Error("optional changed")
			}
		})
	}
	// Nulls and unsent values stay as they are.
	nulls := make([]any, len(allTypes.Columns))
	nulls[0] = int64(1)
	nulls[1] = event.Unavailable
	out, _, _ = apply(t, h, change(allTypes, event.OpDelete, nulls, nil))
	if out.Before[1] != event.Unavailable || out.Before[2] != nil || out.After != nil {
		t.Errorf("nulls: %v", out.Before)
	}
	// The same value hashes the same: the key stays a key.
	if !reflect.DeepEqual(out.Table.Key, []int{0}) {
		t.Errorf("key %v", out.Table.Key)
	}
	h512 := must[*Hash](t)(NewHash([]string{"public.all.s"}, "sha512", "pepper"))
	out, _, _ = apply(t, h512, change(allTypes, event.OpCreate, nil, sampleRow()))
	if got := out.After[allTypes.ColumnIndex("s")].(string); len(got) != 128 {
		t.Errorf("sha512 gave %q", got)
	}
	for _, tc := range []struct{ algorithm, salt, err string }{
		{"sha256", "", "salt is required"},
		{"md5", "x", `algorithm "md5"`},
	} {
		if _, err := NewHash([]string{"public.all.s"}, tc.algorithm, tc.salt); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("NewHash(%s, %q): %v, want %s", tc.algorithm, tc.salt, err, tc.err)
		}
	}
}

func TestTruncate(t *testing.T) {
	tr := must[*Truncate](t)(NewTruncate([]string{"public.all.s", "public.all.by"}, 4))
	cases := []struct {
		name      string
		s, by     any
		wantS     any
		wantBytes any
	}{
		{"long", "héllo wörld", []byte("abcdef"), "héll", []byte("abcd")},
		{"short", "hé", []byte("ab"), "hé", []byte("ab")},
		{"exact", "abcd", []byte("abcd"), "abcd", []byte("abcd")},
		{"multibyte", "日本語テキスト", []byte{1, 2, 3, 4, 5}, "日本語テ", []byte{1, 2, 3, 4}},
		{"null", nil, nil, nil, nil},
		{"unavailable", event.Unavailable, event.Unavailable, event.Unavailable, event.Unavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			row := sampleRow()
			row[allTypes.ColumnIndex("s")], row[allTypes.ColumnIndex("by")] = tc.s, tc.by
			out, _, err := apply(t, tr, change(allTypes, event.OpCreate, nil, row))
			if err != nil {
				t.Fatal(err)
			}
			if got := out.After[allTypes.ColumnIndex("s")]; !reflect.DeepEqual(got, tc.wantS) {
				t.Errorf("s = %#v, want %#v", got, tc.wantS)
			}
			if got := out.After[allTypes.ColumnIndex("by")]; !reflect.DeepEqual(got, tc.wantBytes) {
				t.Errorf("by = %#v, want %#v", got, tc.wantBytes)
			}
			if out.Table != allTypes {
				t.Error("truncate changed the shape")
			}
		})
	}
	bad := must[*Truncate](t)(NewTruncate([]string{"public.all.i32"}, 4))
	if _, _, err := apply(t, bad, change(allTypes, event.OpCreate, nil, sampleRow())); err == nil || !strings.Contains(err.Error(), "column i32: is int32, not a string or bytes column") {
		t.Errorf("truncating an int: %v", err)
	}
	if _, err := NewTruncate([]string{"public.all.s"}, 0); err == nil {
		t.Error("length 0: no error")
	}
}

func TestColumns(t *testing.T) {
	cases := []struct {
		name             string
		include, exclude []string
		want             []string // output columns
		err              string
	}{
		{name: "exclude", exclude: []string{"public.all.s", "public.all.i[0-9]*"}, want: []string{"id", "b", "f32", "f64", "by", "dec", "vd", "arr"}},
		{name: "include", include: []string{"public.all.id", "public.all.s"}, want: []string{"id", "s"}},
		{name: "include other table", include: []string{"public.other.x"}, want: nil},
		{name: "include and exclude", include: []string{"public.all.*"}, exclude: []string{"public.all.arr"}, want: []string{"id", "b", "i8", "i16", "i32", "i64", "f32", "f64", "s", "by", "dec", "vd"}},
		{name: "key", exclude: []string{"public.all.id"}, err: "column id is in the table's key and cannot be dropped"},
		{name: "unknown", exclude: []string{"public.all.nope"}, err: `no column "nope"`},
		{name: "glob matching none", exclude: []string{"public.all.zz*"}, want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := must[*Columns](t)(NewColumns("columns", tc.include, tc.exclude))
			row := sampleRow()
			out, _, err := apply(t, c, change(allTypes, event.OpUpdate, row, row))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if out.Table != allTypes {
					t.Error("shape changed")
				}
				return
			}
			var names []string
			for i, col := range out.Table.Columns {
				names = append(names, col.Name)
				for _, img := range [][]any{out.Before, out.After} {
					if !reflect.DeepEqual(img[i], row[allTypes.ColumnIndex(col.Name)]) {
						t.Errorf("column %s = %v", col.Name, img[i])
					}
				}
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("columns %v, want %v", names, tc.want)
			}
			if len(out.After) != len(tc.want) || len(out.Before) != len(tc.want) {
				t.Errorf("rows have %d, %d values", len(out.Before), len(out.After))
			}
			if k := out.Table.Key; len(k) != 1 || out.Table.Columns[k[0]].Name != "id" {
				t.Errorf("key %v", k)
			}
		})
	}
	if _, err := NewColumns("columns", nil, nil); err == nil {
		t.Error("no lists: no error")
	}
	if _, err := NewColumns("drop_columns", nil, []string{"all.s"}); err == nil {
		t.Error("a two-part column: no error")
	}
}

func TestRename(t *testing.T) {
	cases := []struct {
		name   string
		tr     func() (*Rename, error)
		wantID event.TableID
		col    string // the renamed column's new name, at index of s
		err    string
	}{
		{name: "table", tr: func() (*Rename, error) { return NewRenameTable("public.all", "all_v2") }, wantID: event.TableID{Database: "db", Schema: "public", Table: "all_v2"}},
		{name: "table and schema", tr: func() (*Rename, error) { return NewRenameTable("public.all", "archive.everything") }, wantID: event.TableID{Database: "db", Schema: "archive", Table: "everything"}},
		{name: "other table", tr: func() (*Rename, error) { return NewRenameTable("public.other", "x") }, wantID: allTypes.ID},
		{name: "column", tr: func() (*Rename, error) { return NewRenameColumn("public.all.s", "text") }, wantID: allTypes.ID, col: "text"},
		{name: "column of a glob", tr: func() (*Rename, error) { return NewRenameColumn("*.*.s", "text") }, wantID: allTypes.ID, col: "text"},
		{name: "unknown column", tr: func() (*Rename, error) { return NewRenameColumn("public.all.zz", "text") }, err: `no column "zz"`},
		{name: "collision", tr: func() (*Rename, error) { return NewRenameColumn("public.all.s", "b") }, err: "the table has a column b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := must[*Rename](t)(tc.tr())
			row := sampleRow()
			out, _, err := apply(t, r, change(allTypes, event.OpCreate, nil, row))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Table.ID != tc.wantID {
				t.Errorf("id %+v, want %+v", out.Table.ID, tc.wantID)
			}
			if tc.col != "" && out.Table.Columns[allTypes.ColumnIndex("s")].Name != tc.col {
				t.Errorf("columns %s", columnNames(out.Table))
			}
			if allTypes.Columns[allTypes.ColumnIndex("s")].Name != "s" {
				t.Fatal("the input table was changed")
			}
			if !reflect.DeepEqual(out.After, row) {
				t.Error("rename changed values")
			}
		})
	}
	for _, bad := range [][2]string{{"public.*", "x"}, {"public.all", ""}, {"public.all", "a.b.c"}, {"all", "x"}} {
		if _, err := NewRenameTable(bad[0], bad[1]); err == nil {
			t.Errorf("rename %q to %q: no error", bad[0], bad[1])
		}
	}
}

func TestRoute(t *testing.T) {
	shard := func(name string, key bool) *event.Table {
		tb := &event.Table{ID: event.TableID{Database: "shop", Table: name}, Columns: []event.Column{
			{Name: "id", Type: event.Type{Kind: event.KindInt32}},
			{Name: "v", Type: event.Type{Kind: event.KindString}, Optional: true},
		}}
		if key {
			tb.Key = []int{0}
		}
		return tb
	}
	r := must[*Route](t)(NewRoute("pfx", `pfx\.shop\.orders_\d+`, "pfx.shop.orders", DefaultKeyField))
	cases := []struct {
		name      string
		table     *event.Table
		wantTable string
		wantRow   []any
		wantKey   []int
	}{
		{"shard 1", shard("orders_1", true), "orders", []any{int32(1), "x", "pfx.shop.orders_1"}, []int{0, 2}},
		{"shard 22", shard("orders_22", true), "orders", []any{int32(1), "x", "pfx.shop.orders_22"}, []int{0, 2}},
		{"keyless shard", shard("orders_3", false), "orders", []any{int32(1), "x"}, nil},
		{"not matched", shard("orders_x", true), "orders_x", []any{int32(1), "x"}, []int{0}},
		{"null value", shard("orders_4", true), "orders", []any{int32(1), nil, "pfx.shop.orders_4"}, []int{0, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := []any{int32(1), "x"}
			if tc.name == "null value" {
				in[1] = nil
			}
			out, _, err := apply(t, r, change(tc.table, event.OpUpdate, in, in))
			if err != nil {
				t.Fatal(err)
			}
			if out.Table.ID.Table != tc.wantTable || out.Table.ID.Database != "shop" {
				t.Errorf("table %+v", out.Table.ID)
			}
			if !reflect.DeepEqual(out.After, tc.wantRow) || !reflect.DeepEqual(out.Before, tc.wantRow) {
				t.Errorf("rows %v %v, want %v", out.Before, out.After, tc.wantRow)
			}
			if !reflect.DeepEqual(out.Table.Key, tc.wantKey) {
				t.Errorf("key %v, want %v", out.Table.Key, tc.wantKey)
			}
		})
	}
	// Two shards' rows with the same id have different keys.
	ch := NewChain("transforms", r)
	a, _, _ := ch.Apply(change(shard("orders_1", true), event.OpCreate, nil, []any{int32(5), "a"}))
	b, _, _ := ch.Apply(change(shard("orders_2", true), event.OpCreate, nil, []any{int32(5), "b"}))
	if reflect.DeepEqual(a.Key(), b.Key()) {
		t.Errorf("keys collide: %v", a.Key())
	}
	bad := must[*Route](t)(NewRoute("pfx", `pfx\.shop\.(.*)`, "elsewhere.$1", ""))
	if _, _, err := apply(t, bad, change(shard("t", true), event.OpCreate, nil, []any{int32(1), "x"})); err == nil || !strings.Contains(err.Error(), "not pfx.<namespace>.<table>") {
		t.Errorf("route out of the prefix: %v", err)
	}
	if _, err := NewRoute("pfx", `(`, "x", ""); err == nil {
		t.Error("bad regex: no error")
	}
	clash := must[*Route](t)(NewRoute("pfx", `pfx\.shop\.t`, "pfx.shop.u", "v"))
	if _, _, err := apply(t, clash, change(shard("t", true), event.OpCreate, nil, []any{int32(1), "x"})); err == nil || !strings.Contains(err.Error(), "already has a column v") {
		t.Errorf("key field clash: %v", err)
	}
}

func TestFilter(t *testing.T) {
	row := sampleRow()
	cases := []struct {
		where  string
		op     event.Op
		before []any
		after  []any
		keep   bool
		err    string
	}{
		{where: "row.b", err: "not a boolean"}, // dyn, not bool
		{where: "row.b == true", op: "c", after: row, keep: true},
		{where: "row.i8 == -8 && row.i16 == 1600 && row.i32 > 300000 && row.i64 < 0", op: "c", after: row, keep: true},
		{where: "row.f32 == 1.5 && row.f64 > 2.0", op: "c", after: row, keep: true},
		{where: "row.s.startsWith('hé')", op: "c", after: row, keep: true},
		{where: "row.by == b'\\xde\\xad\\xbe\\xef'", op: "c", after: row, keep: true},
		{where: "row.dec == 12.5 && row.vd < -12.0", op: "c", after: row, keep: true},
		{where: "'c' in row.arr && size(row.arr) == 3 && row.arr[1] == null", op: "c", after: row, keep: true},
		{where: "after.s != 'héllo wörld'", op: "c", after: row, keep: false},
		{where: "after.s != 'draft'", op: "d", before: row, keep: true}, // no after: null != 'draft'
		{where: "row.s == 'héllo wörld'", op: "d", before: row, keep: true},
		{where: "before.s == null", op: "c", after: row, keep: true},
		{where: "op == 'u' && before.i32 != after.i32", op: "u", before: row, after: func() []any { r := sampleRow(); r[4] = int32(1); return r }(), keep: true},
		{where: "table == 'public.all' && source.ts_ms == 1700000000123 && source.table == 'all' && source.lsn == 42", op: "c", after: row, keep: true},
		{where: "row.s == null", op: "c", after: make([]any, len(row)), keep: true},
		{where: "has(row.s) && !has(row.nope)", op: "c", after: row, keep: true},
		{where: "row.nope == 1", err: `no column "nope"`},
		{where: "row.s == ", err: "Syntax error"},
		{where: "row.s + 1 == 2", op: "c", after: row, err: "found no matching overload for '_+_' applied to '(wrapper(string), int)'"}, // known once the shape is
		{where: "int(row.s) == 2", op: "c", after: row, err: "type conversion error"},                                                   // at evaluation
		{where: "op != 't' && row.i32 > 0", op: "t", keep: true},                                                                        // truncates pass
		{where: "row.i32 > 0", op: "d", before: make([]any, len(row)), err: "no such overload"},
		{where: "row.i32 == null || row.i32 > 0", op: "d", before: make([]any, len(row)), keep: true},
	}
	for _, tc := range cases {
		t.Run(tc.where, func(t *testing.T) {
			f, err := NewFilter(nil, tc.where)
			if err != nil {
				if tc.err == "" || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("NewFilter: %v, want %q", err, tc.err)
				}
				return
			}
			_, keep, err := apply(t, f, change(allTypes, tc.op, tc.before, tc.after))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				if !strings.HasPrefix(err.Error(), "transforms[0] (filter): public.all") {
					t.Errorf("error does not name the transform and table: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if keep != tc.keep {
				t.Errorf("keep %v, want %v", keep, tc.keep)
			}
		})
	}
	// Tables limits the filter.
	f := must[*Filter](t)(NewFilter([]string{"public.other"}, "false"))
	if _, keep, _ := apply(t, f, change(allTypes, event.OpCreate, nil, row)); !keep {
		t.Error("a filter of another table dropped a change")
	}
}

func TestSkipOps(t *testing.T) {
	s := must[*SkipOps](t)(NewSkipOps([]string{"d", "t"}))
	for _, tc := range []struct {
		op   event.Op
		keep bool
	}{{event.OpCreate, true}, {event.OpUpdate, true}, {event.OpRead, true}, {event.OpDelete, false}, {event.OpTruncate, false}} {
		_, keep, err := apply(t, s, change(allTypes, tc.op, nil, nil))
		if err != nil || keep != tc.keep {
			t.Errorf("op %s: keep %v err %v", tc.op, keep, err)
		}
	}
	if _, err := NewSkipOps([]string{"x"}); err == nil {
		t.Error("op x: no error")
	}
	if _, err := NewSkipOps(nil); err == nil {
		t.Error("no ops: no error")
	}
}

func TestKeyColumns(t *testing.T) {
	keyless := &event.Table{ID: event.TableID{Schema: "public", Table: "events"}, Columns: []event.Column{
		{Name: "a", Type: event.Type{Kind: event.KindInt32}},
		{Name: "b", Type: event.Type{Kind: event.KindString}, Optional: true},
	}}
	for _, tc := range []struct {
		name string
		keys map[string][]string
		want []int
		err  string
	}{
		{"one", map[string][]string{"public.events": {"a"}}, []int{0}, ""},
		{"two", map[string][]string{"public.ev*": {"b", "a"}}, []int{1, 0}, ""},
		{"other table", map[string][]string{"public.x": {"a"}}, nil, ""},
		{"unknown", map[string][]string{"public.events": {"c"}}, nil, `no column "c"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := must[*KeyColumns](t)(NewKeyColumns(tc.keys))
			out, _, err := apply(t, k, change(keyless, event.OpCreate, nil, []any{int32(1), nil}))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out.Table.Key, tc.want) {
				t.Errorf("key %v, want %v", out.Table.Key, tc.want)
			}
		})
	}
}

func TestUnwrap(t *testing.T) {
	small := &event.Table{ID: event.TableID{Schema: "public", Table: "t"}, Columns: []event.Column{
		{Name: "id", Type: event.Type{Kind: event.KindInt32}},
		{Name: "v", Type: event.Type{Kind: event.KindString}, Optional: true},
	}, Key: []int{0}}
	old, cur := []any{int32(1), "a"}, []any{int32(1), nil}
	const ts = int64(1_700_000_000_123)
	cases := []struct {
		name       string
		deletes    DeleteHandling
		op         event.Op
		before     []any
		after      []any
		keep       bool
		wantOp     event.Op
		wantBefore []any
		wantAfter  []any
	}{
		{"create", DeleteRewrite, "c", nil, cur, true, "c", nil, []any{int32(1), nil, "c", ts, "t", "false"}},
		{"update", DeleteRewrite, "u", old, cur, true, "u", []any{int32(1), "a", "u", ts, "t", "false"}, []any{int32(1), nil, "u", ts, "t", "false"}},
		{"delete rewritten", DeleteRewrite, "d", old, nil, true, "u", nil, []any{int32(1), "a", "d", ts, "t", "true"}},
		{"delete dropped", DeleteDrop, "d", old, nil, false, "", nil, nil},
		{"delete kept", DeleteTombstone, "d", old, nil, true, "d", []any{int32(1), "a", "d", ts, "t"}, nil},
		{"truncate", DeleteRewrite, "t", nil, nil, true, "t", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := must[*Unwrap](t)(NewUnwrap([]string{"op", "source.ts_ms", "table"}, tc.deletes))
			out, keep, err := apply(t, u, change(small, tc.op, tc.before, tc.after))
			if err != nil {
				t.Fatal(err)
			}
			if keep != tc.keep {
				t.Fatalf("keep %v", keep)
			}
			if !keep {
				return
			}
			if out.Op != tc.wantOp || !reflect.DeepEqual(out.Before, tc.wantBefore) || !reflect.DeepEqual(out.After, tc.wantAfter) {
				t.Errorf("got %s %v %v, want %s %v %v", out.Op, out.Before, out.After, tc.wantOp, tc.wantBefore, tc.wantAfter)
			}
			want := "id, v, __op, __source_ts_ms, __table"
			if tc.deletes == DeleteRewrite {
				want += ", __deleted"
			}
			if got := columnNames(out.Table); got != want {
				t.Errorf("columns %s, want %s", got, want)
			}
		})
	}
	if _, err := NewUnwrap([]string{"nope"}, ""); err == nil {
		t.Error("unknown field: no error")
	}
	if _, err := NewUnwrap(nil, "keep"); err == nil {
		t.Error("bad delete handling: no error")
	}
}

func TestChain(t *testing.T) {
	h := must[*Hash](t)(NewHash([]string{"public.all.s"}, "", "salt"))
	d := must[*Columns](t)(NewColumns("drop_columns", nil, []string{"public.all.arr"}))
	f := must[*Filter](t)(NewFilter(nil, "row.i32 > 0"))
	c := NewChain("sinks[0].transforms", h, d, f)
	row := sampleRow()
	a, keep, err := c.Apply(change(allTypes, event.OpUpdate, row, row))
	if err != nil || !keep {
		t.Fatal(keep, err)
	}
	b, _, _ := c.Apply(change(allTypes, event.OpCreate, nil, row))
	if a.Table != b.Table {
		t.Error("the output shape of one input shape is not one *Table")
	}
	if out, _ := c.Table(allTypes); out != a.Table {
		t.Error("Table disagrees with Apply")
	}
	if row[allTypes.ColumnIndex("s")] != "héllo wörld" || len(row) != len(allTypes.Columns) {
		t.Error("the caller's row was changed")
	}
	if len(a.After) != len(allTypes.Columns)-1 {
		t.Errorf("after has %d values", len(a.After))
	}
	neg := sampleRow()
	neg[allTypes.ColumnIndex("i32")] = int32(-1)
	if _, keep, _ := c.Apply(change(allTypes, event.OpCreate, nil, neg)); keep {
		t.Error("the filter kept a row")
	}
	bad := NewChain("sinks[0].transforms", h, must[*Truncate](t)(NewTruncate([]string{"public.all.s"}, 3)), must[*Truncate](t)(NewTruncate([]string{"public.all.b"}, 3)))
	_, _, err = bad.Apply(change(allTypes, event.OpCreate, nil, row))
	if err == nil || err.Error() != "sinks[0].transforms[2] (truncate): public.all: column b: is boolean, not a string or bytes column" {
		t.Errorf("error %v", err)
	}
	// ApplyOwned gives what Apply gives, changing its argument instead of copying it.
	for _, op := range []event.Op{event.OpCreate, event.OpUpdate, event.OpDelete, event.OpTruncate} {
		var before, after []any
		if op != event.OpCreate && op != event.OpTruncate {
			before = sampleRow()
		}
		if op == event.OpCreate || op == event.OpUpdate {
			after = sampleRow()
		}
		in := change(allTypes, op, before, after)
		want, wantKeep, err := c.Apply(in)
		if err != nil {
			t.Fatal(err)
		}
		own := deepCopy(in)
		got, keep, err := c.ApplyOwned(&own)
		if err != nil || keep != wantKeep || (keep && (got != &own || !reflect.DeepEqual(*got, *want))) {
			t.Errorf("%s: ApplyOwned gave %v %v %v, Apply %v %v", op, got, keep, err, want, wantKeep)
		}
	}
	if out, _, _ := NewChain("transforms").Apply(change(allTypes, event.OpCreate, nil, row)); out.Table != allTypes {
		t.Error("an empty chain changed the change")
	}
}
