// Package gctune sets the Go garbage collector's pace for a Dovetail process: a higher
// GOGC than Go's default, so that a stream of short-lived change records does not collect
// the heap every few megabytes, bounded by a soft memory limit, so that the process stays
// near a known size whatever it streams.
//
// Go's own GOGC and GOMEMLIMIT environment variables, when set, win over both. The default
// limit is a starting point, not a cap: Watch raises it when the live heap outgrows it.
package gctune

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Defaults: GC when the heap has grown by 4x its live size, but never let it grow past
// DefaultMemoryLimit before collecting.
const (
	DefaultGCPercent   = 400
	DefaultMemoryLimit = "140MiB"
)

// Settings are what Apply set: GCPercent -1 means off; MemoryLimit in bytes, math.MaxInt64
// for none. FromEnv names the variables that were left to the runtime.
type Settings struct {
	GCPercent   int
	MemoryLimit int64
	FromEnv     []string
}

// Apply sets the collector's percent and soft memory limit (a size such as "128MiB",
// "1GiB", "500MB" or a number of bytes; "off" or "" for none) unless the environment, as
// read by getenv, sets GOGC or GOMEMLIMIT: those the runtime already applied.
func Apply(limit string, getenv func(string) string) (Settings, error) {
	var s Settings
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	} else {
		s.FromEnv = append(s.FromEnv, "GOGC")
	}
	s.GCPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(s.GCPercent)
	if getenv("GOMEMLIMIT") == "" {
		n, err := ParseSize(limit)
		if err != nil {
			return s, err
		}
		debug.SetMemoryLimit(n)
	} else {
		s.FromEnv = append(s.FromEnv, "GOMEMLIMIT")
	}
	s.MemoryLimit = debug.SetMemoryLimit(-1)
	return s, nil
}

var units = []struct {
	suffix string
	mult   int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

// ParseSize reads a size as GOMEMLIMIT spells it ("128MiB", "2GiB", "500MB", "1048576"),
// or "off" / "" for no limit (math.MaxInt64).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "off") {
		return math.MaxInt64, nil
	}
	num, mult := s, int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a size: want a positive number of bytes with an optional unit (KiB, MiB, GiB, TiB, KB, MB, GB, TB), or off", s)
	}
	return n * mult, nil
}

// raised returns the limit to use when live bytes of heap survive collections under
// limit: unchanged while live stays under half of it, else three times live (in whole
// MiB), so that the collector, which runs back to back as live nears the limit, gets its
// room back.
func raised(limit, live int64) (int64, bool) {
	if live <= limit/2 {
		return limit, false
	}
	const mib = 1 << 20
	return (3*live + mib - 1) / mib * mib, true
}

// liveHeap reads the heap the last collection found live.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// Watch keeps a default memory limit from starving the process: every interval until
// ctx ends, when the live heap has grown past half the limit (a worker with many tables
// or sinks), it raises the limit to three times the live heap and logs it. Only for a
// limit the user did not choose: one set with --memory-limit or GOMEMLIMIT is kept.
func Watch(ctx context.Context, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			watchOnce(log)
		}
	}
}

func watchOnce(log *slog.Logger) {
	limit := debug.SetMemoryLimit(-1)
	live := liveHeap()
	if next, ok := raised(limit, live); ok {
		debug.SetMemoryLimit(next)
		log.Warn("the live heap is over half the default memory limit: raised the limit so the garbage collector does not run back to back; set --memory-limit (or GOMEMLIMIT) to choose the bound",
			"live_mib", live>>20, "old_limit_mib", limit>>20, "new_limit_mib", next>>20)
	}
}
