package cloudfront

import (
	"testing"
	"time"
)

func TestBackoffStepDoublesUpToTheCap(t *testing.T) {
	want := []time.Duration{1, 2, 4, 8, 16, 16, 16}
	for i, w := range want {
		if got := backoffStep(time.Second, 16*time.Second, i+1); got != w*time.Second {
			t.Errorf("attempt %d: step %v, want %v", i+1, got, w*time.Second)
		}
	}
	// A huge attempt count or first delay neither overflows nor passes the cap.
	if got := backoffStep(time.Hour, 16*time.Second, 1000); got != 16*time.Second {
		t.Errorf("step %v, want the 16s cap", got)
	}
	if got := backoffStep(time.Second, 16*time.Second, 1<<30); got != 16*time.Second {
		t.Errorf("step %v after 2^30 attempts, want the 16s cap", got)
	}
}
