package configs

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadTransforms(t *testing.T) {
	env := envOf(map[string]string{"PG_DSN": "postgres://db/shop", "PII_SALT": "pepper"})
	p, err := Load(filepath.Join("testdata", "transforms.yaml"), env)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, tr := range p.Transforms {
		kinds = append(kinds, tr.Kind)
	}
	if want := []string{"mask", "mask", "hash", "truncate", "drop_columns", "columns", "filter", "route", "key_columns"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("source kinds %v, want %v", kinds, want)
	}
	if h := p.Transforms[2].Hash; h.Salt.Value() != "pepper" || h.Algorithm != "sha256" || h.Columns[0] != "public.customers.phone" {
		t.Errorf("hash %+v", h)
	}
	if m := p.Transforms[1].Mask; m.Chars != 3 || m.With != "" {
		t.Errorf("mask %+v", m)
	}
	if r := p.Transforms[7].Route; r.KeyField != "__dbz__physicalTableIdentifier" || r.Replacement != "shop.public.orders_all" {
		t.Errorf("route %+v (the key field defaults to Debezium's)", r)
	}
	if k := p.Transforms[8].KeyColumns; !reflect.DeepEqual(k, map[string][]string{"public.events": {"event_id"}}) {
		t.Errorf("key_columns %v", k)
	}
	s := p.Sinks[0].Transforms
	if len(s) != 5 || s[0].Kind != "skip_ops" || !reflect.DeepEqual(s[0].SkipOps, []string{"d"}) ||
		s[1].Rename.Table != "public.orders" || s[1].Rename.To != "orders_v2" || s[2].Rename.Column != "public.customers.email" ||
		s[3].Unwrap.DeleteHandling != "rewrite" || !reflect.DeepEqual(s[3].Unwrap.AddFields, []string{"op", "source.ts_ms"}) ||
		s[4].Kind != "unwrap" || s[4].Unwrap.DeleteHandling != "drop" {
		t.Errorf("sink transforms %+v", s)
	}
	if strings.Contains(p.Redacted(), "pepper") {
		t.Error("the salt is printed")
	}
}
