package testmaria

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DSN is a parsed go-sql-driver/mysql DSN "user:password@tcp(host:port)/db?params", with
// the fields that go-mysql's client and BinlogSyncer take separately.
type DSN struct {
	User, Password string
	Host           string
	Port           uint16
	DB             string
	Params         string // after "?", without it
}

// ParseDSN parses a DSN of the form user[:password]@tcp(host:port)/[db][?params]. The
// password may contain ':' and '@' but the user may not contain ':'.
func ParseDSN(dsn string) (DSN, error) {
	var d DSN
	slash := strings.LastIndex(dsn, "/")
	if slash < 0 {
		return d, fmt.Errorf("parse dsn: no /: %q", redact(dsn))
	}
	head, tail := dsn[:slash], dsn[slash+1:]
	d.DB, d.Params, _ = strings.Cut(tail, "?")
	at := strings.LastIndex(head, "@")
	if at < 0 {
		return d, fmt.Errorf("parse dsn: no user@: %q", redact(dsn))
	}
	cred, netAddr := head[:at], head[at+1:]
	d.User, d.Password, _ = strings.Cut(cred, ":")
	addr, ok := strings.CutPrefix(netAddr, "tcp(")
	if !ok || !strings.HasSuffix(addr, ")") {
		return d, fmt.Errorf("parse dsn: want tcp(host:port): %q", redact(dsn))
	}
	host, port, err := net.SplitHostPort(strings.TrimSuffix(addr, ")"))
	if err != nil {
		return d, fmt.Errorf("parse dsn %q: %w", redact(dsn), err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return d, fmt.Errorf("parse dsn %q: port: %w", redact(dsn), err)
	}
	d.Host, d.Port = host, uint16(p)
	return d, nil
}

// redact hides the password of a DSN for error messages.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		return dsn
	}
	user, _, hasPw := strings.Cut(dsn[:at], ":")
	if !hasPw {
		return dsn
	}
	return user + ":xxx" + dsn[at:]
}

// Addr returns "host:port".
func (d DSN) Addr() string { return net.JoinHostPort(d.Host, strconv.Itoa(int(d.Port))) }

// String formats d as a go-sql-driver/mysql DSN.
func (d DSN) String() string {
	s := d.User
	if d.Password != "" {
		s += ":" + d.Password
	}
	s += "@tcp(" + d.Addr() + ")/" + d.DB
	if d.Params != "" {
		s += "?" + d.Params
	}
	return s
}

// WithDatabase returns dsn with its database replaced ("" for none). A dsn that does not
// parse is returned unchanged.
func WithDatabase(dsn, db string) string {
	d, err := ParseDSN(dsn)
	if err != nil {
		return dsn
	}
	d.DB = db
	return d.String()
}

// WithUser returns dsn with its user and password replaced. A dsn that does not parse is
// returned unchanged.
func WithUser(dsn, user, password string) string {
	d, err := ParseDSN(dsn)
	if err != nil {
		return dsn
	}
	d.User, d.Password = user, password
	return d.String()
}
