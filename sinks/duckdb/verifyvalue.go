package duckdb

// The canonical forms of internal/verify's Kinds (see its package doc), for the values
// the DuckDB reader produces. internal/verify keeps its own normalizers unexported, so
// these follow internal/verify/value.go; TestVerifyForms checks that both agree, by
// having internal/verify parse the same values from text.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// canonNumber returns an exact decimal's canonical text: no leading zeros, no trailing
// fraction zeros, no "+", "-0" as "0"; an exponent is applied.
func canonNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(strings.TrimPrefix(s, "+")) {
	case "nan":
		return "NaN", true
	case "infinity", "inf":
		return "Infinity", true
	case "-infinity", "-inf":
		return "-Infinity", true
	}
	if strings.ContainsAny(s, "eE") {
		return numberExp(s)
	}
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" && fp == "" || !isDigits(ip) || !isDigits(fp) {
		return "", false
	}
	ip = strings.TrimLeft(ip, "0")
	fp = strings.TrimRight(fp, "0")
	if ip == "" {
		ip = "0"
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numberExp handles a number with an exponent, refusing exponents beyond ±400.
func numberExp(s string) (string, bool) {
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	e, err := strconv.Atoi(exp)
	if err != nil || e > 400 || e < -400 {
		return "", false
	}
	r, ok := new(big.Rat).SetString(mant)
	if !ok {
		return "", false
	}
	ae := e
	if ae < 0 {
		ae = -ae
	}
	pow := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ae)), nil))
	if e >= 0 {
		r.Mul(r, pow)
	} else {
		r.Quo(r, pow)
	}
	if r.IsInt() {
		return r.Num().String(), true
	}
	// A terminating decimal has a denominator of 2^a·5^b: max(a, b) places.
	d := new(big.Int).Set(r.Denom())
	places := 0
	for _, f := range []int64{2, 5} {
		n := 0
		q, m := new(big.Int), new(big.Int)
		for {
			q.QuoRem(d, big.NewInt(f), m)
			if m.Sign() != 0 {
				break
			}
			d.Set(q)
			n++
		}
		places = max(places, n)
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		return "", false
	}
	return canonNumber(r.FloatString(places))
}

// canonFloat is the shortest text that reads back as f at bits (32 or 64), "NaN",
// "Infinity", "-Infinity"; -0 is "0".
func canonFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if bits == 32 {
		return strconv.FormatFloat(float64(float32(f)), 'g', -1, 32)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// parseFloat reads a float's canonical text (or Go's).
func parseFloat(s string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "nan":
		return math.NaN(), true
	case "infinity", "inf", "+infinity":
		return math.Inf(1), true
	case "-infinity", "-inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

// timeMicros reads "[-]H+:MM:SS[.f...]" as µs.
func timeMicros(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	clock, frac, _ := strings.Cut(s, ".")
	parts := strings.Split(clock, ":")
	if len(parts) != 3 || !isDigits(frac) || len(frac) > 9 {
		return 0, false
	}
	var hms [3]int64
	for i, p := range parts {
		if p == "" || !isDigits(p) || len(p) > 4 {
			return 0, false
		}
		hms[i], _ = strconv.ParseInt(p, 10, 64)
	}
	f, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	us := ((hms[0]*60+hms[1])*60+hms[2])*1_000_000 + f
	if neg {
		us = -us
	}
	return us, true
}

// formatMicros writes µs as "[-]HH:MM:SS.ffffff", hours beyond 23 kept.
func formatMicros(us int64) string {
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	return fmt.Sprintf("%s%02d:%02d:%02d.%06d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000)
}

// canonicalJSON returns JSON with object keys sorted, no insignificant space, numbers as
// exact decimals and strings re-encoded without HTML escaping.
func canonicalJSON(s string) (string, bool) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", false
	}
	if _, err := d.Token(); err == nil {
		return "", false // trailing data
	}
	var b bytes.Buffer
	if !writeJSON(&b, v) {
		return "", false
	}
	return b.String(), true
}

func writeJSON(b *bytes.Buffer, v any) bool {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		n, ok := canonNumber(string(x))
		if !ok {
			return false
		}
		b.WriteString(n)
	case string:
		writeJSONString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if !writeJSON(b, e) {
				return false
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if !writeJSON(b, x[k]) {
				return false
			}
		}
		b.WriteByte('}')
	default:
		return false
	}
	return true
}

func writeJSONString(b *bytes.Buffer, s string) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)         // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}
