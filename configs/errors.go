package configs

// Error is one problem with one key of one config file. Load and LoadAll return every
// Error they find, joined with errors.Join; errors.As finds the first.
type Error struct {
	File string // the config file's path, as given to Load
	Key  string // full dotted key path, e.g. source.postgres.slot; empty for the whole file
	Msg  string // what is wrong, never containing a secret's value
}

func (e *Error) Error() string {
	if e.Key == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Key + ": " + e.Msg
}
