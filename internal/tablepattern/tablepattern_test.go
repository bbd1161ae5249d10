package tablepattern

import "testing"

func TestIncluded(t *testing.T) {
	cases := []struct {
		name             string
		include, exclude []string
		ns, table        string
		system, want     bool
	}{
		{"exact", []string{"public.orders"}, nil, "public", "orders", false, true},
		{"other table", []string{"public.orders"}, nil, "public", "items", false, false},
		{"glob", []string{"public.*"}, nil, "public", "items", false, true},
		{"glob ?", []string{"shop.order_?"}, nil, "shop", "order_1", false, true},
		{"excluded", []string{"public.*"}, []string{"public.tmp_*"}, "public", "tmp_x", false, false},
		{"empty include takes all", nil, nil, "app", "t", false, true},
		{"but not system namespaces", nil, nil, "pg_catalog", "pg_class", true, false},
		{"explicit system table", []string{"mysql.user"}, nil, "mysql", "user", true, true},
		{"invalid pattern matches nothing", []string{"pub[lic.x"}, nil, "public", "x", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Included(tc.include, tc.exclude, tc.ns, tc.table, tc.system); got != tc.want {
				t.Errorf("Included(%v, %v, %s.%s) = %v, want %v", tc.include, tc.exclude, tc.ns, tc.table, got, tc.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	for _, p := range []string{"public", "public.", ".t", "a.b.c", "a[.b"} {
		if _, _, err := Split(p, "schema"); err == nil {
			t.Errorf("Split(%q) accepted a bad pattern", p)
		}
	}
	if ns, tbl, err := Split("sales.order_*", "schema"); err != nil || ns != "sales" || tbl != "order_*" {
		t.Errorf("Split = %q %q %v", ns, tbl, err)
	}
}
