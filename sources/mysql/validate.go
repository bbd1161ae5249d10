package mysql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/dovetail-cdc/dovetail/internal/check"
)

// Validate checks the prerequisites of Run without changing anything: the binlog
// settings (log_bin, binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL,
// server_id, GTIDs), the account's replication privileges, SELECT on every captured
// table, configured tables that do not exist, and column types the source cannot
// decode. Every problem carries the command that fixes it. The error is for failures
// to check at all, other than failing to connect (reported as a problem).
func (s *Source) Validate(ctx context.Context) ([]check.Problem, error) {
	c, err := connect(ctx, s.conn)
	if err != nil {
		return []check.Problem{{Level: check.Error, What: fmt.Sprintf("cannot connect: %v", err),
			Fix: "check source.dsn (host, port, user, password) and that the server is running"}}, nil
	}
	defer c.Close()
	var ps []check.Problem
	add := func(l check.Level, fix, what string, args ...any) {
		ps = append(ps, check.Problem{Level: l, What: fmt.Sprintf(what, args...), Fix: fix})
	}
	info, err := queryServer(c, s.cfg.Flavor)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	if !info.logBin {
		add(check.Error, "in my.cnf, [mysqld]: log_bin=mysql-bin and server_id=1 (any id unique among your servers); then restart the server",
			"log_bin is OFF: the server writes no binlog")
	}
	if info.binlogFormat != "ROW" {
		add(check.Error, "SET GLOBAL binlog_format = 'ROW'; and in my.cnf: binlog_format=ROW",
			"binlog_format is %s, the source needs ROW", info.binlogFormat)
	}
	if info.rowImage != "" && info.rowImage != "FULL" {
		add(check.Error, "SET GLOBAL binlog_row_image = 'FULL'; and in my.cnf: binlog_row_image=FULL",
			"binlog_row_image is %s, the source needs FULL (every column in before and after images)", info.rowImage)
	}
	if info.rowMetadata != "FULL" {
		add(check.Warning, "SET GLOBAL binlog_row_metadata = 'FULL'; and in my.cnf: binlog_row_metadata=FULL (MariaDB 10.5+, MySQL 8.0.1+)",
			"binlog_row_metadata is %s: the source cannot check its tracked schema against the binlog's column names, so a DDL it did not see goes unnoticed unless the column count changed",
			orNone(info.rowMetadata))
	}
	switch info.serverID {
	case 0:
		add(check.Error, "in my.cnf: server_id=1 (any id unique among your servers); then restart the server",
			"server_id is 0: the server refuses replicas")
	case s.cfg.ServerID:
		add(check.Error, fmt.Sprintf("set source.mysql.server_id to an id other than %d", s.cfg.ServerID),
			"the server's server_id is %d, the same as the source's", info.serverID)
	}
	if info.flavor == FlavorMySQL && info.gtidMode != "ON" {
		add(check.Warning, "SET GLOBAL enforce_gtid_consistency = ON; then gtid_mode OFF_PERMISSIVE, ON_PERMISSIVE, ON step by step (SET GLOBAL gtid_mode = ...); and in my.cnf: gtid_mode=ON, enforce_gtid_consistency=ON",
			"gtid_mode is %s: positions are binlog file and offset, which do not survive a failover to another server", orNone(info.gtidMode))
	}

	// Privileges.
	user := "CURRENT_USER"
	if r, err := c.Execute("SELECT CURRENT_USER()"); err == nil {
		if u, err := r.GetString(0, 0); err == nil {
			if name, host, ok := strings.Cut(u, "@"); ok {
				user = quoteString(name) + "@" + quoteString(host)
			}
		}
	}
	grants, err := globalPrivileges(c)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	if !grants["ALL PRIVILEGES"] && !grants["REPLICATION SLAVE"] {
		add(check.Error, "GRANT REPLICATION SLAVE ON *.* TO "+user+";",
			"user %s lacks REPLICATION SLAVE: the server will refuse to send the binlog", user)
	}
	if _, err := currentPosition(c, info); err != nil {
		var me *gmysql.MyError
		if errors.As(err, &me) && (me.Code == gmysql.ER_SPECIFIC_ACCESS_DENIED_ERROR || me.Code == gmysql.ER_ACCESS_DENIED_ERROR) {
			priv := "REPLICATION CLIENT"
			if info.flavor == FlavorMariaDB {
				priv = "BINLOG MONITOR" // MariaDB 10.5+; REPLICATION CLIENT is its old alias
			}
			add(check.Error, "GRANT "+priv+" ON *.* TO "+user+";",
				"user %s cannot read the binlog position (SHOW MASTER STATUS): it lacks %s", user, priv)
		} else if info.logBin {
			return nil, fmt.Errorf("validate: %w", err)
		}
	}

	// Tables.
	sch, err := loadSchema(c, &s.cfg, info.flavor, info.charset, newDDLParser())
	if err != nil {
		add(check.Error, "see the error; report it if the DDL is valid", "cannot read the captured tables' schema: %v", err)
		return ps, nil
	}
	for _, p := range s.cfg.Tables {
		db, name, _ := splitPattern(p)
		if !isGlob(p) {
			if sch.get(db, name) == nil {
				add(check.Error, "GRANT SELECT ON "+quoteIdent(db)+"."+quoteIdent(name)+" TO "+user+"; or create the table, or remove "+p+" from source.tables",
					"table %s in source.tables does not exist, or user %s has no privilege on it", p, user)
			}
			continue
		}
		n := 0
		for _, t := range sch.tables {
			if matchPattern(p, t.db, t.name) && s.cfg.included(t.db, t.name) {
				n++
			}
		}
		if n == 0 {
			add(check.Warning, "check the pattern in source.tables", "table pattern %s matches no table", p)
		}
	}
	for _, id := range sortedKeys(sch.tables) {
		t := sch.tables[id]
		if !s.cfg.included(t.db, t.name) {
			continue
		}
		et, _, err := eventTable(t, s.cfg.KeyColumns[t.id()])
		if err != nil {
			add(check.Error, "exclude the table (source.exclude_tables) or change the column's type", "%v", err)
			continue
		}
		if len(et.Key) == 0 {
			add(check.Warning, "add a primary key, or set source.key_columns for "+t.id(),
				"table %s has no primary key: its records get a null key, so a row's changes may go to different partitions", t.id())
		}
		if _, err := c.Execute("SELECT 1 FROM " + quoteIdent(t.db) + "." + quoteIdent(t.name) + " LIMIT 0"); err != nil {
			var me *gmysql.MyError
			if errors.As(err, &me) {
				add(check.Error, "GRANT SELECT ON "+quoteIdent(t.db)+"."+quoteIdent(t.name)+" TO "+user+";",
					"user %s cannot SELECT from %s: %s", user, t.id(), me.Message)
				continue
			}
			return nil, fmt.Errorf("validate: %w", err)
		}
	}
	return ps, nil
}

func orNone(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

// globalPrivileges reads the privileges granted to the current user ON *.* from
// SHOW GRANTS (privileges that come through roles are not seen).
func globalPrivileges(c interface {
	Execute(string, ...any) (*gmysql.Result, error)
}) (map[string]bool, error) {
	r, err := c.Execute("SHOW GRANTS")
	if err != nil {
		return nil, fmt.Errorf("read grants: %w", err)
	}
	out := map[string]bool{}
	for i := range r.RowNumber() {
		g, _ := r.GetString(i, 0)
		up := strings.ToUpper(g)
		rest, ok := strings.CutPrefix(up, "GRANT ")
		if !ok {
			continue
		}
		privs, on, ok := strings.Cut(rest, " ON ")
		if !ok || !strings.HasPrefix(strings.TrimSpace(on), "*.*") {
			continue
		}
		for _, p := range strings.Split(privs, ",") {
			out[strings.TrimSpace(p)] = true
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
