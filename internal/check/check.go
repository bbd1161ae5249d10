// Package check is the vocabulary of `dovetail validate`: a problem found in a source's or
// sink's prerequisites, and the command that fixes it.
package check

import "fmt"

// Level says whether a problem stops the pipeline from running.
type Level int

// Levels.
const (
	Warning Level = iota // the pipeline runs, but something will go wrong later
	Error                // the pipeline cannot run
)

func (l Level) String() string {
	if l == Error {
		return "error"
	}
	return "warning"
}

// Problem is one failed prerequisite.
type Problem struct {
	Level Level
	// What names the thing at fault and what is wrong with it.
	What string
	// Fix is the command or setting that fixes it.
	Fix string
}

func (p Problem) String() string {
	if p.Fix == "" {
		return fmt.Sprintf("%s: %s", p.Level, p.What)
	}
	return fmt.Sprintf("%s: %s\n  fix: %s", p.Level, p.What, p.Fix)
}

// Blocking reports whether any problem is an Error.
func Blocking(ps []Problem) bool {
	for _, p := range ps {
		if p.Level == Error {
			return true
		}
	}
	return false
}
