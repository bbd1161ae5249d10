package verify

import (
	"slices"
	"strings"
	"testing"
)

// Columns match by name, then ignoring case, then by the name a sink gives them.
func TestPlanColumnsTargetName(t *testing.T) {
	src := &Table{Columns: []Column{
		{Name: "order id", Kind: KindNumber}, {Name: "Note", Kind: KindString},
		{Name: "it's", Kind: KindString, Nullable: true}, {Name: "gone", Kind: KindString, Nullable: true},
	}, PrimaryKey: []string{"order id"}}
	dst := &Table{Columns: []Column{
		{Name: "order_id", Kind: KindNumber}, {Name: "note", Kind: KindString},
		{Name: "IT_S", Kind: KindString, Nullable: true}, {Name: "added", Kind: KindString, Nullable: true},
	}}
	sinkName := func(s string) string { return strings.NewReplacer(" ", "_", "'", "_").Replace(s) }
	p, err := planColumns(src, dst, src.PrimaryKey, sinkName)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.dstKey, []string{"order_id"}) || !slices.Equal(p.dstCols, []string{"note", "IT_S"}) ||
		!slices.Equal(p.missing, []string{"gone"}) || !slices.Equal(p.extra, []string{"added"}) {
		t.Errorf("plan: key %v, columns %v, missing %v, extra %v", p.dstKey, p.dstCols, p.missing, p.extra)
	}
	if _, err := planColumns(src, dst, src.PrimaryKey, nil); err == nil {
		t.Error("without a target name, the key column order id matched order_id")
	}
}

// A generated source column the target lacks is reported apart, not missing; one the
// target has is compared.
func TestPlanColumnsGenerated(t *testing.T) {
	src := &Table{Columns: []Column{{Name: "id", Kind: KindNumber}, {Name: "g", Kind: KindNumber, Nullable: true, Generated: true},
		{Name: "h", Kind: KindNumber, Nullable: true, Generated: true}}, PrimaryKey: []string{"id"}}
	dst := &Table{Columns: []Column{{Name: "id", Kind: KindNumber}, {Name: "h", Kind: KindNumber, Nullable: true}}}
	p, err := planColumns(src, dst, src.PrimaryKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.missing) != 0 || !slices.Equal(p.generated, []string{"g"}) || !slices.Equal(p.dstCols, []string{"h"}) {
		t.Errorf("plan: missing %v, generated %v, compared %v", p.missing, p.generated, p.dstCols)
	}
}
