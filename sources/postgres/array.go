package postgres

import (
	"bytes"
	"errors"
	"fmt"
)

// parseArray splits a Postgres array literal in text output form ({a,"b c",NULL,{1,2}},
// optionally prefixed by dimension bounds like [0:1]=) into its elements, flattening
// nested dimensions in row-major order. A nil element is SQL NULL; the quoted string
// "NULL" is not, and "" is an empty, non-nil element. delim is the element type's
// delimiter (',' for all but box). Elements may share memory with s.
func parseArray(s []byte, delim byte) ([][]byte, error) {
	if len(s) > 0 && s[0] == '[' {
		i := bytes.IndexByte(s, '=')
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
	s     []byte
	i     int
	delim byte
	out   [][]byte
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
			p.out = append(p.out, v)
		default:
			start := p.i
			for p.i < len(p.s) && p.s[p.i] != p.delim && p.s[p.i] != '}' {
				if c := p.s[p.i]; c == '{' || c == '"' {
					return fmt.Errorf("unexpected %c at %d", c, p.i)
				}
				p.i++
			}
			v := bytes.TrimSpace(p.s[start:p.i])
			if len(v) == 0 {
				return fmt.Errorf("empty element at %d", start)
			}
			if bytes.EqualFold(v, []byte("NULL")) {
				p.out = append(p.out, nil)
			} else {
				p.out = append(p.out, v)
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

// quoted reads a quoted element: a part of s when it has no escapes, else a copy.
func (p *arrayParser) quoted() ([]byte, error) {
	p.i++ // opening quote
	start := p.i
	var buf []byte // nil until the first backslash
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\\':
			if p.i+1 >= len(p.s) {
				return nil, errors.New("dangling backslash")
			}
			if buf == nil {
				buf = append(make([]byte, 0, len(p.s)-start), p.s[start:p.i]...)
			}
			buf = append(buf, p.s[p.i+1])
			p.i += 2
		case '"':
			p.i++
			if buf != nil {
				return buf, nil
			}
			return p.s[start : p.i-1 : p.i-1], nil
		default:
			if buf != nil {
				buf = append(buf, c)
			}
			p.i++
		}
	}
	return nil, errors.New("unterminated quoted element")
}
