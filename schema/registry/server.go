package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dovetail-cdc/dovetail/schema/internal/avro"
)

// Server is the embedded schema registry: an http.Handler serving the Confluent REST
// subset, with its state in a data directory. It also satisfies schema.Registry directly,
// for in-process use without HTTP.
type Server struct {
	dir string
	mux *http.ServeMux

	mu     sync.Mutex
	st     state
	byText map[string]int // identity text -> id
	trees  map[int]*avro.Type
}

// NewServer loads the registry persisted in dir (created if missing). An empty dir keeps
// the registry in memory only.
func NewServer(dir string) (*Server, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create schema registry dir: %w", err)
		}
	}
	st, err := load(dir)
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, st: st, byText: map[string]int{}, trees: map[int]*avro.Type{}}
	for id, text := range st.Schemas {
		p, perr := parseSchema(text)
		if perr != nil {
			return nil, fmt.Errorf("load schema %d from %s: %w", id, dir, perr)
		}
		s.byText[p.canonical] = id
		s.trees[id] = p.tree
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /schemas/ids/{id}", s.getSchema)
	m.HandleFunc("GET /schemas/ids/{id}/schema", s.getSchema)
	m.HandleFunc("GET /subjects", s.listSubjects)
	m.HandleFunc("GET /subjects/{subject}/versions", s.listVersions)
	m.HandleFunc("POST /subjects/{subject}/versions", s.register)
	m.HandleFunc("GET /subjects/{subject}/versions/{version}", s.getVersion)
	m.HandleFunc("GET /subjects/{subject}/versions/{version}/schema", s.getVersion)
	m.HandleFunc("POST /subjects/{subject}", s.lookup)
	m.HandleFunc("GET /config", s.getConfig)
	m.HandleFunc("PUT /config", s.putConfig)
	m.HandleFunc("GET /config/{subject}", s.getConfig)
	m.HandleFunc("PUT /config/{subject}", s.putConfig)
	m.HandleFunc("POST /compatibility/subjects/{subject}/versions/{version}", s.checkCompatibility)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			writeJSON(w, http.StatusOK, struct{}{})
			return
		}
		writeError(w, &Error{Status: 404, Code: 404, Message: "HTTP 404 Not Found"})
	})
	s.mux = m
}

// ServeHTTP serves the registry's REST API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Start listens on addr and serves until ctx ends. It returns the base URL
// ("http://host:port") and wait, which blocks until the server has stopped and returns
// why it stopped (nil after ctx ended).
func (s *Server) Start(ctx context.Context, addr string) (url string, wait func() error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("schema registry listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	wait = sync.OnceValue(func() error {
		err := <-done
		stop()
		return err
	})
	return "http://" + ln.Addr().String(), wait, nil
}

// Register registers a schema under a subject in process (see POST
// /subjects/{s}/versions).
func (s *Server) Register(_ context.Context, subject, schema string) (int, error) {
	id, err := s.registerSchema(subject, schema)
	if err != nil {
		return 0, err
	}
	return id, nil
}

// Schema returns the schema text of an id in process (see GET /schemas/ids/{id}).
func (s *Server) Schema(_ context.Context, id int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text, ok := s.st.Schemas[id]
	if !ok {
		return "", &Error{Status: 404, Code: codeSchemaNotFound, Message: "Schema " + strconv.Itoa(id) + " not found"}
	}
	return text, nil
}

