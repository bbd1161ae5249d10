package testmaria_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
)

func TestMain(m *testing.M) { testmaria.Main(m) }

func TestNewDB(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	other := testmaria.NewDB(t)
	if testmaria.QueryString(t, dsn, "SELECT DATABASE()") == testmaria.QueryString(t, other, "SELECT DATABASE()") {
		t.Fatal("two NewDB calls returned the same database")
	}
	testmaria.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
	testmaria.Exec(t, other, "CREATE TABLE t (id int PRIMARY KEY)")
	if got := testmaria.QueryString(t, dsn, "SELECT COUNT(*) FROM t"); got != "2" {
		t.Errorf("count in first database = %s, want 2", got)
	}
	if got := testmaria.QueryString(t, other, "SELECT COUNT(*) FROM t"); got != "0" {
		t.Errorf("count in second database = %s, want 0", got)
	}
	if got := testmaria.QueryString(t, dsn, "SELECT @@character_set_database"); got != "utf8mb4" {
		t.Errorf("character_set_database = %s, want utf8mb4", got)
	}
}

func TestNewDBDroppedAtCleanup(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("inner", func(t *testing.T) {
		dsn := testmaria.NewDB(t)
		name = testmaria.QueryString(t, dsn, "SELECT DATABASE()")
		// A leaked connection inside a transaction must not block the drop.
		d, err := testmaria.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.Connect(d.Addr(), d.User, d.Password, d.DB)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Execute("CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		if err := c.Begin(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Execute("INSERT INTO t VALUES (1)"); err != nil {
			t.Fatal(err)
		}
	})
	root := testmaria.Shared(t).DSN()
	if n := testmaria.QueryString(t, root, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '"+name+"'"); n != "0" {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestBinlogSettings(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	want := map[string]string{
		"log_bin":              "ON",
		"binlog_format":        "ROW",
		"binlog_row_image":     "FULL",
		"binlog_row_metadata":  "FULL",
		"gtid_strict_mode":     "ON",
		"log_slave_updates":    "ON",
		"character_set_server": "utf8mb4",
	}
	for name, v := range want {
		if got := testmaria.QueryString(t, dsn, "SELECT @@GLOBAL."+name); !strings.EqualFold(got, v) && !(v == "ON" && got == "1") {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	testmaria.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	if pos := testmaria.QueryString(t, dsn, "SELECT @@GLOBAL.gtid_binlog_pos"); pos == "" {
		t.Error("gtid_binlog_pos is empty after a write")
	}
}

func TestRootConnectsWithGoMySQL(t *testing.T) {
	t.Parallel()
	d, err := testmaria.ParseDSN(testmaria.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.ConnectWithContext(ctx, d.Addr(), d.User, d.Password, d.DB, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Execute("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.RowNumber() != 1 {
		t.Errorf("SHOW MASTER STATUS: %d rows, want 1", r.RowNumber())
	}
}

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	s := testmaria.New(t)
	dsn := s.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1), (2), (3)")
	pos := testmaria.QueryString(t, dsn, "SELECT @@GLOBAL.gtid_binlog_pos")
	s.Restart(t)
	if got := testmaria.QueryString(t, dsn, "SELECT COUNT(*) FROM t"); got != "3" {
		t.Errorf("after restart: count = %s, want 3", got)
	}
	if got := testmaria.QueryString(t, dsn, "SELECT @@GLOBAL.gtid_binlog_pos"); got != pos {
		t.Errorf("after restart: gtid_binlog_pos = %q, want %q", got, pos)
	}
}

func TestNewWithArgs(t *testing.T) {
	t.Parallel()
	s := testmaria.NewWith(t, testmaria.Options{Args: []string{"--binlog-format=STATEMENT"}})
	if got := testmaria.QueryString(t, s.DSN(), "SELECT @@GLOBAL.binlog_format"); got != "STATEMENT" {
		t.Errorf("binlog_format = %q, want STATEMENT", got)
	}
}

func TestNewUser(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	db := testmaria.QueryString(t, dsn, "SELECT DATABASE()")

	reader := testmaria.NewUser(t, dsn, "SELECT ON "+testmaria.QuoteIdent(db)+".*")
	if got := testmaria.QueryString(t, reader, "SELECT COUNT(*) FROM t"); got != "1" {
		t.Errorf("reader: count = %s, want 1", got)
	}
	d, err := testmaria.ParseDSN(reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(d.Addr(), d.User, d.Password, d.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var me *mysql.MyError
	if _, err := c.Execute("SHOW MASTER STATUS"); !errors.As(err, &me) || me.Code != mysql.ER_SPECIFIC_ACCESS_DENIED_ERROR {
		t.Errorf("reader: SHOW MASTER STATUS: err = %v, want access denied", err)
	}
	if _, err := c.Execute("INSERT INTO t VALUES (2)"); !errors.As(err, &me) || me.Code != mysql.ER_TABLEACCESS_DENIED_ERROR {
		t.Errorf("reader: INSERT: err = %v, want access denied", err)
	}

	// A user without privileges on dsn's database connects without one.
	repl := testmaria.WithDatabase(testmaria.NewUser(t, dsn, "REPLICATION SLAVE, BINLOG MONITOR ON *.*"), "")
	if got := testmaria.QueryString(t, repl, "SHOW MASTER STATUS"); !strings.HasPrefix(got, "binlog.") {
		t.Errorf("replication user: SHOW MASTER STATUS file = %q", got)
	}
}

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want testmaria.DSN
	}{
		{"root@tcp(127.0.0.1:3306)/", testmaria.DSN{User: "root", Host: "127.0.0.1", Port: 3306}},
		{"u:p@ss:w@tcp(localhost:13306)/db?parseTime=true",
			testmaria.DSN{User: "u", Password: "p@ss:w", Host: "localhost", Port: 13306, DB: "db", Params: "parseTime=true"}},
		{"u:p@tcp([::1]:3306)/db", testmaria.DSN{User: "u", Password: "p", Host: "::1", Port: 3306, DB: "db"}},
	} {
		got, err := testmaria.ParseDSN(tc.in)
		if err != nil {
			t.Errorf("ParseDSN(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseDSN(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("ParseDSN(%q).String() = %q", tc.in, s)
		}
	}
	for _, bad := range []string{"", "root@127.0.0.1:3306/db", "root@tcp(127.0.0.1)/db", "tcp(127.0.0.1:3306)/db"} {
		if _, err := testmaria.ParseDSN(bad); err == nil {
			t.Errorf("ParseDSN(%q): no error", bad)
		}
	}
}

// TestBinlogSyncer checks that the credentials and settings suit go-mysql's BinlogSyncer:
// it logs in as root and as a user with only replication grants, and sees a row event
// with full metadata.
func TestBinlogSyncer(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	for _, who := range []string{"root", "replication user"} {
		t.Run(who, func(t *testing.T) {
			login := dsn
			if who != "root" {
				login = testmaria.NewUser(t, dsn, "REPLICATION SLAVE, BINLOG MONITOR ON *.*")
			}
			d, err := testmaria.ParseDSN(login)
			if err != nil {
				t.Fatal(err)
			}
			table := strings.ReplaceAll(who, " ", "_")
			pos := testmaria.QueryString(t, dsn, "SELECT @@GLOBAL.gtid_binlog_pos")
			gset, err := mysql.ParseMariadbGTIDSet(pos)
			if err != nil {
				t.Fatal(err)
			}
			syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
				ServerID: 1000 + uint32(len(who)), Flavor: mysql.MariaDBFlavor,
				Host: d.Host, Port: d.Port, User: d.User, Password: d.Password,
				Logger: slog.New(slog.DiscardHandler),
			})
			defer syncer.Close()
			stream, err := syncer.StartSyncGTID(gset)
			if err != nil {
				t.Fatal(err)
			}
			testmaria.Exec(t, dsn, "CREATE TABLE "+table+" (id int PRIMARY KEY, name varchar(10))",
				"INSERT INTO "+table+" VALUES (1, 'a')")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for {
				ev, err := stream.GetEvent(ctx)
				if err != nil {
					t.Fatal(err)
				}
				rows, ok := ev.Event.(*replication.RowsEvent)
				if !ok || string(rows.Table.Table) != table {
					continue
				}
				if names := rows.Table.ColumnNameString(); len(names) != 2 || names[1] != "name" {
					t.Errorf("column names = %v, want [id name] (binlog_row_metadata=FULL)", names)
				}
				if len(rows.Rows) != 1 || rows.Rows[0][1] != "a" {
					t.Errorf("rows = %v, want [[1 a]]", rows.Rows)
				}
				return
			}
		})
	}
}
