package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// contentType is the registry's media type.
const contentType = "application/vnd.schemaregistry.v1+json"

// Client is a Confluent Schema Registry REST client for Avro schemas. Registrations and
// fetched schemas are cached in memory. It is safe for concurrent use.
type Client struct {
	base       string
	user, pass string
	hc         *http.Client

	mu      sync.RWMutex
	ids     map[subjectSchema]int
	schemas map[int]string
}

type subjectSchema struct{ subject, schema string }

// SubjectVersion is one version of a subject.
type SubjectVersion struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
	ID      int    `json:"id"`
	Schema  string `json:"schema"`
}

// NewClient returns a client of the registry at baseURL ("http://host:8081"; user info in
// the URL is sent as basic auth). hc nil means http.DefaultClient.
func NewClient(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("schema registry url %q: want http(s)://host[:port]", baseURL)
	}
	c := &Client{hc: hc, ids: map[subjectSchema]int{}, schemas: map[int]string{}}
	if u.User != nil {
		c.user = u.User.Username()
		c.pass, _ = u.User.Password()
		u.User = nil
	}
	c.base = strings.TrimRight(u.String(), "/")
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	return c, nil
}

// Register registers an Avro schema under subject and returns its global id; a schema
// already registered returns its existing id.
func (c *Client) Register(ctx context.Context, subject, schema string) (int, error) {
	k := subjectSchema{subject, schema}
	c.mu.RLock()
	id, ok := c.ids[k]
	c.mu.RUnlock()
	if ok {
		return id, nil
	}
	var resp struct {
		ID int `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, "/subjects/"+url.PathEscape(subject)+"/versions",
		schemaRequest{Schema: schema}, &resp); err != nil {
		return 0, fmt.Errorf("register schema under %s: %w", subject, err)
	}
	c.mu.Lock()
	c.ids[k] = resp.ID
	c.schemas[resp.ID] = schema
	c.mu.Unlock()
	return resp.ID, nil
}

// Schema returns the schema with a global id.
func (c *Client) Schema(ctx context.Context, id int) (string, error) {
	c.mu.RLock()
	s, ok := c.schemas[id]
	c.mu.RUnlock()
	if ok {
		return s, nil
	}
	var resp schemaRequest
	if err := c.do(ctx, http.MethodGet, "/schemas/ids/"+strconv.Itoa(id), nil, &resp); err != nil {
		return "", fmt.Errorf("fetch schema %d: %w", id, err)
	}
	c.mu.Lock()
	c.schemas[id] = resp.Schema
	c.mu.Unlock()
	return resp.Schema, nil
}

// Lookup returns the version of subject that has schema.
func (c *Client) Lookup(ctx context.Context, subject, schema string) (SubjectVersion, error) {
	var v SubjectVersion
	err := c.do(ctx, http.MethodPost, "/subjects/"+url.PathEscape(subject), schemaRequest{Schema: schema}, &v)
	if err != nil {
		return v, fmt.Errorf("look up schema under %s: %w", subject, err)
	}
	return v, nil
}

// Version returns a version of a subject: a number or "latest".
func (c *Client) Version(ctx context.Context, subject, version string) (SubjectVersion, error) {
	var v SubjectVersion
	err := c.do(ctx, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions/"+url.PathEscape(version), nil, &v)
	if err != nil {
		return v, fmt.Errorf("get version %s of %s: %w", version, subject, err)
	}
	return v, nil
}

// Subjects lists the registered subjects.
func (c *Client) Subjects(ctx context.Context) ([]string, error) {
	var s []string
	if err := c.do(ctx, http.MethodGet, "/subjects", nil, &s); err != nil {
		return nil, fmt.Errorf("list subjects: %w", err)
	}
	return s, nil
}

// Versions lists a subject's version numbers.
func (c *Client) Versions(ctx context.Context, subject string) ([]int, error) {
	var v []int
	if err := c.do(ctx, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions", nil, &v); err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", subject, err)
	}
	return v, nil
}

// Compatible reports whether schema is compatible with a version ("latest" or a number) of
// subject under the subject's compatibility level.
func (c *Client) Compatible(ctx context.Context, subject, version, schema string) (bool, error) {
	var resp struct {
		IsCompatible bool `json:"is_compatible"`
	}
	err := c.do(ctx, http.MethodPost, "/compatibility/subjects/"+url.PathEscape(subject)+"/versions/"+url.PathEscape(version),
		schemaRequest{Schema: schema}, &resp)
	if err != nil {
		return false, fmt.Errorf("check compatibility with %s version %s: %w", subject, version, err)
	}
	return resp.IsCompatible, nil
}

// Compatibility returns the compatibility level of a subject, or the global one when
// subject is "".
func (c *Client) Compatibility(ctx context.Context, subject string) (string, error) {
	var resp struct {
		Level string `json:"compatibilityLevel"`
	}
	if err := c.do(ctx, http.MethodGet, configPath(subject), nil, &resp); err != nil {
		return "", fmt.Errorf("get compatibility of %q: %w", subject, err)
	}
	return resp.Level, nil
}

// SetCompatibility sets the compatibility level of a subject, or the global one when
// subject is "".
func (c *Client) SetCompatibility(ctx context.Context, subject, level string) error {
	if err := c.do(ctx, http.MethodPut, configPath(subject), configRequest{Compatibility: level}, nil); err != nil {
		return fmt.Errorf("set compatibility of %q to %s: %w", subject, level, err)
	}
	return nil
}

func configPath(subject string) string {
	if subject == "" {
		return "/config"
	}
	return "/config/" + url.PathEscape(subject)
}

// do sends a request and decodes a JSON response, or returns an *Error.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", contentType)
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(data))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// schemaRequest is the body of registrations, lookups and schema fetches.
type schemaRequest struct {
	Schema     string `json:"schema"`
	SchemaType string `json:"schemaType,omitempty"`
	References []any  `json:"references,omitempty"`
}

type configRequest struct {
	Compatibility string `json:"compatibility"`
}
