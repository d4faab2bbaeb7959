// The Go reference of the threads row: the row's loop (xorshift32 folded
// into FNV-1a, the same as bench/threads/work.ts), run as jobs through two
// worker goroutines reading one channel, at GOMAXPROCS=1 and 2.
//
//	go run . ITERATIONS:JOBS [ITERATIONS:JOBS ...]
//
// prints, per job size and GOMAXPROCS, the median wall time per job of
// three runs:
//
//	procs=2 iterations=12345 jobs=400 ns/job=510000 ns/iter=0.41
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

var sink uint32

func work(iterations int) uint32 {
	x := uint32(0x9e3779b9)
	h := uint32(0x811c9dc5)
	for i := 0; i < iterations; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		h = (h ^ (x & 0xff)) * 0x01000193
	}
	return h
}

// run pushes jobs through two workers reading one channel (Go's bounded
// parallelism) and returns the wall time.
func run(iterations, jobs int) time.Duration {
	start := time.Now()
	in := make(chan int, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var acc uint32
			for n := range in {
				acc ^= work(n)
			}
			mu.Lock()
			sink ^= acc
			mu.Unlock()
		}()
	}
	for j := 0; j < jobs; j++ {
		in <- iterations
	}
	close(in)
	wg.Wait()
	return time.Since(start)
}

func main() {
	type size struct{ iterations, jobs int }
	var sizes []size
	for _, arg := range os.Args[1:] {
		parts := strings.Split(arg, ":")
		if len(parts) != 2 {
			fmt.Fprintf(os.Stderr, "bad argument %q, want ITERATIONS:JOBS\n", arg)
			os.Exit(2)
		}
		it, err1 := strconv.Atoi(parts[0])
		jobs, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil || it < 0 || jobs < 1 {
			fmt.Fprintf(os.Stderr, "bad argument %q, want ITERATIONS:JOBS\n", arg)
			os.Exit(2)
		}
		sizes = append(sizes, size{it, jobs})
	}
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		for _, s := range sizes {
			run(s.iterations, s.jobs/4+1) // warm-up
			var runs []float64
			for r := 0; r < 3; r++ {
				runs = append(runs, float64(run(s.iterations, s.jobs).Nanoseconds())/float64(s.jobs))
			}
			sort.Float64s(runs)
			perJob := runs[1]
			perIter := 0.0
			if s.iterations > 0 {
				perIter = perJob * float64(procs) / float64(s.iterations)
			}
			fmt.Printf("procs=%d iterations=%d jobs=%d ns/job=%.0f ns/iter=%.3f\n", procs, s.iterations, s.jobs, perJob, perIter)
		}
	}
}
