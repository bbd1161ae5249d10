package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dovetail-cdc/dovetail/configs"
	"github.com/dovetail-cdc/dovetail/internal/check"
	"github.com/dovetail-cdc/dovetail/internal/verify"
	"github.com/dovetail-cdc/dovetail/pipelines"
)

// loadConfigs loads the -c files; any problem is a usage error.
func loadConfigs(files []string) ([]*configs.Pipeline, error) {
	if len(files) == 0 {
		return nil, usageError{fmt.Errorf("no config: pass -c FILE")}
	}
	cfgs, err := configs.LoadAll(files, os.LookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	return cfgs, nil
}

// configError marks err as a bad config (exit 2) when it is one: a problem found while
// building the pipelines, such as a transform's expression that does not compile.
func configError(err error) error {
	if ce := new(configs.Error); errors.As(err, &ce) {
		return usageError{err}
	}
	return err
}

func newRunCmd() *cobra.Command {
	var files []string
	var role, httpListen string
	cmd := &cobra.Command{
		Use:   "run -c FILE [-c FILE...] [--role all|source|sinks]",
		Short: "Run pipelines until SIGINT/SIGTERM, then drain, checkpoint and exit",
		Long: `Run pipelines until SIGINT/SIGTERM, then drain, checkpoint and exit.

--role sinks runs only the sinks: start more such workers (on other machines) and the
sinks' consumer groups split the topics' partitions among them. --role source runs only
the sources.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := pipelines.Role(role)
			switch r {
			case pipelines.RoleAll, pipelines.RoleSource, pipelines.RoleSinks:
			default:
				return usageError{fmt.Errorf("--role %q: want all, source or sinks", role)}
			}
			cfgs, err := loadConfigs(files)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			w, err := pipelines.BuildRole(ctx, cfgs, r, slog.Default())
			if err != nil {
				return configError(err)
			}
			if cmd.Flags().Changed("http-listen") {
				w.HTTPListen = httpListen
			}
			defer w.Close()
			return w.Run(ctx)
		},
	}
	cmd.Flags().StringArrayVarP(&files, "config", "c", nil, "pipeline config file (repeatable)")
	cmd.Flags().StringVar(&role, "role", string(pipelines.RoleAll), "parts to run: all, source (no sinks) or sinks (no sources)")
	cmd.Flags().StringVar(&httpListen, "http-listen", "", `address of /healthz, /readyz and /metrics, replacing http.listen ("" disables them): for a second worker of the same config on one machine`)
	return cmd
}

func newValidateCmd() *cobra.Command {
	var (
		files []string
		print bool
	)
	cmd := &cobra.Command{
		Use:   "validate -c FILE",
		Short: "Check configs and the sources' prerequisites, printing the fix for each problem",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfgs, err := loadConfigs(files)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			blocking := 0
			for _, cfg := range cfgs {
				if print {
					fmt.Fprintf(out, "# %s\n%s\n", cfg.File, cfg.Redacted())
				}
				problems, err := pipelines.Validate(cmd.Context(), cfg)
				if ce := new(configs.Error); errors.As(err, &ce) {
					return usageError{err} // names its file already
				}
				if err != nil {
					return fmt.Errorf("%s: %w", cfg.File, err)
				}
				for _, p := range problems {
					fmt.Fprintf(out, "%s: %s\n", cfg.File, oneLine(p.String()))
				}
				if check.Blocking(problems) {
					blocking++
					continue
				}
				fmt.Fprintf(out, "%s: pipeline %s can run (%d warnings)\n", cfg.File, cfg.Name, len(problems))
			}
			if blocking > 0 {
				return fmt.Errorf("%d pipeline(s) cannot run until the errors above are fixed", blocking)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "config", "c", nil, "pipeline config file (repeatable)")
	cmd.Flags().BoolVar(&print, "print", false, "also print the effective config (secrets redacted)")
	return cmd
}

func newTailCmd() *cobra.Command {
	var (
		file   string
		follow bool
		topics string
	)
	cmd := &cobra.Command{
		Use:   "tail -c FILE",
		Short: "Print a pipeline's records decoded through the schema registry (Avro JSON)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfgs, err := loadConfigs([]string{file})
			if err != nil {
				return err
			}
			return pipelines.Tail(cmd.Context(), cfgs[0], topics, follow, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "pipeline config file")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new records")
	cmd.Flags().StringVar(&topics, "topics", "", "regular expression of topics (default: the pipeline's change topics)")
	return cmd
}

func newVerifyCmd() *cobra.Command {
	var (
		file     string
		sink     string
		tables   []string
		wait     time.Duration
		rechecks int
		chunk    int
		sample   int
	)
	cmd := &cobra.Command{
		Use:   "verify -c FILE [--sink NAME] [--tables PATTERN,...]",
		Short: "Compare the source's tables with a sink's follower; exit 1 on any difference",
		Long: `Compare the source's tables with each sink's follower tables (or one sink's), table by
table, in key-range chunks with normalized row hashes, bisecting chunks that differ.
Prints, per table, the rows compared, missing, extra and different, with a sample of
differing keys; exits 1 on any difference.

While writes go on, verify first waits (--wait) until the source's current position is
in Kafka and the sink has applied every record Kafka held then, and compares tables
that differ again after waiting once more (--rechecks).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfgs, err := loadConfigs([]string{file})
			if err != nil {
				return err
			}
			opts := pipelines.VerifyOptions{Sink: sink, Tables: tables, Wait: wait, Rechecks: rechecks,
				Compare: verify.Options{ChunkRows: chunk, Sample: sample}}
			equal, err := pipelines.Verify(cmd.Context(), cfgs[0], opts, cmd.OutOrStdout(), slog.Default())
			if err != nil {
				return err
			}
			if !equal {
				return errors.New("the follower differs from the source")
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "pipeline config file")
	cmd.Flags().StringVar(&sink, "sink", "", "the sink to verify (default: every sink)")
	cmd.Flags().StringSliceVar(&tables, "tables", nil, "source tables to compare, as schema.table patterns (default: every captured table)")
	cmd.Flags().DurationVar(&wait, "wait", 5*time.Minute, "how long to wait for the follower to catch up with the source (0: compare at once)")
	cmd.Flags().IntVar(&rechecks, "rechecks", 2, "compare differing tables again this many times after waiting again")
	cmd.Flags().IntVar(&chunk, "chunk-rows", 10000, "source rows per key-range chunk")
	cmd.Flags().IntVar(&sample, "sample", 10, "differing keys to print per table")
	return cmd
}

func newSnapshotCmd() *cobra.Command {
	var (
		file        string
		tables      []string
		incremental bool
		httpListen  string
	)
	cmd := &cobra.Command{
		Use:   "snapshot -c FILE [--tables PATTERN,...] [--incremental]",
		Short: "Copy the captured tables' rows to Kafka once, store where streaming continues, exit",
		Long: `Copy the rows of the captured tables (or of --tables) to Kafka as snapshot records
(op r), consistent with a source position, store that position, and exit 0: a later
dovetail run streams from there, with no change missed and none repeated.

Stopped or killed midway, a rerun continues the snapshot, re-sending at most the chunks
that were in flight. With a position already stored (the pipeline ran), it does nothing.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfgs, err := loadConfigs([]string{file})
			if err != nil {
				return err
			}
			if incremental {
				return pipelines.SignalIncrementalSnapshot(cmd.Context(), cfgs[0], tables, slog.Default())
			}
			if cmd.Flags().Changed("http-listen") {
				cfgs[0].HTTP.Listen = httpListen
			}
			var terminal io.Writer
			if f, ok := cmd.ErrOrStderr().(*os.File); ok {
				if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
					terminal = f // progress bars instead of progress log lines
				}
			}
			return pipelines.Snapshot(cmd.Context(), cfgs[0], tables, terminal, slog.Default())
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "pipeline config file")
	cmd.Flags().StringSliceVar(&tables, "tables", nil, "tables to snapshot, as schema.table patterns (default: every captured table)")
	cmd.Flags().BoolVar(&incremental, "incremental", false, "signal the running pipeline to snapshot --tables while it streams (needs source.signal_table)")
	cmd.Flags().StringVar(&httpListen, "http-listen", "", `address of /healthz, /readyz and /metrics (snapshot progress) while it runs, replacing http.listen ("" disables them)`)
	return cmd
}
