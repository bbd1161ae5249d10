package registry

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/schema"
)

// Both sides satisfy what the encoder and decoder need.
var (
	_ schema.Registry = (*Client)(nil)
	_ schema.Registry = (*Server)(nil)
)

const (
	v1       = `{"type":"record","name":"Value","namespace":"p.s.t","fields":[{"name":"id","type":"int"}]}`
	v1Spaced = `{ "type": "record", "name": "Value", "namespace": "p.s.t", "fields": [ {"name": "id", "type": "int"} ] }`
	v2       = `{"type":"record","name":"Value","namespace":"p.s.t","fields":[{"name":"id","type":"int"},{"name":"note","type":["null","string"],"default":null}]}`
	v3Bad    = `{"type":"record","name":"Value","namespace":"p.s.t","fields":[{"name":"id","type":"int"},{"name":"must","type":"string"}]}`
)

func serve(t *testing.T, dir string) (*Client, *Server) {
	t.Helper()
	srv, err := NewServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := NewClient(hs.URL, hs.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestRegisterLookupLatest(t *testing.T) {
	ctx := context.Background()
	c, _ := serve(t, t.TempDir())

	id1, err := c.Register(ctx, "t-value", v1)
	if err != nil {
		t.Fatal(err)
	}
	// Idempotent, through a fresh client (no cache) and with different whitespace.
	c2, _ := NewClient(c.base, nil)
	if again, err := c2.Register(ctx, "t-value", v1Spaced); err != nil || again != id1 {
		t.Errorf("re-register: id %d err %v, want %d", again, err, id1)
	}
	// Same schema under another subject reuses the id.
	if other, err := c.Register(ctx, "u-value", v1); err != nil || other != id1 {
		t.Errorf("other subject: id %d err %v, want %d", other, err, id1)
	}
	id2, err := c.Register(ctx, "t-value", v2)
	if err != nil || id2 == id1 {
		t.Fatalf("v2: id %d err %v", id2, err)
	}

	if s, err := c2.Schema(ctx, id2); err != nil || s != v2 {
		t.Errorf("schema %d = %q, %v", id2, s, err)
	}
	latest, err := c.Version(ctx, "t-value", "latest")
	if err != nil || latest.Version != 2 || latest.ID != id2 || latest.Schema != v2 {
		t.Errorf("latest %+v, %v", latest, err)
	}
	first, err := c.Version(ctx, "t-value", "1")
	if err != nil || first.ID != id1 {
		t.Errorf("version 1 %+v, %v", first, err)
	}
	found, err := c.Lookup(ctx, "t-value", v1Spaced)
	if err != nil || found.Version != 1 || found.ID != id1 {
		t.Errorf("lookup %+v, %v", found, err)
	}
	if _, err := c.Lookup(ctx, "t-value", v3Bad); !errors.Is(err, ErrNotFound) {
		t.Errorf("lookup of unknown schema: %v, want ErrNotFound", err)
	}
	subjects, err := c.Subjects(ctx)
	if err != nil || !slices.Equal(subjects, []string{"t-value", "u-value"}) {
		t.Errorf("subjects %v, %v", subjects, err)
	}
	versions, err := c.Versions(ctx, "t-value")
	if err != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Errorf("versions %v, %v", versions, err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	c, _ := serve(t, "")
	var re *Error
	_, err := c.Schema(ctx, 42)
	if !errors.As(err, &re) || re.Status != 404 || re.Code != 40403 || !errors.Is(err, ErrNotFound) {
		t.Errorf("missing schema: %v", err)
	}
	_, err = c.Version(ctx, "nope", "latest")
	if !errors.As(err, &re) || re.Code != 40401 {
		t.Errorf("missing subject: %v", err)
	}
	_, err = c.Register(ctx, "t-value", `{"type":"record","name":"X"}`)
	if !errors.As(err, &re) || re.Status != 422 || re.Code != 42201 || !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("invalid schema: %v", err)
	}
	if _, err := c.Register(ctx, "t-value", v1); err != nil {
		t.Fatal(err)
	}
	_, err = c.Version(ctx, "t-value", "x")
	if !errors.As(err, &re) || re.Code != 42202 {
		t.Errorf("bad version: %v", err)
	}
	_, err = c.Version(ctx, "t-value", "7")
	if !errors.As(err, &re) || re.Code != 40402 {
		t.Errorf("missing version: %v", err)
	}
	if err := c.SetCompatibility(ctx, "", "SOMETIMES"); !errors.As(err, &re) || re.Code != 42203 {
		t.Errorf("bad level: %v", err)
	}
}

func TestCompatibility(t *testing.T) {
	ctx := context.Background()
	c, _ := serve(t, t.TempDir())
	if level, err := c.Compatibility(ctx, ""); err != nil || level != Backward {
		t.Errorf("default level %q, %v", level, err)
	}
	if _, err := c.Register(ctx, "t-value", v1); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Compatible(ctx, "t-value", "latest", v2); err != nil || !ok {
		t.Errorf("v2 compatible = %v, %v", ok, err)
	}
	if ok, err := c.Compatible(ctx, "t-value", "latest", v3Bad); err != nil || ok {
		t.Errorf("v3 compatible = %v, %v", ok, err)
	}
	_, err := c.Register(ctx, "t-value", v3Bad)
	var re *Error
	if !errors.As(err, &re) || re.Status != 409 || !errors.Is(err, ErrIncompatible) {
		t.Fatalf("incompatible registration: %v, want 409", err)
	}

	if _, err := c.Compatibility(ctx, "t-value"); !errors.As(err, &re) || re.Code != 40408 {
		t.Errorf("unset subject level: %v", err)
	}
	if err := c.SetCompatibility(ctx, "t-value", None); err != nil {
		t.Fatal(err)
	}
	if level, err := c.Compatibility(ctx, "t-value"); err != nil || level != None {
		t.Errorf("subject level %q, %v", level, err)
	}
	if _, err := c.Register(ctx, "t-value", v3Bad); err != nil {
		t.Errorf("NONE still rejects: %v", err)
	}
	if level, err := c.Compatibility(ctx, ""); err != nil || level != Backward {
		t.Errorf("global level changed to %q, %v", level, err)
	}
}

func TestPersistenceAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c, _ := serve(t, dir)
	id1, err := c.Register(ctx, "t-value", v1)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := c.Register(ctx, "t-value", v2)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetCompatibility(ctx, "u-value", Full); err != nil {
		t.Fatal(err)
	}

	c, _ = serve(t, dir) // a restart: a new server on the same directory
	if id, err := c.Register(ctx, "t-value", v1); err != nil || id != id1 {
		t.Errorf("after restart v1 id %d, %v, want %d", id, err, id1)
	}
	if s, err := c.Schema(ctx, id2); err != nil || s != v2 {
		t.Errorf("after restart schema %d = %q, %v", id2, s, err)
	}
	if level, err := c.Compatibility(ctx, "u-value"); err != nil || level != Full {
		t.Errorf("after restart level %q, %v", level, err)
	}
	id3, err := c.Register(ctx, "w-value", `{"type":"record","name":"W","fields":[]}`)
	if err != nil || id3 <= id2 {
		t.Errorf("numbering after restart: %d, %v, want > %d", id3, err, id2)
	}
}

func TestStartAndEncoderThroughClient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := NewServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	url, wait, err := srv.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, key, value, err := schema.NewEncoder(c, "dove").Heartbeat(ctx, time.UnixMilli(1234))
	if err != nil {
		t.Fatal(err)
	}
	dec := schema.NewDecoder(c)
	if k, _, err := dec.Decode(ctx, key); err != nil || k.(map[string]any)["serverName"] != "dove" {
		t.Errorf("key %v, %v", k, err)
	}
	if v, _, err := dec.Decode(ctx, value); err != nil || v.(map[string]any)["ts_ms"] != int64(1234) {
		t.Errorf("value %v, %v", v, err)
	}
	cancel()
	if err := wait(); err != nil {
		t.Errorf("wait: %v", err)
	}
}

// A table gaining a nullable column registers a new, backward compatible envelope version.
func TestGeneratedEnvelopeEvolves(t *testing.T) {
	ctx := context.Background()
	c, _ := serve(t, "")
	tb := &event.Table{ID: event.TableID{Database: "d", Schema: "public", Table: "t"},
		Columns: []event.Column{{Name: "id", Type: event.Type{Kind: event.KindInt64}}}, Key: []int{0}}
	s1, err := schema.TableSchemas("p", schema.ConnectorPostgres, tb)
	if err != nil {
		t.Fatal(err)
	}
	tb2 := *tb
	tb2.Columns = append(slices.Clone(tb.Columns), event.Column{Name: "v", Type: event.Type{Kind: event.KindVarDecimal}, Optional: true})
	s2, err := schema.TableSchemas("p", schema.ConnectorPostgres, &tb2)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{s1.Envelope, s2.Envelope} {
		if _, err := c.Register(ctx, "p.public.t-value", s); err != nil {
			t.Fatalf("register: %v", err)
		}
	}
	if vs, err := c.Versions(ctx, "p.public.t-value"); err != nil || len(vs) != 2 {
		t.Errorf("versions %v, %v", vs, err)
	}
}
