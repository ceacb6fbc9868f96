package main

import "testing"

// Server-Timing as the handler writes it (handler/log.go): where the variant came from with the
// request's own total, then the phases.
func TestDecodesFromServerTiming(t *testing.T) {
	shared := "transform;dur=41.3, store;dur=6.2"
	other := "transform;dur=39.8, store;dur=5.9"
	for _, c := range []struct {
		name    string
		answers []answer
		want    int
	}{
		{"one decode shared by three", []answer{
			{status: 200, timing: "made;dur=50.1, fetch;dur=2.0, " + shared},
			{status: 200, timing: "made;dur=49.7, fetch;dur=2.4, " + shared},
			{status: 200, timing: "made;dur=48.0, fetch;dur=0.9, " + shared},
		}, 1},
		{"two decodes", []answer{
			{status: 200, timing: "made;dur=50.1, fetch;dur=2.0, " + shared},
			{status: 200, timing: "made;dur=47.0, fetch;dur=2.0, " + other},
		}, 2},
		{"late callers served from the LRU and the bucket", []answer{
			{status: 200, timing: "made;dur=50.1, fetch;dur=2.0, " + shared},
			{status: 200, timing: "lru;dur=0.1"},
			{status: 200, timing: "bucket;dur=3.0, fetch;dur=2.9"},
		}, 1},
		{"failed and cut-off answers", []answer{{status: 500, timing: "made;dur=1.0, " + shared}, {}}, 0},
	} {
		if got := decodes(c.answers); got != c.want {
			t.Errorf("%s: %d decodes, want %d", c.name, got, c.want)
		}
	}
}
