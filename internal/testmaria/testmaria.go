// Package testmaria runs private MariaDB servers for Dovetail's integration tests.
//
// A test binary calls Main from TestMain: it starts one server with a row-based binary log
// (binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL, GTID strict mode) in
// a temporary directory on a free 127.0.0.1 port (or uses the server named by the
// environment variable DOVETAIL_TEST_MYSQL_DSN, for example one that scripts/test.sh
// started with scripts/mariadb-server.sh), and stops it when the tests are done. Each test
// then takes its own database with NewDB, so tests run in parallel without seeing each
// other. Tests that restart the server, or need other server settings (say
// binlog_format=STATEMENT), start a server of their own with New or NewWith.
//
// DSNs are in go-sql-driver/mysql's format, "user:password@tcp(127.0.0.1:3306)/db";
// ParseDSN splits one into the host, port, user and password that go-mysql's BinlogSyncer
// takes. The servers this package starts have the user root, password RootPassword, with
// every privilege (replication included) from 127.0.0.1.
//
// The servers are started with --no-defaults, so no my.cnf of the machine applies to them,
// and the package never touches a server it did not start, other than creating and
// dropping the uniquely named databases and users of its tests.
package testmaria

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// EnvDSN names the environment variable with the DSN of an already running server to use
// instead of starting one. Its user must be able to create databases and users and grant
// privileges (root, typically).
const EnvDSN = "DOVETAIL_TEST_MYSQL_DSN"

// RootPassword is the password of root on the servers this package (and
// scripts/mariadb-server.sh) starts.
const RootPassword = "dovetail"

// Server is a MariaDB server for tests: one that this package started (and stops), or an
// external one named by EnvDSN.
type Server struct {
	dsn string // root DSN without a database

	// Set only for servers this package started.
	dir  string
	port int
	args []string   // extra server arguments (Options.Args)
	cmd  *exec.Cmd  // the running mariadbd, nil when stopped
	done chan error // receives cmd.Wait's result
}

var (
	shared    *Server
	sharedErr error
	counter   atomic.Int64
)

// Main runs the tests of m with a shared server (see the package comment) and exits with
// their result. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(With(m.Run))
}

// With runs tests (a test binary's m.Run) with the shared server started and stopped around
// them, and returns their exit code; test binaries that need several servers nest their
// packages' With calls in TestMain.
func With(tests func() int) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		if _, err := ParseDSN(dsn); err != nil {
			sharedErr = fmt.Errorf("%s: %w", EnvDSN, err)
		}
		shared = &Server{dsn: WithDatabase(dsn, "")}
	} else {
		shared, sharedErr = Start(ctx)
	}
	cancel()
	if sharedErr != nil {
		fmt.Fprintln(os.Stderr, "testmaria:", sharedErr)
	}
	code := tests()
	if sharedErr == nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testmaria:", err)
		}
	}
	return code
}

// Shared returns the server Main started, failing t when there is none.
func Shared(t testing.TB) *Server {
	t.Helper()
	if shared == nil {
		t.Fatal("testmaria: no server; call testmaria.Main(m) from TestMain")
	}
	if sharedErr != nil {
		t.Fatalf("testmaria: %v", sharedErr)
	}
	return shared
}

// NewDB creates a fresh database on the shared server for t and returns its root DSN.
// The database is dropped when t ends.
func NewDB(t testing.TB) string {
	t.Helper()
	return Shared(t).NewDB(t)
}

// Options change how a private server is set up.
type Options struct {
	// Args are appended to mariadbd's command line after Dovetail's settings, so they
	// override them (e.g. "--binlog-format=STATEMENT", "--skip-log-bin").
	Args []string
}

// New starts a private server for t alone (for tests that restart or stop it) and stops it
// when t ends.
func New(t testing.TB) *Server { return NewWith(t, Options{}) }

// NewWith is New with options.
func NewWith(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := StartWith(ctx, opts)
	if err != nil {
		t.Fatalf("testmaria: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("testmaria: %v", err)
		}
	})
	return s
}

// DSN returns the server's root DSN, without a database.
func (s *Server) DSN() string { return s.dsn }

// Dir returns the directory of a server this package started (data in Dir/data, binary
// logs Dir/binlog.*, error log Dir/error.log), or "" for an external server.
func (s *Server) Dir() string { return s.dir }

