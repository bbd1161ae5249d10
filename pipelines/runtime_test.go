package pipelines_test

import (
	"bytes"
	"context"
	"encoding"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/kafka"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/internal/testnet"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/pipelines"
	"github.com/dovetail-cdc/dovetail/schema"
)

func freeAddr(t *testing.T) string { return testnet.FreeAddr(t) }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// queryLSN runs a query returning one pg_lsn and returns it as a number.
func queryLSN(t *testing.T, dsn, query string, args ...any) uint64 {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var lsn uint64
	if err := conn.QueryRow(context.Background(), "SELECT ("+query+") - '0/0'::pg_lsn", args...).Scan(&lsn); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return lsn
}

func slotLSN(t *testing.T, dsn, slot string) uint64 {
	return queryLSN(t, dsn, `SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1`, slot)
}

func currentLSN(t *testing.T, dsn string) uint64 {
	return queryLSN(t, dsn, `SELECT pg_current_wal_lsn()`)
}

// TestIdleHeartbeatsMetricsAndRestart: heartbeats tick and move the slot while the
// captured tables are idle; the HTTP endpoints answer; after a restart the embedded broker
// and registry keep their records and schema ids.
func TestIdleHeartbeatsMetricsAndRestart(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, `CREATE TABLE captured (id int PRIMARY KEY)`, `CREATE TABLE other (id int, pad text)`)
	h := newHarness(t, dsn, []string{"public.captured"}, "")
	h.http = freeAddr(t)
	h.start()

	// Busy WAL elsewhere, idle captured table: the slot still follows.
	testpg.Exec(t, dsn, `INSERT INTO other SELECT g, repeat('x', 100) FROM generate_series(1, 10000) g`)
	written := currentLSN(t, dsn)
	h.waitFor("the slot to pass WAL written to an uncaptured table", func() bool {
		return slotLSN(t, dsn, "dovetail_"+h.name) >= written
	})
	hb := h.waitRecords(schema.HeartbeatTopic(h.name), 2)
	key := plain(h.decode(hb[0].Key)).(map[string]any)
	if key["serverName"] != h.name {
		t.Errorf("heartbeat key = %v, want serverName %s", key, h.name)
	}
	val := plain(h.decode(hb[0].Value)).(map[string]any)
	if ts, _ := val["ts_ms"].(int64); time.Since(time.UnixMilli(ts)).Abs() > time.Minute {
		t.Errorf("heartbeat ts_ms = %v, not now", val["ts_ms"])
	}

	base := "http://" + h.http
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	_, metrics := get(t, base+"/metrics")
	m := regexp.MustCompile(`dovetail_heartbeats_total\{pipeline="` + h.name + `"\} (\d+)`).FindStringSubmatch(metrics)
	if n, _ := strconv.Atoi(func() string {
		if m == nil {
			return ""
		}
		return m[1]
	}()); n < 2 {
		t.Errorf("/metrics has no dovetail_heartbeats_total >= 2 for %s:\n%.2000s", h.name, metrics)
	}

	// Restart on the same data dir: records and schema ids survive.
	testpg.Exec(t, dsn, `INSERT INTO captured VALUES (1)`)
	topic := h.name + ".public.captured"
	first := h.waitRecords(topic, 1)
	lag := regexp.MustCompile(`dovetail_source_lag_seconds\{pipeline="` + h.name + `"\} ([0-9.e+-]+)`)
	h.waitFor("the lag of the written change in /metrics", func() bool {
		_, body := get(t, base+"/metrics")
		m := lag.FindStringSubmatch(body)
		if m == nil {
			return false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return err == nil && v > 0 && v < 60
	})
	id1, err := schema.SchemaID(first[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	h.stop()
	h.start()
	testpg.Exec(t, dsn, `INSERT INTO captured VALUES (2)`)
	both := h.waitRecords(topic, 2)
	for _, m := range both {
		id, err := schema.SchemaID(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if id != id1 {
			t.Errorf("value schema id %d after restart, was %d", id, id1)
		}
		after := plain(h.decode(m.Value)).(map[string]any)["after"].(map[string]any)
		if after["id"] != int32(1) && after["id"] != int32(2) {
			t.Errorf("after restart: record %v", after)
		}
	}
	if len(both) != 2 {
		t.Errorf("%d records after restart, want 2 (no re-sends after a clean stop)", len(both))
	}
}

// TestIdlePositionStored: without heartbeats, the position of the last change before the
// stream goes idle reaches the offsets topic (where a MySQL source's positions live;
// Postgres keeps its in the slot). Positions are written at most once a second, and the
// one held back must not wait for a next change: `dovetail verify` and a restart need it.
func TestIdlePositionStored(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	testmaria.Exec(t, dsn, `CREATE TABLE items (id int PRIMARY KEY)`)
	h := newHarness(t, dsn, []string{mariaDB(t, dsn) + ".items"}, "")
	h.kind = "mysql"
	h.heartbeat = "0s"
	h.start()
	p := h.w.Pipelines[0]
	text := func(pos any) []byte {
		if pos == nil {
			return nil
		}
		b, err := pos.(encoding.TextMarshaler).MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := text(p.LastAck())
	testmaria.Exec(t, dsn, `INSERT INTO items VALUES (1)`)
	h.waitFor("the insert acknowledged", func() bool { return !bytes.Equal(text(p.LastAck()), before) })
	want := text(p.LastAck())
	var stored []byte
	h.waitFor("the insert's position stored", func() bool {
		msgs, err := kafka.ReadAll(context.Background(), h.brokers, pipelines.OffsetsTopic(h.name))
		if err != nil || len(msgs) == 0 {
			return false
		}
		stored = msgs[len(msgs)-1].Value
		return bytes.Equal(stored, want)
	})
	t.Logf("stored %s", stored)
}
