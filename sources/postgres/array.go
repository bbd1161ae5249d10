package postgres

import (
	"errors"
	"fmt"
	"strings"
)

// parseArray splits a Postgres array literal in text output form ({a,"b c",NULL,{1,2}},
// optionally prefixed by dimension bounds like [0:1]=) into its elements, flattening
// nested dimensions in row-major order. A nil element is SQL NULL; the quoted string
// "NULL" is not. delim is the element type's delimiter (',' for all but box).
func parseArray(s string, delim byte) ([]*string, error) {
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "=")
		if i < 0 {
			return nil, fmt.Errorf("array literal %.40q: dimensions without =", s)
		}
		s = s[i+1:]
	}
	if len(s) < 2 || s[0] != '{' {
		return nil, fmt.Errorf("array literal %.40q: want {", s)
	}
	p := arrayParser{s: s, delim: delim}
	if err := p.parseDim(0); err != nil {
		return nil, fmt.Errorf("array literal %.40q: %w", s, err)
	}
	if p.i != len(s) {
		return nil, fmt.Errorf("array literal %.40q: trailing text at %d", s, p.i)
	}
	return p.out, nil
}

type arrayParser struct {
	s     string
	i     int
	delim byte
	out   []*string
	buf   []byte
}

const maxArrayDepth = 6 // Postgres' MAXDIM

func (p *arrayParser) parseDim(depth int) error {
	if depth >= maxArrayDepth {
		return errors.New("too many dimensions")
	}
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return fmt.Errorf("want { at %d", p.i)
	}
	p.i++
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		if p.i >= len(p.s) {
			return errors.New("unterminated array")
		}
		switch p.s[p.i] {
		case '{':
			if err := p.parseDim(depth + 1); err != nil {
				return err
			}
		case '"':
			v, err := p.quoted()
			if err != nil {
				return err
			}
			p.out = append(p.out, &v)
		default:
			start := p.i
			for p.i < len(p.s) && p.s[p.i] != p.delim && p.s[p.i] != '}' {
				if c := p.s[p.i]; c == '{' || c == '"' {
					return fmt.Errorf("unexpected %c at %d", c, p.i)
				}
				p.i++
			}
			v := strings.TrimSpace(p.s[start:p.i])
			if v == "" {
				return fmt.Errorf("empty element at %d", start)
			}
			if strings.EqualFold(v, "NULL") {
				p.out = append(p.out, nil)
			} else {
				p.out = append(p.out, &v)
			}
		}
		if p.i >= len(p.s) {
			return errors.New("unterminated array")
		}
		switch p.s[p.i] {
		case p.delim:
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return fmt.Errorf("unexpected %c at %d", p.s[p.i], p.i)
		}
	}
}

func (p *arrayParser) quoted() (string, error) {
	p.i++ // opening quote
	p.buf = p.buf[:0]
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\\':
			if p.i+1 >= len(p.s) {
				return "", errors.New("dangling backslash")
			}
			p.buf = append(p.buf, p.s[p.i+1])
			p.i += 2
		case '"':
			p.i++
			return string(p.buf), nil
		default:
			p.buf = append(p.buf, c)
			p.i++
		}
	}
	return "", errors.New("unterminated quoted element")
}
