package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
)

// Readier is implemented by sources that can tell when they stream.
type Readier interface {
	Ready() bool
}

// Worker runs pipelines side by side and serves /healthz, /readyz and /metrics.
type Worker struct {
	Pipelines []*Pipeline
	// Sinks apply the pipelines' topics to targets.
	Sinks []*SinkRunner
	// HTTPListen is the address of the HTTP endpoints; empty disables them.
	HTTPListen string
	// Profiling adds Go's profiler under /debug/pprof/ to the HTTP endpoints.
	Profiling bool
	Metrics   *prometheus.Registry
	Logger    *slog.Logger

	// closers are what Build started for the pipelines (writers, embedded servers).
	closers []io.Closer
}

// Close releases what Build started, in reverse order.
func (w *Worker) Close() error {
	var errs []error
	for i := len(w.closers) - 1; i >= 0; i-- {
		errs = append(errs, w.closers[i].Close())
	}
	w.closers = nil
	return errors.Join(errs...)
}

// NewMetrics returns a registry with Go and process collectors, for Worker.Metrics.
func NewMetrics() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Run runs every pipeline until ctx is done, then drains them all. The first pipeline
// failure stops the others (each drains) and is returned.
func (w *Worker) Run(ctx context.Context) error {
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	if w.Metrics == nil {
		w.Metrics = NewMetrics()
	}
	for _, p := range w.Pipelines {
		if p.metrics == nil {
			p.metrics = newPipelineMetrics(w.Metrics, p.Name)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := new(errgroup.Group)
	if w.HTTPListen != "" {
		ln, err := net.Listen("tcp", w.HTTPListen)
		if err != nil {
			return fmt.Errorf("listen for http on %s: %w", w.HTTPListen, err)
		}
		srv := &http.Server{Handler: w.handler(), ReadHeaderTimeout: 5 * time.Second}
		g.Go(func() error {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve http on %s: %w", w.HTTPListen, err)
			}
			return nil
		})
		g.Go(func() error {
			<-runCtx.Done()
			sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
			defer c()
			if err := srv.Shutdown(sctx); err != nil {
				// A request still running (a CPU profile, a slow scrape) must not turn
				// a clean stop into a failure: cut it off.
				log.Warn("http endpoints: cutting off requests still running at shutdown", "err", err)
				return srv.Close()
			}
			return nil
		})
		log.Info("http endpoints", "addr", ln.Addr().String())
	}
	for _, p := range w.Pipelines {
		g.Go(func() error {
			defer cancel()
			if err := p.Run(runCtx); err != nil {
				return fmt.Errorf("pipeline %s: %w", p.Name, err)
			}
			return nil
		})
	}
	for _, s := range w.Sinks {
		if s.metrics == nil {
			s.metrics = newSinkMetrics(w.Metrics, s.Name)
		}
		g.Go(func() error {
			err := s.Run(runCtx)
			if err != nil {
				// A record that cannot be applied and may not be skipped: stop the worker
				// (every pipeline drains) and say which.
				cancel()
			}
			return err
		})
	}
	return g.Wait()
}

func (w *Worker) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		_, _ = rw.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, _ *http.Request) {
		for _, s := range w.Sinks {
			if !s.Ready() {
				http.Error(rw, "sink "+s.Name+" has not joined its consumer group yet", http.StatusServiceUnavailable)
				return
			}
		}
		for _, p := range w.Pipelines {
			if !p.Ready() {
				http.Error(rw, "pipeline "+p.Name+" is not streaming yet", http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = rw.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(w.Metrics, promhttp.HandlerOpts{Registry: w.Metrics}))
	if w.Profiling {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// Ready reports whether the pipeline streams: its source says so, or it has acknowledged
// a position.
func (p *Pipeline) Ready() bool {
	if r, ok := p.Source.(Readier); ok {
		return r.Ready()
	}
	return p.LastAck() != nil
}