// Start initialises and starts a new server in a temporary directory.
func Start(ctx context.Context) (*Server, error) { return StartWith(ctx, Options{}) }

// StartWith is Start with options.
func StartWith(ctx context.Context, opts Options) (*Server, error) {
	dir, err := os.MkdirTemp("", "dovetail-testmaria-")
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	s := &Server{dir: dir, args: opts.Args}
	if err := s.install(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := s.start(ctx, true); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// osUser returns the OS user that mariadbd must switch to: "mysql" when we are root (it
// refuses to run as root otherwise), "" when we are not. That user must be able to reach
// the temporary directory ($TMPDIR, /tmp by default).
func osUser() string {
	if os.Geteuid() == 0 {
		return "mysql"
	}
	return ""
}

func (s *Server) install(ctx context.Context) error {
	// Each server has a tmpdir of its own: mariadbd deletes every #sql* file in its tmpdir
	// when it starts, which breaks any other server in the middle of a statement there.
	if err := os.Mkdir(filepath.Join(s.dir, "tmp"), 0o755); err != nil {
		return fmt.Errorf("start mariadb: %w", err)
	}
	if u := osUser(); u != "" {
		pw, err := user.Lookup(u)
		if err != nil {
			return fmt.Errorf("start mariadb: running as root and no %s OS user: %w", u, err)
		}
		uid, _ := strconv.Atoi(pw.Uid)
		gid, _ := strconv.Atoi(pw.Gid)
		for _, d := range []string{s.dir, filepath.Join(s.dir, "tmp")} {
			if err := os.Chown(d, uid, gid); err != nil {
				return fmt.Errorf("start mariadb: %w", err)
			}
		}
	}
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(s.dir, "data"),
		"--tmpdir=" + filepath.Join(s.dir, "tmp"),
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
		"--innodb-log-file-size=16M"}
	if u := osUser(); u != "" {
		args = append(args, "--user="+u)
	}
	cmd := exec.CommandContext(ctx, "mariadb-install-db", args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mariadb-install-db in %s: %w: %s", s.dir, err, out)
	}
	return nil
}

// serverArgs returns mariadbd's command line; --no-defaults must come first.
func (s *Server) serverArgs() []string {
	args := []string{"--no-defaults",
		"--datadir=" + filepath.Join(s.dir, "data"),
		"--tmpdir=" + filepath.Join(s.dir, "tmp"),
		"--socket=" + s.socket(),
		"--pid-file=" + filepath.Join(s.dir, "mariadbd.pid"),
		"--log-error=" + filepath.Join(s.dir, "error.log"),
		"--port=" + strconv.Itoa(s.port),
		"--bind-address=127.0.0.1",
		"--skip-name-resolve",
		"--log-bin=" + filepath.Join(s.dir, "binlog"),
		"--binlog-format=ROW",
		"--binlog-row-image=FULL",
		"--binlog-row-metadata=FULL",
		"--server-id=1",
		"--log-slave-updates",
		"--gtid-strict-mode=1",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
		"--innodb-buffer-pool-size=64M",
		"--innodb-log-file-size=16M",
		"--innodb-flush-log-at-trx-commit=2",
		"--sync-binlog=0",
		"--max-connections=300",
	}
	if u := osUser(); u != "" {
		args = append(args, "--user="+u)
	}
	return append(args, s.args...)
}

func (s *Server) socket() string { return filepath.Join(s.dir, "mariadbd.sock") }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start starts mariadbd and waits until it accepts connections. On the first start it
// gives root@127.0.0.1 its password.
func (s *Server) start(ctx context.Context, first bool) error {
	if s.port == 0 {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("start mariadb: free port: %w", err)
		}
		s.port = port
	}
	cmd := exec.Command("mariadbd", s.serverArgs()...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	out, err := os.Create(filepath.Join(s.dir, "mariadbd.out"))
	if err != nil {
		return fmt.Errorf("start mariadb: %w", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Start()
	out.Close()
	if err != nil {
		return fmt.Errorf("start mariadb in %s: %w", s.dir, err)
	}
	s.cmd, s.done = cmd, make(chan error, 1)
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		_ = s.shutdown()
		return err
	}
	s.dsn = fmt.Sprintf("root:%s@tcp(127.0.0.1:%d)/", RootPassword, s.port)
	if first {
		err := s.execSocket(ctx,
			"SET sql_log_bin = 0",
			"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '"+RootPassword+"'",
			"ALTER USER 'root'@'::1' IDENTIFIED BY '"+RootPassword+"'")
		if err != nil {
			_ = s.shutdown()
			return err
		}
	}
	// Check the TCP login that tests will use.
	d, _ := ParseDSN(s.dsn)
	c, err := connect(ctx, d)
	if err != nil {
		_ = s.shutdown()
		return fmt.Errorf("start mariadb in %s: %w", s.dir, err)
	}
	c.Close()
	return nil
}

// waitReady polls the server's unix socket until a login as root succeeds, the server
// exits, or 60s pass.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last error
	for {
		c, err := client.ConnectWithContext(ctx, s.socket(), "root", "", "", 5*time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
		select {
		case err := <-s.done:
			s.cmd = nil
			log, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
			return fmt.Errorf("start mariadb in %s on port %d: mariadbd exited: %v\n%s", s.dir, s.port, err, log)
		case <-ctx.Done():
			log, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
			return fmt.Errorf("start mariadb in %s on port %d: not ready: %w (last: %v)\n%s", s.dir, s.port, ctx.Err(), last, log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// execSocket runs statements as root over the unix socket (root@localhost has no password).
func (s *Server) execSocket(ctx context.Context, sql ...string) error {
	c, err := client.ConnectWithContext(ctx, s.socket(), "root", "", "", 10*time.Second)
	if err != nil {
		return fmt.Errorf("set up mariadb in %s: %w", s.dir, err)
	}
	defer c.Close()
	for _, q := range sql {
		if _, err := c.Execute(q); err != nil {
			return fmt.Errorf("set up mariadb in %s: %s: %w", s.dir, q, err)
		}
	}
	return nil
}

// shutdown stops mariadbd cleanly (SIGTERM) and waits for it to exit.
func (s *Server) shutdown() error {
	if s.cmd == nil {
		return nil
	}
	cmd := s.cmd
	s.cmd = nil
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop mariadb in %s: %w", s.dir, err)
	}
	select {
	case err := <-s.done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return fmt.Errorf("stop mariadb in %s: %w", s.dir, err)
		}
		return nil
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("stop mariadb in %s: no clean shutdown within 2m; killed", s.dir)
	}
}

// Stop stops a server this package started and removes its directory. It does nothing for
// an external server.
func (s *Server) Stop() error {
	if s.dir == "" {
		return nil
	}
	if err := s.shutdown(); err != nil {
		return err
	}
	return os.RemoveAll(s.dir)
}

// Restart stops the server cleanly (connections are cut) and starts it again on the same
// port with the same data. Only for servers this package started.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.dir == "" {
		t.Fatal("testmaria: cannot restart an external server")
	}
	if err := s.shutdown(); err != nil {
		t.Fatalf("testmaria: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.start(ctx, false); err != nil {
		t.Fatalf("testmaria: %v", err)
	}
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// uniqueName returns an identifier of at most max bytes, unique within the process and
// the server's lifetime, derived from the test's name.
func uniqueName(t testing.TB, prefix string, max int) string {
	n := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	suffix := fmt.Sprintf("_%d_%d", os.Getpid(), counter.Add(1))
	if m := max - len(prefix) - len(suffix); len(n) > m {
		n = n[:m]
	}
	return prefix + n + suffix
}

// NewDB creates a fresh, uniquely named database (utf8mb4) for t and returns its root DSN.
// When t ends, the connections still using it are killed and it is dropped.
func (s *Server) NewDB(t testing.TB) string {
	t.Helper()
	name := uniqueName(t, "dt_", 64)
	Exec(t, s.dsn, "CREATE DATABASE "+QuoteIdent(name)+" CHARACTER SET utf8mb4")
	t.Cleanup(func() {
		if err := s.dropDB(name); err != nil {
			t.Errorf("testmaria: %v", err)
		}
	})
	return WithDatabase(s.dsn, name)
}

func (s *Server) dropDB(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := ParseDSN(s.dsn)
	if err != nil {
		return err
	}
	c, err := connect(ctx, d)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer c.Close()
	// An open transaction of a leaked connection would block DROP DATABASE.
	if err := killWhere(c, "DB = '"+name+"'"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	if _, err := c.Execute("SET SESSION lock_wait_timeout = 30"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	if _, err := c.Execute("DROP DATABASE IF EXISTS " + QuoteIdent(name)); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// killWhere kills the connections of information_schema.PROCESSLIST matching cond, other
// than c's own.
func killWhere(c *client.Conn, cond string) error {
	r, err := c.Execute("SELECT ID FROM information_schema.PROCESSLIST WHERE " + cond +
		" AND ID <> CONNECTION_ID()")
	if err != nil {
		return err
	}
	defer r.Close()
	for i := range r.RowNumber() {
		id, err := r.GetInt(i, 0)
		if err != nil {
			return err
		}
		var me *mysql.MyError
		// The connection may have ended in the meantime: "Unknown thread id".
		if _, err := c.Execute(fmt.Sprintf("KILL CONNECTION %d", id)); err != nil &&
			!(errors.As(err, &me) && me.Code == mysql.ER_NO_SUCH_THREAD) {
			return err
		}
	}
	return nil
}

// QuoteIdent quotes a MariaDB identifier with backquotes.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// quoteString quotes a MariaDB string literal.
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func connect(ctx context.Context, d DSN) (*client.Conn, error) {
	c, err := client.ConnectWithContext(ctx, d.Addr(), d.User, d.Password, d.DB, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connect to %s as %s: %w", d.Addr(), d.User, err)
	}
	return c, nil
}

// Exec runs each statement on dsn in one connection, failing t on error.
func Exec(t testing.TB, dsn string, sql ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := ParseDSN(dsn)
	if err != nil {
		t.Fatalf("testmaria: %v", err)
	}
	c, err := connect(ctx, d)
	if err != nil {
		t.Fatalf("testmaria: %v", err)
	}
	defer c.Close()
	for _, q := range sql {
		r, err := c.Execute(q)
		if err != nil {
			t.Fatalf("testmaria: %s: %v", q, err)
		}
		r.Close()
	}
}

// QueryString runs query on dsn and returns the first column of its first row as a
// string ("" for NULL), failing t on error or when there is no row.
func QueryString(t testing.TB, dsn, query string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := ParseDSN(dsn)
	if err != nil {
		t.Fatalf("testmaria: %v", err)
	}
	c, err := connect(ctx, d)
	if err != nil {
		t.Fatalf("testmaria: %v", err)
	}
	defer c.Close()
	r, err := c.Execute(query)
	if err != nil {
		t.Fatalf("testmaria: %s: %v", query, err)
	}
	defer r.Close()
	if r.Resultset == nil || r.RowNumber() == 0 {
		t.Fatalf("testmaria: %s: no rows", query)
	}
	v, err := r.GetString(0, 0)
	if err != nil {
		t.Fatalf("testmaria: %s: %v", query, err)
	}
	// GetString's string shares the result's buffer, which r.Close gives back to a pool.
	return strings.Clone(v)
}

// NewUser creates a uniquely named user (with a password, from any host) that has only
// the given privileges, each a GRANT clause "<privileges> ON <object>", such as
// "SELECT ON db.*" or "REPLICATION SLAVE, BINLOG MONITOR ON *.*". It returns dsn with the
// new user and password. When t ends, the user's connections are killed and it is dropped.
func NewUser(t testing.TB, dsn string, grants ...string) string {
	t.Helper()
	name := uniqueName(t, "dtu_", 80)
	password := "pw_" + name
	account := quoteString(name) + "@'%'"
	sql := []string{"CREATE USER " + account + " IDENTIFIED BY " + quoteString(password)}
	for _, g := range grants {
		sql = append(sql, "GRANT "+g+" TO "+account)
	}
	Exec(t, dsn, sql...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		d, err := ParseDSN(dsn)
		if err == nil {
			var c *client.Conn
			if c, err = connect(ctx, d); err == nil {
				defer c.Close()
				if err = killWhere(c, "USER = "+quoteString(name)); err == nil {
					_, err = c.Execute("DROP USER IF EXISTS " + account)
				}
			}
		}
		if err != nil {
			t.Errorf("testmaria: drop user %s: %v", name, err)
		}
	})
	return WithUser(dsn, name, password)
}
