package transform

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Filter keeps the changes for which a CEL expression (https://cel.dev) is true, and
// drops the others. The expression sees:
//
//   - before, after: the row images as maps of column name to value; an image the
//     change does not have (no before for inserts, no after for deletes) reads null in
//     every column;
//   - row: after, or before for deletes: the row the change is about;
//   - op: "r", "c", "u", "d" or "t";
//   - table: "namespace.table";
//   - source: the source block (source.ts_ms, source.table, source.lsn, ...).
//
// Values are CEL's: integers int, floats and decimals double, strings string, bytes
// bytes, booleans bool, arrays lists, NULL null (Postgres' unchanged TOASTed values read
// null too). The expression is compiled and type-checked when the filter is made, and
// must be boolean. When a table's shape is first seen it is compiled again with the
// columns' types (nullable: int, double, string, bytes, bool; arrays dyn): a column it
// names that the table lacks, or a comparison the column's values cannot take
// (row.name > 5 on a text column), is an error then (has(row.x) tests whether the
// table has a column x). An
// evaluation error (say, a comparison of a string with a number) stops the pipeline
// naming the transform: a comparison of null with a number is one, so write
// row.total == null || row.total > 100 where the column may be null (as the non-key
// columns of a Postgres delete are without REPLICA IDENTITY FULL). Truncates have no
// rows and pass every filter (skip_ops drops them).
//
// Expressions that compare columns with constants, joined by &&, || and !, are decided
// without CEL's interpreter where the result is certain (see fastfilter.go); CEL
// evaluates the rest, and every error.
type Filter struct {
	tables tableSet
	expr   string
	// refs are the column names the expression selects from before, after and row.
	refs []string
	pool sync.Pool // *activation
}

// filterVars are the variables every filter sees.
func filterVars() []cel.EnvOption {
	row := cel.MapType(cel.StringType, cel.DynType)
	return []cel.EnvOption{
		cel.Variable("before", row),
		cel.Variable("after", row),
		cel.Variable("row", row),
		cel.Variable("op", cel.StringType),
		cel.Variable("table", cel.StringType),
		cel.Variable("source", cel.MapType(cel.StringType, cel.DynType)),
	}
}

// filterEnv checks expressions before any table is known: columns are dyn.
var filterEnv = sync.OnceValues(func() (*cel.Env, error) { return cel.NewEnv(filterVars()...) })

// NewFilter compiles where; tables limits the filter to some tables (patterns; empty:
// all).
func NewFilter(tables []string, where string) (*Filter, error) {
	ts, err := parseTables(tables)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(where) == "" {
		return nil, errors.New("where (a CEL expression) is required")
	}
	env, err := filterEnv()
	if err != nil {
		return nil, fmt.Errorf("CEL environment: %w", err)
	}
	ast, iss := env.Compile(where)
	if iss.Err() != nil {
		return nil, fmt.Errorf("where %q: %w", where, iss.Err())
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("where %q: is %s, not a boolean (compare the value, e.g. after.flag == true)", where, ast.OutputType())
	}
	if _, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize)); err != nil {
		return nil, fmt.Errorf("where %q: %w", where, err)
	}
	f := &Filter{tables: ts, expr: where}
	f.refs = selectedColumns(ast)
	f.pool.New = func() any { return &activation{} }
	return f, nil
}

// selectedColumns returns the field names selected from before, after and row.
func selectedColumns(a *cel.Ast) []string {
	var out []string
	for _, e := range celast.MatchDescendants(celast.NavigateAST(a.NativeRep()), celast.KindMatcher(celast.SelectKind)) {
		sel := e.AsSelect()
		op := sel.Operand()
		if op.Kind() != celast.IdentKind || sel.IsTestOnly() {
			continue
		}
		switch op.AsIdent() {
		case "before", "after", "row":
			out = append(out, sel.FieldName())
		}
	}
	return out
}

func (f *Filter) Kind() string { return "filter" }

