// Command benchtable prints the ratio table of docs/PERFORMANCE.md (issue 5's targets) from
// what `make bench` (.ci/bench.sh) wrote into its folder: peers.md and peers.tsv (the peer
// benchmark), go-bench.txt (the Go benchmarks) and project.tsv (the project alone), with the
// reference figures of .ci/bench-reference.tsv. A missing file leaves its rows out or n/a.
//
//	go run ./cmd/benchtable [-images "a.jpg b.jpg"] [-ref .ci/bench-reference.tsv] build/bench
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const defaultImages = "mid-2mp.jpg portrait-6mp.jpg photo-12mp.png photo-13mp.jpg photo-20mp.jpg photo-24mp.jpg"

// The EXIF pair: the same pixels upright (orientation 1) and turned (orientation 6).
const upright, turned = "phone-13mp-o1.jpg", "phone-13mp-o6.jpg"

func main() {
	images := flag.String("images", defaultImages, "the images of the peer set, in table order")
	refPath := flag.String("ref", ".ci/bench-reference.tsv", "reference figures (case, image, sharp, imgproxy)")
	flag.Parse()
	dir := "build/bench"
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	r, err := readRun(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	ref, err := readReference(*refPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	table(w, r, ref, strings.Fields(*images))
}

// table writes every section; each is a function of its own below.
func table(w io.Writer, r *run, ref reference, images []string) {
	if len(r.header) > 0 {
		fmt.Fprintf(w, "%s\n\n", strings.Join(r.header, "\n"))
	}
	target1(w, r, ref, images)
	target2(w, r, images)
	target3(w, r)
	target4(w, r, ref)
	target5(w, r)
	target6(w, r)
	goBenchmarks(w, r, append(images, upright, turned))
}

// num is a median that may be missing.
type num struct {
	v  float64
	ok bool
}

func med(s samples, key ...string) num {
	v, ok := s.med(key...)
	return num{v, ok}
}

func (n num) f1() string { return n.format("%.1f") }
func (n num) f2() string { return n.format("%.2f") }

func (n num) format(f string) string {
	if !n.ok {
		return "n/a"
	}
	return fmt.Sprintf(f, n.v)
}

// ratio is a/b, missing when either is.
func ratio(a, b num) num { return num{a.v / b.v, a.ok && b.ok && b.v != 0} }

func yes(c bool) string {
	if c {
		return "yes"
	}
	return "**no**"
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

func target1(w io.Writer, r *run, ref reference, images []string) {
	fmt.Fprint(w, "## Target 1: 800x600 miss through the local server (median ms; ratios from this run)\n\n",
		"| image | floor | project | x floor | sharp | project / sharp | target / sharp | bimgref | ImageMagick | imgproxy ref (ms, x sharp ref) | met |\n",
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, f := range images {
		p := func(tool string) num { return med(r.peer, tool, f, "t1") }
		fl, pr, sh := p("floor"), p("project"), p("sharp")
		rs, ri, _ := ref.get("800x600", f)
		tgt := min(ri/rs, 1)
		big := strings.HasSuffix(f, ".jpg") && !strings.Contains(f, "2mp")
		met := "n/a"
		if pr.ok {
			met = yes(sh.ok && pr.v/sh.v <= tgt+1e-9 && (!big || (fl.ok && pr.v/fl.v <= 1.25)))
		}
		floorRule := ""
		if big {
			floorRule = ", x floor 1.25"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.2f%s | %s | %s | %s (%.2f) | %s |\n", f, fl.f1(), pr.f1(),
			ratio(pr, fl).f2(), sh.f1(), ratio(pr, sh).f2(), tgt, floorRule, p("bimgref").f1(), p("imagemagick").f1(),
			ref["800x600|"+f][1], ri/rs, met)
	}
	f := "photo-24mp.jpg"
	p3 := func(tool string) string { return med(r.peer, tool, f, "t3").f1() }
	rs, ri, _ := ref.get("3sizes", f)
	fmt.Fprintf(w, "\n24 MP, all three sizes as three GET misses (peers.sh \"3 sizes\"): project %s ms, sharp %s ms (one decode, three pipelines), bimgref %s, ImageMagick %s; imgproxy ref %g ms (sharp ref %g).\n\n",
		p3("project"), p3("sharp"), p3("bimgref"), p3("imagemagick"), ri, rs)
}

func target2(w io.Writer, r *run, images []string) {
	fmt.Fprint(w, "## Target 2: pre-warm, three sizes from one decode, against 800x600 alone (Go benchmark, median ms/op)\n\n",
		"| image | 800x600 | 3 sizes | ratio | met (<= 1.30) |\n|---|---:|---:|---:|---|\n")
	for _, f := range images {
		one, three := med(r.gob, "BenchmarkResize", f, "800x600", "ms/op"), med(r.gob, "BenchmarkResize", f, "3sizes", "ms/op")
		if one.ok {
			fmt.Fprintf(w, "| %s | %.1f | %.1f | %.2f | %s |\n", f, one.v, three.v, three.v/one.v, yes(three.v/one.v <= 1.3))
		}
	}
	fmt.Fprintln(w)
}

func target3(w io.Writer, r *run) {
	fmt.Fprint(w, "## Target 3: EXIF orientation 6 against the same pixels upright (13 MP, 800x600)\n\n",
		"| measure | orientation 1 | orientation 6 | ratio | met (<= 1.15) |\n|---|---:|---:|---:|---|\n")
	for _, u := range []string{"ms/op", "cpu-ms/op", "peak-RSS-MB"} {
		o1, o6 := med(r.gob, "BenchmarkResize", upright, "800x600", u), med(r.gob, "BenchmarkResize", turned, "800x600", u)
		if o1.ok {
			fmt.Fprintf(w, "| Go benchmark %s | %.1f | %.1f | %.2f | %s |\n", u, o1.v, o6.v, o6.v/o1.v, yes(o6.v/o1.v <= 1.15))
		}
	}
	if o1, o6 := med(r.http, upright), med(r.http, turned); o1.ok {
		fmt.Fprintf(w, "| HTTP miss, ms | %.1f | %.1f | %.2f | %s |\n", o1.v, o6.v, o6.v/o1.v, yes(o6.v/o1.v <= 1.15))
	}
	fmt.Fprintln(w)
}

func target4(w io.Writer, r *run, ref reference) {
	f := "photo-24mp.jpg"
	x := func(tool string) string { return r.peerOnce[tool+"|"+f+"|rss"] }
	pr := x("project")
	if pr == "" {
		pr = r.project["rss1"]
	}
	fmt.Fprint(w, "## Target 4: peak RSS of the server (VmHWM, MB)\n\n",
		"| case | project | limit | met | sharp | bimgref | ImageMagick | imgproxy ref |\n|---|---:|---:|---|---:|---:|---:|---:|\n")
	fmt.Fprintf(w, "| one 24 MP miss (peers.sh: %s, alone: %s) | %s | 100 | %s | %s | %s | %s | %s |\n",
		orNA(x("project")), r.project["rss1"], pr, under(pr, 100), x("sharp"), x("bimgref"), x("imagemagick"), ref["rss|"+f][1])
	fmt.Fprintf(w, "| eight different 24 MP misses at once (all done in %s ms) | %s | 300 | %s | | | | |\n\n",
		r.project["rss8_t"], r.project["rss8"], under(r.project["rss8"], 300))
}

// under says whether the figure (as written) is at most limit; n/a when there is none.
func under(s string, limit float64) string {
	var v float64
	if _, err := fmt.Sscan(s, &v); err != nil {
		return "n/a"
	}
	return yes(v <= limit)
}

func target5(w io.Writer, r *run) {
	f := "photo-13mp.jpg"
	var project, sharp float64
	_, errP := fmt.Sscan(r.project["tput13"], &project)
	_, errS := fmt.Sscan(r.peerOnce["sharp|"+f+"|tput"], &sharp)
	rat, met := "n/a", "n/a"
	if errS == nil && sharp != 0 {
		rat = ratio(num{project, errP == nil}, num{sharp, true}).f2()
		met = yes(errP == nil && project >= sharp)
	}
	fmt.Fprint(w, "## Target 5: throughput, 2 concurrent clients, 13 MP 800x600 misses (images/s)\n\n")
	fmt.Fprintf(w, "project %s (each client its own key), sharp %s (2 concurrent promises, same run): ratio %s, met (>= 1): %s. bimgref %s. (peers.sh column for the project, one URL for both clients, so coalesced: %s.)\n\n",
		r.project["tput13"], orNA(r.peerOnce["sharp|"+f+"|tput"]), rat, met, r.peerOnce["bimgref|"+f+"|tput"], r.peerOnce["project|"+f+"|tput"])
}

func target6(w io.Writer, r *run) {
	fmt.Fprint(w, "## Target 6: LRU hits, wrk -t2 -c16 over loopback, 10 s\n\n",
		"| variant | requests/s | p99 ms | transfer/s | met (>= 20000/s, p99 < 5 ms) |\n|---|---:|---:|---:|---|\n")
	for _, h := range r.hits {
		var rps float64
		_, err := fmt.Sscan(h.rps, &rps)
		fmt.Fprintf(w, "| %s of photo-13mp.jpg | %s | %.2f | %s | %s |\n", h.size, h.rps, h.p99ms, h.transfer, yes(err == nil && rps >= 20000 && h.p99ms < 5))
	}
	fmt.Fprintln(w)
}

func goBenchmarks(w io.Writer, r *run, images []string) {
	fmt.Fprint(w, "## Go benchmarks (BenchmarkResize, medians; peak RSS of a fresh process per image)\n\n",
		"| image | sizes | ms/op | cpu-ms/op | peak RSS MB | Go B/op | allocs/op |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, f := range images {
		for _, z := range []string{"800x600", "3sizes"} {
			m := func(unit string) float64 { return med(r.gob, "BenchmarkResize", f, z, unit).v }
			if med(r.gob, "BenchmarkResize", f, z, "ms/op").ok {
				fmt.Fprintf(w, "| %s | %s | %.1f | %.1f | %.0f | %.0f | %.0f |\n", f, z, m("ms/op"), m("cpu-ms/op"), m("peak-RSS-MB"), m("B/op"), m("allocs/op"))
			}
		}
	}
	if ips := med(r.gob, "BenchmarkResizeParallel", "photo-13mp.jpg", "", "img/s"); ips.ok {
		fmt.Fprintf(w, "\nBenchmarkResizeParallel, photo-13mp.jpg 800x600 from GOMAXPROCS goroutines: %.1f images/s, peak RSS %.0f MB.\n",
			ips.v, med(r.gob, "BenchmarkResizeParallel", "photo-13mp.jpg", "", "peak-RSS-MB").v)
	}
}
