package configs

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// decoder copies a file's generic tree (maps, lists, scalars as YAML, JSON or TOML
// decode them) into a Pipeline, strictly: every key must be a field, every value must
// have the field's type. It records which keys were present so that defaults fill only
// the absent ones, and collects every problem instead of stopping at the first.
type decoder struct {
	file    string
	env     func(string) (string, bool)
	present map[string]bool
	failed  map[string]bool // keys that already have an error
	// raw holds the text before interpolation of every value that had ${...}, so that
	// errors show "${VAR}" rather than a value from the environment, which may be a
	// secret put in the wrong place.
	raw  map[string]string
	errs []error
}

// errorf records a problem with key, unless key already has one: a value that failed to
// decode is not also reported as missing or out of range.
func (d *decoder) errorf(key, format string, args ...any) {
	if d.failed[key] {
		return
	}
	d.failed[key] = true
	d.errs = append(d.errs, &Error{File: d.file, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldKey returns the config key of a struct field, or "" if it is not a config key.
func fieldKey(f reflect.StructField) string {
	k := f.Tag.Get("mapstructure")
	if k == "-" || !f.IsExported() {
		return ""
	}
	return k
}

func (d *decoder) decodeStruct(path string, raw map[string]any, v reflect.Value) {
	t := v.Type()
	known := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		key := fieldKey(f)
		if key == "" {
			continue
		}
		known = append(known, key)
		val, ok := raw[key]
		if !ok || val == nil {
			continue // null counts as absent: the default applies
		}
		d.present[join(path, key)] = true
		d.decodeValue(join(path, key), val, v.Field(i))
	}
	var unknown []string
	for k := range raw {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		d.errorf(join(path, k), "unknown key%s", suggest(path, k, known))
	}
}

func (d *decoder) decodeValue(path string, val any, v reflect.Value) {
	t := v.Type()
	switch {
	case t == durationType:
		switch x := val.(type) {
		case string:
			s, ok := d.interpolate(path, x)
			if !ok {
				return
			}
			dur, err := time.ParseDuration(s)
			if err != nil {
				d.errorf(path, "expected a duration like 10s or 250ms, got %s", d.show(path, s))
				return
			}
			v.SetInt(int64(dur))
		default:
			if n, ok := asInt(val); ok && n == 0 {
				v.SetInt(0)
				return
			}
			d.errorf(path, "expected a duration like 10s or 250ms, got %s", describe(val, true))
		}
	case t == secretType:
		x, ok := val.(string)
		if !ok {
			// Never echo: a wrong-typed secret is still a secret.
			d.errorf(path, "expected a string, got %s", describe(val, false))
			return
		}
		if s, ok := d.interpolate(path, x); ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.String:
		x, ok := val.(string)
		if !ok {
			d.errorf(path, "expected a string, got %s (quote it)", describe(val, true))
			return
		}
		if s, ok := d.interpolate(path, x); ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		if x, ok := val.(string); ok {
			s, ok := d.interpolate(path, x)
			if !ok {
				return
			}
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				d.errorf(path, "expected an integer, got %s", d.show(path, s))
				return
			}
			v.SetInt(n)
			return
		}
		n, ok := asInt(val)
		if !ok {
			d.errorf(path, "expected an integer, got %s", describe(val, true))
			return
		}
		v.SetInt(n)
	case t.Kind() == reflect.Bool:
		p := reflect.New(reflect.PointerTo(t)).Elem()
		d.decodeValue(path, val, p)
		if !p.IsNil() {
			v.SetBool(p.Elem().Bool())
		}
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Bool:
		var b bool
		switch x := val.(type) {
		case bool:
			b = x
		case string:
			s, ok := d.interpolate(path, x)
			if !ok {
				return
			}
			switch s {
			case "true":
				b = true
			case "false":
			default:
				d.errorf(path, "expected true or false, got %s", d.show(path, s))
				return
			}
		default:
			d.errorf(path, "expected true or false, got %s", describe(val, true))
			return
		}
		v.Set(reflect.ValueOf(&b))
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		list, ok := val.([]any)
		if !ok {
			if s, isStr := val.(string); isStr {
				d.errorf(path, "expected a list of strings, got the string %s (a scalar is not taken as a one-element list: write [%s])", d.show(path, s), redactString(s))
				return
			}
			d.errorf(path, "expected a list of strings, got %s", describe(val, true))
			return
		}
		out := reflect.MakeSlice(t, len(list), len(list))
		for i, item := range list {
			d.decodeValue(fmt.Sprintf("%s[%d]", path, i), item, out.Index(i))
		}
		v.Set(out)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		list, ok := val.([]any)
		if !ok {
			d.errorf(path, "expected a list of mappings, got %s", describe(val, true))
			return
		}
		out := reflect.MakeSlice(t, len(list), len(list))
		for i, item := range list {
			if item == nil {
				d.errorf(fmt.Sprintf("%s[%d]", path, i), "expected a mapping, got null")
				continue
			}
			d.decodeValue(fmt.Sprintf("%s[%d]", path, i), item, out.Index(i))
		}
		v.Set(out)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		m, ok := val.(map[string]any)
		if !ok {
			d.errorf(path, "expected a mapping, got %s", describe(val, true))
			return
		}
		out := reflect.MakeMapWithSize(t, len(m))
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			elem := reflect.New(t.Elem()).Elem()
			if m[k] == nil {
				d.errorf(join(path, k), "expected %s, got null", typeName(t.Elem()))
				continue
			}
			d.decodeValue(join(path, k), m[k], elem)
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), elem)
		}
		v.Set(out)
	case t.Kind() == reflect.Struct:
		m, ok := val.(map[string]any)
		if !ok {
			d.errorf(path, "expected a mapping of %s, got %s", strings.Join(keysOf(t), ", "), describe(val, true))
			return
		}
		d.decodeStruct(path, m, v)
	default:
		// A field type this decoder does not know is a programming error in this package.
		d.errorf(path, "internal: cannot decode into %s", t)
	}
}

