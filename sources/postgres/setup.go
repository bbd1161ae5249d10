package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Sentinel errors for what callers and tests branch on; Run wraps them with detail.
var (
	ErrWalLevel     = errors.New("wal_level is not logical")
	ErrMissingTable = errors.New("configured table does not exist")
	ErrSlot         = errors.New("replication slot unusable")
)

// serverInfo is what the source learns about the server before streaming.
type serverInfo struct {
	version  int // server_version_num
	database string
	walLevel string
	user     string
	super    bool
	repl     bool
}

func queryServer(ctx context.Context, db *pgx.Conn) (serverInfo, error) {
	var si serverInfo
	err := db.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_database(),
		current_setting('wal_level'), current_user, r.rolsuper, r.rolreplication
		FROM pg_roles r WHERE r.rolname = current_user`).
		Scan(&si.version, &si.database, &si.walLevel, &si.user, &si.super, &si.repl)
	if err != nil {
		return si, fmt.Errorf("query server settings: %w", err)
	}
	return si, nil
}

// tableInfo is a table of the database as the catalog describes it.
type tableInfo struct {
	oid         uint32
	schema      string
	name        string
	replIdent   byte // d default, n nothing, f full, i index
	hasPK       bool
	selectable  bool
	owned       bool
	inPublished bool
}

func (t tableInfo) String() string { return t.schema + "." + t.name }

func (t tableInfo) quoted() string { return pgx.Identifier{t.schema, t.name}.Sanitize() }

// listTables returns every ordinary or partitioned table outside the system schemas,
// with what Validate and the publication need to know about it.
func listTables(ctx context.Context, db *pgx.Conn, publication string) ([]tableInfo, error) {
	rows, err := db.Query(ctx, `
		SELECT c.oid, n.nspname, c.relname, c.relreplident::text,
			EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
			has_table_privilege(c.oid, 'SELECT'),
			pg_has_role(c.relowner, 'USAGE'),
			EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
				WHERE pr.prrelid = c.oid AND p.pubname = $1)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
			AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
		ORDER BY 2, 3`, publication)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out []tableInfo
	for rows.Next() {
		var t tableInfo
		var ri string
		if err := rows.Scan(&t.oid, &t.schema, &t.name, &ri, &t.hasPK, &t.selectable, &t.owned, &t.inPublished); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		t.replIdent = ri[0]
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return out, nil
}

// resolveTables returns the tables the config captures, and the exact (glob-free)
// include patterns that name no table.
func (cfg *Config) resolveTables(all []tableInfo) (in []tableInfo, missing []string) {
	for _, t := range all {
		if cfg.included(t.schema, t.name) {
			in = append(in, t)
		}
	}
	for _, p := range cfg.Tables {
		if isGlob(p) {
			continue
		}
		found := false
		for _, t := range all {
			if matchPattern(p, t.schema, t.name) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, p)
		}
	}
	return in, missing
}

// syncPublication creates the publication for tables, or makes its table list equal to
// tables. A FOR ALL TABLES publication is left alone (the source filters itself).
func syncPublication(ctx context.Context, db *pgx.Conn, name string, tables []tableInfo) error {
	ident := pgx.Identifier{name}.Sanitize()
	var allTables bool
	err := db.QueryRow(ctx, `SELECT puballtables FROM pg_publication WHERE pubname = $1`, name).Scan(&allTables)
	if errors.Is(err, pgx.ErrNoRows) {
		q := "CREATE PUBLICATION " + ident
		if len(tables) > 0 {
			names := make([]string, len(tables))
			for i, t := range tables {
				names[i] = t.quoted()
			}
			q += " FOR TABLE " + strings.Join(names, ", ")
		}
		if _, err := db.Exec(ctx, q); err != nil {
			return fmt.Errorf("create publication %s: %w", name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read publication %s: %w", name, err)
	}
	if allTables {
		return nil
	}
	rows, err := db.Query(ctx, `SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1`, name)
	if err != nil {
		return fmt.Errorf("read publication %s: %w", name, err)
	}
	have, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var s, t string
		err := r.Scan(&s, &t)
		return pgx.Identifier{s, t}.Sanitize(), err
	})
	if err != nil {
		return fmt.Errorf("read publication %s: %w", name, err)
	}
	var want []string
	for _, t := range tables {
		want = append(want, t.quoted())
	}
	var add, drop []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			drop = append(drop, h)
		}
	}
	if len(add) > 0 {
		if _, err := db.Exec(ctx, "ALTER PUBLICATION "+ident+" ADD TABLE "+strings.Join(add, ", ")); err != nil {
			return fmt.Errorf("add tables %s to publication %s: %w", strings.Join(add, ", "), name, err)
		}
	}
	if len(drop) > 0 {
		if _, err := db.Exec(ctx, "ALTER PUBLICATION "+ident+" DROP TABLE "+strings.Join(drop, ", ")); err != nil {
			return fmt.Errorf("drop tables %s from publication %s: %w", strings.Join(drop, ", "), name, err)
		}
	}
	return nil
}

// ensureSlot creates the pgoutput slot when missing and returns its confirmed flush LSN.
func ensureSlot(ctx context.Context, db *pgx.Conn, slot, database string) (LSN, error) {
	var plugin, slotDB, confirmed *string
	err := db.QueryRow(ctx, `SELECT plugin, database, confirmed_flush_lsn::text FROM pg_replication_slots
		WHERE slot_name = $1`, slot).Scan(&plugin, &slotDB, &confirmed)
	if errors.Is(err, pgx.ErrNoRows) {
		var lsn string
		if err := db.QueryRow(ctx, `SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')`, slot).Scan(&lsn); err != nil {
			return 0, fmt.Errorf("create replication slot %s: %w", slot, err)
		}
		return ParseLSN(lsn)
	}
	if err != nil {
		return 0, fmt.Errorf("read replication slot %s: %w", slot, err)
	}
	if plugin == nil || *plugin != "pgoutput" || slotDB == nil || *slotDB != database {
		return 0, fmt.Errorf("%w: slot %s is not a pgoutput slot of database %s; choose another slot name or drop it: SELECT pg_drop_replication_slot('%s');",
			ErrSlot, slot, database, slot)
	}
	if confirmed == nil {
		return 0, fmt.Errorf("%w: slot %s has no confirmed_flush_lsn", ErrSlot, slot)
	}
	return ParseLSN(*confirmed)
}