func (f *Filter) Bind(t *event.Table) (Step, error) {
	if !f.tables.matches(t.ID) {
		return nil, nil
	}
	ft := &filterTable{t: t, index: make(map[string]int, len(t.Columns)), name: t.ID.String()}
	for i := range t.Columns {
		ft.index[t.Columns[i].Name] = i
		ft.names = append(ft.names, t.Columns[i].Name)
	}
	for _, r := range f.refs {
		if _, ok := ft.index[r]; !ok {
			return nil, fmt.Errorf("where %q: no column %q (columns: %s)", f.expr, r, columnNames(t))
		}
	}
	ft.tableVal = types.String(ft.name)
	// Compiled again for the shape: row.total is then a variable of the column's type
	// (nullable), so a comparison the column's values cannot take is an error now, and
	// evaluating reads the value without a map lookup through CEL's qualifiers.
	opts := filterVars()
	ft.vars = map[string]columnVar{}
	for i := range t.Columns {
		c := &t.Columns[i]
		if !celIdent.MatchString(c.Name) || celReserved[c.Name] {
			continue // reachable as row["name"]
		}
		typ := celType(&c.Type)
		for img, v := range []string{"before", "after", "row"} {
			name := v + "." + c.Name
			opts = append(opts, cel.Variable(name, typ))
			ft.vars[name] = columnVar{image: img, index: i}
		}
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("where %q: CEL environment: %w", f.expr, err)
	}
	ast, iss := env.Compile(f.expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("where %q: %w", f.expr, iss.Err())
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("where %q: is %s, not a boolean", f.expr, ast.OutputType())
	}
	if ft.prg, err = env.Program(ast, cel.EvalOptions(cel.OptOptimize)); err != nil {
		return nil, fmt.Errorf("where %q: %w", f.expr, err)
	}
	ft.fast = fastFilter(ast, ft)
	return &filterStep{f: f, t: ft}, nil
}

var celIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// celReserved are words CEL does not take as identifiers.
var celReserved = map[string]bool{
	"true": true, "false": true, "null": true, "in": true, "as": true, "break": true, "const": true,
	"continue": true, "else": true, "for": true, "function": true, "if": true, "import": true,
	"let": true, "loop": true, "package": true, "namespace": true, "return": true, "var": true,
	"void": true, "while": true,
}

// celType is the CEL type of a column's values: nullable, since an image the change
// lacks reads null in every column.
func celType(t *event.Type) *cel.Type {
	switch t.Kind {
	case event.KindBoolean:
		return cel.NullableType(cel.BoolType)
	case event.KindInt8, event.KindInt16, event.KindInt32, event.KindInt64:
		return cel.NullableType(cel.IntType)
	case event.KindFloat32, event.KindFloat64, event.KindDecimal, event.KindVarDecimal:
		return cel.NullableType(cel.DoubleType)
	case event.KindString:
		return cel.NullableType(cel.StringType)
	case event.KindBytes:
		return cel.NullableType(cel.BytesType)
	}
	return cel.DynType // arrays (a list or null), and columns of an unknown kind
}

// filterTable is what evaluations need of a table shape.
type filterTable struct {
	t        *event.Table
	name     string
	tableVal ref.Val
	index    map[string]int
	names    []string
	prg      cel.Program
	// vars are the column variables ("row.total") and where their values are.
	vars map[string]columnVar
	// fast decides the common shapes without CEL's interpreter; nil for others.
	fast fastPred
}

// columnVar is a column variable: the image (0 before, 1 after, 2 row) and the column.
type columnVar struct{ image, index int }

type filterStep struct {
	f *Filter
	t *filterTable
}

func (s *filterStep) Table() *event.Table { return s.t.t }
func (s *filterStep) Writes() bool        { return false }

