package pipelines

import "github.com/prometheus/client_golang/prometheus"

// pipelineMetrics are one pipeline's Prometheus collectors.
type pipelineMetrics struct {
	changes      *prometheus.CounterVec
	records      prometheus.Counter
	heartbeats   prometheus.Counter
	acks         prometheus.Counter
	retries      prometheus.Counter
	lag          prometheus.Gauge
	flushSeconds prometheus.Histogram
}

// newPipelineMetrics makes the collectors of pipeline name and registers them with reg
// when reg is not nil.
func newPipelineMetrics(reg prometheus.Registerer, name string) *pipelineMetrics {
	l := prometheus.Labels{"pipeline": name}
	m := &pipelineMetrics{
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dovetail_source_changes_total", Help: "Row changes handed over by the source.",
			ConstLabels: l}, []string{"table", "op"}),
		records: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dovetail_kafka_records_total", Help: "Records acknowledged by Kafka.", ConstLabels: l}),
		heartbeats: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dovetail_heartbeats_total", Help: "Heartbeats received from the source.", ConstLabels: l}),
		acks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dovetail_source_acks_total", Help: "Positions acknowledged to the source.", ConstLabels: l}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dovetail_kafka_retries_total", Help: "Kafka writes and topic creations retried after a failure.", ConstLabels: l}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dovetail_source_lag_seconds", ConstLabels: l,
			Help: "Time from the source commit of the last change written to Kafka until Kafka acknowledged it."}),
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "dovetail_kafka_flush_seconds", Help: "Time to write one batch to Kafka.",
			ConstLabels: l, Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
	}
	if reg != nil {
		reg.MustRegister(m.changes, m.records, m.heartbeats, m.acks, m.retries, m.lag, m.flushSeconds)
	}
	return m
}
