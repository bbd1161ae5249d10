package broker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/internal/broker"
	"github.com/dovetail-cdc/dovetail/internal/kafka"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func start(t *testing.T, dir string) *broker.Broker {
	t.Helper()
	b, err := broker.Start(t.Context(), broker.Options{DataDir: dir, Listen: "127.0.0.1:0", Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return b
}

// produce ensures topic with 3 partitions and writes n keyed records to it, lz4-compressed.
func produce(t *testing.T, ctx context.Context, addr, topic string, first, n int) {
	t.Helper()
	produceWith(t, ctx, addr, topic, "lz4", first, n)
}

func produceWith(t *testing.T, ctx context.Context, addr, topic, codec string, first, n int) {
	t.Helper()
	if err := kafka.NewTopics([]string{addr}, nil).Ensure(ctx, topic, 3, 1); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	w, err := kafka.NewWriter([]string{addr}, kafka.WriterOptions{Compression: codec})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var msgs []kafkago.Message
	for i := first; i < first+n; i++ {
		msgs = append(msgs, kafkago.Message{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%7), Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
}

func summary(msgs []kafkago.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("p%d@%d %s=%s", m.Partition, m.Offset, m.Key, m.Value))
	}
	return out
}

func TestRestartKeepsTopicsAndRecords(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	dir := t.TempDir()

	b := start(t, dir)
	produce(t, ctx, b.Addr(), "shop.public.orders", 0, 30)
	before, err := kafka.ReadAll(ctx, []string{b.Addr()}, "shop.public.orders")
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if len(before) != 30 {
		t.Fatalf("read %d records before restart, want 30", len(before))
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	b = start(t, dir)
	defer b.Close()
	after, err := kafka.ReadAll(ctx, []string{b.Addr()}, "shop.public.orders")
	if err != nil {
		t.Fatalf("ReadAll after restart: %v", err)
	}
	if !slices.Equal(summary(before), summary(after)) {
		t.Errorf("records changed across restart:\nbefore %v\nafter  %v", summary(before), summary(after))
	}
	partitions := map[int]bool{}
	for _, m := range after {
		partitions[m.Partition] = true
	}
	if len(partitions) != 3 {
		t.Errorf("records in %d partitions after restart, want 3", len(partitions))
	}

	// The topic still has 3 partitions, and offsets go on where they stopped.
	produce(t, ctx, b.Addr(), "shop.public.orders", 30, 30)
	all, err := kafka.ReadAll(ctx, []string{b.Addr()}, "shop.public.orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 60 {
		t.Fatalf("read %d records, want 60", len(all))
	}
	seen := map[string]bool{}
	for _, m := range all {
		id := fmt.Sprintf("%d@%d", m.Partition, m.Offset)
		if seen[id] {
			t.Errorf("offset %s used twice: writes after the restart overwrote old ones", id)
		}
		seen[id] = true
	}
}

func TestKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is needed to check a librdkafka client against the broker (apt-get install kcat): %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	b := start(t, t.TempDir())
	defer b.Close()
	produce(t, ctx, b.Addr(), "orders", 0, 10)

	out, err := exec.CommandContext(ctx, kcat, "-b", b.Addr(), "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -L: %v\n%s", err, out)
	}
	for _, want := range []string{"broker 0 at " + b.Addr(), `topic "orders" with 3 partitions`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kcat -L does not show %q:\n%s", want, out)
		}
	}

	out, err = exec.CommandContext(ctx, kcat, "-b", b.Addr(), "-X", "check.crcs=true", "-C", "-t", "orders", "-e", "-q", "-f", "%k=%s\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -C: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	slices.Sort(got)
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprintf("k%d=v%d", i%7, i))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("kcat -C read %v, want %v", got, want)
	}

	// librdkafka reads the record batches of every codec our writer makes.
	for _, codec := range []string{"none", "gzip", "snappy", "zstd"} {
		topic := "codec-" + codec
		produceWith(t, ctx, b.Addr(), topic, codec, 0, 10)
		out, err := exec.CommandContext(ctx, kcat, "-b", b.Addr(), "-X", "check.crcs=true", "-C", "-t", topic, "-e", "-q", "-f", "%k=%s\n").CombinedOutput()
		if err != nil {
			t.Fatalf("kcat -C -t %s: %v\n%s", topic, err, out)
		}
		got := strings.Fields(string(out))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("kcat -C -t %s read %v, want %v", topic, got, want)
		}
	}

	// A librdkafka producer works too.
	cmd := exec.CommandContext(ctx, kcat, "-b", b.Addr(), "-P", "-t", "orders", "-K", ":")
	cmd.Stdin = strings.NewReader("kx:from-kcat\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	msgs, err := kafka.ReadAll(ctx, []string{b.Addr()}, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 11 || !slices.ContainsFunc(msgs, func(m kafkago.Message) bool { return string(m.Value) == "from-kcat" }) {
		t.Errorf("after kcat -P, read %v", summary(msgs))
	}
}

func TestDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	b := start(t, dir)
	_, err := broker.Start(t.Context(), broker.Options{DataDir: dir, Listen: "127.0.0.1:0"})
	if !errors.Is(err, broker.ErrLocked) {
		t.Errorf("second Start on one data directory: %v, want ErrLocked", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = start(t, dir) // released by Close
	b.Close()
}

func TestAdvertisedAddress(t *testing.T) {
	tests := []struct {
		listen, advertise, wantHost string
	}{
		{listen: "127.0.0.1:0", wantHost: "127.0.0.1"},
		{listen: "localhost:0", wantHost: "localhost"},
		{listen: "0.0.0.0:0", advertise: "127.0.0.1", wantHost: "127.0.0.1"},
	}
	hostname, _ := os.Hostname()
	tests = append(tests, struct{ listen, advertise, wantHost string }{listen: ":0", wantHost: hostname})
	for _, tt := range tests {
		t.Run(tt.listen+"/"+tt.advertise, func(t *testing.T) {
			b, err := broker.Start(t.Context(), broker.Options{DataDir: t.TempDir(), Listen: tt.listen, Advertise: tt.advertise})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			host, port, err := net.SplitHostPort(b.Addr())
			if err != nil || host != tt.wantHost || port == "0" {
				t.Fatalf("Addr() = %q, want %s:<bound port>", b.Addr(), tt.wantHost)
			}
			if tt.wantHost == hostname {
				return // the hostname may not resolve in a sandbox
			}
			// Metadata names the same address, so clients reconnect where they started.
			conn, err := kafkago.DialContext(t.Context(), "tcp", b.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			brokers, err := conn.Brokers()
			if err != nil {
				t.Fatal(err)
			}
			if len(brokers) != 1 || net.JoinHostPort(brokers[0].Host, fmt.Sprint(brokers[0].Port)) != b.Addr() {
				t.Errorf("metadata brokers %+v, want one at %s", brokers, b.Addr())
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := broker.Start(t.Context(), broker.Options{Listen: "127.0.0.1:0"}); err == nil {
		t.Error("Start without a data directory succeeded")
	}
	if _, err := broker.Start(t.Context(), broker.Options{DataDir: t.TempDir(), Listen: "nonsense"}); err == nil {
		t.Error("Start with a bad listen address succeeded")
	}
	b := start(t, t.TempDir())
	defer b.Close()
	if _, err := broker.Start(t.Context(), broker.Options{DataDir: t.TempDir(), Listen: b.Addr()}); err == nil {
		t.Error("Start on a port in use succeeded")
	}
}

// The log rolls into segment files of at most SegmentBytes, so a restart reloads it a
// small file at a time.
func TestSegmentsRoll(t *testing.T) {
	dir := t.TempDir()
	b := start(t, dir)
	defer b.Close()
	ctx := t.Context()
	if err := kafka.NewTopics([]string{b.Addr()}, nil).Ensure(ctx, "big", 1, 1); err != nil {
		t.Fatal(err)
	}
	w, err := kafka.NewWriter([]string{b.Addr()}, kafka.WriterOptions{Compression: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	value := bytes.Repeat([]byte("x"), 100<<10)
	for range 3 * broker.SegmentBytes / len(value) / 20 {
		msgs := make([]kafkago.Message, 20)
		for i := range msgs {
			msgs[i] = kafkago.Message{Topic: "big", Value: value}
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*", "big*", "*.dat"))
	if len(segs) == 0 {
		segs, _ = filepath.Glob(filepath.Join(dir, "*", "*", "big*", "*.dat"))
	}
	if len(segs) < 3 {
		t.Fatalf("%d segment files for 3 x SegmentBytes of records, want at least 3", len(segs))
	}
	for _, s := range segs {
		if fi, err := os.Stat(s); err != nil || fi.Size() > broker.SegmentBytes+int64(len(value))*20 {
			t.Errorf("segment %s is %d bytes, want about %d at most", s, fi.Size(), broker.SegmentBytes)
		}
	}
}