func (s *filterStep) Apply(c *event.Change) (bool, error) {
	if c.Op == event.OpTruncate {
		return true, nil // no row to test (skip_ops drops truncates)
	}
	a := s.f.pool.Get().(*activation)
	a.before = rowMap{t: s.t, row: c.Before}
	a.after = rowMap{t: s.t, row: c.After}
	a.row = a.after
	if c.Op == event.OpDelete || c.After == nil {
		a.row = a.before
	}
	a.op = opVals[c.Op]
	if a.op == nil {
		a.op = types.String(c.Op)
	}
	a.table = s.t.tableVal
	a.source = sourceMap{s: &c.Source}
	a.vars = s.t.vars
	if s.t.fast != nil {
		if r := s.t.fast(a); r != fastUndecided {
			*a = activation{}
			s.f.pool.Put(a)
			return r == fastTrue, nil
		}
	}
	out, _, err := s.t.prg.Eval(a)
	*a = activation{}
	s.f.pool.Put(a)
	if err != nil {
		return false, fmt.Errorf("where %q: %w", s.f.expr, err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("where %q: gave %v, not a boolean", s.f.expr, out)
	}
	return bool(b), nil
}

var opVals = map[event.Op]ref.Val{}

func init() {
	for _, op := range []event.Op{event.OpRead, event.OpCreate, event.OpUpdate, event.OpDelete, event.OpTruncate} {
		opVals[op] = types.String(op)
	}
}

// activation resolves the filter's variables without building maps.
type activation struct {
	before, after, row rowMap
	op, table          ref.Val
	source             sourceMap
	vars               map[string]columnVar
}

// image returns a column variable's row: 0 before, 1 after, 2 row.
func (a *activation) image(i int) []any {
	switch i {
	case 0:
		return a.before.row
	case 1:
		return a.after.row
	}
	return a.row.row
}

func (a *activation) ResolveName(name string) (any, bool) {
	if v, ok := a.vars[name]; ok {
		row := a.image(v.image)
		if row == nil {
			return types.NullValue, true
		}
		return toVal(row[v.index]), true
	}
	switch name {
	case "before":
		return &a.before, true
	case "after":
		return &a.after, true
	case "row":
		return &a.row, true
	case "op":
		return a.op, true
	case "table":
		return a.table, true
	case "source":
		return &a.source, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// toVal converts an event value to a CEL value.
func toVal(v any) ref.Val {
	switch x := v.(type) {
	case nil:
		return types.NullValue
	case bool:
		return types.Bool(x)
	case int32:
		return types.Int(x)
	case int64:
		return types.Int(x)
	case float32:
		return types.Double(x)
	case float64:
		return types.Double(x)
	case string:
		return types.String(x)
	case []byte:
		return types.Bytes(x)
	case *big.Rat:
		f, _ := x.Float64()
		return types.Double(f)
	case event.VarDecimal:
		if x.Unscaled == nil {
			return types.NullValue
		}
		r := new(big.Rat).SetFrac(x.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(x.Scale, 0))), nil))
		f, _ := r.Float64()
		return types.Double(f)
	case []any:
		vals := make([]ref.Val, len(x))
		for i, e := range x {
			vals[i] = toVal(e)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, vals)
	}
	if v == event.Unavailable {
		return types.NullValue
	}
	return types.NewErr("unsupported value %T", v)
}

// rowMap is a row image as a CEL map of column name to value.
type rowMap struct {
	t   *filterTable
	row []any // nil: the change has no such image; every column reads null
}

var (
	_ traits.Mapper = (*rowMap)(nil)
	_ traits.Mapper = (*sourceMap)(nil)
)

func (m *rowMap) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return types.NewErr("row keys are strings, got %s", key.Type()), true
	}
	i, ok := m.t.index[string(k)]
	if !ok {
		return nil, false
	}
	if m.row == nil {
		return types.NullValue, true
	}
	return toVal(m.row[i]), true
}

func (m *rowMap) Get(key ref.Val) ref.Val {
	v, ok := m.Find(key)
	if !ok {
		return types.NewErr("no such column: %v", key)
	}
	return v
}

func (m *rowMap) Contains(key ref.Val) ref.Val {
	_, ok := m.Find(key)
	return types.Bool(ok)
}

func (m *rowMap) Iterator() traits.Iterator {
	return types.NewStringList(types.DefaultTypeAdapter, m.t.names).Iterator()
}

func (m *rowMap) Size() ref.Val { return types.Int(len(m.t.names)) }

func (m *rowMap) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("a row converts to no Go type (%v)", typeDesc)
}

func (m *rowMap) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.MapType:
		return m
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from map to %s", t.TypeName())
}

func (m *rowMap) Equal(other ref.Val) ref.Val { return types.Bool(other == ref.Val(m)) }
func (m *rowMap) Type() ref.Type              { return types.MapType }
func (m *rowMap) Value() any                  { return m }

// sourceMap is the source block as a CEL map.
type sourceMap struct{ s *event.Source }

func (m *sourceMap) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return types.NewErr("source keys are strings, got %s", key.Type()), true
	}
	get, ok := sourceFields[string(k)]
	if !ok {
		return nil, false
	}
	return toVal(get(m.s)), true
}

func (m *sourceMap) Get(key ref.Val) ref.Val {
	v, ok := m.Find(key)
	if !ok {
		return types.NewErr("no such source field: %v", key)
	}
	return v
}

func (m *sourceMap) Contains(key ref.Val) ref.Val {
	_, ok := m.Find(key)
	return types.Bool(ok)
}

func (m *sourceMap) Iterator() traits.Iterator {
	return types.NewStringList(types.DefaultTypeAdapter, sortedKeys(sourceFields)).Iterator()
}

func (m *sourceMap) Size() ref.Val { return types.Int(len(sourceFields)) }

func (m *sourceMap) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("a source block converts to no Go type (%v)", typeDesc)
}

func (m *sourceMap) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.MapType:
		return m
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from map to %s", t.TypeName())
}

func (m *sourceMap) Equal(other ref.Val) ref.Val { return types.Bool(other == ref.Val(m)) }
func (m *sourceMap) Type() ref.Type              { return types.MapType }
func (m *sourceMap) Value() any                  { return m }
