// Package testpg runs private Postgres servers for Dovetail's integration tests.
//
// A test binary calls Main from TestMain: it starts one server with wal_level=logical in a
// temporary directory on a free 127.0.0.1 port (or uses the server named by the environment
// variable DOVETAIL_TEST_PG_DSN, for example one that CI started with scripts/pg-server.sh),
// and stops it when the tests are done. Each test then takes its own database with NewDB, so
// tests run in parallel without seeing each other. Tests that must restart the server (for
// reconnect tests) start a server of their own with Start.
//
// The package never touches a server it did not start, other than creating and dropping
// the uniquely named databases, roles and replication slots of its tests.
package testpg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable with the DSN of an already running server to use
// instead of starting one. Its user must be a superuser.
const EnvDSN = "DOVETAIL_TEST_PG_DSN"

// Server is a Postgres server for tests: one that this package started (and stops), or an
// external one named by EnvDSN.
type Server struct {
	dsn string // superuser DSN of the "postgres" database

	// Set only for servers this package started.
	bin, dir string
	port     int
	asUser   string // OS user that runs initdb/postgres when we are root; "" runs as ourselves
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
		shared = &Server{dsn: dsn}
	} else {
		shared, sharedErr = Start(ctx)
	}
	cancel()
	if sharedErr != nil {
		fmt.Fprintln(os.Stderr, "testpg:", sharedErr)
	}
	code := tests()
	if sharedErr == nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testpg:", err)
		}
	}
	return code
}

// Shared returns the server Main started, failing t when there is none.
func Shared(t testing.TB) *Server {
	t.Helper()
	if shared == nil {
		t.Fatal("testpg: no server; call testpg.Main(m) from TestMain")
	}
	if sharedErr != nil {
		t.Fatalf("testpg: %v", sharedErr)
	}
	return shared
}

// NewDB creates a fresh database on the shared server for t and returns its superuser DSN.
// The database and its replication slots are dropped when t ends.
func NewDB(t testing.TB) string {
	t.Helper()
	return Shared(t).NewDB(t)
}

// New starts a private server for t alone (for tests that restart or stop it) and stops it
// when t ends.
func New(t testing.TB) *Server { return NewWith(t, Options{}) }

// Options change how a private server is set up.
type Options struct {
	// Conf is appended to postgresql.conf after Dovetail's settings, so it overrides
	// them (e.g. "wal_level = replica").
	Conf string
	// PasswordAuth makes TCP logins of every role but the superuser "postgres" use
	// scram-sha-256, for wrong-password tests.
	PasswordAuth bool
}

// NewWith is New with options.
func NewWith(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := StartWith(ctx, opts)
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	return s
}

// DSN returns the superuser DSN of the server's "postgres" database.
func (s *Server) DSN() string { return s.dsn }

// Dir returns the directory of a server this package started (data in Dir/data, log in
// Dir/postgres.log), or "" for an external server.
func (s *Server) Dir() string { return s.dir }

// Start initialises and starts a new server in a temporary directory, using the highest
// Postgres version installed under /usr/lib/postgresql (or the one whose binaries
// $DOVETAIL_TEST_PG_BIN names).
func Start(ctx context.Context) (*Server, error) { return StartWith(ctx, Options{}) }

