package configs

import (
	"errors"
	"fmt"
	"strings"
)

// interpolate expands ${VAR} and ${VAR:-default} in s and turns $$ into $. A $ followed
// by anything else stays as it is. It never echoes s in an error, since s may be a
// secret.
func interpolate(s string, env func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", errors.New("unterminated ${ (write $$ for a literal $)")
			}
			expr := s[i+2 : i+2+end]
			name, def, hasDef := strings.Cut(expr, ":-")
			if !validVarName(name) {
				// No echo: the text may be part of a secret.
				return "", fmt.Errorf("invalid variable name in ${...}: use letters, digits and _ (write $$ for a literal $)")
			}
			val, ok := env(name)
			switch {
			case hasDef && (!ok || val == ""):
				val = def
			case !ok:
				return "", fmt.Errorf("environment variable %s is not set and ${%s} has no default (write ${%s:-default})", name, name, name)
			}
			b.WriteString(val)
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
