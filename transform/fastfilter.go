package transform

import (
	"math"
	"math/big"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// A fast filter evaluates the common shape of expressions, columns compared with
// constants joined by &&, || and !, without CEL's interpreter. It decides only what it
// is sure CEL decides alike (the differential test checks this): anything else (an
// error, a NaN, an unsent value) it leaves undecided, and CEL evaluates the expression.
type fastPred func(a *activation) fastResult

type fastResult uint8

const (
	fastFalse fastResult = iota
	fastTrue
	fastUndecided // CEL decides: an error or a value the fast path does not take
)

// fastFilter compiles a checked expression for ft, or returns nil when it has another
// shape.
func fastFilter(a *cel.Ast, ft *filterTable) fastPred {
	return fastExpr(a.NativeRep().Expr(), ft)
}

func fastExpr(e celast.Expr, ft *filterTable) fastPred {
	if e.Kind() != celast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); fn {
	case operators.LogicalAnd, operators.LogicalOr:
		if len(args) != 2 {
			return nil
		}
		l, r := fastExpr(args[0], ft), fastExpr(args[1], ft)
		if l == nil || r == nil {
			return nil
		}
		// CEL: false && x is false, true || x is true, whatever x is; an error on one
		// side is left to CEL.
		if fn == operators.LogicalAnd {
			return func(a *activation) fastResult {
				lv, rv := l(a), r(a)
				switch {
				case lv == fastFalse || rv == fastFalse:
					return fastFalse
				case lv == fastTrue && rv == fastTrue:
					return fastTrue
				}
				return fastUndecided
			}
		}
		return func(a *activation) fastResult {
			lv, rv := l(a), r(a)
			switch {
			case lv == fastTrue || rv == fastTrue:
				return fastTrue
			case lv == fastFalse && rv == fastFalse:
				return fastFalse
			}
			return fastUndecided
		}
	case operators.LogicalNot:
		if len(args) != 1 {
			return nil
		}
		x := fastExpr(args[0], ft)
		if x == nil {
			return nil
		}
		return func(a *activation) fastResult {
			switch x(a) {
			case fastTrue:
				return fastFalse
			case fastFalse:
				return fastTrue
			}
			return fastUndecided
		}
	case operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals:
		if len(args) != 2 {
			return nil
		}
		return fastCompare(fn, args[0], args[1], ft)
	}
	return nil
}

// fastCompare compiles a column compared with a constant of the column's own type (or
// null, for == and !=).
func fastCompare(fn string, x, y celast.Expr, ft *filterTable) fastPred {
	if x.Kind() == celast.LiteralKind && y.Kind() == celast.IdentKind {
		x, y = y, x
		switch fn { // c < col is col > c
		case operators.Less:
			fn = operators.Greater
		case operators.LessEquals:
			fn = operators.GreaterEquals
		case operators.Greater:
			fn = operators.Less
		case operators.GreaterEquals:
			fn = operators.LessEquals
		}
	}
	if x.Kind() != celast.IdentKind || y.Kind() != celast.LiteralKind {
		return nil
	}
	v, ok := ft.vars[x.AsIdent()]
	if !ok {
		return nil
	}
	kind := ft.t.Columns[v.index].Type.Kind
	get := func(a *activation) any {
		row := a.image(v.image)
		if row == nil {
			return nil
		}
		return row[v.index]
	}
	eq := fn == operators.Equals || fn == operators.NotEquals
	want := fastTrue // what == gives
	if fn == operators.NotEquals {
		want = fastFalse
	}
	not := func(r fastResult) fastResult { return 1 - r }
	switch lit := y.AsLiteral().(type) {
	case types.Null:
		if !eq {
			return nil
		}
		return func(a *activation) fastResult {
			switch x := get(a); {
			case x == nil:
				return want
			case x == event.Unavailable:
				return fastUndecided
			}
			return not(want)
		}
	case types.String:
		if kind != event.KindString {
			return nil
		}
		c := string(lit)
		return fastOrdered(fn, get, func(x any) (int, bool) {
			s, ok := x.(string)
			if !ok {
				return 0, false
			}
			switch {
			case s < c:
				return -1, true
			case s > c:
				return 1, true
			}
			return 0, true
		})
	case types.Int:
		switch kind {
		case event.KindInt8, event.KindInt16, event.KindInt32, event.KindInt64:
		default:
			return nil
		}
		c := int64(lit)
		return fastOrdered(fn, get, func(x any) (int, bool) {
			var n int64
			switch i := x.(type) {
			case int32:
				n = int64(i)
			case int64:
				n = i
			default:
				return 0, false
			}
			switch {
			case n < c:
				return -1, true
			case n > c:
				return 1, true
			}
			return 0, true
		})
	case types.Double:
		switch kind {
		case event.KindFloat32, event.KindFloat64, event.KindDecimal:
		default:
			return nil
		}
		c := float64(lit)
		if math.IsNaN(c) {
			return nil
		}
		return fastOrdered(fn, get, func(x any) (int, bool) {
			var f float64
			switch d := x.(type) {
			case float32:
				f = float64(d)
			case float64:
				f = d
			case *big.Rat:
				f, _ = d.Float64()
			default:
				return 0, false
			}
			switch {
			case math.IsNaN(f):
				return 0, false
			case f < c:
				return -1, true
			case f > c:
				return 1, true
			}
			return 0, true
		})
	case types.Bool:
		if kind != event.KindBoolean || !eq {
			return nil
		}
		c := bool(lit)
		return fastOrdered(fn, get, func(x any) (int, bool) {
			b, ok := x.(bool)
			if !ok {
				return 0, false
			}
			if b == c {
				return 0, true
			}
			return 1, true
		})
	}
	return nil
}

// fastOrdered compiles comparison fn of a column's value with a constant by cmp, which
// orders the value against the constant (false: not a value it takes). A null value is
// unequal to every constant, and cannot be ordered (an error: CEL decides).
func fastOrdered(fn string, get func(*activation) any, cmp func(any) (int, bool)) fastPred {
	return func(a *activation) fastResult {
		x := get(a)
		if x == nil {
			switch fn {
			case operators.Equals:
				return fastFalse
			case operators.NotEquals:
				return fastTrue
			}
			return fastUndecided
		}
		c, ok := cmp(x)
		if !ok {
			return fastUndecided
		}
		var r bool
		switch fn {
		case operators.Equals:
			r = c == 0
		case operators.NotEquals:
			r = c != 0
		case operators.Less:
			r = c < 0
		case operators.LessEquals:
			r = c <= 0
		case operators.Greater:
			r = c > 0
		case operators.GreaterEquals:
			r = c >= 0
		}
		if r {
			return fastTrue
		}
		return fastFalse
	}
}
