package main

import (
	"bytes"
	"strings"
	"testing"
)

// testdata/run is a small run in the shapes bench.sh writes: peers.sh's results.tsv (µs),
// `go test -bench` output with the custom units, and project.tsv (curl µs, wrk's units).
func TestTableFromARecordedRun(t *testing.T) {
	r, err := readRun("testdata/run")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := readReference("../../.ci/bench-reference.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	table(&b, r, ref, strings.Fields(defaultImages))
	out := b.String()
	for _, want := range []string{
		"- date: 2026-12-01\n- noise: 2.1%\n- versions: sharp 0.34\n\n## Target 1",
		// median of 44, 46, 90 ms; x floor 40 and x sharp 50; imgproxy ref 56.0 over sharp ref 47.6
		"| photo-24mp.jpg | 40.0 | 46.0 | 1.15 | 50.0 | 0.92 | 1.00, x floor 1.25 | n/a | n/a | 56.0 (1.18) | yes |",
		"| mid-2mp.jpg | n/a | n/a | n/a | n/a | n/a | 0.75 | n/a | n/a | 24 (0.75) | n/a |",
		"imgproxy ref 125 ms (sharp ref 69).",
		"| photo-24mp.jpg | 61.0 | 70.0 | 1.15 | yes |", // median of 60 and 62 ms/op
		"| Go benchmark ms/op | 40.0 | 50.0 | 1.25 | **no** |",
		"| HTTP miss, ms | 40.0 | 44.0 | 1.10 | yes |",
		"| one 24 MP miss (peers.sh: 88, alone: 85) | 88 | 100 | yes | 140 |  |  | 102 |",
		"| eight different 24 MP misses at once (all done in 1900 ms) | 240 | 300 | yes |",
		"project 9.0 (each client its own key), sharp 7.5 (2 concurrent promises, same run): ratio 1.20, met (>= 1): yes.",
		"| 800x600 of photo-13mp.jpg | 25000.10 | 0.81 | 1.20GB | yes |", // 812.00us
		"| 200x150 of photo-13mp.jpg | 30000.00 | 1.50 | 200MB | yes |",
		"| photo-24mp.jpg | 3sizes | 70.0 | 65.0 | 80 | 2400 | 40 |",
		"33.3 images/s, peak RSS 90 MB.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	if strings.Contains(out, "other text") {
		t.Error("peers.md lines other than date, noise and versions are in the table")
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestMillis(t *testing.T) {
	for in, want := range map[string]float64{"812.00us": 0.812, "1.50ms": 1.5, "2.01s": 2010, "3": 3} {
		if got := millis(in); got < want-1e-9 || got > want+1e-9 {
			t.Errorf("millis(%q) = %v, want %v", in, got, want)
		}
	}
}

// An empty folder is a table of n/a, not an error.
func TestEmptyRun(t *testing.T) {
	r, err := readRun(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	table(&b, r, reference{}, []string{"photo-24mp.jpg"})
	if !strings.Contains(b.String(), "| photo-24mp.jpg | n/a | n/a | n/a | n/a | n/a |") {
		t.Errorf("empty run:\n%s", b.String())
	}
}
