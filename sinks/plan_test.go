package sinks

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

func TestPlan(t *testing.T) {
	keyed := &event.Table{ID: event.TableID{Database: "shop", Table: "items"},
		Columns: []event.Column{{Name: "id"}, {Name: "v"}, {Name: "big"}}, Key: []int{0}}
	keyed2 := &event.Table{ID: keyed.ID, Columns: append(keyed.Columns, event.Column{Name: "w"}), Key: []int{0}}
	keyless := &event.Table{ID: event.TableID{Database: "shop", Table: "log"}, Columns: []event.Column{{Name: "line"}}}
	ratKey := &event.Table{ID: event.TableID{Database: "shop", Table: "dec"}, Columns: []event.Column{{Name: "k"}}, Key: []int{0}}
	c := func(tb *event.Table, op event.Op, before, after []any) *event.Change {
		return &event.Change{Table: tb, Op: op, Before: before, After: after}
	}
	u := event.Unavailable
	for _, tc := range []struct {
		name    string
		changes []*event.Change
		want    string
	}{
		{"last change of a key wins", []*event.Change{
			c(keyed, "c", nil, []any{1, "a", "x"}),
			c(keyed, "u", []any{1, "a", "x"}, []any{1, "b", "x"}),
			c(keyed, "c", nil, []any{2, "c", "y"}),
			c(keyed, "d", []any{2, nil, nil}, nil),
		}, "items: delete [[2 <nil> <nil>]]; upsert [[1 b x]]"},
		{"delete then insert again is the insert", []*event.Change{
			c(keyed, "d", []any{1, nil, nil}, nil),
			c(keyed, "c", nil, []any{1, "new", "z"}),
		}, "items: upsert [[1 new z]]"},
		{"unavailable values come from the batch's earlier image", []*event.Change{
			c(keyed, "c", nil, []any{1, "a", "toast"}),
			c(keyed, "u", nil, []any{1, "b", u}),
			c(keyed, "u", nil, []any{3, "c", u}),
		}, "items: upsert [[1 b toast] [3 c {}]]"},
		{"key change deletes the old key", []*event.Change{
			c(keyed, "u", []any{1, "a", "x"}, []any{5, "a", "x"}),
		}, "items: delete [[1 a x]]; upsert [[5 a x]]"},
		{"truncate and new shapes end runs", []*event.Change{
			c(keyed, "c", nil, []any{1, "a", "x"}),
			c(keyed, "t", nil, nil),
			c(keyed, "c", nil, []any{2, "a", "x"}),
			c(keyed2, "c", nil, []any{2, "a", "x", "w"}),
		}, "items: upsert [[1 a x]]; truncate []; upsert [[2 a x]]; upsert [[2 a x w]]"},
		{"keyless tables keep every change in order", []*event.Change{
			c(keyless, "c", nil, []any{"a"}),
			c(keyless, "c", nil, []any{"a"}),
			c(keyless, "u", []any{"a"}, []any{"b"}),
			c(keyless, "d", []any{"b"}, nil),
		}, "log: insert [[a] [a]]; delete [[a]]; insert [[b]]; delete [[b]]"},
		{"decimal keys compare by value", []*event.Change{
			c(ratKey, "c", nil, []any{big.NewRat(1, 2)}),
			c(ratKey, "c", nil, []any{big.NewRat(2, 4)}),
		}, "dec: upsert [[1/2]]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recs []Record
			for i, ch := range tc.changes {
				recs = append(recs, Record{Change: ch, TopicPartition: TopicPartition{"t", 0}, Offset: int64(10 + i)})
			}
			b, err := Plan(recs, Naming{})
			if err != nil {
				t.Fatal(err)
			}
			if got := render(b); got != tc.want {
				t.Errorf("plan\n got %s\nwant %s", got, tc.want)
			}
			if b.Offsets[TopicPartition{"t", 0}] != int64(10+len(tc.changes)-1) {
				t.Errorf("offsets %v", b.Offsets)
			}
			if len(b.Records) != len(recs) || &b.Records[0] != &recs[0] {
				t.Errorf("Records: %d records, want the %d planned", len(b.Records), len(recs))
			}
		})
	}
}

func render(b *Batch) string {
	var parts []string
	for _, tb := range b.Tables {
		var steps []string
		for _, s := range tb.Steps {
			steps = append(steps, fmt.Sprintf("%s %v", s.Kind, s.Rows))
		}
		parts = append(parts, tb.Target.String()+": "+strings.Join(steps, "; "))
	}
	return strings.Join(parts, " | ")
}

func TestPlanErrors(t *testing.T) {
	keyless := &event.Table{ID: event.TableID{Schema: "public", Table: "log"}, Columns: []event.Column{{Name: "line"}}}
	_, err := Plan([]Record{{Change: &event.Change{Table: keyless, Op: "u", After: []any{"x"}}, TopicPartition: TopicPartition{"p.public.log", 2}, Offset: 7}}, Naming{})
	if err == nil || !strings.Contains(err.Error(), "p.public.log/2 offset 7") || !strings.Contains(err.Error(), "REPLICA IDENTITY FULL") {
		t.Errorf("keyless update without before: %v", err)
	}
}

func TestNaming(t *testing.T) {
	pg := event.TableID{Database: "shop", Schema: "public", Table: "orders"}
	my := event.TableID{Database: "shop", Table: "orders"}
	for _, tc := range []struct {
		n    Naming
		id   event.TableID
		want string
		in   bool
	}{
		{Naming{}, pg, "orders", true},
		{Naming{Template: "{schema}_{table}"}, pg, "public_orders", true},
		{Naming{Template: "replica.{database}_{table}"}, my, "replica.shop_orders", true},
		{Naming{Tables: []string{"public.*"}}, pg, "orders", true},
		{Naming{Tables: []string{"public.*"}}, my, "orders", false},
		{Naming{Tables: []string{"shop.*"}, ExcludeTables: []string{"shop.ord*"}}, my, "orders", false},
	} {
		if got := tc.n.Target(tc.id).String(); got != tc.want {
			t.Errorf("%+v: target of %s = %s, want %s", tc.n, tc.id, got, tc.want)
		}
		if got := tc.n.Includes(tc.id); got != tc.in {
			t.Errorf("%+v: includes %s = %v, want %v", tc.n, tc.id, got, tc.in)
		}
	}
	for _, bad := range []Naming{{Template: "{tabel}"}, {Template: "a.b.c"}, {Template: "{table"}, {Tables: []string{"nodot"}}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v validated", bad)
		}
	}
	if err := (Naming{Template: "x.{table}", Tables: []string{"a.*"}}).Validate(); err != nil {
		t.Error(err)
	}
}
