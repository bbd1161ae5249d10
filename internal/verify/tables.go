package verify

import (
	"context"
	"fmt"
)

// Lister is a Reader that can list the base tables of its database (the source side
// of `dovetail verify`, which compares every captured table).
type Lister interface {
	Tables(ctx context.Context) ([]TableRef, error)
}

// Tables lists the base tables of e outside the system schemas, in name order.
func Tables(ctx context.Context, e Endpoint) ([]TableRef, error) {
	r, err := e.open(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	l, ok := r.(Lister)
	if !ok {
		return nil, fmt.Errorf("verify: %s databases cannot list their tables", e.Kind)
	}
	return l.Tables(ctx)
}

// Tables implements Lister.
func (r *pgReader) Tables(ctx context.Context) ([]TableRef, error) {
	rows, err := r.conn.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []TableRef
	for rows.Next() {
		var t TableRef
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Tables implements Lister.
func (r *myReader) Tables(ctx context.Context) ([]TableRef, error) {
	res, err := r.execute(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
		AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := make([]TableRef, 0, res.RowNumber())
	for i := range res.RowNumber() {
		db := resultString(res, i, 0)
		name := resultString(res, i, 1)
		out = append(out, TableRef{Schema: db, Name: name})
	}
	return out, nil
}

// Describe describes the tables refs of e: their columns and primary keys (`dovetail
// validate` checks the columns transforms name with it).
func Describe(ctx context.Context, e Endpoint, refs []TableRef) ([]*Table, error) {
	r, err := e.open(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := make([]*Table, 0, len(refs))
	for _, ref := range refs {
		t, err := r.Table(ctx, ref)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
