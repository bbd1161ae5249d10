package kafka_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/dovetail-cdc/dovetail/internal/broker"
	"github.com/dovetail-cdc/dovetail/internal/kafka"
)

// BenchmarkWrite measures the pipeline's Kafka path alone: synchronous WriteMessages
// calls of 5000 change-sized records (450 bytes, Avro-like: half random, half repeated)
// to the embedded broker, one partition, as the pipeline's flusher makes them.
//
//	go test -run XXX -bench Write -benchtime 200x ./internal/kafka/
func BenchmarkWrite(b *testing.B) {
	for _, codec := range []string{"none", "lz4"} {
		b.Run(codec, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			br, err := broker.Start(ctx, broker.Options{DataDir: b.TempDir(), Listen: "127.0.0.1:0"})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			brokers := []string{br.Addr()}
			const topic = "bench.rows"
			if err := kafka.NewTopics(brokers, nil).Ensure(ctx, topic, 1, 0); err != nil {
				b.Fatal(err)
			}
			w, err := kafka.NewWriter(brokers, kafka.WriterOptions{Compression: codec})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			const n = 5000
			rnd := rand.New(rand.NewPCG(1, 2))
			msgs := make([]kafkago.Message, n)
			for i := range msgs {
				v := make([]byte, 450)
				for j := range 225 {
					v[j] = byte(rnd.IntN(256))
				}
				copy(v[225:], fmt.Sprintf("%0225d", i))
				msgs[i] = kafkago.Message{Topic: topic, Key: fmt.Appendf(nil, "key-%d", i), Value: v}
			}
			b.SetBytes(n * 450)
			for b.Loop() {
				if err := w.WriteMessages(ctx, msgs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
