package configs

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

const secret = "hunter2"

func TestRedactString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://dovetail:hunter2@db:5432/shop", "postgres://dovetail:[redacted]@db:5432/shop"},
		{"postgres://dovetail@db/shop", "postgres://dovetail@db/shop"},
		{"https://u:p@ss:w@rd@registry:8081", "https://u:[redacted]@registry:8081"},
		{"dovetail:hunter2@tcp(mysql:3306)/inventory", "dovetail:[redacted]@tcp(mysql:3306)/inventory"},
		{"host=db user=dovetail password=hunter2 dbname=shop", "host=db user=dovetail password=[redacted] dbname=shop"},
		{"host=db password='hunter 2' dbname=shop", "host=db password=[redacted] dbname=shop"},
		{"jdbc:postgresql://db/shop?user=u&password=hunter2&ssl=true", "jdbc:postgresql://db/shop?user=u&password=[redacted]&ssl=true"},
		{"127.0.0.1:9092", "127.0.0.1:9092"},
		{"public.orders", "public.orders"},
	}
	for _, tt := range tests {
		if got := redactString(tt.in); got != tt.want {
			t.Errorf("redactString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNoSecretLeaks proves that neither Redacted nor any error message, nor the usual
// ways of printing a Pipeline, show a password: not the DSN's, nor one embedded in
// another DSN-like value, nor one in a value of the wrong type.
func TestNoSecretLeaks(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "secrets.yaml"), testEnv)
	if err == nil {
		t.Fatal("secrets.yaml has a bad broker address and should not load")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the secret:\n%v", err)
	}

	// The same config with valid brokers loads; print it every way we can.
	p, err := parse("secrets.yaml", "yaml", []byte(`
name: shop
source:
  kind: postgres
  dsn: postgres://dovetail:hunter2@db:5432/shop?sslmode=require
  key_columns:
    "public.t": [id]
schema_registry:
  url: https://registry-user:hunter2@registry:8081
kafka:
  brokers: [kafka:9092]
`), testEnv)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if p.Source.DSN.Value() != "postgres://dovetail:hunter2@db:5432/shop?sslmode=require" {
		t.Errorf("DSN value lost: the secret must still be usable")
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", "dsn", p.Source.DSN, "source", p.Source)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("loaded", "dsn", p.Source.DSN)
	outputs := map[string]string{
		"Redacted": p.Redacted(),
		"%v":       fmt.Sprintf("%v", p),
		"%+v":      fmt.Sprintf("%+v", p),
		"%#v":      fmt.Sprintf("%#v", p),
		"%s dsn":   fmt.Sprint(p.Source.DSN),
		"slog":     logged.String(),
	}
	for how, out := range outputs {
		if strings.Contains(out, "postgres://dovetail:hunter2") {
			t.Errorf("%s shows the DSN:\n%s", how, out)
		}
	}
	if out := p.Redacted(); strings.Contains(out, secret) {
		t.Errorf("Redacted shows a secret:\n%s", out)
	} else if !strings.Contains(out, "dsn: '[redacted]'") || !strings.Contains(out, "url: https://registry-user:[redacted]@registry:8081") {
		t.Errorf("Redacted does not show what it redacted:\n%s", out)
	}

	for _, file := range []string{"secret_wrong_type.yaml", "secret_map.yaml"} {
		_, err := Load(filepath.Join("testdata", file), testEnv)
		if err == nil {
			t.Fatalf("%s loaded", file)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error shows the secret:\n%v", file, err)
		}
		if !strings.Contains(err.Error(), "source.dsn: expected a string, got a") {
			t.Errorf("%s: error does not name the dsn's type problem:\n%v", file, err)
		}
	}

	// A DSN from the environment that fails does not show in the error either.
	_, err = parse("x.yaml", "yaml", []byte("name: shop\nsource: {kind: postgres, dsn: \"${PG_DSN}\"}\nkafka: {partitions: \"${PG_PASSWORD}\"}\n"), testEnv)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), `kafka.partitions: expected an integer, got "${PG_PASSWORD}" (as interpolated)`) {
		t.Errorf("error from an interpolated value: %v", err)
	}
}
