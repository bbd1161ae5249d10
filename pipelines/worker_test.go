package pipelines

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/testnet"
)

func TestWorkerHandlerProfiling(t *testing.T) {
	for _, tc := range []struct {
		name      string
		profiling bool
		path      string
		want      int
	}{
		{"metrics", false, "/metrics", http.StatusOK},
		{"pprof off", false, "/debug/pprof/", http.StatusNotFound},
		{"pprof on", true, "/debug/pprof/", http.StatusOK},
		{"heap profile", true, "/debug/pprof/heap", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &Worker{Metrics: NewMetrics(), Profiling: tc.profiling}
			rec := httptest.NewRecorder()
			w.handler().ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.want {
				t.Errorf("GET %s with profiling %v: status %d, want %d", tc.path, tc.profiling, rec.Code, tc.want)
			}
		})
	}
}

// A request still running when the worker stops (here a 30 s CPU profile) is cut off:
// the worker's clean stop stays clean.
func TestWorkerStopsWithRequestRunning(t *testing.T) {
	addr := testnet.FreeAddr(t)
	w := &Worker{Metrics: NewMetrics(), HTTPListen: addr, Profiling: true}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	profile := "http://" + addr + "/debug/pprof/profile?seconds=30"
	go func() {
		// Until the worker serves and no probe's profile runs; then this request runs
		// until it is cut off.
		for ctx.Err() == nil {
			resp, err := http.Get(profile)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	// A second profile is refused while the first runs: then the first is in flight. (A
	// probe that starts a profile itself holds it for a second.)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=1")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusInternalServerError {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the first profile request never ran")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run with a request running at stop: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10s after the stop")
	}
}
