package snapshot

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// tableStat is one table's progress in a running snapshot.
type tableStat struct {
	id        string
	estimated int64
	rows      atomic.Int64
	done      atomic.Bool
}

// bar is one line of the terminal display.
type bar struct {
	name      string
	rows, est int64
	rate      float64 // rows per second
	done      bool
	eta       time.Duration // 0: unknown
}

// renderBars draws one line per bar: name, a bar of the rows done of the estimate (the
// catalog's estimate may be low: the bar stays full then), rows, percent, rows/s, ETA.
func renderBars(bars []bar, nameWidth int) string {
	const width = 24
	var b strings.Builder
	for _, br := range bars {
		frac := 0.0
		switch {
		case br.done:
			frac = 1
		case br.est > 0:
			frac = min(float64(br.rows)/float64(br.est), 1)
		}
		n := int(frac * width)
		name := br.name
		if len(name) > nameWidth {
			name = "…" + name[len(name)-nameWidth+1:]
		}
		fmt.Fprintf(&b, "%-*s [%s%s] %10d/%-10d %3d%% %8d rows/s", nameWidth, name,
			strings.Repeat("#", n), strings.Repeat("-", width-n), br.rows, max(br.est, br.rows), int(frac*100), int64(br.rate))
		switch {
		case br.done:
			b.WriteString("  done")
		case br.eta > 0:
			fmt.Fprintf(&b, "  ETA %s", br.eta.Round(time.Second))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// terminal redraws the bars of a snapshot in place on a terminal.
type terminal struct {
	w     io.Writer
	lines int // lines drawn last time
	last  map[string]int64
	at    time.Time
	start time.Time
}

func (t *terminal) draw(tables []*tableStat, total *stats, now time.Time) {
	if t.last == nil {
		t.last, t.start, t.at = map[string]int64{}, now, now
	}
	secs := max(now.Sub(t.at).Seconds(), 0.001)
	nameWidth := len("total")
	for _, ts := range tables {
		nameWidth = max(nameWidth, min(len(ts.id), 40))
	}
	eta := func(rows, est int64) time.Duration {
		if rows <= 0 || est <= rows {
			return 0
		}
		return time.Duration(float64(now.Sub(t.start)) * float64(est-rows) / float64(rows))
	}
	var bars []bar
	var sumRate float64
	for _, ts := range tables {
		rows := ts.rows.Load()
		rate := float64(rows-t.last[ts.id]) / secs
		sumRate += rate
		t.last[ts.id] = rows
		bars = append(bars, bar{name: ts.id, rows: rows, est: ts.estimated, rate: rate, done: ts.done.Load(), eta: eta(rows, ts.estimated)})
	}
	rows, est := total.rows.Load(), total.estimated.Load()
	bars = append(bars, bar{name: "total", rows: rows, est: est, rate: sumRate, eta: eta(rows, est),
		done: total.chunksDone.Load() == total.chunksTotal.Load()})
	t.at = now
	var b strings.Builder
	if t.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", t.lines) // back to the first bar
	}
	for _, line := range strings.SplitAfter(renderBars(bars, nameWidth), "\n") {
		if line != "" {
			b.WriteString("\x1b[2K" + line)
		}
	}
	t.lines = len(bars)
	_, _ = io.WriteString(t.w, b.String())
}
