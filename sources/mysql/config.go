package mysql

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/tablepattern"
)

// Version is the source block's version field.
const Version = "dovetail-0.1"

// Flavors of server.
const (
	FlavorMariaDB = "mariadb"
	FlavorMySQL   = "mysql"
)

// Config configures a Source. It is plain data; New validates it and fills defaults.
type Config struct {
	// DSN names the server and the account: a URL
	// "mysql://user:password@host:3306" (the path, a default database, is ignored), or
	// the go-sql-driver form "user:password@tcp(host:3306)/". Required. The account needs
	// REPLICATION SLAVE and REPLICATION CLIENT (MariaDB 10.5+: BINLOG MONITOR) and SELECT
	// on the captured tables; see Validate.
	DSN string
	// Name is the topic prefix, written to the source block's name. Required.
	Name string
	// Tables lists the captured tables as "database.table" patterns; * and ? glob within
	// a part (shop.*). Empty means every table outside the system databases.
	Tables []string
	// ExcludeTables removes tables matched by Tables, with the same patterns.
	ExcludeTables []string
	// ServerID is the replica id the source registers with; it must differ from the
	// server's and every other replica's. Default: derived from Name, in
	// [DefaultServerIDMin, DefaultServerIDMin+2^30).
	ServerID uint32
	// Flavor is FlavorMariaDB or FlavorMySQL; empty detects it from the server version.
	Flavor string
	// HeartbeatInterval is the binlog heartbeat period the server is asked for: when the
	// binlog is idle that long, the server sends a heartbeat and the source hands
	// Handler.Heartbeat its current position. It is also the longest time transactions of
	// uncaptured tables move the position without a Heartbeat. 0 disables heartbeats.
	HeartbeatInterval time.Duration
	// KeyColumns sets the message key columns of tables ("database.table" -> columns),
	// replacing their primary key.
	KeyColumns map[string][]string
	// Start is where Run resumes: a position this source handed to Handler.Commit or
	// Handler.Heartbeat earlier (stored by the pipeline after it was acknowledged). Nil
	// starts at the server's current position (no snapshot).
	Start *Position
	// History keeps the schema history (see History); nil keeps it in memory only, so a
	// restart takes today's schema from information_schema as the schema at its resume
	// position.
	History History
	// Logger receives the source's logs; default slog.Default().
	Logger *slog.Logger
}

// DefaultServerIDMin is the low end of the default server ids. Real servers usually use
// small ids; the default range keeps clear of them.
const DefaultServerIDMin = 1 << 30

// conn is a parsed DSN.
type conn struct {
	host     string // host:port
	user     string
	password string
}

// withDefaults returns cfg with defaults filled in, or an error naming the bad field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.DSN == "" {
		return cfg, errors.New("mysql source: dsn is required")
	}
	if _, err := parseDSN(cfg.DSN); err != nil {
		return cfg, fmt.Errorf("mysql source: %w", err)
	}
	if cfg.Name == "" {
		return cfg, errors.New("mysql source: name is required")
	}
	if cfg.ServerID == 0 {
		h := fnv.New32a()
		h.Write([]byte(cfg.Name))
		cfg.ServerID = DefaultServerIDMin + h.Sum32()%(1<<30)
	}
	switch cfg.Flavor {
	case "", FlavorMariaDB, FlavorMySQL:
	default:
		return cfg, fmt.Errorf("mysql source: flavor %q: want %q or %q", cfg.Flavor, FlavorMariaDB, FlavorMySQL)
	}
	if cfg.HeartbeatInterval < 0 {
		return cfg, fmt.Errorf("mysql source: heartbeat_interval %s is negative", cfg.HeartbeatInterval)
	}
	for _, p := range append(append([]string(nil), cfg.Tables...), cfg.ExcludeTables...) {
		if _, _, err := splitPattern(p); err != nil {
			return cfg, fmt.Errorf("mysql source: %w", err)
		}
	}
	for t := range cfg.KeyColumns {
		if _, _, err := splitPattern(t); err != nil || isGlob(t) {
			return cfg, fmt.Errorf("mysql source: key_columns: %q is not a database.table name", t)
		}
	}
	if cfg.Start != nil && cfg.Start.GTID == "" && cfg.Start.File == "" {
		return cfg, errors.New("mysql source: start position is empty")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, nil
}

