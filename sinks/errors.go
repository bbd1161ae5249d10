package sinks

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
)

// ErrConflict marks an error of a target change that raced with the same change by
// another transaction (two appliers creating one table, adding one column): the
// transaction is retried, and then finds the change made.
var ErrConflict = errors.New("a concurrent transaction changed the target table the same way; retrying")

// Unavailable reports whether err says the target could not be reached or could not
// work just then (connection lost or refused, shutting down, out of resources, a
// deadlock or lock timeout): retrying the same transaction later may succeed. Other
// errors are the target rejecting the data or the statement (a constraint, a type, a
// privilege), which retrying does not change.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrConflict) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		s := st.SQLState()
		switch {
		case strings.HasPrefix(s, "08"), // connection exception
			strings.HasPrefix(s, "53"), // insufficient resources
			strings.HasPrefix(s, "57"), // operator intervention: shutdown, cannot connect now
			strings.HasPrefix(s, "40"), // serialization failure, deadlock
			s == "55P03":               // lock not available
			return true
		}
		return false
	}
	var me *gmysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case gmysql.ER_CON_COUNT_ERROR, gmysql.ER_LOCK_WAIT_TIMEOUT, gmysql.ER_LOCK_DEADLOCK,
			gmysql.ER_SERVER_SHUTDOWN, gmysql.ER_QUERY_INTERRUPTED, gmysql.ER_NET_READ_ERROR,
			gmysql.ER_NET_WRITE_INTERRUPTED, gmysql.ER_NET_READ_INTERRUPTED, gmysql.ER_NET_ERROR_ON_WRITE:
			return true
		}
		return me.Code >= 2000 && me.Code < 3000 // client-side connection errors (2006 gone away, 2013 lost)
	}
	return false
}

// DDLConflict reports whether err, from a CREATE TABLE or ALTER TABLE ... ADD COLUMN,
// says another transaction made the same change first: Postgres duplicate_table (42P07),
// duplicate_column (42701), duplicate_object (42710: the row type of a table another
// transaction created at the same moment) or a unique violation of its catalogs (23505,
// when both create at once); MySQL 1050 (table exists) and 1060 (duplicate column); and the same
// words from engines without codes.
func DDLConflict(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		switch st.SQLState() {
		case "42P07", "42701", "42710", "23505":
			return true
		}
		return false
	}
	var me *gmysql.MyError
	if errors.As(err, &me) {
		return me.Code == 1050 || me.Code == 1060
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "already exists")
}
