package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/spf13/viper"
)

// formats maps a file extension to the viper decoder that reads it.
var formats = map[string]string{".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}

// Load reads, interpolates, defaults and validates the pipeline config at path. env
// looks up ${VAR}s; nil means os.LookupEnv. On error it returns every problem found,
// joined, each an [*Error] that starts with path.
func Load(path string, env func(string) (string, bool)) (*Pipeline, error) {
	if env == nil {
		env = os.LookupEnv
	}
	format, ok := formats[strings.ToLower(filepath.Ext(path))]
	if !ok {
		return nil, &Error{File: path, Msg: "unknown config format: use .yaml, .yml, .json or .toml"}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: read config: %w", path, err)
	}
	return parse(path, format, data, env)
}

func parse(path, format string, data []byte, env func(string) (string, bool)) (*Pipeline, error) {
	// viper's own decoders, used directly: viper.ReadConfig would lower-case every key,
	// table names in key_columns included, and split keys holding dots.
	dec, err := viper.NewCodecRegistry().Decoder(format)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("no %s decoder: %v", format, err)}
	}
	raw := map[string]any{}
	if err := dec.Decode(data, raw); err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("parse %s: %v", format, err)}
	}
	p := &Pipeline{File: path}
	d := &decoder{file: path, env: env, present: map[string]bool{}, failed: map[string]bool{}, raw: map[string]string{}}
	d.decodeStruct("", raw, reflect.ValueOf(p).Elem())
	d.applyDefaults("", reflect.ValueOf(p).Elem(), p.Name)
	d.validate(p)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return p, nil
}

// LoadAll loads every pipeline in paths and checks that they can run in one process or
// on one host: no two share a name, a data directory or a listen address.
func LoadAll(paths []string, env func(string) (string, bool)) ([]*Pipeline, error) {
	var (
		errs      []error
		pipelines []*Pipeline
	)
	for _, path := range paths {
		p, err := Load(path, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pipelines = append(pipelines, p)
	}
	for i, p := range pipelines {
		for _, q := range pipelines[:i] {
			if p.Name == q.Name {
				errs = append(errs, &Error{File: p.File, Key: "name", Msg: fmt.Sprintf("%q is also the name of %s", p.Name, q.File)})
			}
			if sameDir(p.DataDir, q.DataDir) {
				errs = append(errs, &Error{File: p.File, Key: "data_dir", Msg: fmt.Sprintf("%s is also the data_dir of %s", quote(p.DataDir), q.File)})
			}
			for _, lp := range p.listeners() {
				for _, lq := range q.listeners() {
					if overlap(lp.addr, lq.addr) {
						errs = append(errs, &Error{File: p.File, Key: lp.key, Msg: fmt.Sprintf("%s is also %s of %s", lp.addr, lq.key, q.File)})
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return pipelines, nil
}

func sameDir(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return absA == absB
}
