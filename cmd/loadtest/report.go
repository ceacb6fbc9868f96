package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report prints the summary and says whether the run passed.
func (lt *loadTest) report(elapsed time.Duration, mem *memSampler, cpu time.Duration, v verifyResult) bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	byKind := map[kind][]result{}
	for _, r := range lt.results {
		byKind[r.k] = append(byKind[r.k], r)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\trequests\tstatuses\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	line := func(name string, rs []result) {
		ds := make([]time.Duration, len(rs))
		st := map[int]int{}
		for i, r := range rs {
			ds[i] = r.d
			st[r.status]++
		}
		slices.Sort(ds)
		var codes []string
		for _, c := range slices.Sorted(maps.Keys(st)) {
			codes = append(codes, fmt.Sprintf("%d:%d", c, st[c]))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, len(rs), strings.Join(codes, " "),
			pct(ds, 50), pct(ds, 90), pct(ds, 99), pct(ds, 100))
	}
	for _, k := range kindOrder {
		line(string(k), byKind[k])
	}
	line("all", lt.results)
	tw.Flush()

	rps := float64(len(lt.results)) / elapsed.Seconds()
	fmt.Printf("\n%d requests in %.1fs: %.0f req/s; %d herds of %d: %d decodes (from Server-Timing), %d split answers; %d upload failures\n",
		len(lt.results), elapsed.Seconds(), rps, lt.herds, lt.o.herd, lt.herdMakes, lt.herdSplit, lt.uploadFails)
	fmt.Printf("devserver memory: peak RSS (VmHWM) %.1f MB, highest sampled VmRSS %.1f MB, last VmRSS %.1f MB; CPU %.1fs (%.0f%% of one core)\n",
		mb(mem.hwm.Load()), mb(mem.maxRSS.Load()), mb(mem.lastRSS.Load()), cpu.Seconds(), 100*cpu.Seconds()/elapsed.Seconds())
	fmt.Printf("bucket: %d variants, %d decode to their exact size, %d corrupt, %d stray, %d served but lost\n",
		v.variants, v.ok, v.corrupt, v.stray, v.lost)

	ok := true
	if n := len(lt.unexpected); n > 0 {
		ok = false
		fmt.Printf("\nUNEXPECTED: %d\n", n)
		for _, u := range lt.unexpected[:min(n, 20)] {
			fmt.Println("  " + u)
		}
	}
	if len(v.problems) > 0 {
		ok = false
		fmt.Printf("\nBUCKET PROBLEMS: %d\n", len(v.problems))
		for _, p := range v.problems[:min(len(v.problems), 20)] {
			fmt.Println("  " + p)
		}
	}
	if lt.uploadFails > 0 {
		ok = false
	}
	if hwm := mb(mem.hwm.Load()); hwm > float64(lt.o.maxRSSMB) {
		ok = false
		fmt.Printf("\nMEMORY: peak RSS %.0f MB over %d MB\n", hwm, lt.o.maxRSSMB)
	}
	if len(lt.results) == 0 {
		ok = false
	}
	if ok {
		fmt.Println("\nPASS: zero unexpected statuses, zero lost or corrupt variants")
	} else {
		fmt.Println("\nFAIL")
	}
	return ok
}

func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	return float64(ds[min(max(i-1, 0), len(ds)-1)].Microseconds()) / 1000
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