// registerSchema is POST /subjects/{s}/versions. It returns *Error or nil.
func (s *Server) registerSchema(subject, schema string) (int, *Error) {
	p, perr := parseSchema(schema)
	if perr != nil {
		return 0, perr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	versions := s.st.Subjects[subject]
	id, known := s.byText[p.canonical]
	if known && slices.Contains(versions, id) {
		return id, nil
	}
	trees := make([]*avro.Type, len(versions))
	for i, vid := range versions {
		trees[i] = s.trees[vid]
	}
	level := s.level(subject)
	if err := compatible(level, p.tree, trees); err != nil {
		return 0, &Error{Status: 409, Code: codeIncompatible, Message: fmt.Sprintf(
			"Schema being registered is incompatible with an earlier schema for subject %q (%s): %v", subject, level, err)}
	}
	next := s.st.NextID
	if !known {
		id = next
		s.st.Schemas[id] = schema
		s.st.NextID++
	}
	s.st.Subjects[subject] = append(versions, id)
	if err := s.st.save(s.dir); err != nil {
		// Undo, so memory matches the file.
		s.st.Subjects[subject] = versions
		if len(versions) == 0 {
			delete(s.st.Subjects, subject)
		}
		if !known {
			delete(s.st.Schemas, id)
			s.st.NextID = next
		}
		return 0, &Error{Status: 500, Code: codeStore, Message: err.Error()}
	}
	if !known {
		s.byText[p.canonical] = id
		s.trees[id] = p.tree
	}
	return id, nil
}

// level is a subject's compatibility level, or the global one. Callers hold mu.
func (s *Server) level(subject string) string {
	if l, ok := s.st.SubjectCompatibility[subject]; ok {
		return l
	}
	return s.st.Compatibility
}

func (s *Server) getSchema(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeError(w, &Error{Status: 404, Code: codeSchemaNotFound, Message: "Schema " + r.PathValue("id") + " not found"})
		return
	}
	text, serr := s.Schema(r.Context(), id)
	if serr != nil {
		writeError(w, serr.(*Error))
		return
	}
	if strings.HasSuffix(r.URL.Path, "/schema") {
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, text)
		return
	}
	writeJSON(w, http.StatusOK, schemaRequest{Schema: text})
}

