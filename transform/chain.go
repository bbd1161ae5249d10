package transform

import (
	"fmt"
	"sync"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// Transform is one entry of a transforms list, before it knows a table's shape.
type Transform interface {
	// Kind is the transform's config name: "mask", "hash", "filter", ...
	Kind() string
	// Bind returns how the changes of shape t are mapped, or a nil Step when the
	// transform leaves them as they are. It is called once per shape and may be called
	// concurrently for different shapes. Errors here are config errors found once the
	// shape is known: an unknown column, a key column that would be dropped.
	Bind(t *event.Table) (Step, error)
}

// Step is a Transform bound to one input shape.
type Step interface {
	// Table is the shape of the changes Apply leaves; nil means that every change of
	// the input shape is dropped (Apply is then never called).
	Table() *event.Table
	// Writes reports whether Apply changes its change's rows in place (values, length):
	// the chain then hands it rows of its own, never the caller's.
	Writes() bool
	// Apply maps c, whose Table is the step's input shape, to the output shape (the
	// chain sets c.Table afterwards). It returns false to drop the change.
	Apply(c *event.Change) (keep bool, err error)
}

// Error is a transform's error, naming the list it is in, its position and its kind.
type Error struct {
	// Path is the list's config key: "transforms" or "sinks[0].transforms".
	Path  string
	Index int
	Kind  string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s[%d] (%s): %v", e.Path, e.Index, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Chain runs transforms in order. It is safe for concurrent use.
type Chain struct {
	path string
	ts   []Transform

	mu    sync.RWMutex
	plans map[*event.Table]*plan
}

// plan is the chain bound to one input shape.
type plan struct {
	steps []Step       // the steps that act on the shape, in order
	index []int        // the position of each step's transform in the list
	out   *event.Table // the output shape; nil when every change is dropped
	copy  bool         // some step writes rows: hand the steps rows of their own
	grow  int          // how many values the steps append to a row, at most
	err   error        // the bind error, reported for every change of the shape
}

// NewChain returns a chain of ts; path is the config key of the list, used in errors.
func NewChain(path string, ts ...Transform) *Chain {
	return &Chain{path: path, ts: ts, plans: map[*event.Table]*plan{}}
}

// Len is the number of transforms.
func (c *Chain) Len() int { return len(c.ts) }

// Table returns the shape the chain turns t's changes into, or nil when it drops all of
// them.
func (c *Chain) Table(t *event.Table) (*event.Table, error) {
	p := c.plan(t)
	return p.out, p.err
}

func (c *Chain) plan(t *event.Table) *plan {
	c.mu.RLock()
	p := c.plans[t]
	c.mu.RUnlock()
	if p != nil {
		return p
	}
	p = &plan{out: t}
	for i, tr := range c.ts {
		s, err := tr.Bind(p.out)
		if err != nil {
			p.err, p.out, p.steps = &Error{Path: c.path, Index: i, Kind: tr.Kind(), Err: fmt.Errorf("%s: %w", p.out.ID, err)}, nil, nil
			break
		}
		if s == nil {
			continue
		}
		p.steps = append(p.steps, s)
		p.index = append(p.index, i)
		p.copy = p.copy || s.Writes()
		in := p.out
		if p.out = s.Table(); p.out == nil {
			break
		}
		if n := len(p.out.Columns) - len(in.Columns); n > 0 {
			p.grow += n
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.plans[t]; prev != nil {
		return prev // keep one output *Table per input, whoever bound first
	}
	c.plans[t] = p
	return p
}

// Apply runs the chain on ch. It returns the transformed change, or keep false when a
// transform dropped it. ch itself is never changed; the result shares ch's rows when no
// transform writes to them.
func (c *Chain) Apply(ch *event.Change) (out *event.Change, keep bool, err error) {
	return c.apply(ch, false)
}

// ApplyOwned is Apply for a change the caller gives away: the chain changes ch and its
// rows in place, and returns ch itself, instead of copying them. Use it where nothing
// else refers to ch or its rows any more (sources hand over fresh changes; a decoded
// record's change is its reader's).
func (c *Chain) ApplyOwned(ch *event.Change) (out *event.Change, keep bool, err error) {
	return c.apply(ch, true)
}

func (c *Chain) apply(ch *event.Change, owned bool) (*event.Change, bool, error) {
	if len(c.ts) == 0 {
		return ch, true, nil
	}
	in, op := ch.Table, ch.Op
	p := c.plan(in)
	if p.err != nil {
		return nil, false, p.err
	}
	if p.out == nil {
		return nil, false, nil
	}
	if len(p.steps) == 0 {
		return ch, true, nil
	}
	cp := ch
	if !owned {
		cp = p.copyOf(ch)
	}
	for i, s := range p.steps {
		keep, err := s.Apply(cp)
		if err != nil {
			n := p.index[i]
			return nil, false, &Error{Path: c.path, Index: n, Kind: c.ts[n].Kind(), Err: fmt.Errorf("%s %s change: %w", in.ID, op, err)}
		}
		if !keep {
			return nil, false, nil
		}
		cp.Table = s.Table()
	}
	return cp, true, nil
}

// copyOf returns a copy of ch for the plan's steps: with rows of its own when a step
// writes to them.
func (p *plan) copyOf(ch *event.Change) *event.Change {
	if !p.copy {
		cp := new(event.Change)
		*cp = *ch
		return cp
	}
	var cp *event.Change
	var buf []any
	// One allocation for the change and its rows, where they are small.
	n := len(ch.Before) + len(ch.After)
	switch {
	case n+p.grow <= 12:
		o := &owned12{c: *ch}
		cp, buf = &o.c, o.rows[:n:n+p.grow]
	case n+p.grow <= 24:
		o := &owned24{c: *ch}
		cp, buf = &o.c, o.rows[:n:n+p.grow]
	default:
		cp = new(event.Change)
		*cp = *ch
		buf = make([]any, n, n+p.grow)
	}
	// Both images in buf; after is last, with room to grow.
	copy(buf, ch.Before)
	copy(buf[len(ch.Before):], ch.After)
	if ch.Before != nil {
		cp.Before = buf[:len(ch.Before):len(ch.Before)]
	}
	if ch.After != nil {
		cp.After = buf[len(ch.Before):]
	}
	return cp
}

// owned12 and owned24 are a change with room for its rows.
type owned12 struct {
	c    event.Change
	rows [12]any
}

type owned24 struct {
	c    event.Change
	rows [24]any
}
