package testpg_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

func query(t *testing.T, dsn, q string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

func TestNewDB(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	if got := query(t, dsn, "SHOW wal_level"); got != "logical" {
		t.Errorf("wal_level = %q, want logical", got)
	}
	testpg.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)",
		"SELECT pg_create_logical_replication_slot('s_'||current_database(), 'pgoutput')")
	other := testpg.NewDB(t)
	if query(t, dsn, "SELECT current_database()") == query(t, other, "SELECT current_database()") {
		t.Error("two NewDB calls returned the same database")
	}
}

func TestNewRole(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)")
	role := testpg.NewRole(t, dsn, "NOREPLICATION")
	if got := query(t, role, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"); got != "false" {
		t.Errorf("role is superuser: %s", got)
	}
	testpg.Exec(t, dsn, "GRANT SELECT ON t TO "+pgx.Identifier{query(t, role, "SELECT current_user")}.Sanitize())
}

func TestRestart(t *testing.T) {
	t.Parallel()
	s := testpg.New(t)
	dsn := s.NewDB(t)
	testpg.Exec(t, dsn, "CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)")
	s.Restart(t)
	if got := query(t, dsn, "SELECT count(*)::text FROM t"); got != "1" {
		t.Errorf("after restart count = %s", got)
	}
}
