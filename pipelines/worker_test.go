package pipelines

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