func (d *decoder) interpolate(path, s string) (string, bool) {
	out, err := interpolate(s, d.env)
	if err != nil {
		d.errorf(path, "%v", err)
		return "", false
	}
	if strings.Contains(s, "${") {
		d.raw[path] = s
	}
	return out, true
}

// show quotes the value of key for an error message: as written in the file if it was
// interpolated, redacted if it holds a password.
func (d *decoder) show(key, value string) string {
	if raw, ok := d.raw[key]; ok {
		return quote(raw) + " (as interpolated)"
	}
	return quote(value)
}

// asInt accepts what the YAML, JSON and TOML decoders produce for a whole number.
func asInt(val any) (int64, bool) {
	switch x := val.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

// describe names a decoded value's type and, if echo is set, the value itself with any
// password in it redacted.
func describe(val any, echo bool) string {
	var kind string
	switch val.(type) {
	case nil:
		return "null"
	case string:
		kind = "a string"
	case bool:
		kind = "a boolean"
	case int, int64, int32, uint64:
		kind = "an integer"
	case float64, float32:
		kind = "a number"
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a mapping"
	default:
		return fmt.Sprintf("a %T", val)
	}
	if !echo {
		return kind
	}
	return kind + " " + quote(fmt.Sprint(val))
}

// quote quotes a value for an error message, redacting passwords in it.
func quote(s string) string {
	const max = 80
	s = redactString(s)
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Slice:
		return "a list of strings"
	case t.Kind() == reflect.Int, t.Kind() == reflect.Int64:
		return "an integer"
	}
	return "a " + t.Kind().String()
}

func keysOf(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if k := fieldKey(t.Field(i)); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// suggest tells what the author of an unknown key probably meant: a known key next to
// it with a similar spelling, the same key elsewhere in the file, or the list of keys
// known where it stands.
func suggest(path, key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := levenshtein(key, k); dist < bestDist || (dist == bestDist && best == "") {
			best, bestDist = k, dist
		}
	}
	if best != "" && bestDist <= max(1, len(key)/3) {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	for _, p := range knownPaths("", reflect.TypeFor[Pipeline]()) {
		if strings.HasSuffix(p, "."+key) || p == key {
			if p != join(path, key) {
				return fmt.Sprintf(" (did you mean %s? it belongs under %s)", p, strings.TrimSuffix(strings.TrimSuffix(p, key), "."))
			}
		}
	}
	return fmt.Sprintf(" (known keys here: %s)", strings.Join(known, ", "))
}

// knownPaths lists every key path of the config shape.
func knownPaths(path string, t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		k := fieldKey(f)
		if k == "" {
			continue
		}
		out = append(out, join(path, k))
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			out = append(out, knownPaths(join(path, k), f.Type)...)
		}
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// applyDefaults fills every absent key that has a `default` tag. {name} in a default is
// the pipeline's name, {ident} the name as a Postgres identifier.
func (d *decoder) applyDefaults(path string, v reflect.Value, name string) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key := fieldKey(f)
		if key == "" {
			continue
		}
		p := join(path, key)
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			d.applyDefaults(p, v.Field(i), name)
			continue
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			for j := range v.Field(i).Len() {
				d.applyDefaults(fmt.Sprintf("%s[%d]", p, j), v.Field(i).Index(j), name)
			}
			continue
		}
		def, ok := f.Tag.Lookup("default")
		if !ok || d.present[p] {
			continue
		}
		def = strings.NewReplacer("{name}", name, "{ident}", identifier(name)).Replace(def)
		// Defaults are literals: decode them as the string a user would have written.
		saved := d.env
		d.env = func(string) (string, bool) { return "", false }
		d.decodeValue(p, def, v.Field(i))
		d.env = saved
	}
}

// identifier turns a pipeline name into a Postgres identifier: lower case, anything
// outside [a-z0-9_] becomes _.
func identifier(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