// StartWith is Start with options.
func StartWith(ctx context.Context, opts Options) (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dovetail-testpg-")
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &Server{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root: run them as the postgres OS user.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("start postgres: running as root and no postgres OS user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, fmt.Errorf("start postgres: %w", err)
		}
		s.asUser = "postgres"
	}
	if err := s.initdb(ctx, opts); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// findBin returns the bin directory of the highest installed Postgres version.
func findBin() (string, error) {
	if b := os.Getenv("DOVETAIL_TEST_PG_BIN"); b != "" {
		return b, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(dirs) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", errors.New("start postgres: no Postgres binaries in /usr/lib/postgresql/*/bin or PATH")
	}
	ver := func(d string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return ver(dirs[i]) > ver(dirs[j]) })
	return dirs[0], nil
}

func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if s.asUser != "" {
		args = append([]string{"-u", s.asUser, "--", path}, args...)
		path = "runuser"
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	return cmd
}

func (s *Server) initdb(ctx context.Context, opts Options) error {
	data := filepath.Join(s.dir, "data")
	out, err := s.command(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--no-locale", "--no-sync").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb in %s: %w: %s", data, err, out)
	}
	conf := `
listen_addresses = '127.0.0.1'
unix_socket_directories = '` + s.dir + `'
wal_level = logical
max_replication_slots = 64
max_wal_senders = 64
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
wal_sender_timeout = 60s
timezone = 'UTC'
log_timezone = 'UTC'
` + opts.Conf + "\n"
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("configure postgres: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(conf); err != nil {
		return fmt.Errorf("configure postgres: %w", err)
	}
	hba := "local all all trust\nlocal replication all trust\n" +
		"host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"
	if opts.PasswordAuth {
		hba = "local all all trust\nlocal replication all trust\n" +
			"host all postgres 127.0.0.1/32 trust\nhost replication postgres 127.0.0.1/32 trust\n" +
			"host all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n"
	}
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return fmt.Errorf("configure postgres: %w", err)
	}
	return nil // WriteFile kept the owner of the existing pg_hba.conf
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start(ctx context.Context) error {
	if s.port == 0 {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("start postgres: free port: %w", err)
		}
		s.port = port
	}
	data := filepath.Join(s.dir, "data")
	out, err := s.command(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", data,
		"-l", filepath.Join(s.dir, "postgres.log"), "-o", "-p "+strconv.Itoa(s.port)).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
		return fmt.Errorf("start postgres in %s on port %d: %w: %s\n%s", data, s.port, err, out, log)
	}
	s.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	return nil
}

// Stop stops a server this package started and removes its directory. It does nothing for
// an external server.
func (s *Server) Stop() error {
	if s.dir == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.command(ctx, "pg_ctl", "stop", "-m", "immediate", "-w", "-D",
		filepath.Join(s.dir, "data")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("stop postgres in %s: %w: %s", s.dir, err, out)
	}
	return os.RemoveAll(s.dir)
}

// Restart stops the server (fast shutdown: connections are cut) and starts it again on
// the same port. Only for servers this package started.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.restart(); err != nil {
		t.Fatal(err)
	}
}

// Down stops the server (fast shutdown) until Up; only for servers this package
// started.
func (s *Server) Down(t testing.TB) {
	t.Helper()
	if s.dir == "" {
		t.Fatal("testpg: cannot stop an external server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := s.command(ctx, "pg_ctl", "stop", "-m", "fast", "-w", "-D",
		filepath.Join(s.dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("testpg: stop postgres in %s: %v: %s", s.dir, err, out)
	}
}

// Up starts a server Down stopped, on the same port.
func (s *Server) Up(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.start(ctx); err != nil {
		t.Fatal(err)
	}
}

func (s *Server) restart() error {
	if s.dir == "" {
		return errors.New("testpg: cannot restart an external server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := s.command(ctx, "pg_ctl", "stop", "-m", "fast", "-w", "-D",
		filepath.Join(s.dir, "data")).CombinedOutput(); err != nil {
		return fmt.Errorf("testpg: stop postgres in %s: %w: %s", s.dir, err, out)
	}
	return s.start(ctx)
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// uniqueName returns a Postgres identifier unique within the process and the server's
// lifetime, derived from the test's name.
func uniqueName(t testing.TB, prefix string) string {
	n := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	suffix := fmt.Sprintf("_%d_%d", os.Getpid(), counter.Add(1))
	if max := 63 - len(prefix) - len(suffix); len(n) > max {
		n = n[:max]
	}
	return prefix + n + suffix
}

// WithDatabase returns dsn with its database replaced.
func WithDatabase(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return dsn + " dbname=" + db
	}
	u.Path = "/" + db
	return u.String()
}

// WithUser returns dsn with its user (and password) replaced.
func WithUser(dsn, user, password string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		s := dsn + " user=" + user
		if password != "" {
			s += " password=" + password
		}
		return s
	}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// NewDB creates a fresh, uniquely named database for t and returns its superuser DSN.
// When t ends, its replication slots are dropped (their walsenders terminated) and the
// database is dropped.
func (s *Server) NewDB(t testing.TB) string {
	t.Helper()
	name := uniqueName(t, "dt_")
	Exec(t, s.dsn, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	t.Cleanup(func() {
		if err := s.dropDB(name); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	return WithDatabase(s.dsn, name)
}

func (s *Server) dropDB(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	// Slots outlive their database's connections; drop them (after their walsenders).
	for range 50 {
		_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
			WHERE database = $1 AND active_pid IS NOT NULL`, name)
		if err == nil {
			_, err = conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
				WHERE database = $1 AND NOT active`, name)
		}
		var left int
		if err == nil {
			err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_replication_slots WHERE database = $1`, name).Scan(&left)
		}
		if err == nil && left == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond) // a terminated walsender takes a moment to release its slot
	}
	if err != nil {
		return fmt.Errorf("drop slots of database %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// Exec runs each statement on dsn in its own implicit transaction, failing t on error.
func Exec(t testing.TB, dsn string, sql ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("testpg: connect: %v", err)
	}
	defer conn.Close(ctx)
	for _, q := range sql {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("testpg: %s: %v", q, err)
		}
	}
}

// roleMu serialises role cleanup: DROP OWNED and DROP ROLE touch shared catalogs.
var roleMu sync.Mutex

// NewRole creates a uniquely named login role with the given extra attributes (such as
// "REPLICATION" or "NOSUPERUSER"; LOGIN is implied), grants it CONNECT on dsn's database,
// and returns dsn with the role as its user. The role (and what it owns or was granted in
// dsn's database) is dropped when t ends.
func NewRole(t testing.TB, dsn string, attrs ...string) string {
	t.Helper()
	name := uniqueName(t, "dtr_")
	ident := pgx.Identifier{name}.Sanitize()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("testpg: parse dsn: %v", err)
	}
	Exec(t, dsn,
		"CREATE ROLE "+ident+" LOGIN "+strings.Join(attrs, " "),
		"GRANT CONNECT, TEMPORARY ON DATABASE "+pgx.Identifier{cfg.Database}.Sanitize()+" TO "+ident,
		"GRANT USAGE ON SCHEMA public TO "+ident)
	t.Cleanup(func() {
		roleMu.Lock()
		defer roleMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("testpg: drop role %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		for _, q := range []string{
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + name + "'",
			"DROP OWNED BY " + ident,
			"REVOKE ALL ON DATABASE " + pgx.Identifier{cfg.Database}.Sanitize() + " FROM " + ident,
			"DROP ROLE " + ident,
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Errorf("testpg: drop role %s: %s: %v", name, q, err)
				return
			}
		}
	})
	return WithUser(dsn, name, "")
}

// Pgbench runs the pgbench of the installed Postgres with args against dsn (a
// connection URL), failing t on error, and returns its output.
func Pgbench(t testing.TB, dsn string, args ...string) string {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pgbench"), append(args, dsn)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testpg: pgbench %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
