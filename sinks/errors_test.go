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
	} {
		if got := Unavailable(tc.err); got != tc.want {
			t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
