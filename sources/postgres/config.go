package postgres

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/tablepattern"
)

// Version is the source block's version field.
const Version = "dovetail-0.1"

// HeartbeatPrefix is the logical decoding message prefix of Dovetail's heartbeats.
const HeartbeatPrefix = "dovetail_heartbeat"

// Config configures a Source. It is plain data; New validates it and fills defaults.
type Config struct {
	// DSN is the libpq connection string or URL of the captured database. Required.
	DSN string
	// Name is the topic prefix, written to the source block's name. Required.
	Name string
	// Tables lists the captured tables as "schema.table" patterns; * and ? glob within a
	// part (public.*). Empty means every table outside the system schemas.
	Tables []string
	// ExcludeTables removes tables matched by Tables, with the same patterns.
	ExcludeTables []string
	// Slot is the replication slot's name; default "dovetail_<Name>".
	Slot string
	// Publication is the publication's name; default "dovetail_<Name>".
	Publication string
	// HeartbeatInterval between heartbeat messages; 0 disables heartbeats.
	HeartbeatInterval time.Duration
	// KeyColumns sets the message key columns of tables ("schema.table" -> columns),
	// replacing their primary key.
	KeyColumns map[string][]string
	// Logger receives the source's logs; default slog.Default().
	Logger *slog.Logger
}

var identRE = regexp.MustCompile(`[^a-z0-9_]+`)

// withDefaults returns cfg with defaults filled in, or an error naming the bad field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.DSN == "" {
		return cfg, errors.New("postgres source: dsn is required")
	}
	if _, err := pgx.ParseConfig(cfg.DSN); err != nil {
		return cfg, fmt.Errorf("postgres source: dsn: %w", redactErr(err))
	}
	if cfg.Name == "" {
		return cfg, errors.New("postgres source: name is required")
	}
	def := "dovetail_" + strings.Trim(identRE.ReplaceAllString(strings.ToLower(cfg.Name), "_"), "_")
	if len(def) > 63 {
		def = def[:63]
	}
	if cfg.Slot == "" {
		cfg.Slot = def
	}
	if cfg.Publication == "" {
		cfg.Publication = def
	}
	if !validSlot(cfg.Slot) {
		return cfg, fmt.Errorf("postgres source: slot %q: only lower case letters, digits and _ are allowed, at most 63", cfg.Slot)
	}
	if cfg.HeartbeatInterval < 0 {
		return cfg, fmt.Errorf("postgres source: heartbeat_interval %s is negative", cfg.HeartbeatInterval)
	}
	for _, p := range append(append([]string(nil), cfg.Tables...), cfg.ExcludeTables...) {
		if _, _, err := splitPattern(p); err != nil {
			return cfg, fmt.Errorf("postgres source: %w", err)
		}
	}
	for t := range cfg.KeyColumns {
		if _, _, err := splitPattern(t); err != nil || strings.ContainsAny(t, "*?[") {
			return cfg, fmt.Errorf("postgres source: key_columns: %q is not a schema.table name", t)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, nil
}

func validSlot(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// splitPattern splits "schema.table" (either part may be a glob).
func splitPattern(p string) (string, string, error) { return tablepattern.Split(p, "schema") }

// isGlob reports whether a pattern can match more than one name.
func isGlob(p string) bool { return tablepattern.IsGlob(p) }

// matchPattern reports whether schema.table matches pattern p.
func matchPattern(p, ns, table string) bool { return tablepattern.Match(p, ns, table) }

// included reports whether the configuration captures ns.table.
func (cfg *Config) included(ns, table string) bool {
	return tablepattern.Included(cfg.Tables, cfg.ExcludeTables, ns, table, systemSchema(ns))
}

func systemSchema(s string) bool {
	return s == "pg_catalog" || s == "information_schema" || strings.HasPrefix(s, "pg_toast") ||
		strings.HasPrefix(s, "pg_temp")
}

// redactErr masks passwords in err's message (connection errors may quote the DSN) and
// keeps err in the chain for errors.Is/As.
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

var pwRE = regexp.MustCompile(`(?i)(password=)\S+|(://[^:/@\s]*:)[^@\s]*@`)

// redact masks passwords in a string that may quote a DSN.
func redact(s string) string {
	return pwRE.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(strings.ToLower(m), "password=") {
			return "password=xxxxx"
		}
		i := strings.LastIndex(m, ":")
		return m[:i+1] + "xxxxx@"
	})
}
