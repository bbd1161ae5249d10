package transform

import (
	"math"
	"math/big"
	"testing"

	"github.com/google/cel-go/common/types"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// TestFastFilter checks the fast path against CEL's interpreter: on every expression and
// row, what the fast path decides is what CEL evaluates to.
func TestFastFilter(t *testing.T) {
	table := &event.Table{ID: event.TableID{Schema: "public", Table: "f"}, Columns: []event.Column{
		{Name: "i", Type: event.Type{Kind: event.KindInt32}, Optional: true},
		{Name: "l", Type: event.Type{Kind: event.KindInt64}, Optional: true},
		{Name: "f", Type: event.Type{Kind: event.KindFloat64}, Optional: true},
		{Name: "g", Type: event.Type{Kind: event.KindFloat32}, Optional: true},
		{Name: "d", Type: event.Type{Kind: event.KindDecimal, Scale: 2}, Optional: true},
		{Name: "s", Type: event.Type{Kind: event.KindString}, Optional: true},
		{Name: "b", Type: event.Type{Kind: event.KindBoolean}, Optional: true},
	}}
	values := [][]any{
		{int32(0), int64(0), 0.0, float32(0), big.NewRat(0, 1), "", false},
		{int32(5), int64(-5), 2.5, float32(2.5), big.NewRat(250, 100), "draft", true},
		{int32(-7), int64(math.MaxInt64), math.NaN(), float32(math.Inf(1)), big.NewRat(-1, 3), "paid", false},
		{nil, nil, nil, nil, nil, nil, nil},
		{event.Unavailable, event.Unavailable, event.Unavailable, event.Unavailable, event.Unavailable, event.Unavailable, event.Unavailable},
		{int32(6), int64(5), math.Copysign(0, -1), float32(-1), big.NewRat(3, 1), "Draft", true},
	}
	exprs := []string{
		"row.i > 5", "row.i >= 5", "row.i < 5", "row.i <= 5", "row.i == 5", "row.i != 5",
		"5 < row.i", "5 >= row.i", "-7 == row.i", "row.l > 0", "row.l == 9223372036854775807",
		"row.f > 1.0", "row.f == 2.5", "row.f != 2.5", "2.5 <= row.f", "row.g < 3.0", "row.d >= 2.5", "row.d == 3.0",
		"row.s == 'draft'", "row.s != 'draft'", "row.s < 'p'", "'paid' > row.s", "row.b == true", "row.b != false",
		"row.s == null", "row.i != null", "null == row.d",
		"row.s != 'draft' && row.i >= 0", "row.s == 'draft' || row.i > 5", "!(row.i > 5)", "!(row.s == 'x') && (row.f < 3.0 || row.b == true)",
		"before.i == after.i", "before.s == 'draft' && after.s != 'draft'", "after.i > 5 || before.i > 5",
		"row.s.startsWith('d')", "size(row.s) > 2 && row.i > 1",
	}
	// Shapes the fast path leaves to CEL: two columns compared, functions.
	slow := map[string]bool{"before.i == after.i": true, "row.s.startsWith('d')": true, "size(row.s) > 2 && row.i > 1": true}
	for _, expr := range exprs {
		f, err := NewFilter(nil, expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		s, err := f.Bind(table)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		ft := s.(*filterStep).t
		if (ft.fast == nil) != slow[expr] {
			t.Errorf("%s: fast path %v, want %v", expr, ft.fast != nil, !slow[expr])
		}
		decided := 0
		for _, op := range []event.Op{event.OpCreate, event.OpUpdate, event.OpDelete} {
			for bi, before := range values {
				for ai, after := range values {
					c := &event.Change{Table: table, Op: op, Before: before, After: after}
					switch op {
					case event.OpCreate:
						c.Before = nil
					case event.OpDelete:
						c.After = nil
					}
					a := &activation{
						before: rowMap{t: ft, row: c.Before}, after: rowMap{t: ft, row: c.After},
						op: types.String(op), table: ft.tableVal, source: sourceMap{s: &c.Source}, vars: ft.vars,
					}
					a.row = a.after
					if op == event.OpDelete {
						a.row = a.before
					}
					out, _, celErr := ft.prg.Eval(a)
					if ft.fast == nil {
						continue
					}
					r := ft.fast(a)
					if r == fastUndecided {
						continue
					}
					decided++
					if celErr != nil || out != types.Bool(r == fastTrue) {
						t.Errorf("%s, %s, before %d, after %d: fast path %v, CEL %v %v", expr, op, bi, ai, r == fastTrue, out, celErr)
					}
				}
			}
		}
		if ft.fast != nil && decided == 0 {
			t.Errorf("%s: the fast path decided nothing", expr)
		}
	}
}
