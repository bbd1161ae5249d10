// Package configs owns the pipeline config: its shape, loading with viper, ${VAR}
// interpolation from the environment, defaults and validation with errors that name the
// file and the key. It imports nothing of Dovetail's but the event model, and it never
// connects to anything: whether a database or broker is reachable is the runtime's check.
//
// # Files
//
// [Load] reads one pipeline from a .yaml/.yml, .json or .toml file (viper's decoders,
// chosen by extension). [LoadAll] loads several and checks that they can run side by side:
// distinct names, data directories and listen addresses.
//
// # Interpolation
//
// In string values (never in keys or comments) ${VAR} is replaced by the variable's
// value and ${VAR:-default} by the default when VAR is unset or empty; $$ writes a
// literal $, and a $ not followed by { or $ stays as it is. An unset ${VAR} without a
// default is an error naming the file, the key and the variable. Numbers, booleans and
// durations may come from the environment too: the interpolated string is then parsed.
//
// # Strictness
//
// Keys are case-sensitive. An unknown key is an error that names its full path and the
// nearest known key. A value of the wrong type is an error that names the expected type;
// in particular a scalar where a list is expected (tables: public.orders) is an error,
// not a one-element list, so that "a,b" is never silently one odd pattern. Errors echo a
// value only for keys that are not secrets, and with any password in it redacted.
//
// Every error starts with the file path and the key, as in
// "configs/shop.yaml: source.dsn: required"; Load reports every problem it finds, joined
// with [errors.Join], each an [*Error].
package configs
