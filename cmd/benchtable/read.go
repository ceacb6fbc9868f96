package main

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// samples are repeated measurements under one key; med is their median.
type samples map[string][]float64

func (s samples) add(v float64, key ...string) {
	k := strings.Join(key, "|")
	s[k] = append(s[k], v)
}

// med is the median of the key's samples; ok is false when there are none.
func (s samples) med(key ...string) (m float64, ok bool) {
	v := slices.Clone(s[strings.Join(key, "|")])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2], true
	}
	return (v[n/2-1] + v[n/2]) / 2, true
}

// run is everything one bench run wrote into its folder.
type run struct {
	header []string // peers.md's date, noise and versions lines

	peer     samples           // peers.tsv t1/t3 latencies in ms: tool|image|t1
	peerOnce map[string]string // peers.tsv's other figures (rss, tput) as written: tool|image|rss
	gob      samples           // go-bench.txt: Benchmark|image|size|unit
	http     samples           // project.tsv "http" lines, ms: image
	hits     []hit             // project.tsv "hit" lines
	project  map[string]string // project.tsv's other lines: name -> value; name_t -> its time
}

type hit struct {
	size, rps, transfer string
	p99ms               float64
}

// readRun reads dir's peers.md, peers.tsv, go-bench.txt and project.tsv; a missing file is an
// empty part of the table.
func readRun(dir string) (*run, error) {
	r := &run{peer: samples{}, peerOnce: map[string]string{}, gob: samples{}, http: samples{}, project: map[string]string{}}
	for _, part := range []struct {
		name  string
		parse func(line string)
	}{
		{"peers.md", r.peersMD}, {"peers.tsv", r.peersTSV}, {"go-bench.txt", r.goBench}, {"project.tsv", r.projectTSV},
	} {
		if err := eachLine(dir+"/"+part.name, part.parse); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return r, nil
}

func eachLine(path string, f func(string)) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f(sc.Text())
	}
	return sc.Err()
}

var headerLine = regexp.MustCompile(`^- (date|noise|versions)`)

func (r *run) peersMD(line string) {
	if headerLine.MatchString(line) {
		r.header = append(r.header, line)
	}
}

// peersTSV: tool, image, measure, value; t1 and t3 are latencies in µs.
func (r *run) peersTSV(line string) {
	f := strings.Split(line, "\t")
	if len(f) < 4 {
		return
	}
	if f[2] == "t1" || f[2] == "t3" {
		if v, err := strconv.ParseFloat(f[3], 64); err == nil {
			r.peer.add(v/1000, f[0], f[1], f[2])
		}
		return
	}
	r.peerOnce[f[0]+"|"+f[1]+"|"+f[2]] = f[3]
}

// goBench: "BenchmarkResize/<image>/<size>-N  iterations  value unit  value unit ...".
func (r *run) goBench(line string) {
	if !strings.HasPrefix(line, "Benchmark") {
		return
	}
	w := strings.Fields(line)
	if len(w) < 2 {
		return
	}
	name := w[0]
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	q := append(strings.Split(name, "/"), "", "")
	for i := 2; i+1 < len(w); i += 2 {
		if v, err := strconv.ParseFloat(w[i], 64); err == nil {
			r.gob.add(v, q[0], q[1], q[2], w[i+1])
		}
	}
}

// projectTSV: "http image µs", "hit size req/s p99 transfer/s", or "name value [time]".
func (r *run) projectTSV(line string) {
	f := strings.Split(line, "\t")
	switch {
	case len(f) >= 3 && f[0] == "http":
		if v, err := strconv.ParseFloat(f[2], 64); err == nil {
			r.http.add(v/1000, f[1])
		}
	case len(f) >= 5 && f[0] == "hit":
		r.hits = append(r.hits, hit{size: f[1], rps: f[2], p99ms: millis(f[3]), transfer: f[4]})
	case len(f) >= 2 && f[0] != "":
		r.project[f[0]] = f[1]
		if len(f) >= 3 {
			r.project[f[0]+"_t"] = f[2]
		}
	}
}

// millis reads wrk's latency ("812.00us", "1.20ms", "2.01s") in ms.
func millis(s string) float64 {
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 0.001}, {"ms", 1}, {"s", 1000}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f * u.ms
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// reference is .ci/bench-reference.tsv: case|image -> sharp and imgproxy figures as written.
type reference map[string][2]string

func readReference(path string) (reference, error) {
	ref := reference{}
	err := eachLine(path, func(line string) {
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) < 4 {
			return
		}
		ref[f[0]+"|"+f[1]] = [2]string{f[2], f[3]}
	})
	return ref, err
}

func (ref reference) get(c, image string) (sharp, imgproxy float64, ok bool) {
	v := ref[c+"|"+image]
	s, err1 := strconv.ParseFloat(v[0], 64)
	i, err2 := strconv.ParseFloat(v[1], 64)
	return s, i, err1 == nil && err2 == nil
}
