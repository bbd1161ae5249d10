package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-mysql-org/go-mysql/driver" // registers "mysql" with database/sql

	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// Target is a MySQL or MariaDB follower.
type Target struct {
	*sqlapply.Target
	db *sql.DB
}

var _ sinks.Target = (*Target)(nil)

// New connects to the database of dsn and creates the offsets table
// (sqlapply.OffsetsTable, in that database) if it is missing. dsn is
// "user:password@tcp(host:port)/db[?params]" or "mysql://user:password@host:port/db[?params]"
// (mariadb:// too; params are go-mysql driver options such as ssl=true or timeout=5s); the
// database is required: tables without a schema in table_name go there. logger may be nil.
func New(ctx context.Context, dsn string, opts sinks.Options, logger *slog.Logger) (*Target, error) {
	c, err := parseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql sink %s: %w", opts.Name, err)
	}
	db, err := open(c)
	if err != nil {
		return nil, fmt.Errorf("mysql sink %s: %w", opts.Name, err)
	}
	d, err := detect(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql sink %s: connect to %s@%s/%s: %w", opts.Name, c.user, c.host, c.db, err)
	}
	t, err := sqlapply.New(ctx, conn{sqlapply.SQLDB(db)}, d, opts, logger)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql sink %s: %w", opts.Name, err)
	}
	return &Target{Target: t, db: db}, nil
}

// Close closes the connections.
func (t *Target) Close() error { return t.db.Close() }

// dsnConfig is a parsed DSN.
type dsnConfig struct {
	user, password, host, db string
	params                   url.Values
}

// parseDSN reads the two DSN forms the MySQL source takes, with a database.
func parseDSN(dsn string) (dsnConfig, error) {
	var c dsnConfig
	var path, query string
	if strings.HasPrefix(dsn, "mysql://") || strings.HasPrefix(dsn, "mariadb://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return c, errors.New("dsn: not a valid URL")
		}
		if u.User != nil {
			c.user = u.User.Username()
			c.password, _ = u.User.Password()
		}
		c.host, path, query = u.Host, u.Path, u.RawQuery
	} else {
		// user[:password]@tcp(host:port)/db[?params]; the password may hold '@' and ':'.
		at := strings.LastIndex(dsn, "@")
		if at < 0 {
			return c, errors.New(`dsn: want "mysql://user:password@host:port/db" or "user:password@tcp(host:port)/db"`)
		}
		c.user, c.password, _ = strings.Cut(dsn[:at], ":")
		rest := dsn[at+1:]
		if !strings.HasPrefix(rest, "tcp(") {
			return c, errors.New("dsn: only the tcp(host:port) address form is supported")
		}
		end := strings.Index(rest, ")")
		if end < 0 {
			return c, errors.New("dsn: unclosed tcp(")
		}
		c.host = rest[len("tcp("):end]
		path, query, _ = strings.Cut(rest[end+1:], "?")
		var err error
		if path, err = url.PathUnescape(path); err != nil {
			return c, fmt.Errorf("dsn: database name: %v", err)
		}
	}
	c.db = strings.TrimPrefix(path, "/")
	params, err := url.ParseQuery(query)
	if err != nil {
		return c, fmt.Errorf("dsn: parameters: %v", err)
	}
	c.params = params
	switch {
	case c.user == "":
		return c, errors.New("dsn: no user")
	case c.host == "":
		return c, errors.New("dsn: no host")
	case c.db == "":
		return c, errors.New("dsn: no database (the target tables and dovetail_offsets go there)")
	}
	if _, _, err := net.SplitHostPort(c.host); err != nil {
		c.host = net.JoinHostPort(c.host, "3306")
	}
	if _, port, _ := net.SplitHostPort(c.host); port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return c, fmt.Errorf("dsn: port %q is not a number", port)
		}
	}
	return c, nil
}

// driverDSN is c in go-mysql driver's form, user:password@host:port/db?params, escaped
// as it parses it (as a URL).
func (c dsnConfig) driverDSN() string {
	u := url.URL{Scheme: "mysql", User: url.UserPassword(c.user, c.password), Host: c.host, Path: "/" + c.db,
		RawQuery: c.params.Encode()}
	return strings.TrimPrefix(u.String(), "mysql://")
}

// sessionSetup runs on every new connection: utf8mb4 text, UTC for TIMESTAMP columns
// (values are written in UTC), and strict mode, so that a value a column cannot hold is
// an error instead of a warning and a silently changed value; NO_AUTO_VALUE_ON_ZERO keeps
// a replicated 0 in an AUTO_INCREMENT column.
var sessionSetup = []string{
	"SET NAMES utf8mb4",
	"SET time_zone = '+00:00'",
	"SET sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
}

// open returns a pool of connections to c set up with sessionSetup.
func open(c dsnConfig) (*sql.DB, error) {
	probe, err := sql.Open("mysql", "")
	if err != nil {
		return nil, err
	}
	drv, ok := probe.Driver().(driver.DriverContext)
	probe.Close()
	if !ok {
		return nil, errors.New("go-mysql driver has no connector")
	}
	inner, err := drv.OpenConnector(c.driverDSN())
	if err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}
	db := sql.OpenDB(connector{inner})
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// connector sets up each new connection.
type connector struct{ inner driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("go-mysql driver connection cannot execute")
	}
	for _, q := range sessionSetup {
		if _, err := ex.ExecContext(ctx, q, nil); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return conn, nil
}

func (c connector) Driver() driver.Driver { return c.inner.Driver() }

// detect reads the server's flavor and the collation of the text columns it creates.
func detect(ctx context.Context, db *sql.DB) (Dialect, error) {
	var d Dialect
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return d, err
	}
	d.MariaDB = strings.Contains(strings.ToLower(version), "mariadb")
	if !d.MariaDB {
		d.RowAlias = versionAtLeast(version, 8, 0, 19)
	}
	rows, err := db.QueryContext(ctx, "SELECT COLLATION_NAME FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('utf8mb4_0900_bin', 'utf8mb4_nopad_bin', 'utf8mb4_bin')")
	if err != nil {
		return d, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return d, err
		}
		have[n] = true
	}
	if err := rows.Err(); err != nil {
		return d, err
	}
	for _, n := range []string{"utf8mb4_0900_bin", "utf8mb4_nopad_bin", "utf8mb4_bin"} {
		if have[n] {
			d.Collation = n
			break
		}
	}
	return d, nil
}

// versionAtLeast compares a VERSION() string ("8.0.36-log") with major.minor.patch.
func versionAtLeast(version string, want ...int) bool {
	head, _, _ := strings.Cut(version, "-")
	parts := strings.Split(head, ".")
	for i, w := range want {
		if i >= len(parts) {
			return false
		}
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return false
		}
		if n != w {
			return n > w
		}
	}
	return true
}
