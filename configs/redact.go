package configs

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

const redacted = "[redacted]"

var (
	// scheme://user:password@host — greedy to the last @, so a password holding @ is
	// redacted whole (at worst too much is hidden, never too little).
	urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^\s]*@`)
	// user:password@tcp(host) or user:password@/db (MySQL DSNs), user:password@host.
	bareUserinfo = regexp.MustCompile(`(^|[\s,;=(])([^\s:/@,;=(]+):[^\s/@]+@`)
	// password=... in key/value DSNs (libpq, JDBC-style) and query strings.
	kvPassword = regexp.MustCompile(`(?i)\b(password|passwd|pwd|pass|secret|token|api[_-]?key|sslpassword)(\s*=\s*)('[^']*'|"[^"]*"|[^\s;&]*)`)
)

// redactString hides passwords embedded in DSN-like strings: URLs with userinfo, MySQL
// DSNs and key=value pairs whose key names a password, secret or token.
func redactString(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}:"+redacted+"@")
	s = bareUserinfo.ReplaceAllString(s, "${1}${2}:"+redacted+"@")
	s = kvPassword.ReplaceAllString(s, "${1}${2}"+redacted)
	return s
}

// Redacted returns the pipeline as YAML, with every default filled in, for
// `dovetail validate --print`. Secrets print as [redacted], and passwords embedded in
// other DSN-like strings (URLs with userinfo, key=value DSNs) are redacted too. File is
// not printed: it is not a config key.
func (p *Pipeline) Redacted() string {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(toNode(reflect.ValueOf(p).Elem())); err != nil {
		// Encoding a tree of plain scalars cannot fail; say so rather than panic.
		return fmt.Sprintf("# cannot print config: %v\n", err)
	}
	_ = enc.Close()
	return b.String()
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// toNode renders a config value as a YAML node in field order.
func toNode(v reflect.Value) *yaml.Node {
	t := v.Type()
	switch {
	case t == secretType:
		return scalar("!!str", v.Interface().(Secret).String())
	case t == durationType:
		return scalar("!!str", time.Duration(v.Int()).String())
	case t.Kind() == reflect.String:
		return scalar("!!str", redactString(v.String()))
	case t.Kind() == reflect.Int, t.Kind() == reflect.Int64:
		return scalar("!!int", strconv.FormatInt(v.Int(), 10))
	case t.Kind() == reflect.Bool:
		return scalar("!!bool", strconv.FormatBool(v.Bool()))
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			return scalar("!!null", "null")
		}
		return toNode(v.Elem())
	case t.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		if t.Elem().Kind() == reflect.Struct {
			n.Style = 0 // a list of mappings reads better in block style
		}
		for i := range v.Len() {
			n.Content = append(n.Content, toNode(v.Index(i)))
		}
		return n
	case t.Kind() == reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			switch {
			case a.String() < b.String():
				return -1
			case a.String() > b.String():
				return 1
			}
			return 0
		})
		for _, k := range keys {
			n.Content = append(n.Content, scalar("!!str", redactString(k.String())), toNode(v.MapIndex(k)))
		}
		return n
	case t.Kind() == reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for i := range t.NumField() {
			key := fieldKey(t.Field(i))
			if key == "" {
				continue
			}
			n.Content = append(n.Content, scalar("!!str", key), toNode(v.Field(i)))
		}
		return n
	}
	return scalar("!!str", fmt.Sprintf("<%s>", t))
}