func (s *Server) listSubjects(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	subjects := make([]string, 0, len(s.st.Subjects))
	for k := range s.st.Subjects {
		subjects = append(subjects, k)
	}
	s.mu.Unlock()
	slices.Sort(subjects)
	writeJSON(w, http.StatusOK, subjects)
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) {
	subject := r.PathValue("subject")
	s.mu.Lock()
	n := len(s.st.Subjects[subject])
	s.mu.Unlock()
	if n == 0 {
		writeError(w, subjectNotFound(subject))
		return
	}
	vs := make([]int, n)
	for i := range vs {
		vs[i] = i + 1
	}
	writeJSON(w, http.StatusOK, vs)
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	req, err := readSchemaRequest(r)
	if err != nil {
		writeError(w, err)
		return
	}
	id, err := s.registerSchema(r.PathValue("subject"), req.Schema)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"id": id})
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) {
	subject := r.PathValue("subject")
	s.mu.Lock()
	ids := s.st.Subjects[subject]
	var v SubjectVersion
	var err *Error
	if len(ids) == 0 {
		err = subjectNotFound(subject)
	} else if n, verr := parseVersion(r.PathValue("version"), len(ids)); verr != nil {
		err = verr
	} else {
		v = SubjectVersion{Subject: subject, Version: n, ID: ids[n-1], Schema: s.st.Schemas[ids[n-1]]}
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/schema") {
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, v.Schema)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	req, p, err := readParsedSchema(r)
	if err != nil {
		writeError(w, err)
		return
	}
	subject := r.PathValue("subject")
	s.mu.Lock()
	ids := s.st.Subjects[subject]
	id, known := s.byText[p.canonical]
	version := slices.Index(ids, id) + 1
	s.mu.Unlock()
	switch {
	case len(ids) == 0:
		writeError(w, subjectNotFound(subject))
	case !known || version == 0:
		writeError(w, &Error{Status: 404, Code: codeSchemaNotFound, Message: "Schema not found"})
	default:
		writeJSON(w, http.StatusOK, SubjectVersion{Subject: subject, Version: version, ID: id, Schema: req.Schema})
	}
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	subject := r.PathValue("subject")
	s.mu.Lock()
	level, ok := s.st.SubjectCompatibility[subject]
	if subject == "" || (!ok && r.URL.Query().Get("defaultToGlobal") == "true") {
		level, ok = s.st.Compatibility, true
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, &Error{Status: 404, Code: codeSubjectConfigNone,
			Message: fmt.Sprintf("Subject '%s' does not have subject-level compatibility configured", subject)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"compatibilityLevel": level})
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	var req configRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || !validLevel(req.Compatibility) {
		writeError(w, &Error{Status: 422, Code: codeInvalidLevel, Message: "Invalid compatibility level"})
		return
	}
	subject := r.PathValue("subject")
	s.mu.Lock()
	old, had := s.st.SubjectCompatibility[subject]
	oldGlobal := s.st.Compatibility
	if subject == "" {
		s.st.Compatibility = req.Compatibility
	} else {
		s.st.SubjectCompatibility[subject] = req.Compatibility
	}
	err := s.st.save(s.dir)
	if err != nil {
		s.st.Compatibility = oldGlobal
		if subject != "" {
			if had {
				s.st.SubjectCompatibility[subject] = old
			} else {
				delete(s.st.SubjectCompatibility, subject)
			}
		}
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, &Error{Status: 500, Code: codeStore, Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, req)
}

func (s *Server) checkCompatibility(w http.ResponseWriter, r *http.Request) {
	_, p, err := readParsedSchema(r)
	if err != nil {
		writeError(w, err)
		return
	}
	subject, version := r.PathValue("subject"), r.PathValue("version")
	s.mu.Lock()
	ids := s.st.Subjects[subject]
	level := s.level(subject)
	var against []*avro.Type
	if len(ids) > 0 {
		n, verr := parseVersion(version, len(ids))
		if verr != nil {
			s.mu.Unlock()
			writeError(w, verr)
			return
		}
		if version == "latest" || version == "-1" {
			for _, id := range ids {
				against = append(against, s.trees[id])
			}
		} else {
			against = []*avro.Type{s.trees[ids[n-1]]}
		}
	}
	s.mu.Unlock()
	if len(ids) == 0 && version != "latest" && version != "-1" {
		writeError(w, subjectNotFound(subject))
		return
	}
	resp := struct {
		IsCompatible bool     `json:"is_compatible"`
		Messages     []string `json:"messages,omitempty"`
	}{IsCompatible: true}
	if cerr := compatible(level, p.tree, against); cerr != nil {
		resp.IsCompatible = false
		if r.URL.Query().Get("verbose") == "true" {
			resp.Messages = []string{cerr.Error()}
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func subjectNotFound(subject string) *Error {
	return &Error{Status: 404, Code: codeSubjectNotFound, Message: fmt.Sprintf("Subject '%s' not found.", subject)}
}

// readSchemaRequest reads an Avro schema request body.
// readParsedSchema reads a schema request and parses its schema.
func readParsedSchema(r *http.Request) (schemaRequest, parsed, *Error) {
	req, err := readSchemaRequest(r)
	if err != nil {
		return req, parsed{}, err
	}
	p, err := parseSchema(req.Schema)
	return req, p, err
}

func readSchemaRequest(r *http.Request) (schemaRequest, *Error) {
	var req schemaRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&req); err != nil {
		return req, &Error{Status: 422, Code: 422, Message: "Unrecognized request body: " + err.Error()}
	}
	if req.SchemaType != "" && req.SchemaType != "AVRO" {
		return req, &Error{Status: 422, Code: codeInvalidSchema, Message: "Only AVRO schemas are supported, not " + req.SchemaType}
	}
	if len(req.References) > 0 {
		return req, &Error{Status: 422, Code: codeInvalidSchema, Message: "Schema references are not supported"}
	}
	return req, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *Error) { writeJSON(w, e.Status, e) }
