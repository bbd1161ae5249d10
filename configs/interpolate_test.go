package configs

import "testing"

func TestInterpolate(t *testing.T) {
	env := envOf(map[string]string{"HOST": "db", "EMPTY": "", "PORT": "5432"})
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "${HOST}", want: "db"},
		{in: "postgres://${HOST}:${PORT}/x", want: "postgres://db:5432/x"},
		{in: "${EMPTY}", want: ""}, // set but empty is not an error
		{in: "${EMPTY:-fallback}", want: "fallback"},
		{in: "${MISSING:-fallback}", want: "fallback"},
		{in: "${MISSING:-}", want: ""},
		{in: "${HOST:-other}", want: "db"},
		{in: "${MISSING:-a:b/c}", want: "a:b/c"},
		{in: "$$", want: "$"},
		{in: "pa$$word", want: "pa$word"},
		{in: "$${HOST}", want: "${HOST}"},
		{in: "$$$${HOST}", want: "$${HOST}"},
		{in: "cost: 5$", want: "cost: 5$"},
		{in: "$HOST", want: "$HOST"}, // only the braced form interpolates
		{in: "${MISSING}", err: "environment variable MISSING is not set and ${MISSING} has no default (write ${MISSING:-default})"},
		{in: "x${HOST", err: "unterminated ${ (write $$ for a literal $)"},
		{in: "${}", err: "invalid variable name in ${...}: use letters, digits and _ (write $$ for a literal $)"},
		{in: "${9X}", err: "invalid variable name in ${...}: use letters, digits and _ (write $$ for a literal $)"},
		{in: "${A B}", err: "invalid variable name in ${...}: use letters, digits and _ (write $$ for a literal $)"},
	}
	for _, tt := range tests {
		got, err := interpolate(tt.in, env)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("interpolate(%q) error = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("interpolate(%q): %v", tt.in, err)
		case tt.err == "" && got != tt.want:
			t.Errorf("interpolate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzInterpolate(f *testing.F) {
	for _, s := range []string{"${A}", "${A:-b}", "$$", "x${", "${A B}", "$"} {
		f.Add(s)
	}
	env := envOf(map[string]string{"A": "1"})
	f.Fuzz(func(t *testing.T, s string) {
		out, err := interpolate(s, env)
		if err == nil && len(out) > len(s)+len("1")*len(s) {
			t.Errorf("interpolate(%q) grew to %d bytes", s, len(out))
		}
	})
}
