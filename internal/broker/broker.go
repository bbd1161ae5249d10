package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Options configure the embedded broker.
type Options struct {
	// DataDir holds the broker's log and metadata; required. Created if missing.
	DataDir string
	// Listen is host:port to bind; port 0 picks a free port (see Broker.Addr). An empty
	// host, 0.0.0.0 or :: binds every interface.
	Listen string
	// Advertise is the host clients are told to connect to. Empty means the host of
	// Listen, or, when that binds every interface, the machine's hostname (as Kafka's
	// own advertised.listeners default does).
	Advertise string
	// SyncWrites fsyncs every produced batch before acknowledging it, so that a
	// machine crash loses nothing acknowledged, at a cost in throughput.
	SyncWrites bool
	// Logger receives the broker's log; nil discards it. kfake's info level (one line
	// per request) is logged at debug.
	Logger *slog.Logger
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	unlock  func() error
	logger  *slog.Logger
}

// SegmentBytes is the size at which the broker starts a new log segment file.
const SegmentBytes = 8 << 20

// ErrLocked is returned by Start when another broker already uses the data directory.
var ErrLocked = errors.New("data directory is in use by another broker")

// Start binds opts.Listen, loads whatever opts.DataDir holds and serves until Close.
// ctx bounds only the start; the broker's lifetime is up to Close.
func Start(ctx context.Context, opts Options) (*Broker, error) {
	if opts.DataDir == "" {
		return nil, errors.New("start embedded broker: no data directory")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start embedded broker: %w", err)
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start embedded broker: data directory %s: %w", opts.DataDir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("start embedded broker: create data directory: %w", err)
	}
	unlock, err := lockDir(filepath.Join(dir, ".lock"))
	if err != nil {
		return nil, fmt.Errorf("start embedded broker in %s: %w", dir, err)
	}

	ln, err := listen(ctx, opts.Listen, opts.Advertise)
	if err != nil {
		_ = unlock()
		return nil, fmt.Errorf("start embedded broker: %w", err)
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		// kfake asks for 127.0.0.1:<port>; hand it the listener bound to Listen instead.
		kfake.ListenFn(func(string, string) (net.Listener, error) { return ln, nil }),
		kfake.DataDir(dir),
		kfake.ClusterID("dovetail"),
		kfake.DefaultNumPartitions(1), // CreateTopics with -1 partitions; kfake's own is 10
		kfake.WithLogger(slogLogger{logger}),
		// kfake reads a whole segment file into memory when it reloads a partition;
		// Kafka's 1 GiB default (kfake: 100 MiB) would make the restart's memory peak grow
		// with the retained log, so keep segments small.
		kfake.BrokerConfigs(map[string]string{"log.segment.bytes": strconv.Itoa(SegmentBytes)}),
	}
	if opts.SyncWrites {
		kopts = append(kopts, kfake.SyncWrites())
	}
	cluster, err := kfake.NewCluster(kopts...)
	if err != nil {
		ln.Close()
		_ = unlock()
		return nil, fmt.Errorf("start embedded broker in %s: %w", dir, err)
	}
	b := &Broker{cluster: cluster, addr: ln.Addr().String(), unlock: unlock, logger: logger}
	logger.Info("embedded kafka broker started", "addr", b.addr, "data_dir", dir)
	return b, nil
}

// Addr is the address clients connect to: the advertised host and the bound port.
func (b *Broker) Addr() string { return b.addr }

// Close stops serving, writes the broker's state to the data directory, and releases
// the directory. Clients still connected see their connections closed.
func (b *Broker) Close() error {
	b.cluster.Close()
	if err := b.unlock(); err != nil {
		return fmt.Errorf("close embedded broker: %w", err)
	}
	b.logger.Info("embedded kafka broker stopped", "addr", b.addr)
	return nil
}

// advertised is a listener that reports the address clients must use, which kfake puts
// in its metadata responses, instead of the address it is bound to.
type advertised struct {
	net.Listener
	addr net.Addr
}

func (l advertised) Addr() net.Addr { return l.addr }

type tcpAddr string

func (tcpAddr) Network() string  { return "tcp" }
func (a tcpAddr) String() string { return string(a) }

func listen(ctx context.Context, addr, advertise string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen on %s: bound address %s: %w", addr, ln.Addr(), err)
	}
	if advertise == "" {
		advertise = host
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			if advertise, err = os.Hostname(); err != nil {
				ln.Close()
				return nil, fmt.Errorf("listen on %s: every interface, and no hostname to advertise: %w", addr, err)
			}
		}
	}
	return advertised{Listener: ln, addr: tcpAddr(net.JoinHostPort(advertise, port))}, nil
}

// slogLogger hands kfake's log to slog.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	var lvl slog.Level
	switch level {
	case kfake.LogLevelError:
		lvl = slog.LevelError
	case kfake.LogLevelWarn:
		lvl = slog.LevelWarn
	case kfake.LogLevelInfo, kfake.LogLevelDebug:
		lvl = slog.LevelDebug
	default:
		return
	}
	if !s.l.Enabled(context.Background(), lvl) {
		return
	}
	s.l.Log(context.Background(), lvl, fmt.Sprintf(format, args...), "component", "kfake")
}
