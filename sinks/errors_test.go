package sinks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
)

type sqlState string

func (s sqlState) Error() string    { return "sqlstate " + string(s) }
func (s sqlState) SQLState() string { return string(s) }

func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("apply: %w", io.ErrUnexpectedEOF), true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{sqlState("08006"), true},
		{sqlState("57P01"), true},
		{sqlState("40P01"), true},
		{sqlState("23505"), false}, // unique violation
		{sqlState("28P01"), false}, // wrong password
		{sqlState("42P01"), false}, // no such table
		{&gmysql.MyError{Code: gmysql.ER_LOCK_DEADLOCK}, true},
		{&gmysql.MyError{Code: 2013}, true},
		{&gmysql.MyError{Code: gmysql.ER_DUP_ENTRY}, false},
		{&gmysql.MyError{Code: gmysql.ER_ACCESS_DENIED_ERROR}, false},
		{errors.New("column x is not nullable"), false},
		{fmt.Errorf("create: %w", ErrConflict), true},
	} {
		if got := Unavailable(tc.err); got != tc.want {
			t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestDDLConflict(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{sqlState("42P07"), true},
		{sqlState("42710"), true},
		{sqlState("23505"), true},
		{sqlState("42601"), false},
		{&gmysql.MyError{Code: 1050}, true},
		{&gmysql.MyError{Code: 1146}, false},
		{errors.New(`Catalog Error: Table with name "items" already exists!`), true},
		{errors.New("syntax error"), false},
	} {
		if got := DDLConflict(tc.err); got != tc.want {
			t.Errorf("DDLConflict(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
