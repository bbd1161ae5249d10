package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/check"
)

// Validate checks the prerequisites of Run without changing anything: wal_level, free
// replication slots and WAL senders, the REPLICATION privilege, SELECT on every captured
// table, the right to create (or extend) the publication, configured tables that do not
// exist, and replica identities that make Postgres reject UPDATE/DELETE once published.
// Every problem carries the command that fixes it. The error is for failures to check
// at all, other than failing to connect (reported as a problem).
func (s *Source) Validate(ctx context.Context) ([]check.Problem, error) {
	ccfg, err := pgx.ParseConfig(s.cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("validate: dsn: %w", redactErr(err))
	}
	conn, err := pgx.ConnectConfig(ctx, ccfg)
	if err != nil {
		return []check.Problem{{Level: check.Error,
			What: fmt.Sprintf("cannot connect to database %s on %s: %v", ccfg.Database, ccfg.Host, redactErr(err)),
			Fix:  "check source.dsn, pg_hba.conf and that the server is running"}}, nil
	}
	defer conn.Close(context.Background())

	var ps []check.Problem
	add := func(l check.Level, fix, what string, args ...any) {
		ps = append(ps, check.Problem{Level: l, What: fmt.Sprintf(what, args...), Fix: fix})
	}
	info, err := queryServer(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	role := pgx.Identifier{info.user}.Sanitize()
	if info.walLevel != "logical" {
		add(check.Error, "ALTER SYSTEM SET wal_level = logical; -- then restart Postgres",
			"wal_level is %s, logical replication needs logical", info.walLevel)
	}
	if !info.super && !info.repl {
		add(check.Error, "ALTER ROLE "+role+" WITH REPLICATION;",
			"role %s has neither the REPLICATION attribute nor superuser", info.user)
	}

	// Slots and WAL senders.
	var slotExists bool
	var slotPlugin, slotDB *string
	err = conn.QueryRow(ctx, `SELECT plugin, database FROM pg_replication_slots WHERE slot_name = $1`, s.cfg.Slot).
		Scan(&slotPlugin, &slotDB)
	switch {
	case err == nil:
		slotExists = true
		if slotPlugin == nil || *slotPlugin != "pgoutput" || slotDB == nil || *slotDB != info.database {
			add(check.Error, fmt.Sprintf("SELECT pg_drop_replication_slot('%s'); -- or configure another source.postgres.slot", s.cfg.Slot),
				"replication slot %s exists but is not a pgoutput slot of database %s", s.cfg.Slot, info.database)
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("validate: read slot %s: %w", s.cfg.Slot, err)
	}
	var maxSlots, usedSlots, maxSenders, usedSenders int
	err = conn.QueryRow(ctx, `SELECT current_setting('max_replication_slots')::int,
			(SELECT count(*) FROM pg_replication_slots),
			current_setting('max_wal_senders')::int,
			(SELECT count(*) FROM pg_stat_replication)`).Scan(&maxSlots, &usedSlots, &maxSenders, &usedSenders)
	if err != nil {
		return nil, fmt.Errorf("validate: read replication limits: %w", err)
	}
	if !slotExists && usedSlots >= maxSlots {
		add(check.Error, fmt.Sprintf("ALTER SYSTEM SET max_replication_slots = %d; -- then restart Postgres", maxSlots+4),
			"all %d replication slots are in use (max_replication_slots)", maxSlots)
	}
	if usedSenders >= maxSenders {
		add(check.Error, fmt.Sprintf("ALTER SYSTEM SET max_wal_senders = %d; -- then restart Postgres", maxSenders+4),
			"all %d WAL senders are in use (max_wal_senders)", maxSenders)
	}

	// Tables.
	all, err := listTables(ctx, conn, s.cfg.Publication)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	tables, missing := s.cfg.resolveTables(all)
	for _, m := range missing {
		add(check.Error, "create the table, or remove "+m+" from source.tables",
			"table %s in source.tables does not exist in database %s", m, info.database)
	}
	for _, p := range s.cfg.Tables {
		if !isGlob(p) {
			continue
		}
		n := 0
		for _, t := range tables {
			if matchPattern(p, t.schema, t.name) {
				n++
			}
		}
		if n == 0 {
			add(check.Warning, "check the pattern in source.tables", "table pattern %s matches no table", p)
		}
	}
	for _, t := range tables {
		if !t.selectable {
			add(check.Error, "GRANT SELECT ON "+t.quoted()+" TO "+role+";", "role %s cannot SELECT from %s", info.user, t)
		}
		if !t.hasPK && (t.replIdent == 'd' || t.replIdent == 'n') {
			add(check.Warning, "ALTER TABLE "+t.quoted()+" REPLICA IDENTITY FULL;",
				"table %s has no primary key and no REPLICA IDENTITY FULL: while it is published, Postgres rejects its UPDATEs and DELETEs", t)
		}
	}

	// Publication.
	var pubAll bool
	err = conn.QueryRow(ctx, `SELECT puballtables FROM pg_publication WHERE pubname = $1`, s.cfg.Publication).Scan(&pubAll)
	pubExists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("validate: read publication %s: %w", s.cfg.Publication, err)
	}
	pub := pgx.Identifier{s.cfg.Publication}.Sanitize()
	var names []string
	for _, t := range tables {
		names = append(names, t.quoted())
	}
	if !pubExists {
		var canCreate bool
		if err := conn.QueryRow(ctx, `SELECT has_database_privilege(current_database(), 'CREATE')`).Scan(&canCreate); err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
		fix := "CREATE PUBLICATION " + pub
		if len(names) > 0 {
			fix += " FOR TABLE " + strings.Join(names, ", ")
		}
		if !canCreate && !info.super {
			add(check.Error, "GRANT CREATE ON DATABASE "+pgx.Identifier{info.database}.Sanitize()+" TO "+role+"; -- or, as a table owner: "+fix+";",
				"publication %s does not exist and role %s may not create it", s.cfg.Publication, info.user)
		}
	}
	if !pubAll && !info.super {
		for _, t := range tables {
			if !t.inPublished && !t.owned {
				add(check.Error, "ALTER PUBLICATION "+pub+" ADD TABLE "+t.quoted()+"; -- as the owner of "+t.String(),
					"publication %s must include %s, which role %s does not own and so cannot add", s.cfg.Publication, t, info.user)
			}
		}
	}
	return ps, nil
}
