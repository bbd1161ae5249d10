package gctune

import (
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"128MiB", 128 << 20, true},
		{"2GiB", 2 << 30, true},
		{"500MB", 500e6, true},
		{"1048576", 1 << 20, true},
		{"64 KiB", 64 << 10, true},
		{"10B", 10, true},
		{"off", math.MaxInt64, true},
		{"", math.MaxInt64, true},
		{"-1MiB", 0, false},
		{"0", 0, false},
		{"12XB", 0, false},
		{"lots", 0, false},
		{"9999999TiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestApply(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	none := func(string) string { return "" }

	s, err := Apply("64MiB", none)
	if err != nil {
		t.Fatal(err)
	}
	if s.GCPercent != DefaultGCPercent || s.MemoryLimit != 64<<20 || len(s.FromEnv) != 0 {
		t.Errorf("Apply(64MiB) = %+v", s)
	}
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Errorf("runtime memory limit %d, want %d", got, 64<<20)
	}

	// The environment's variables win: Apply leaves the runtime's values alone.
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(300 << 20)
	env := map[string]string{"GOGC": "150", "GOMEMLIMIT": "300MiB"}
	s, err = Apply("64MiB", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if s.GCPercent != 150 || s.MemoryLimit != 300<<20 || len(s.FromEnv) != 2 {
		t.Errorf("Apply with GOGC and GOMEMLIMIT set = %+v", s)
	}

	if _, err := Apply("huge", none); err == nil {
		t.Error("Apply(huge) did not fail")
	}
}

func TestRaised(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		limit, live, want int64
		ok                bool
	}{
		{140 * mib, 30 * mib, 140 * mib, false},
		{140 * mib, 70 * mib, 140 * mib, false},
		{140 * mib, 70*mib + 1, 211 * mib, true},
		{140 * mib, 200 * mib, 600 * mib, true},
	}
	for _, tt := range tests {
		got, ok := raised(tt.limit, tt.live)
		if got != tt.want || ok != tt.ok {
			t.Errorf("raised(%d MiB, %d) = %d, %v; want %d, %v", tt.limit/mib, tt.live, got, ok, tt.want, tt.ok)
		}
	}
}

// TestWatchRaises: with a limit below a live heap, one watch step raises it above.
func TestWatchRaises(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	live := make([][]byte, 32)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	debug.SetMemoryLimit(16 << 20)
	watchOnce(slog.New(slog.DiscardHandler))
	if got := debug.SetMemoryLimit(-1); got < 3*32<<20 {
		t.Errorf("limit after a watch step with 32 MiB live: %d MiB, want at least 96", got>>20)
	}
	runtime.KeepAlive(live)
}
