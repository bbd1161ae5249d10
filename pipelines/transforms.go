package pipelines

import (
	"fmt"
	"strings"
	"sync"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/schema"
	"github.com/dovetail-cdc/dovetail/transform"
)

// chainOf builds a transforms list of file; path is its key (transforms,
// sinks[0].transforms) and prefix the topic prefix routes match. It returns nil for an
// empty list. Expressions are compiled here, so their errors come at start-up, each a
// *configs.Error.
func chainOf(file, path, prefix string, list []configs.Transform) (*transform.Chain, error) {
	if len(list) == 0 {
		return nil, nil
	}
	ts := make([]transform.Transform, len(list))
	for i := range list {
		c := &list[i]
		var (
			t   transform.Transform
			err error
		)
		switch c.Kind {
		case "mask":
			t, err = transform.NewMask(c.Mask.Columns, c.Mask.With, c.Mask.Chars)
		case "hash":
			t, err = transform.NewHash(c.Hash.Columns, c.Hash.Algorithm, c.Hash.Salt.Value())
		case "truncate":
			t, err = transform.NewTruncate(c.Truncate.Columns, c.Truncate.Length)
		case "drop_columns":
			t, err = transform.NewColumns(c.Kind, nil, c.DropColumns.Columns)
		case "columns":
			t, err = transform.NewColumns(c.Kind, c.Columns.Include, c.Columns.Exclude)
		case "rename":
			if c.Rename.Table != "" {
				t, err = transform.NewRenameTable(c.Rename.Table, c.Rename.To)
			} else {
				t, err = transform.NewRenameColumn(c.Rename.Column, c.Rename.To)
			}
		case "route":
			t, err = transform.NewRoute(prefix, c.Route.Regex, c.Route.Replacement, c.Route.KeyField)
		case "filter":
			t, err = transform.NewFilter(c.Filter.Tables, c.Filter.Where)
		case "skip_ops":
			t, err = transform.NewSkipOps(c.SkipOps)
		case "key_columns":
			t, err = transform.NewKeyColumns(c.KeyColumns)
		case "unwrap":
			t, err = transform.NewUnwrap(c.Unwrap.AddFields, transform.DeleteHandling(c.Unwrap.DeleteHandling))
		default:
			err = fmt.Errorf("unknown transform")
		}
		if err != nil {
			// A config error, as configs.Load reports them: file, list, position, kind.
			return nil, &configs.Error{File: file, Key: fmt.Sprintf("%s[%d] (%s)", path, i, c.Kind), Msg: err.Error()}
		}
		ts[i] = t
	}
	return transform.NewChain(path, ts...), nil
}

// topicTables gives changes read from a topic the table the topic names. A source-side
// rename or route writes a table's changes to the topic of its new name while the
// source block keeps the real name, from which the decoder builds the table: the sink
// applies them to the table of the topic, as Debezium's sinks do.
type topicTables struct {
	prefix string
	mu     sync.Mutex
	tables map[topicTable]*event.Table
}

type topicTable struct {
	t     *event.Table
	topic string
}

// table returns the table of c's changes read from topic: c.Table when the topic is
// its own, else one *Table per (c.Table, topic) with the topic's name.
func (tt *topicTables) table(topic string, t *event.Table) *event.Table {
	if schema.Topic(tt.prefix, t.ID) == topic {
		return t
	}
	rest, ok := strings.CutPrefix(topic, tt.prefix+".")
	ns, name, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return t
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	k := topicTable{t, topic}
	if out := tt.tables[k]; out != nil {
		return out
	}
	id := t.ID
	if id.Schema != "" {
		id.Schema = ns
	} else {
		id.Database = ns
	}
	id.Table = name
	out := &event.Table{ID: id, Columns: t.Columns, Key: t.Key}
	if tt.tables == nil {
		tt.tables = map[topicTable]*event.Table{}
	}
	tt.tables[k] = out
	return out
}
