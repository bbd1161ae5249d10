package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dovetail-cdc/dovetail/schema/internal/avro"
	"github.com/linkedin/goavro/v2"
)

// stateFile is the embedded registry's file in its data directory.
const stateFile = "schema-registry.json"

// Compatibility levels, as Confluent names them.
const (
	None               = "NONE"
	Backward           = "BACKWARD"
	BackwardTransitive = "BACKWARD_TRANSITIVE"
	Forward            = "FORWARD"
	ForwardTransitive  = "FORWARD_TRANSITIVE"
	Full               = "FULL"
	FullTransitive     = "FULL_TRANSITIVE"
)

func validLevel(l string) bool {
	switch l {
	case None, Backward, BackwardTransitive, Forward, ForwardTransitive, Full, FullTransitive:
		return true
	}
	return false
}

// state is what the embedded registry persists.
type state struct {
	// NextID is the next schema id to hand out; ids are never reused.
	NextID  int            `json:"next_id"`
	Schemas map[int]string `json:"schemas"`
	// Subjects maps a subject to the schema id of each version (version = index + 1).
	Subjects             map[string][]int  `json:"subjects"`
	Compatibility        string            `json:"compatibility"`
	SubjectCompatibility map[string]string `json:"subject_compatibility"`
}

func newState() state {
	return state{NextID: 1, Schemas: map[int]string{}, Subjects: map[string][]int{},
		Compatibility: Backward, SubjectCompatibility: map[string]string{}}
}

// load reads the state file of dir; a missing file is an empty registry.
func load(dir string) (state, error) {
	st := newState()
	if dir == "" {
		return st, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read schema registry state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("parse schema registry state %s: %w", filepath.Join(dir, stateFile), err)
	}
	if st.Schemas == nil {
		st.Schemas = map[int]string{}
	}
	if st.Subjects == nil {
		st.Subjects = map[string][]int{}
	}
	if st.SubjectCompatibility == nil {
		st.SubjectCompatibility = map[string]string{}
	}
	if st.Compatibility == "" {
		st.Compatibility = Backward
	}
	for id := range st.Schemas {
		if id >= st.NextID {
			st.NextID = id + 1
		}
	}
	return st, nil
}

// save writes the state atomically: a temporary file, fsync, rename, fsync of the
// directory. Without a directory it does nothing.
func (st *state) save(dir string) error {
	if dir == "" {
		return nil
	}
	data, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return fmt.Errorf("encode schema registry state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, stateFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("save schema registry state: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save schema registry state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save schema registry state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save schema registry state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("save schema registry state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save schema registry state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("save schema registry state: sync dir: %w", err)
	}
	return nil
}

// parsed is a validated schema: its identity text and its tree.
type parsed struct {
	canonical string
	tree      *avro.Type
}

// parseSchema validates an Avro schema (goavro must compile it) and returns its identity
// text: the JSON without insignificant whitespace. Schemas with the same identity text
// share one id.
func parseSchema(text string) (parsed, *Error) {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return parsed{}, &Error{Status: 422, Code: codeInvalidSchema, Message: "Invalid schema: " + err.Error()}
	}
	if _, err := goavro.NewCodec(text); err != nil {
		return parsed{}, &Error{Status: 422, Code: codeInvalidSchema, Message: "Invalid schema: " + err.Error()}
	}
	tree, err := avro.Parse(text)
	if err != nil {
		return parsed{}, &Error{Status: 422, Code: codeInvalidSchema, Message: "Invalid schema: " + err.Error()}
	}
	return parsed{canonical: b.String(), tree: tree}, nil
}

// compatible checks a new schema against existing versions (schema trees, oldest first)
// under a level.
func compatible(level string, next *avro.Type, versions []*avro.Type) error {
	if level == None || len(versions) == 0 {
		return nil
	}
	against := versions[len(versions)-1:]
	switch level {
	case BackwardTransitive, ForwardTransitive, FullTransitive:
		against = versions
	}
	for i, old := range against {
		v := len(versions) - len(against) + i + 1
		if level != Forward && level != ForwardTransitive {
			if err := avro.CanRead(next, old); err != nil {
				return fmt.Errorf("the new schema cannot read data written with version %d: %w", v, err)
			}
		}
		if level != Backward && level != BackwardTransitive {
			if err := avro.CanRead(old, next); err != nil {
				return fmt.Errorf("version %d cannot read data written with the new schema: %w", v, err)
			}
		}
	}
	return nil
}

// parseVersion reads "latest", -1 or a positive version number.
func parseVersion(s string, count int) (int, *Error) {
	if s == "latest" || s == "-1" {
		if count == 0 {
			return 0, &Error{Status: 404, Code: codeVersionNotFound, Message: "Version not found."}
		}
		return count, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return 0, &Error{Status: 422, Code: codeInvalidVersion,
			Message: fmt.Sprintf("The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", s)}
	}
	if v > count {
		return 0, &Error{Status: 404, Code: codeVersionNotFound, Message: "Version not found."}
	}
	return v, nil
}