// parseDSN reads either DSN form. Errors never quote the password.
func parseDSN(dsn string) (conn, error) {
	var c conn
	if strings.HasPrefix(dsn, "mysql://") || strings.HasPrefix(dsn, "mariadb://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return c, fmt.Errorf("dsn: not a valid URL: %v", redact(err.Error()))
		}
		if u.User != nil {
			c.user = u.User.Username()
			c.password, _ = u.User.Password()
		}
		c.host = u.Host
	} else {
		// user[:password]@tcp(host:port)/[db][?params]
		at := strings.LastIndex(dsn, "@")
		if at < 0 {
			return c, errors.New(`dsn: want "mysql://user:password@host:port" or "user:password@tcp(host:port)/"`)
		}
		c.user, c.password, _ = strings.Cut(dsn[:at], ":")
		rest := dsn[at+1:]
		if !strings.HasPrefix(rest, "tcp(") {
			return c, errors.New(`dsn: only the tcp(host:port) address form is supported`)
		}
		end := strings.Index(rest, ")")
		if end < 0 {
			return c, errors.New(`dsn: unclosed tcp(`)
		}
		c.host = rest[len("tcp("):end]
	}
	if c.user == "" {
		return c, errors.New("dsn: no user")
	}
	if c.host == "" {
		return c, errors.New("dsn: no host")
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

func (c conn) hostPort() (string, uint16) {
	h, p, _ := net.SplitHostPort(c.host)
	n, _ := strconv.ParseUint(p, 10, 16)
	return h, uint16(n)
}

// splitPattern splits "database.table" (either part may be a glob).
func splitPattern(p string) (string, string, error) { return tablepattern.Split(p, "database") }

// isGlob reports whether a pattern can match more than one name.
func isGlob(p string) bool { return tablepattern.IsGlob(p) }

// matchPattern reports whether database.table matches pattern p.
func matchPattern(p, ns, table string) bool { return tablepattern.Match(p, ns, table) }

// included reports whether the configuration captures ns.table.
func (cfg *Config) included(ns, table string) bool {
	return tablepattern.Included(cfg.Tables, cfg.ExcludeTables, ns, table, systemDatabase(ns))
}

// mayInclude reports whether some table of database db can be captured (to skip whole
// databases cheaply).
func (cfg *Config) mayInclude(db string) bool {
	if len(cfg.Tables) == 0 {
		return !systemDatabase(db)
	}
	for _, p := range cfg.Tables {
		pd, _, _ := strings.Cut(p, ".")
		if ok, _ := path.Match(pd, db); ok {
			return true
		}
	}
	return false
}

func systemDatabase(db string) bool {
	switch strings.ToLower(db) {
	case "mysql", "information_schema", "performance_schema", "sys":
		return true
	}
	return false
}

// redactErr masks passwords in err's message and keeps err in the chain.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: redact(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

var pwRE = regexp.MustCompile(`(?i)(password=)\S+|(://[^:/@\s]*:)[^@\s]*@|(^|\s)([^:@\s/]+:)[^@\s]*@tcp\(`)

// redact masks passwords in a string that may quote a DSN.
func redact(s string) string {
	return pwRE.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case strings.HasPrefix(strings.ToLower(m), "password="):
			return "password=xxxxx"
		case strings.HasSuffix(m, "@tcp("):
			i := strings.Index(m, ":")
			return m[:i+1] + "xxxxx@tcp("
		}
		i := strings.LastIndex(m, ":")
		return m[:i+1] + "xxxxx@"
	})
}
