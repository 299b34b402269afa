package webhook

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsClassifyAttempts: 2xx is delivered, any other status rejected,
// no answer an error; every attempt is timed; nil Metrics record nothing.
func TestMetricsClassifyAttempts(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []int{200, 204, 299, 300, 404, 429, 500, 0} {
		m.Attempt(status, 10*time.Millisecond)
	}
	m.DeadLetter()
	for result, want := range map[string]float64{ResultDelivered: 3, ResultRejected: 4, ResultError: 1} {
		if got := testutil.ToFloat64(m.deliveries.WithLabelValues(result)); got != want {
			t.Errorf("deliveries{%s} = %v, want %v", result, got, want)
		}
	}
	if got := testutil.ToFloat64(m.deadLetters); got != 1 {
		t.Errorf("dead letters = %v", got)
	}
	if n := testutil.CollectAndCount(m.duration); n != 1 {
		t.Errorf("duration series = %d", n)
	}
	var none *Metrics
	none.Attempt(200, time.Second)
	none.DeadLetter()
}
