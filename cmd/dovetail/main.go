// Command dovetail runs Dovetail's change data capture pipelines.
//
// It only parses flags, wires packages together and maps failures to exit codes:
// 0 ok, 1 runtime failure, 2 bad config or usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dovetail-cdc/dovetail/internal/gctune"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks a bad config or bad usage (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	// pgconn lists each connection attempt on an indented line of its own; keep a
	// runtime failure to one line. Config errors keep one line per problem.
	fmt.Fprintln(stderr, "dovetail:", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitRuntime
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	var level, memLimit string
	root := &cobra.Command{
		Use:           "dovetail",
		Short:         "Dovetail replicates database changes to Kafka as Debezium-compatible Avro",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var l slog.Level
			if err := l.UnmarshalText([]byte(level)); err != nil {
				return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", level)}
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l})))
			gc, err := gctune.Apply(memLimit, os.Getenv)
			if err != nil {
				return usageError{fmt.Errorf("--memory-limit: %w", err)}
			}
			slog.Debug("garbage collector", "gc_percent", gc.GCPercent, "memory_limit", gc.MemoryLimit, "from_env", gc.FromEnv)
			if !cmd.Flags().Changed("memory-limit") && !slices.Contains(gc.FromEnv, "GOMEMLIMIT") {
				go gctune.Watch(cmd.Context(), slog.Default(), time.Second)
			}
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&level, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&memLimit, "memory-limit", gctune.DefaultMemoryLimit,
		"soft limit of the Go heap (e.g. 128MiB, 1GiB, off): the garbage collector works harder near it; the default grows with the live heap, a value given here or in GOMEMLIMIT does not")
	root.AddCommand(newRunCmd(), newValidateCmd(), newTailCmd(), newVerifyCmd(), newSnapshotCmd(), newVersionCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "dovetail", version)
			return err
		},
	}
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.Name(), args)}
	}
	return nil
}

// oneLine joins the indented continuation lines pgconn uses for each connection attempt.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, ":\n\t", ": ")
	return strings.ReplaceAll(s, "\n\t", "; ")
}
